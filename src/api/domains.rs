//! Server functions for an organization's claimed domains: claim, verify by DNS, remove (owners).

use leptos::prelude::*;

use crate::shared::error::AppError;
use crate::shared::models::DomainView;

#[server(endpoint = "claim_domain")]
pub async fn claim_domain(
    csrf_token: Option<String>,
    organization_id: i64,
    domain: String,
) -> Result<DomainView, AppError> {
    use crate::api::edge;
    use crate::server::services::domains;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        domains::claim(&state, &edge::actor(&me), organization_id, &domain).await
    })
    .await
}

#[server(endpoint = "verify_domain")]
pub async fn verify_domain(
    csrf_token: Option<String>,
    organization_id: i64,
    domain_id: i64,
) -> Result<DomainView, AppError> {
    use crate::api::edge;
    use crate::server::services::domains;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        domains::verify(&state, &edge::actor(&me), organization_id, domain_id).await
    })
    .await
}

#[server(endpoint = "remove_domain")]
pub async fn remove_domain(
    csrf_token: Option<String>,
    organization_id: i64,
    domain_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::domains;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        domains::remove(&state, &edge::actor(&me), organization_id, domain_id).await
    })
    .await
}
