//! Server functions for identity providers: register, view, edit settings, replace metadata or certificate, and
//! add or remove organizations. Checkboxes arrive as `Some("on")` or nothing, as HTML forms send them.

// Each argument is one field of a plain HTML form, which is what keeps these forms working without JavaScript.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::shared::error::AppError;
use crate::shared::models::{IdentityProviderDetail, IdentityProviderSummary};

#[cfg(feature = "ssr")]
mod form {
    use crate::server::services::identity_providers::{IdpSettings, IdpSource};
    use crate::shared::error::{AppError, AppResult, ErrorCode};

    /// balena's default: an SSO session lasts 12 hours.
    const DEFAULT_SESSION_LIFETIME_HOURS: i64 = 12;

    pub fn checked(value: &Option<String>) -> bool {
        value
            .as_deref()
            .is_some_and(|v| matches!(v, "on" | "true" | "1"))
    }

    pub fn optional_id(raw: &Option<String>, field: &str) -> AppResult<Option<i64>> {
        match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(value) => value
                .parse()
                .map(Some)
                .map_err(|_| AppError::new(ErrorCode::InvalidInput).on_field(field)),
        }
    }

    pub fn settings(
        identifier: String,
        name: String,
        name_id_format: String,
        clock_skew_seconds: Option<String>,
        allow_sha1: Option<String>,
        allow_idp_initiated: Option<String>,
        allow_jit_accounts: Option<String>,
        allow_merge: Option<String>,
        allow_pre_provisioned: Option<String>,
        session_lifetime_hours: Option<String>,
    ) -> AppResult<IdpSettings> {
        let session_lifetime_hours = match session_lifetime_hours.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_SESSION_LIFETIME_HOURS,
            Some(raw) => raw.parse().map_err(|_| {
                AppError::new(ErrorCode::SessionLifetimeInvalid).on_field("session_lifetime_hours")
            })?,
        };
        let clock_skew_seconds = match clock_skew_seconds.as_deref().map(str::trim) {
            None | Some("") => crate::server::saml::core::config::DEFAULT_CLOCK_SKEW_SECONDS,
            Some(raw) => raw.parse().map_err(|_| {
                AppError::new(ErrorCode::ClockSkewInvalid).on_field("clock_skew_seconds")
            })?,
        };
        Ok(IdpSettings {
            identifier,
            name,
            name_id_format,
            clock_skew_seconds,
            allow_sha1: checked(&allow_sha1),
            allow_idp_initiated: checked(&allow_idp_initiated),
            allow_jit_accounts: checked(&allow_jit_accounts),
            allow_merge: checked(&allow_merge),
            allow_pre_provisioned: checked(&allow_pre_provisioned),
            session_lifetime_hours,
        })
    }

    pub fn source(
        source: &str,
        metadata: Option<String>,
        entity_id: Option<String>,
        sso_url: Option<String>,
        sso_binding: Option<String>,
        certificate: Option<String>,
    ) -> AppResult<IdpSource> {
        match source {
            "manual" => Ok(IdpSource::Manual {
                entity_id: entity_id.unwrap_or_default(),
                sso_url: sso_url.unwrap_or_default(),
                sso_binding: sso_binding.unwrap_or_else(|| "redirect".into()),
                certificate_pem: certificate.unwrap_or_default(),
            }),
            _ => {
                let xml = metadata.unwrap_or_default();
                if xml.trim().is_empty() {
                    return Err(AppError::new(ErrorCode::MetadataMalformed)
                        .with_message("Choose the metadata file, or paste its XML.")
                        .on_field("metadata"));
                }
                Ok(IdpSource::Metadata(xml))
            }
        }
    }
}

#[server(endpoint = "create_identity_provider")]
pub async fn create_identity_provider(
    csrf_token: Option<String>,
    organization_id: i64,
    default_team_id: Option<String>,
    name: String,
    identifier: String,
    source: String,
    metadata: Option<String>,
    entity_id: Option<String>,
    sso_url: Option<String>,
    sso_binding: Option<String>,
    certificate: Option<String>,
    name_id_format: String,
    clock_skew_seconds: Option<String>,
    allow_sha1: Option<String>,
    allow_idp_initiated: Option<String>,
    allow_jit_accounts: Option<String>,
    allow_merge: Option<String>,
    allow_pre_provisioned: Option<String>,
    session_lifetime_hours: Option<String>,
) -> Result<String, AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let settings = form::settings(
            identifier,
            name,
            name_id_format,
            clock_skew_seconds,
            allow_sha1,
            allow_idp_initiated,
            allow_jit_accounts,
            allow_merge,
            allow_pre_provisioned,
            session_lifetime_hours,
        )?;
        let source = form::source(
            &source,
            metadata,
            entity_id,
            sso_url,
            sso_binding,
            certificate,
        )?;
        let team = form::optional_id(&default_team_id, "default_team_id")?;
        let identifier = identity_providers::create(
            &state,
            &edge::actor(&me),
            settings,
            source,
            organization_id,
            team,
        )
        .await?;
        edge::redirect(&format!("/identity-providers/{identifier}"));
        Ok(identifier)
    })
    .await
}

#[server(endpoint = "identity_provider")]
pub async fn identity_provider(identifier: String) -> Result<IdentityProviderDetail, AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        identity_providers::detail(&state, &edge::actor(&me), &identifier).await
    })
    .await
}

#[server(endpoint = "organization_identity_providers")]
pub async fn organization_identity_providers(
    organization_id: i64,
) -> Result<Vec<IdentityProviderSummary>, AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        identity_providers::list_for_organization(&state, &edge::actor(&me), organization_id).await
    })
    .await
}

#[server(endpoint = "update_identity_provider")]
pub async fn update_identity_provider(
    csrf_token: Option<String>,
    current_identifier: String,
    name: String,
    identifier: String,
    name_id_format: String,
    clock_skew_seconds: Option<String>,
    allow_sha1: Option<String>,
    allow_idp_initiated: Option<String>,
    allow_jit_accounts: Option<String>,
    allow_merge: Option<String>,
    allow_pre_provisioned: Option<String>,
    session_lifetime_hours: Option<String>,
) -> Result<String, AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let settings = form::settings(
            identifier,
            name,
            name_id_format,
            clock_skew_seconds,
            allow_sha1,
            allow_idp_initiated,
            allow_jit_accounts,
            allow_merge,
            allow_pre_provisioned,
            session_lifetime_hours,
        )?;
        let identifier = identity_providers::update_settings(
            &state,
            &edge::actor(&me),
            &current_identifier,
            settings,
        )
        .await?;
        edge::redirect(&format!("/identity-providers/{identifier}"));
        Ok(identifier)
    })
    .await
}

#[server(endpoint = "replace_identity_provider_source")]
pub async fn replace_identity_provider_source(
    csrf_token: Option<String>,
    identifier: String,
    source: String,
    metadata: Option<String>,
    entity_id: Option<String>,
    sso_url: Option<String>,
    sso_binding: Option<String>,
    certificate: Option<String>,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let source = form::source(
            &source,
            metadata,
            entity_id,
            sso_url,
            sso_binding,
            certificate,
        )?;
        identity_providers::replace_source(&state, &edge::actor(&me), &identifier, source).await
    })
    .await
}

/// Deletes the identity provider (no SAML account may be linked); back to the dashboard.
#[server(endpoint = "delete_identity_provider")]
pub async fn delete_identity_provider(
    csrf_token: Option<String>,
    identifier: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        identity_providers::delete(&state, &edge::actor(&me), &identifier).await?;
        edge::redirect("/dashboard");
        Ok(())
    })
    .await
}

/// Deletes a SAML account (the link of a remote ID to an account); refused if it would leave an organization
/// without an owner who can still sign in.
#[server(endpoint = "delete_saml_account")]
pub async fn delete_saml_account(
    csrf_token: Option<String>,
    identifier: String,
    remote_id: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        identity_providers::delete_saml_account(&state, &edge::actor(&me), &identifier, &remote_id)
            .await
    })
    .await
}

#[server(endpoint = "set_identity_provider_organization")]
pub async fn set_identity_provider_organization(
    csrf_token: Option<String>,
    identifier: String,
    organization_id: i64,
    default_team_id: Option<String>,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let team = form::optional_id(&default_team_id, "default_team_id")?;
        identity_providers::set_organization(
            &state,
            &edge::actor(&me),
            &identifier,
            organization_id,
            team,
        )
        .await
    })
    .await
}

#[server(endpoint = "remove_identity_provider_organization")]
pub async fn remove_identity_provider_organization(
    csrf_token: Option<String>,
    identifier: String,
    organization_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::identity_providers;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        identity_providers::remove_organization(
            &state,
            &edge::actor(&me),
            &identifier,
            organization_id,
        )
        .await
    })
    .await
}
