//! Server functions for the account's security settings: two-factor authentication (enrol, confirm, recovery codes,
//! turn off), personal API keys, an organization's API keys and 2FA requirement, SSO enforcement, and the audit
//! log (an organization's for its owners, and a person's own security events).

use leptos::prelude::*;

use crate::shared::error::AppError;
use crate::shared::models::{
    ApiKeyView, AuditEventView, CreatedApiKey, EnforcementStatus, OrganizationAudit,
    PersonalApiKeys, TwoFactorEnrolment, TwoFactorStatus,
};

#[server(endpoint = "two_factor_status")]
pub async fn load_two_factor_status() -> Result<TwoFactorStatus, AppError> {
    use crate::api::edge;
    use crate::server::services::two_factor;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        two_factor::status(&state, me.user.id).await
    })
    .await
}

/// Starts setting up 2FA: a new secret, as a QR code and as text.
#[server(endpoint = "begin_two_factor")]
pub async fn begin_two_factor(csrf_token: Option<String>) -> Result<TwoFactorEnrolment, AppError> {
    use crate::api::edge;
    use crate::server::services::two_factor;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        two_factor::begin_enrolment(&state, &me.user).await
    })
    .await
}

/// Confirms the setup with a code from the app; returns the recovery codes (shown once).
#[server(endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(
    csrf_token: Option<String>,
    code: String,
) -> Result<Vec<String>, AppError> {
    use crate::api::edge;
    use crate::server::services::two_factor;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        two_factor::confirm_enrolment(&state, &me.user, &code).await
    })
    .await
}

#[server(endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes(
    csrf_token: Option<String>,
    code: String,
) -> Result<Vec<String>, AppError> {
    use crate::api::edge;
    use crate::server::services::two_factor;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        two_factor::regenerate_recovery_codes(&state, me.user.id, &code).await
    })
    .await
}

/// Turns 2FA off: the password (or a fresh SSO login) and a code.
#[server(endpoint = "disable_two_factor")]
pub async fn disable_two_factor(
    csrf_token: Option<String>,
    password: Option<String>,
    code: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::two_factor;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        two_factor::disable(&state, &me, password, &code).await
    })
    .await
}

#[server(endpoint = "personal_api_keys")]
pub async fn load_personal_api_keys() -> Result<PersonalApiKeys, AppError> {
    use crate::api::edge;
    use crate::server::services::api_keys;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        api_keys::list_personal(&state, me.user.id).await
    })
    .await
}

#[server(endpoint = "create_personal_api_key")]
pub async fn create_personal_api_key(
    csrf_token: Option<String>,
    name: String,
    expires_in_days: Option<String>,
) -> Result<CreatedApiKey, AppError> {
    use crate::api::edge;
    use crate::server::services::api_keys;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        api_keys::create_personal(&state, me.user.id, &name, expires_in_days.as_deref()).await
    })
    .await
}

#[server(endpoint = "revoke_personal_api_key")]
pub async fn revoke_personal_api_key(
    csrf_token: Option<String>,
    key_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::api_keys;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        api_keys::revoke_personal(&state, me.user.id, key_id).await
    })
    .await
}

#[server(endpoint = "organization_api_keys")]
pub async fn organization_api_keys(organization_id: i64) -> Result<Vec<ApiKeyView>, AppError> {
    use crate::api::edge;
    use crate::server::services::api_keys;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        api_keys::list_for_organization(&state, &edge::actor(&me), organization_id).await
    })
    .await
}

#[server(endpoint = "create_organization_api_key")]
pub async fn create_organization_api_key(
    csrf_token: Option<String>,
    organization_id: i64,
    name: String,
    role: String,
    expires_in_days: Option<String>,
) -> Result<CreatedApiKey, AppError> {
    use crate::api::edge;
    use crate::server::services::api_keys;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        api_keys::create_for_organization(
            &state,
            &edge::actor(&me),
            organization_id,
            &name,
            &role,
            expires_in_days.as_deref(),
        )
        .await
    })
    .await
}

#[server(endpoint = "revoke_organization_api_key")]
pub async fn revoke_organization_api_key(
    csrf_token: Option<String>,
    organization_id: i64,
    key_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::api_keys;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        api_keys::revoke_for_organization(&state, &edge::actor(&me), organization_id, key_id).await
    })
    .await
}

/// Owners only: members who log in with a password must use 2FA (they enrol at their next login).
#[server(endpoint = "set_require_two_factor")]
pub async fn set_require_two_factor(
    csrf_token: Option<String>,
    organization_id: i64,
    required: Option<String>,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        // A checkbox: present ("on"/"true") when ticked, absent otherwise.
        let required = required.is_some_and(|v| v != "false" && v != "off");
        organizations::set_require_two_factor(&state, &edge::actor(&me), organization_id, required)
            .await
    })
    .await
}

#[server(endpoint = "sso_enforcement")]
pub async fn load_sso_enforcement(organization_id: i64) -> Result<EnforcementStatus, AppError> {
    use crate::api::edge;
    use crate::server::services::enforcement;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        enforcement::status(&state, me.user.id, &me.session, organization_id).await
    })
    .await
}

#[server(endpoint = "enable_sso_enforcement")]
pub async fn enable_sso_enforcement(
    csrf_token: Option<String>,
    organization_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::enforcement;
    edge::run(async move {
        let (state, me, visitor) = edge::signed_in_form(csrf_token.as_deref())?;
        enforcement::enable(
            &state,
            me.user.id,
            &me.session,
            organization_id,
            &visitor.origin.ip,
        )
        .await
    })
    .await
}

#[server(endpoint = "disable_sso_enforcement")]
pub async fn disable_sso_enforcement(
    csrf_token: Option<String>,
    organization_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::enforcement;
    edge::run(async move {
        let (state, me, visitor) = edge::signed_in_form(csrf_token.as_deref())?;
        enforcement::disable(
            &state,
            &edge::actor(&me),
            organization_id,
            &visitor.origin.ip,
        )
        .await
    })
    .await
}

#[server(endpoint = "organization_audit_log")]
pub async fn load_organization_audit_log(
    organization_id: i64,
    category: Option<String>,
    outcome: Option<String>,
) -> Result<OrganizationAudit, AppError> {
    use crate::api::edge;
    use crate::server::services::audit::{self, AuditFilter};
    edge::run(async move {
        let (state, me) = edge::reader()?;
        let filter = AuditFilter::parse(category.as_deref(), outcome.as_deref())?;
        audit::for_organization(&state, &edge::actor(&me), organization_id, &filter).await
    })
    .await
}

#[server(endpoint = "my_security_events")]
pub async fn load_my_security_events() -> Result<Vec<AuditEventView>, AppError> {
    use crate::api::edge;
    use crate::server::services::audit;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        audit::for_person(&state, me.user.id).await
    })
    .await
}
