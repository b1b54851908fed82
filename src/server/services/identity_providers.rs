//! Identity providers: registered and edited by organization admins from metadata or by hand, associated with the
//! organizations they administer (each with an optional default team). Rules: the SSO identifier is unique and
//! only `a-z 0-9 - _`; at least one organization; every certificate kept is valid now or later; the NameID format
//! cannot change once accounts are linked; every edit bumps the revision. Also turns a stored provider into the
//! validator's trust settings and our endpoints for it.
//!
//! Organizations are added and removed one at a time (each by someone who administers it), so plain HTML forms
//! can do every edit.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use crate::server::db::entities::{
    identity_provider, idp_certificate, idp_organization, membership, organization, saml_identity,
    saml_login_failure, session, team, user,
};
use crate::server::db::{begin_write, conflict_on_unique};
use crate::server::mail::Email;
use crate::server::saml::core::certificate::{Certificate, CertificateError};
use crate::server::saml::core::config::{IdpTrust, NameIdFormat, SpEndpoints};
use crate::server::saml::core::metadata::{
    check_sso_url, parse_idp_metadata, usable_certificates, SsoBinding,
};
use crate::server::services::actor::Actor;
use crate::server::services::audit::{self, AuditActor, AuditEvent};
use crate::server::services::authz::{
    also_permits, authorize, denial, permits, principal_of, Action,
};
use crate::server::services::organizations;
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{
    CertificateView, IdentityProviderDetail, IdentityProviderSummary, IdpOrganizationView,
    LoginFailureView, Role, SamlAccountView, ServiceProviderInfo, TeamOption,
};

const MAX_CLOCK_SKEW_SECONDS: i64 = 600;

/// Where the provider's entity ID, SSO URL and certificates come from.
pub enum IdpSource {
    Metadata(String),
    Manual {
        entity_id: String,
        sso_url: String,
        sso_binding: String,
        certificate_pem: String,
    },
}

/// The settings an administrator chooses.
pub struct IdpSettings {
    pub identifier: String,
    pub name: String,
    pub name_id_format: String,
    pub clock_skew_seconds: i64,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    pub allow_jit_accounts: bool,
    pub allow_merge: bool,
    pub allow_pre_provisioned: bool,
    pub session_lifetime_hours: i64,
}

/// What the source yields once checked.
struct Resolved {
    entity_id: String,
    sso_url: String,
    sso_binding: SsoBinding,
    certificates: Vec<Certificate>,
    offered_formats: Vec<NameIdFormat>,
    metadata_xml: Option<String>,
}

pub fn check_identifier(raw: &str) -> AppResult<String> {
    let identifier = raw.trim().to_string();
    let valid = (2..=60).contains(&identifier.len())
        && identifier
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(identifier)
    } else {
        Err(AppError::new(ErrorCode::SsoIdentifierInvalid).on_field("identifier"))
    }
}

fn check_name(raw: &str) -> AppResult<String> {
    let name = raw.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::new(ErrorCode::NameInvalid)
            .with_message(
                "Enter a display name between 1 and 100 characters, like \"Acme Entra ID\".",
            )
            .on_field("name"));
    }
    Ok(name)
}

fn check_entity_id(raw: &str) -> AppResult<String> {
    let entity_id = raw.trim().to_string();
    if entity_id.is_empty() || entity_id.len() > 1024 || entity_id.chars().any(char::is_whitespace)
    {
        return Err(AppError::new(ErrorCode::EntityIdInvalid).on_field("entity_id"));
    }
    Ok(entity_id)
}

fn resolve_source(source: IdpSource, now: DateTime<Utc>) -> AppResult<Resolved> {
    match source {
        IdpSource::Metadata(xml) => {
            let metadata = parse_idp_metadata(&xml, now)?;
            for warning in &metadata.warnings {
                tracing::info!(entity_id = %metadata.entity_id, "{warning}");
            }
            Ok(Resolved {
                entity_id: metadata.entity_id,
                sso_url: metadata.sso_url,
                sso_binding: metadata.sso_binding,
                certificates: metadata.certificates,
                offered_formats: metadata.name_id_formats,
                metadata_xml: Some(xml),
            })
        }
        IdpSource::Manual {
            entity_id,
            sso_url,
            sso_binding,
            certificate_pem,
        } => {
            let entity_id = check_entity_id(&entity_id)?;
            let sso_url = check_sso_url(&sso_url)?;
            let sso_binding = SsoBinding::from_key(&sso_binding)
                .ok_or_else(|| AppError::new(ErrorCode::InvalidInput).on_field("sso_binding"))?;
            let certificate = Certificate::from_text(&certificate_pem).map_err(|e| {
                AppError::new(ErrorCode::CertificateInvalid)
                    .with_message(format!("The certificate could not be read: {e}. Paste the PEM text, starting with -----BEGIN CERTIFICATE-----."))
                    .on_field("certificate")
            })?;
            let (certificates, _) = usable_certificates(vec![certificate], now)
                .map_err(|e| e.on_field("certificate"))?;
            Ok(Resolved {
                entity_id,
                sso_url,
                sso_binding,
                certificates,
                offered_formats: Vec::new(),
                metadata_xml: None,
            })
        }
    }
}

fn check_name_id_format(raw: &str, offered: &[NameIdFormat]) -> AppResult<NameIdFormat> {
    let format = NameIdFormat::from_key(raw)
        .ok_or_else(|| AppError::new(ErrorCode::InvalidInput).on_field("name_id_format"))?;
    if !offered.is_empty() && !offered.contains(&format) {
        let names: Vec<&str> = offered.iter().map(|f| f.key()).collect();
        return Err(AppError::new(ErrorCode::MetadataNoNameIdFormat)
            .with_message(format!(
                "The identity provider's metadata does not offer the {} NameID format; it offers: {}.",
                format.key(),
                names.join(", ")
            ))
            .on_field("name_id_format"));
    }
    Ok(format)
}

fn check_clock_skew(seconds: i64) -> AppResult<i32> {
    if (0..=MAX_CLOCK_SKEW_SECONDS).contains(&seconds) {
        Ok(seconds as i32)
    } else {
        Err(AppError::new(ErrorCode::ClockSkewInvalid).on_field("clock_skew_seconds"))
    }
}

/// An SSO session lasts 1 to 24 hours (stored in minutes).
fn check_session_lifetime(hours: i64) -> AppResult<i32> {
    if (1..=24).contains(&hours) {
        Ok(hours as i32 * 60)
    } else {
        Err(AppError::new(ErrorCode::SessionLifetimeInvalid).on_field("session_lifetime_hours"))
    }
}

/// The kernel must let the caller take `action` (registering or linking: an owner's) in every organization the
/// provider is to serve (its trust decides who gets in there), and each default team must belong to its
/// organization.
async fn check_organizations(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: Action,
    organizations: &BTreeMap<i64, Option<i64>>,
) -> AppResult<()> {
    for (organization_id, default_team) in organizations {
        authorize(db, actor, action, *organization_id).await?;
        if let Some(team_id) = default_team {
            let found = team::Entity::find_by_id(*team_id).one(db).await?;
            if found.map(|t| t.organization_id) != Some(*organization_id) {
                return Err(AppError::new(ErrorCode::TeamNotFound).on_field("default_team"));
            }
        }
    }
    Ok(())
}

fn identifier_taken(err: sea_orm::DbErr) -> AppError {
    conflict_on_unique(err, || {
        AppError::new(ErrorCode::SsoIdentifierTaken).on_field("identifier")
    })
}

async fn replace_certificates(
    txn: &DatabaseTransaction,
    idp_id: i64,
    certificates: &[Certificate],
    now: DateTime<Utc>,
) -> AppResult<()> {
    idp_certificate::Entity::delete_many()
        .filter(idp_certificate::Column::IdentityProviderId.eq(idp_id))
        .exec(txn)
        .await?;
    for certificate in certificates {
        idp_certificate::ActiveModel {
            identity_provider_id: Set(idp_id),
            pem: Set(certificate.to_pem()),
            fingerprint_sha256: Set(certificate.fingerprint_sha256.clone()),
            subject: Set(certificate.subject.clone()),
            not_before: Set(certificate.not_before),
            not_after: Set(certificate.not_after),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

async fn insert_organizations(
    txn: &DatabaseTransaction,
    idp_id: i64,
    organizations: &BTreeMap<i64, Option<i64>>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for (organization_id, default_team_id) in organizations {
        idp_organization::ActiveModel {
            identity_provider_id: Set(idp_id),
            organization_id: Set(*organization_id),
            default_team_id: Set(*default_team_id),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// A change to an identity provider, recorded in the audit log of every organization it serves (in the change's
/// transaction) and, once committed, emailed to their owners.
struct TrustChange {
    action: &'static str,
    detail: String,
    organization_ids: Vec<i64>,
}

/// The audit events of a change to an identity provider: one per organization it serves.
async fn audit_change(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    action: &'static str,
    idp_id: i64,
    user_id: i64,
    detail: String,
) -> AppResult<TrustChange> {
    let mut organization_ids = Vec::new();
    for link in organization_links(txn, idp_id).await? {
        audit::record(
            txn,
            now,
            AuditEvent::new(action)
                .in_organization(link.organization_id)
                .by(AuditActor::Person(user_id))
                .detail(detail.clone()),
        )
        .await?;
        organization_ids.push(link.organization_id);
    }
    Ok(TrustChange {
        action,
        detail,
        organization_ids,
    })
}

impl TrustChange {
    /// Tells the owners of every organization concerned; a failure to read them is logged, never undoes the change.
    async fn email_owners(self, state: &AppState, user_id: i64) {
        let actor = user::Entity::find_by_id(user_id)
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .map(|u| format!("{} <{}>", u.name, u.email))
            .unwrap_or_else(|| "someone".into());
        let what = match self.action {
            "identity_provider.created" => "registered the identity provider",
            "identity_provider.changed" => "changed the identity provider",
            "identity_provider.organization_set" => {
                "let the identity provider sign people in to another organization"
            }
            "identity_provider.organization_removed" => {
                "removed an organization from the identity provider"
            }
            "identity_provider.deleted" => "deleted the identity provider",
            _ => "changed the identity provider",
        };
        for organization_id in self.organization_ids {
            let (organization, owners) = match (
                organization::Entity::find_by_id(organization_id)
                    .one(&state.db)
                    .await,
                organizations::owners(&state.db, organization_id).await,
            ) {
                (Ok(Some(organization)), Ok(owners)) => (organization, owners),
                _ => {
                    tracing::error!(
                        organization_id,
                        "could not read the owners to tell of an identity provider change"
                    );
                    continue;
                }
            };
            for owner in owners {
                state.mailer.send_in_background(Email {
                    to: owner.email,
                    subject: format!("Single sign-on changed for {}", organization.name),
                    body: format!(
                        "Hello {},\n\n{actor} {what}: {}.\n\nIt decides who can sign in to {}. The organization's \
                         audit log has the details: {}\n",
                        owner.name,
                        self.detail,
                        organization.name,
                        state.link(&format!("/organizations/{organization_id}/audit"))
                    ),
                });
            }
        }
    }
}

/// Registers an identity provider for one organization the caller administers (more can be added later); returns
/// its SSO identifier.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    settings: IdpSettings,
    source: IdpSource,
    organization_id: i64,
    default_team_id: Option<i64>,
) -> AppResult<String> {
    let now = state.now();
    let identifier = check_identifier(&settings.identifier)?;
    let name = check_name(&settings.name)?;
    let clock_skew = check_clock_skew(settings.clock_skew_seconds)?;
    let session_lifetime = check_session_lifetime(settings.session_lifetime_hours)?;
    let organizations = BTreeMap::from([(organization_id, default_team_id)]);
    check_organizations(
        &state.db,
        actor,
        Action::RegisterIdentityProvider,
        &organizations,
    )
    .await?;
    let user_id = actor.require_person("register an identity provider")?;
    // Metadata is untrusted XML: parsed on the bounded SAML pool.
    let resolved = state
        .pools
        .saml
        .run(move || resolve_source(source, now))
        .await??;
    let name_id_format = check_name_id_format(&settings.name_id_format, &resolved.offered_formats)?;

    let txn = begin_write(&state.db).await?;
    let idp = identity_provider::ActiveModel {
        identifier: Set(identifier.clone()),
        name: Set(name),
        entity_id: Set(resolved.entity_id),
        sso_url: Set(resolved.sso_url),
        sso_binding: Set(resolved.sso_binding.key().to_string()),
        name_id_format: Set(name_id_format.key().to_string()),
        clock_skew_seconds: Set(clock_skew),
        allow_sha1: Set(settings.allow_sha1),
        allow_idp_initiated: Set(settings.allow_idp_initiated),
        allow_jit_accounts: Set(settings.allow_jit_accounts),
        allow_merge: Set(settings.allow_merge),
        allow_pre_provisioned: Set(settings.allow_pre_provisioned),
        session_lifetime_minutes: Set(session_lifetime),
        metadata_xml: Set(resolved.metadata_xml),
        revision: Set(1),
        created_by: Set(Some(user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(identifier_taken)?;
    replace_certificates(&txn, idp.id, &resolved.certificates, now).await?;
    insert_organizations(&txn, idp.id, &organizations, now).await?;
    let change = audit_change(
        &txn,
        now,
        "identity_provider.created",
        idp.id,
        user_id,
        format!("{} ({identifier})", idp.name),
    )
    .await?;
    txn.commit().await?;
    change.email_owners(state, user_id).await;
    tracing::info!(idp = %identifier, user_id, "identity provider registered");
    Ok(identifier)
}

/// Changes an identity provider's settings (not its source or organizations); bumps its revision.
pub async fn update_settings(
    state: &AppState,
    actor: &Actor,
    identifier: &str,
    settings: IdpSettings,
) -> AppResult<String> {
    let now = state.now();
    let (idp, _) = configurable(&state.db, actor, identifier).await?;
    let user_id = actor.require_person("configure an identity provider")?;
    let new_identifier = check_identifier(&settings.identifier)?;
    let name = check_name(&settings.name)?;
    let clock_skew = check_clock_skew(settings.clock_skew_seconds)?;
    let session_lifetime = check_session_lifetime(settings.session_lifetime_hours)?;
    let name_id_format = check_name_id_format(&settings.name_id_format, &[])?;
    if name_id_format.key() != idp.name_id_format && linked_accounts(&state.db, idp.id).await? > 0 {
        return Err(AppError::new(ErrorCode::NameIdFormatLocked).on_field("name_id_format"));
    }
    let txn = begin_write(&state.db).await?;
    let revision = idp.revision + 1;
    let mut active = idp.into_active_model();
    active.identifier = Set(new_identifier.clone());
    active.name = Set(name);
    active.name_id_format = Set(name_id_format.key().to_string());
    active.clock_skew_seconds = Set(clock_skew);
    active.allow_sha1 = Set(settings.allow_sha1);
    active.allow_idp_initiated = Set(settings.allow_idp_initiated);
    active.allow_jit_accounts = Set(settings.allow_jit_accounts);
    active.allow_merge = Set(settings.allow_merge);
    active.allow_pre_provisioned = Set(settings.allow_pre_provisioned);
    active.session_lifetime_minutes = Set(session_lifetime);
    active.revision = Set(revision);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await.map_err(identifier_taken)?;
    let change = audit_change(
        &txn,
        now,
        "identity_provider.changed",
        updated.id,
        user_id,
        format!(
            "{} ({new_identifier}): settings, revision {revision}",
            updated.name
        ),
    )
    .await?;
    txn.commit().await?;
    change.email_owners(state, user_id).await;
    tracing::info!(idp = %new_identifier, user_id, revision, "identity provider settings changed");
    Ok(new_identifier)
}

/// Replaces entity ID, SSO URL and certificates from new metadata or hand-typed values; bumps the revision.
pub async fn replace_source(
    state: &AppState,
    actor: &Actor,
    identifier: &str,
    source: IdpSource,
) -> AppResult<()> {
    let now = state.now();
    let (idp, _) = configurable(&state.db, actor, identifier).await?;
    let user_id = actor.require_person("configure an identity provider")?;
    // Metadata is untrusted XML: parsed on the bounded SAML pool.
    let resolved = state
        .pools
        .saml
        .run(move || resolve_source(source, now))
        .await??;
    let current = NameIdFormat::from_key(&idp.name_id_format).unwrap_or(NameIdFormat::EmailAddress);
    check_name_id_format(current.key(), &resolved.offered_formats)?;
    let txn = begin_write(&state.db).await?;
    let idp_id = idp.id;
    let revision = idp.revision + 1;
    let mut active = idp.into_active_model();
    active.entity_id = Set(resolved.entity_id);
    active.sso_url = Set(resolved.sso_url);
    active.sso_binding = Set(resolved.sso_binding.key().to_string());
    active.metadata_xml = Set(resolved.metadata_xml);
    active.revision = Set(revision);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    replace_certificates(&txn, idp_id, &resolved.certificates, now).await?;
    let change = audit_change(
        &txn,
        now,
        "identity_provider.changed",
        idp_id,
        user_id,
        format!("{identifier}: entity ID, SSO URL and certificates replaced, revision {revision}"),
    )
    .await?;
    txn.commit().await?;
    change.email_owners(state, user_id).await;
    tracing::info!(idp = %identifier, user_id, revision, "identity provider source replaced");
    Ok(())
}

async fn bump_revision(
    txn: &DatabaseTransaction,
    idp: identity_provider::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let revision = idp.revision + 1;
    let mut active = idp.into_active_model();
    active.revision = Set(revision);
    active.updated_at = Set(now);
    active.update(txn).await?;
    Ok(())
}

/// Associates (or re-associates with another default team) an organization the caller administers.
pub async fn set_organization(
    state: &AppState,
    actor: &Actor,
    identifier: &str,
    organization_id: i64,
    default_team_id: Option<i64>,
) -> AppResult<()> {
    let now = state.now();
    let (idp, links) = administered(&state.db, actor, identifier).await?;
    let already_linked = links.iter().any(|l| l.organization_id == organization_id);
    if already_linked {
        // Only the default team changes: the organization's administrators decide that.
        authorize(&state.db, actor, Action::SetDefaultTeam, organization_id).await?;
        if let Some(team_id) = default_team_id {
            let found = team::Entity::find_by_id(team_id).one(&state.db).await?;
            if found.map(|t| t.organization_id) != Some(organization_id) {
                return Err(AppError::new(ErrorCode::TeamNotFound).on_field("default_team"));
            }
        }
    } else {
        // A new organization: its owner accepts the provider's trust by linking it, and so do the owners of every
        // organization it already serves (a new organization's owners get a say in its trust from then on, and
        // an admin who owns an organization of their own must not be able to add it, unlink the others and so
        // take the provider over).
        configurable(&state.db, actor, identifier).await?;
        check_organizations(
            &state.db,
            actor,
            Action::LinkIdentityProvider,
            &BTreeMap::from([(organization_id, default_team_id)]),
        )
        .await?;
    }
    let user_id = actor.require_person("change an identity provider's organizations")?;
    let txn = begin_write(&state.db).await?;
    if already_linked {
        idp_organization::Entity::delete_by_id((idp.id, organization_id))
            .exec(&txn)
            .await?;
    }
    idp_organization::ActiveModel {
        identity_provider_id: Set(idp.id),
        organization_id: Set(organization_id),
        default_team_id: Set(default_team_id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let detail = format!("{} ({})", idp.name, idp.identifier);
    let idp_id = idp.id;
    bump_revision(&txn, idp, now).await?;
    let change = audit_change(
        &txn,
        now,
        "identity_provider.organization_set",
        idp_id,
        user_id,
        detail,
    )
    .await?;
    txn.commit().await?;
    // A new default team is the organization's own business; a new organization is news to every owner.
    if !already_linked {
        change.email_owners(state, user_id).await;
    }
    Ok(())
}

/// Removes an organization the caller administers; the provider keeps at least one. Access already given stays.
pub async fn remove_organization(
    state: &AppState,
    actor: &Actor,
    identifier: &str,
    organization_id: i64,
) -> AppResult<()> {
    let now = state.now();
    let (idp, links) = administered(&state.db, actor, identifier).await?;
    if !links.iter().any(|l| l.organization_id == organization_id) {
        return Err(AppError::new(ErrorCode::OrganizationNotFound));
    }
    if links.len() == 1 {
        return Err(AppError::new(ErrorCode::IdpNeedsOrganization).with_message(
            "An identity provider needs at least one organization. Add another one first.",
        ));
    }
    authorize(
        &state.db,
        actor,
        Action::UnlinkIdentityProvider,
        organization_id,
    )
    .await?;
    let user_id = actor.require_person("change an identity provider's organizations")?;
    let txn = begin_write(&state.db).await?;
    check_not_needed_by_enforcement(&txn, idp.id, &[organization_id]).await?;
    let removed = organization::Entity::find_by_id(organization_id)
        .one(&txn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    // Recorded in every organization it served, the one leaving included.
    let change = audit_change(
        &txn,
        now,
        "identity_provider.organization_removed",
        idp.id,
        user_id,
        format!(
            "{} ({}) no longer signs people in to {removed}",
            idp.name, idp.identifier
        ),
    )
    .await?;
    idp_organization::Entity::delete_by_id((idp.id, organization_id))
        .exec(&txn)
        .await?;
    bump_revision(&txn, idp, now).await?;
    txn.commit().await?;
    change.email_owners(state, user_id).await;
    Ok(())
}

pub async fn find_by_identifier(
    db: &impl ConnectionTrait,
    identifier: &str,
) -> AppResult<identity_provider::Model> {
    identity_provider::Entity::find()
        .filter(identity_provider::Column::Identifier.eq(identifier))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::IdpNotFound))
}

/// The ids of the identity providers an organization is linked to.
pub(in crate::server::services) async fn provider_ids_of(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<Vec<i64>> {
    Ok(idp_organization::Entity::find()
        .filter(idp_organization::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.identity_provider_id)
        .collect())
}

pub(in crate::server::services) async fn organization_links(
    db: &impl ConnectionTrait,
    idp_id: i64,
) -> AppResult<Vec<idp_organization::Model>> {
    Ok(idp_organization::Entity::find()
        .filter(idp_organization::Column::IdentityProviderId.eq(idp_id))
        .all(db)
        .await?)
}

/// The provider, if the caller administers at least one of its organizations; otherwise it does not exist for them.
async fn administered(
    db: &impl ConnectionTrait,
    actor: &Actor,
    identifier: &str,
) -> AppResult<(identity_provider::Model, Vec<idp_organization::Model>)> {
    let idp = find_by_identifier(db, identifier).await?;
    let links = organization_links(db, idp.id).await?;
    let mut refusal = AppError::new(ErrorCode::IdpNotFound);
    for link in &links {
        match authorize(
            db,
            actor,
            Action::ViewIdentityProviders,
            link.organization_id,
        )
        .await
        {
            Ok(_) => return Ok((idp, links)),
            // Someone who would see it from an SSO session is told where to sign in; anyone else, that it does
            // not exist.
            Err(err) if matches!(err.code, ErrorCode::SsoEnforced | ErrorCode::Internal) => {
                refusal = err
            }
            Err(_) => {}
        }
    }
    Err(refusal)
}

/// The provider, if the caller owns every organization it serves: configuring its trust (certificates, metadata,
/// entity ID, SSO URL, identifier, account policies, IdP-initiated login, SHA-1, NameID format, session lifetime)
/// decides who gets in to each of them. Administrators, and owners of only some of them, see the provider and its
/// diagnostics and change none of this.
async fn configurable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    identifier: &str,
) -> AppResult<(identity_provider::Model, Vec<idp_organization::Model>)> {
    let (idp, links) = administered(db, actor, identifier).await?;
    for link in &links {
        match authorize(
            db,
            actor,
            Action::ConfigureIdentityProvider,
            link.organization_id,
        )
        .await
        {
            Ok(_) => {}
            // An organization the caller is not in: they are no owner of it, and that is what they are told.
            Err(err) if err.code == ErrorCode::OrganizationNotFound => {
                let name = organization::Entity::find_by_id(link.organization_id)
                    .one(db)
                    .await?
                    .map(|o| o.name)
                    .unwrap_or_default();
                return Err(denial(
                    Action::ConfigureIdentityProvider,
                    principal_of(actor),
                    &name,
                ));
            }
            Err(err) => return Err(err),
        }
    }
    Ok((idp, links))
}

/// Refuses to leave an organization that allows only single sign-on without one of its identity providers: it
/// must switch enforcement off first (as Elastic's document has it), so nobody is enforced onto no provider.
async fn check_not_needed_by_enforcement(
    db: &impl ConnectionTrait,
    idp_id: i64,
    leaving: &[i64],
) -> AppResult<()> {
    for organization_id in leaving {
        let Some(organization) = organization::Entity::find_by_id(*organization_id)
            .one(db)
            .await?
        else {
            continue;
        };
        if organization.sso_enforced_at.is_none() {
            continue;
        }
        let others = idp_organization::Entity::find()
            .filter(idp_organization::Column::OrganizationId.eq(*organization_id))
            .filter(idp_organization::Column::IdentityProviderId.ne(idp_id))
            .count(db)
            .await?;
        if others == 0 {
            return Err(AppError::new(ErrorCode::IdpNeededByEnforcement).with_message(format!(
                "{} allows only single sign-on, and this is its only identity provider. Switch enforcement off \
                 on its Security page first, so nobody is left with no way to sign in.",
                organization.name
            )));
        }
    }
    Ok(())
}

async fn linked_accounts(db: &impl ConnectionTrait, idp_id: i64) -> AppResult<u64> {
    Ok(saml_identity::Entity::find()
        .filter(saml_identity::Column::IdentityProviderId.eq(idp_id))
        .count(db)
        .await?)
}

/// Stored certificates decoded once per process (keyed by their PEM text), with their public keys: a login reuses
/// them instead of decoding each certificate again. Bounded: the cache starts over past 1,024 entries.
fn decoded_certificate(pem: &str) -> Result<Certificate, CertificateError> {
    static DECODED: OnceLock<Mutex<HashMap<String, Certificate>>> = OnceLock::new();
    let cache = DECODED.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(pem).cloned()) {
        return Ok(hit);
    }
    let certificate = Certificate::from_text(pem)?;
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(pem.to_owned(), certificate.clone());
    }
    Ok(certificate)
}

pub(in crate::server::services) async fn certificates(
    db: &impl ConnectionTrait,
    idp_id: i64,
) -> AppResult<Vec<Certificate>> {
    let rows = idp_certificate::Entity::find()
        .filter(idp_certificate::Column::IdentityProviderId.eq(idp_id))
        .order_by_asc(idp_certificate::Column::NotAfter)
        .all(db)
        .await?;
    let mut certificates = Vec::with_capacity(rows.len());
    for row in rows {
        match decoded_certificate(&row.pem) {
            Ok(certificate) => certificates.push(certificate),
            Err(e) => {
                tracing::error!(idp_id, fingerprint = %row.fingerprint_sha256, "stored certificate unreadable: {e}")
            }
        }
    }
    Ok(certificates)
}

/// What the validator trusts for this provider.
pub(in crate::server::services) async fn trust(
    db: &impl ConnectionTrait,
    idp: &identity_provider::Model,
) -> AppResult<IdpTrust> {
    Ok(IdpTrust {
        entity_id: idp.entity_id.clone(),
        certificates: certificates(db, idp.id).await?,
        name_id_format: NameIdFormat::from_key(&idp.name_id_format)
            .unwrap_or(NameIdFormat::EmailAddress),
        clock_skew: Duration::seconds(i64::from(idp.clock_skew_seconds)),
        allow_sha1: idp.allow_sha1,
        allow_idp_initiated: idp.allow_idp_initiated,
    })
}

/// Our endpoints for one provider: the entity ID is the metadata URL, as most IdPs expect.
pub fn sp_endpoints(base_url: &str, identifier: &str) -> SpEndpoints {
    let base = base_url.trim_end_matches('/');
    SpEndpoints {
        entity_id: format!("{base}/saml/{identifier}/metadata"),
        acs_url: format!("{base}/saml/{identifier}/acs"),
    }
}

pub fn sp_info(base_url: &str, identifier: &str) -> ServiceProviderInfo {
    let endpoints = sp_endpoints(base_url, identifier);
    let base = base_url.trim_end_matches('/');
    ServiceProviderInfo {
        metadata_url: endpoints.entity_id.clone(),
        entity_id: endpoints.entity_id,
        acs_url: endpoints.acs_url,
        login_url: format!("{base}/saml/{identifier}"),
    }
}

fn certificate_view(certificate: &Certificate, now: DateTime<Utc>) -> CertificateView {
    CertificateView {
        fingerprint_sha256: certificate.fingerprint_sha256.clone(),
        subject: certificate.subject.clone(),
        not_before: certificate.not_before,
        not_after: certificate.not_after,
        days_left: (certificate.not_after - now).num_days(),
    }
}

/// The view and edit pages' data.
pub async fn detail(
    state: &AppState,
    actor: &Actor,
    identifier: &str,
) -> AppResult<IdentityProviderDetail> {
    let db = &state.db;
    let (idp, links) = administered(db, actor, identifier).await?;
    let can_configure = configurable(db, actor, identifier).await.is_ok();
    // Failed logins carry what was sent (the addresses of other organizations' people among them): only someone who
    // sees the identity providers of every organization this one serves reads them.
    let mut sees_every_organization = true;
    for link in &links {
        sees_every_organization &= permits(
            db,
            actor,
            Action::ViewIdentityProviders,
            link.organization_id,
        )
        .await?;
    }
    let now = state.now();
    let mut organizations = Vec::with_capacity(links.len());
    for link in &links {
        let org = organization::Entity::find_by_id(link.organization_id)
            .one(db)
            .await?;
        let team_name = match link.default_team_id {
            Some(team_id) => team::Entity::find_by_id(team_id)
                .one(db)
                .await?
                .map(|t| t.name),
            None => None,
        };
        let administered = permits(db, actor, Action::SetDefaultTeam, link.organization_id).await?;
        // Loaded with the page: a separate resource inside it would break hydration.
        let teams = if administered {
            team::Entity::find()
                .filter(team::Column::OrganizationId.eq(link.organization_id))
                .order_by_asc(team::Column::Name)
                .all(db)
                .await?
                .into_iter()
                .map(|t| TeamOption {
                    id: t.id,
                    name: t.name,
                })
                .collect()
        } else {
            Vec::new()
        };
        organizations.push(IdpOrganizationView {
            organization_id: link.organization_id,
            organization_name: org.map(|o| o.name).unwrap_or_default(),
            default_team_id: link.default_team_id,
            default_team_name: team_name,
            administered,
            teams,
        });
    }
    organizations.sort_by(|a, b| a.organization_name.cmp(&b.organization_name));
    let certificates = certificates(db, idp.id).await?;
    let saml_accounts = saml_accounts(state, actor, &idp.identifier).await?;
    Ok(IdentityProviderDetail {
        saml_accounts,
        id: idp.id,
        service_provider: sp_info(&state.config.base_url, &idp.identifier),
        identifier: idp.identifier,
        name: idp.name,
        entity_id: idp.entity_id,
        sso_url: idp.sso_url,
        sso_binding: idp.sso_binding,
        name_id_format: idp.name_id_format,
        clock_skew_seconds: idp.clock_skew_seconds,
        allow_sha1: idp.allow_sha1,
        allow_idp_initiated: idp.allow_idp_initiated,
        allow_jit_accounts: idp.allow_jit_accounts,
        allow_merge: idp.allow_merge,
        allow_pre_provisioned: idp.allow_pre_provisioned,
        session_lifetime_hours: idp.session_lifetime_minutes / 60,
        revision: idp.revision,
        has_metadata: idp.metadata_xml.is_some(),
        certificates: certificates
            .iter()
            .map(|c| certificate_view(c, now))
            .collect(),
        organizations,
        linked_accounts: linked_accounts(db, idp.id).await?,
        recent_failures: if sees_every_organization {
            recent_failures(db, idp.id).await?
        } else {
            Vec::new()
        },
        failures_visible: sees_every_organization,
        can_configure,
        created_at: idp.created_at,
        updated_at: idp.updated_at,
    })
}

async fn recent_failures(
    db: &impl ConnectionTrait,
    idp_id: i64,
) -> AppResult<Vec<LoginFailureView>> {
    Ok(saml_login_failure::Entity::find()
        .filter(saml_login_failure::Column::IdentityProviderId.eq(idp_id))
        .order_by_desc(saml_login_failure::Column::Id)
        .limit(20)
        .all(db)
        .await?
        .into_iter()
        .map(|f| LoginFailureView {
            code: f.code,
            diagnosis: f.diagnosis,
            ip_address: f.ip_address,
            at: f.created_at,
        })
        .collect())
}

/// The identity providers of an organization, for its members' SSO tab (admins only).
pub async fn list_for_organization(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
) -> AppResult<Vec<IdentityProviderSummary>> {
    let db = &state.db;
    authorize(db, actor, Action::ViewIdentityProviders, organization_id).await?;
    let links = idp_organization::Entity::find()
        .filter(idp_organization::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await?;
    let ids: Vec<i64> = links.iter().map(|l| l.identity_provider_id).collect();
    let idps = identity_provider::Entity::find()
        .filter(identity_provider::Column::Id.is_in(ids.clone()))
        .order_by_asc(identity_provider::Column::Name)
        .all(db)
        .await?;
    let mut earliest: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for row in idp_certificate::Entity::find()
        .filter(idp_certificate::Column::IdentityProviderId.is_in(ids))
        .all(db)
        .await?
    {
        let entry = earliest
            .entry(row.identity_provider_id)
            .or_insert(row.not_after);
        *entry = (*entry).min(row.not_after);
    }
    let mut summaries = Vec::with_capacity(idps.len());
    for idp in idps {
        summaries.push(IdentityProviderSummary {
            linked_accounts: linked_accounts(db, idp.id).await?,
            certificate_expires_at: earliest.get(&idp.id).copied(),
            id: idp.id,
            identifier: idp.identifier,
            name: idp.name,
            entity_id: idp.entity_id,
        });
    }
    Ok(summaries)
}

/// The accounts linked to SAML identities of the provider that are members of an organization the caller
/// administers (a provider shared by several organizations shows each only its own people).
pub async fn saml_accounts(
    state: &AppState,
    actor: &Actor,
    identifier: &str,
) -> AppResult<Vec<SamlAccountView>> {
    let db = &state.db;
    let (idp, links) = administered(db, actor, identifier).await?;
    let mut managed = Vec::with_capacity(links.len());
    for link in &links {
        if permits(db, actor, Action::ViewSamlAccounts, link.organization_id).await? {
            managed.push(link.organization_id);
        }
    }
    let members: Vec<i64> = membership::Entity::find()
        .filter(membership::Column::OrganizationId.is_in(managed))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let identities = saml_identity::Entity::find()
        .filter(saml_identity::Column::IdentityProviderId.eq(idp.id))
        .filter(saml_identity::Column::UserId.is_in(members))
        .order_by_asc(saml_identity::Column::Id)
        .all(db)
        .await?;
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(identities.iter().map(|i| i.user_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(identities
        .into_iter()
        .filter_map(|identity| {
            users.get(&identity.user_id).map(|account| SamlAccountView {
                remote_id: identity.name_id,
                user_id: account.id,
                name: account.name.clone(),
                email: account.email.clone(),
                linked_at: identity.created_at,
                last_login_at: identity.last_login_at,
            })
        })
        .collect())
}

/// Deletes a SAML account: the link between a remote ID (NameID) of the provider and a Portcullis account. The person
/// can no longer sign in through this provider (unless an account policy links them again at their next login) and
/// their SSO sessions from it end. Refused when it would leave an organization without an owner who can still sign
/// in. Only administrators of an organization of the provider the person belongs to may do it, and only owners
/// when the person is an owner there.
pub async fn delete_saml_account(
    state: &AppState,
    actor: &Actor,
    identifier: &str,
    remote_id: &str,
) -> AppResult<()> {
    let not_found = || AppError::new(ErrorCode::SamlAccountNotFound);
    let (idp, links) = administered(&state.db, actor, identifier).await?;
    let txn = begin_write(&state.db).await?;
    let identity = saml_identity::Entity::find()
        .filter(saml_identity::Column::IdentityProviderId.eq(idp.id))
        .filter(saml_identity::Column::NameId.eq(remote_id))
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(identity.user_id))
        .all(&txn)
        .await?;
    // The actor manages one of the provider's organizations the person belongs to, and owns every one of them where
    // the person is an owner (only owners act on owners).
    let mut manages_one = false;
    let mut owns_where_needed = true;
    // An owner somewhere the actor does not administer: not even that is revealed.
    let mut owner_out_of_sight = false;
    for held in memberships.iter().filter(|held| {
        links
            .iter()
            .any(|l| l.organization_id == held.organization_id)
    }) {
        let standing = authorize(&txn, actor, Action::DeleteSamlAccount, held.organization_id)
            .await
            .ok();
        manages_one |= standing.is_some();
        let owner_allowed = standing
            .as_ref()
            .is_some_and(|s| also_permits(s, Action::DeleteOwnerSamlAccount));
        if held.role == Role::Owner.as_str() && !owner_allowed {
            owns_where_needed = false;
            owner_out_of_sight |= standing.is_none();
        }
    }
    if !manages_one || owner_out_of_sight {
        return Err(not_found());
    }
    if !owns_where_needed {
        return Err(denial(
            Action::DeleteOwnerSamlAccount,
            principal_of(actor),
            "",
        ));
    }
    for owned in memberships
        .iter()
        .filter(|m| m.role == Role::Owner.as_str())
    {
        // Locks the organization's row (PostgreSQL) so a concurrent role change cannot slip between.
        let organization = organization::Entity::find_by_id(owned.organization_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::OrganizationNotFound))?;
        if !organizations::keeps_an_owner_who_can_sign_in(
            &txn,
            organization.id,
            None,
            Some(identity.id),
        )
        .await?
        {
            return Err(AppError::new(ErrorCode::LastOwner).with_message(format!(
                "Deleting this SAML account would leave {} without an owner who can still sign in. Make someone \
                 else owner first.",
                organization.name
            )));
        }
    }
    saml_identity::Entity::delete_by_id(identity.id)
        .exec(&txn)
        .await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(identity.user_id))
        .filter(session::Column::IdentityProviderId.eq(idp.id))
        .exec(&txn)
        .await?;
    for link in &links {
        audit::record(
            &txn,
            state.now(),
            AuditEvent::new("saml_account.deleted")
                .in_organization(link.organization_id)
                .by(actor.audited())
                .about(identity.user_id)
                .detail(format!("remote ID {} of {}", identity.name_id, idp.name)),
        )
        .await?;
    }
    txn.commit().await?;
    tracing::info!(idp = %idp.identifier, user_id = identity.user_id, "SAML account deleted");
    Ok(())
}

/// Deletes an identity provider. Only when no SAML account is linked to it (they would be locked out), and only by
/// someone who administers every organization it serves (it is theirs to remove, not one organization's).
pub async fn delete(state: &AppState, actor: &Actor, identifier: &str) -> AppResult<()> {
    let (idp, links) = administered(&state.db, actor, identifier).await?;
    for link in &links {
        if !permits(
            &state.db,
            actor,
            Action::DeleteIdentityProvider,
            link.organization_id,
        )
        .await?
        {
            return Err(AppError::new(ErrorCode::PermissionDenied).with_message(
                "This identity provider also serves an organization you do not administer; an administrator of \
                 every organization it serves can delete it.",
            ));
        }
    }
    let user_id = actor.require_person("delete an identity provider")?;
    let txn = begin_write(&state.db).await?;
    let served: Vec<i64> = links.iter().map(|l| l.organization_id).collect();
    check_not_needed_by_enforcement(&txn, idp.id, &served).await?;
    let linked = linked_accounts(&txn, idp.id).await?;
    if linked > 0 {
        let accounts = if linked == 1 {
            "1 SAML account is".to_string()
        } else {
            format!("{linked} SAML accounts are")
        };
        return Err(AppError::new(ErrorCode::IdpHasAccounts).with_message(format!(
            "{accounts} still linked to this identity provider. Delete them first, so nobody is locked out."
        )));
    }
    let change = audit_change(
        &txn,
        state.now(),
        "identity_provider.deleted",
        idp.id,
        user_id,
        format!("{} ({identifier})", idp.name),
    )
    .await?;
    identity_provider::Entity::delete_by_id(idp.id)
        .exec(&txn)
        .await
        .map_err(|err| {
            // An account linked between the count and the delete (restricting foreign key).
            tracing::info!(error = %err, "identity provider delete refused by the database");
            AppError::new(ErrorCode::IdpHasAccounts)
        })?;
    txn.commit().await?;
    change.email_owners(state, user_id).await;
    tracing::info!(idp = %identifier, user_id, "identity provider deleted");
    Ok(())
}

/// Serves `GET /saml/{identifier}/metadata`.
pub async fn sp_metadata(state: &AppState, identifier: &str) -> AppResult<String> {
    let idp = find_by_identifier(&state.db, identifier).await?;
    let format = NameIdFormat::from_key(&idp.name_id_format).unwrap_or(NameIdFormat::EmailAddress);
    crate::server::saml::core::metadata::sp_metadata_xml(
        &sp_endpoints(&state.config.base_url, identifier),
        format,
    )
}
