//! Server functions for role mappings: the organization's mappings with its teams, create, update, delete, and the
//! preview of what typed groups would be granted, by the saved mappings or with the form's unsaved one.

// Each argument is one field of a plain HTML form, which is what keeps these forms working without JavaScript.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::shared::error::AppError;
use crate::shared::models::{MappingPreview, RoleMappingsPage};

#[cfg(feature = "ssr")]
fn input(
    name: String,
    role: Option<String>,
    team_id: Option<String>,
    kind: String,
    patterns: String,
) -> crate::shared::error::AppResult<crate::server::services::role_mappings::MappingInput> {
    use crate::shared::error::ErrorCode;
    let team_ids = match team_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Vec::new(),
        Some(raw) => vec![raw
            .parse()
            .map_err(|_| AppError::new(ErrorCode::TeamNotFound).on_field("team_ids"))?],
    };
    Ok(crate::server::services::role_mappings::MappingInput {
        name,
        role,
        team_ids,
        kind,
        patterns,
    })
}

/// Saves the mapping (a new one, or the one it replaces); with `intent=preview`, previews it against `groups`
/// instead and saves nothing.
#[cfg(feature = "ssr")]
async fn save_or_preview(
    state: &crate::server::state::AppState,
    actor: &crate::server::services::actor::Actor,
    organization_id: i64,
    replacing: Option<i64>,
    input: crate::server::services::role_mappings::MappingInput,
    groups: Option<String>,
    intent: Option<String>,
) -> crate::shared::error::AppResult<Option<MappingPreview>> {
    use crate::server::services::role_mappings::{self, Draft};
    if intent.as_deref() == Some("preview") {
        let draft = Draft { replacing, input };
        let groups = groups.unwrap_or_default();
        return role_mappings::preview(state, actor, organization_id, &groups, Some(draft))
            .await
            .map(Some);
    }
    match replacing {
        Some(mapping_id) => {
            role_mappings::update(state, actor, organization_id, mapping_id, input).await?
        }
        None => role_mappings::create(state, actor, organization_id, input).await?,
    };
    Ok(None)
}

#[server(endpoint = "role_mappings")]
pub async fn load_role_mappings(organization_id: i64) -> Result<RoleMappingsPage, AppError> {
    use crate::api::edge;
    use crate::server::services::role_mappings;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        role_mappings::page(&state, &edge::actor(&me), organization_id).await
    })
    .await
}

/// Creates the mapping; or, with `intent=preview` (the form's other button), previews it with `groups` unsaved.
#[server(endpoint = "create_role_mapping")]
pub async fn create_role_mapping(
    csrf_token: Option<String>,
    organization_id: i64,
    name: String,
    role: Option<String>,
    team_id: Option<String>,
    kind: String,
    patterns: String,
    groups: Option<String>,
    intent: Option<String>,
) -> Result<Option<MappingPreview>, AppError> {
    use crate::api::edge;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let input = input(name, role, team_id, kind, patterns)?;
        save_or_preview(
            &state,
            &edge::actor(&me),
            organization_id,
            None,
            input,
            groups,
            intent,
        )
        .await
    })
    .await
}

#[server(endpoint = "update_role_mapping")]
pub async fn update_role_mapping(
    csrf_token: Option<String>,
    organization_id: i64,
    mapping_id: i64,
    name: String,
    role: Option<String>,
    team_id: Option<String>,
    kind: String,
    patterns: String,
    groups: Option<String>,
    intent: Option<String>,
) -> Result<Option<MappingPreview>, AppError> {
    use crate::api::edge;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let input = input(name, role, team_id, kind, patterns)?;
        save_or_preview(
            &state,
            &edge::actor(&me),
            organization_id,
            Some(mapping_id),
            input,
            groups,
            intent,
        )
        .await
    })
    .await
}

#[server(endpoint = "delete_role_mapping")]
pub async fn delete_role_mapping(
    csrf_token: Option<String>,
    organization_id: i64,
    mapping_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::role_mappings;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        role_mappings::delete(&state, &edge::actor(&me), organization_id, mapping_id).await
    })
    .await
}

#[server(endpoint = "preview_role_mappings")]
pub async fn preview_role_mappings(
    organization_id: i64,
    groups: String,
) -> Result<MappingPreview, AppError> {
    use crate::api::edge;
    use crate::server::services::role_mappings;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        role_mappings::preview(&state, &edge::actor(&me), organization_id, &groups, None).await
    })
    .await
}
