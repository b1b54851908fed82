//! Server functions for "Enable Enterprise SSO": what the merge will do (read before consenting) and its receipt.
//! The consent itself is a plain form posted to `/saml/{identifier}/merge`, which sends the browser on to the
//! identity provider.

use leptos::prelude::*;

use crate::shared::error::AppError;
use crate::shared::models::{MergePreview, MergeReceipt};

#[server(endpoint = "merge_preview")]
pub async fn load_merge_preview(identifier: String) -> Result<MergePreview, AppError> {
    use crate::api::edge;
    use crate::server::services::merge;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        merge::preview(&state, me.user.id, &identifier).await
    })
    .await
}

#[server(endpoint = "merge_receipt")]
pub async fn load_merge_receipt() -> Result<MergeReceipt, AppError> {
    use crate::api::edge;
    use crate::server::services::merge;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        merge::receipt(&state, me.user.id).await
    })
    .await
}
