//! SP-initiated SAML login and the ACS. Starting a login stores the AuthnRequest ID bound to this browser (the hash
//! of its pre-login or session cookie). At the ACS the pure validator decides; then, in one transaction, the matched
//! request is consumed, the assertion ID enters the replay cache (both shared by every app instance), the SAML
//! identity is resolved (linked, or linked now by the pre-provisioned or just-in-time policy), the person joins the
//! provider's
//! organizations and default teams, and the login goes on (a session, or the second factor). Refusals are
//! recorded with their diagnosis for the provider's administrators; the person sees only the short message.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::server::auth::rate_limit;
use crate::server::auth::sessions::SsoOrigin;
use crate::server::auth::tokens::{hash_token, random_token};
use crate::server::db::entities::{
    identity_provider, idp_organization, membership, saml_identity, saml_login_failure,
    saml_replay, saml_request, session, team_member, user,
};
use crate::server::db::{begin_write, conflict_on_unique, is_unique_violation};
use crate::server::saml::core::config::{NameIdFormat, NAME_ID_EMAIL};
use crate::server::saml::core::envelope::{check_post_sizes, decode_post_value};
use crate::server::saml::core::error::{SamlError, SamlErrorCode};
use crate::server::saml::core::metadata::SsoBinding;
use crate::server::saml::core::request::OutgoingRequest;
use crate::server::saml::core::response::{validate, AcceptedIdentity, Solicitation};
use crate::server::services::accounts::{
    find_by_email, normalize_email, normalize_name, open_session, Origin,
};
use crate::server::services::audit::{self, AuditActor, AuditEvent};
use crate::server::services::domains;
use crate::server::services::identity_providers::{self, find_by_identifier, sp_endpoints, trust};
use crate::server::services::role_mappings::{self, AssertedGroups};
use crate::server::services::{login, merge};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::Role;
use crate::shared::paths::safe_next;

/// How long the person may take at the identity provider.
const REQUEST_LIFETIME_MINUTES: i64 = 15;
/// Outstanding requests kept per browser and provider (a person may open several tabs).
const MAX_OUTSTANDING_PER_BROWSER: u64 = 20;
/// Attribute names identity providers use for the email address, when the NameID is not one.
const EMAIL_ATTRIBUTES: &[&str] = &[
    "email",
    "mail",
    "emailAddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
];

/// How to send the browser to the identity provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsoRedirect {
    /// HTTP-Redirect: a 303 to this URL.
    Location(String),
    /// HTTP-POST: a form posted to the identity provider.
    PostForm {
        action: String,
        saml_request: String,
        relay_state: String,
    },
}

/// "Enable Enterprise SSO": the login converts this signed-in account, and its fleets go to this organization.
#[derive(Clone, Copy, Debug)]
pub struct MergeIntent {
    pub user_id: i64,
    pub organization_id: i64,
}

/// Stores a fresh AuthnRequest for this browser and says where to send it.
pub async fn start_login(
    state: &AppState,
    identifier: &str,
    browser_binding: &str,
    return_to: Option<&str>,
) -> AppResult<SsoRedirect> {
    let idp = find_by_identifier(&state.db, identifier).await?;
    send_request(state, &idp, browser_binding, return_to, None).await
}

/// Stores an AuthnRequest bound to the browser (and, for a merge, to the intent) and builds the redirect.
pub(crate) async fn send_request(
    state: &AppState,
    idp: &identity_provider::Model,
    browser_binding: &str,
    return_to: Option<&str>,
    merge: Option<MergeIntent>,
) -> AppResult<SsoRedirect> {
    let now = state.now();
    // XML IDs must not start with a digit; base64url characters are otherwise valid.
    let request_id = format!("_{}", random_token());
    let return_to = return_to.map(|r| safe_next(Some(r)));
    let binding_hash = hash_token(browser_binding);
    let txn = begin_write(&state.db).await?;
    drop_oldest_requests(&txn, idp.id, &binding_hash).await?;
    saml_request::ActiveModel {
        id: Set(request_id.clone()),
        identity_provider_id: Set(idp.id),
        browser_binding: Set(binding_hash),
        return_to: Set(return_to.clone()),
        merge_user_id: Set(merge.map(|m| m.user_id)),
        merge_organization_id: Set(merge.map(|m| m.organization_id)),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(REQUEST_LIFETIME_MINUTES)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;

    let sp = sp_endpoints(&state.config.base_url, &idp.identifier);
    let format = NameIdFormat::from_key(&idp.name_id_format).unwrap_or(NameIdFormat::EmailAddress);
    let request = OutgoingRequest::new(&request_id, now, &sp, &idp.sso_url, format);
    let relay_state = return_to.unwrap_or_default();
    tracing::info!(idp = %idp.identifier, request_id = %request_id, "SSO login started");
    match SsoBinding::from_key(&idp.sso_binding) {
        Some(SsoBinding::Post) => Ok(SsoRedirect::PostForm {
            action: idp.sso_url.clone(),
            saml_request: request.post_value()?,
            relay_state,
        }),
        _ => Ok(SsoRedirect::Location(request.redirect_url(&relay_state)?)),
    }
}

/// Keeps a browser from piling up requests: beyond the cap, the oldest go.
async fn drop_oldest_requests(
    txn: &DatabaseTransaction,
    idp_id: i64,
    binding_hash: &str,
) -> AppResult<()> {
    let stale: Vec<String> = saml_request::Entity::find()
        .filter(saml_request::Column::IdentityProviderId.eq(idp_id))
        .filter(saml_request::Column::BrowserBinding.eq(binding_hash))
        .order_by_desc(saml_request::Column::CreatedAt)
        // SQLite accepts OFFSET only after a LIMIT.
        .limit(10_000)
        .offset(MAX_OUTSTANDING_PER_BROWSER - 1)
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if !stale.is_empty() {
        saml_request::Entity::delete_many()
            .filter(saml_request::Column::Id.is_in(stale))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Why the ACS refused a login.
#[derive(Debug)]
pub enum AcsFailure {
    /// The response broke a checklist item.
    Refused(SamlError),
    /// The response was valid but cannot sign anyone in here (no account), or the request was bad.
    App(AppError),
}

impl From<AppError> for AcsFailure {
    fn from(err: AppError) -> Self {
        AcsFailure::App(err)
    }
}

impl From<sea_orm::DbErr> for AcsFailure {
    fn from(err: sea_orm::DbErr) -> Self {
        AcsFailure::App(err.into())
    }
}

/// A completed login.
#[derive(Debug)]
pub struct SsoSignedIn {
    /// A session, or the second factor still to come.
    pub progress: login::Progress,
    pub user_id: i64,
    /// A pre-login cookie value minted for a browser that sent none (an IdP-initiated login from a fresh browser):
    /// the login waiting for confirmation is bound to it, and the response must set it.
    pub minted_pre_login: Option<String>,
}

/// Validates a posted `SAMLResponse` and signs the person in.
pub async fn complete_login(
    state: &AppState,
    identifier: &str,
    saml_response: &str,
    relay_state: Option<&str>,
    browser_binding: Option<&str>,
    origin: &Origin,
) -> Result<SsoSignedIn, AcsFailure> {
    let idp = find_by_identifier(&state.db, identifier).await?;
    // Counted before any work on the response; shared by every instance (README, "Limits").
    let now = state.now();
    rate_limit::hit(
        &state.db,
        &format!("acs:ip:{}", origin.ip),
        state.config.acs_rate_limit_per_ip,
        now,
    )
    .await
    .map_err(|e| {
        AcsFailure::App(e.with_message(
            "Too many sign-in responses from your network. Wait a few minutes and sign in again.",
        ))
    })?;
    // Anyone can post to an identity provider's ACS, so strangers fill this counter too. Past it, a browser that
    // started its sign-in here still gets through: the limit bounds unsolicited posts (garbage and IdP-initiated
    // logins), and strangers cannot use it to stop a provider's people from signing in.
    if let Err(e) = rate_limit::hit(
        &state.db,
        &format!("acs:idp:{}", idp.id),
        state.config.acs_rate_limit_per_idp,
        now,
    )
    .await
    {
        if !has_outstanding_request(&state.db, idp.id, browser_binding, now).await? {
            return Err(AcsFailure::App(e.with_message(
                "Too many sign-in responses for this identity provider right now. Wait a few minutes and sign in again.",
            )));
        }
    }
    let outcome = accept(
        state,
        &idp,
        saml_response,
        relay_state,
        browser_binding,
        origin,
    )
    .await;
    if let Err(failure) = &outcome {
        record_failure(state, &idp, failure, origin).await;
    }
    outcome
}

/// The person this browser is signed in as, if any (its binding is the session cookie then).
async fn signed_in_user(
    db: &impl ConnectionTrait,
    browser_binding: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Option<i64>> {
    let Some(binding) = browser_binding else {
        return Ok(None);
    };
    Ok(session::Entity::find_by_id(hash_token(binding))
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .map(|s| s.user_id))
}

/// Whether this browser has a sign-in with this identity provider that it started here and has not finished.
async fn has_outstanding_request(
    db: &impl ConnectionTrait,
    idp_id: i64,
    browser_binding: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let Some(binding) = browser_binding else {
        return Ok(false);
    };
    Ok(saml_request::Entity::find()
        .filter(saml_request::Column::IdentityProviderId.eq(idp_id))
        .filter(saml_request::Column::BrowserBinding.eq(hash_token(binding)))
        .filter(saml_request::Column::ExpiresAt.gt(now))
        .count(db)
        .await?
        > 0)
}

async fn accept(
    state: &AppState,
    idp: &identity_provider::Model,
    saml_response: &str,
    relay_state: Option<&str>,
    browser_binding: Option<&str>,
    origin: &Origin,
) -> Result<SsoSignedIn, AcsFailure> {
    check_post_sizes(saml_response, relay_state).map_err(AcsFailure::Refused)?;
    let now = state.now();
    let binding_hash = browser_binding.map(hash_token);
    let outstanding: Vec<saml_request::Model> = match &binding_hash {
        Some(hash) => {
            saml_request::Entity::find()
                .filter(saml_request::Column::IdentityProviderId.eq(idp.id))
                .filter(saml_request::Column::BrowserBinding.eq(hash.as_str()))
                .filter(saml_request::Column::ExpiresAt.gt(now))
                .all(&state.db)
                .await?
        }
        None => Vec::new(),
    };
    let outstanding_ids: Vec<String> = outstanding.iter().map(|r| r.id.clone()).collect();
    let trust = trust(&state.db, idp).await?;
    let clock_skew = trust.clock_skew;
    let sp = sp_endpoints(&state.config.base_url, &idp.identifier);
    // Decoding and validation run on the bounded SAML pool, never on the async workers.
    let saml_response = saml_response.to_owned();
    let validated = state
        .pools
        .saml
        .run(move || {
            let xml = decode_post_value(&saml_response)?;
            let outstanding: Vec<&str> = outstanding_ids.iter().map(String::as_str).collect();
            validate(&xml, &trust, &sp, now, &outstanding)
        })
        .await?;
    let identity = validated.map_err(|mut e| {
        if browser_binding.is_none() && e.code == SamlErrorCode::InResponseToMismatch {
            e.diagnosis.push_str(
                "; the browser sent no Portcullis cookie with the response (cookies blocked?)",
            );
        }
        AcsFailure::Refused(e)
    })?;
    check_asserted_groups(&identity).map_err(AcsFailure::Refused)?;
    let plans = plan_role_mappings(&state.db, idp, &identity).await?;

    // The assertion is used up in a transaction of its own, before anything else: a response refused further on
    // (no account this provider may sign in, a merge that does not match) cannot be posted again to probe what
    // exists, nor replayed once an administrator adds the account.
    let replay_txn = begin_write(&state.db).await?;
    remember_assertion(
        &replay_txn,
        idp.id,
        &identity,
        identity.valid_until + clock_skew,
    )
    .await?;
    replay_txn.commit().await?;
    let txn = begin_write(&state.db).await?;
    let answered = match &identity.solicitation {
        Solicitation::Answers(request_id) => {
            Some(consume_request(&txn, request_id, &outstanding).await?)
        }
        Solicitation::Unsolicited => None,
    };
    // IdP-initiated: RelayState may only name a relative path.
    let return_to = match &answered {
        Some(request) => safe_next(request.return_to.as_deref()),
        None => safe_next(relay_state),
    };
    let intent = answered.as_ref().and_then(|request| {
        Some(MergeIntent {
            user_id: request.merge_user_id?,
            organization_id: request.merge_organization_id?,
        })
    });
    let mut minted_pre_login = None;
    let (account, progress, merged) = match intent {
        // The merge request was bound to a signed-in session (which passed any second factor) and the identity
        // provider vouched: the converted account gets its SSO session at once. Its old sessions just ended.
        Some(intent) => {
            let merged = merge::convert(&txn, idp, &identity, intent, now).await?;
            join_provider_organizations(&txn, idp, merged.account.id, now).await?;
            apply_role_mappings(&txn, &plans, merged.account.id, &origin.ip, now).await?;
            let session_token = open_session(
                &txn,
                state,
                merged.account.id,
                "saml",
                Some(SsoOrigin {
                    identity_provider_id: idp.id,
                    revision: idp.revision,
                    not_on_or_after: identity.session_not_on_or_after,
                }),
                origin,
                now,
            )
            .await?;
            let progress = login::Progress::SignedIn {
                session_token,
                next: merge::RECEIPT_PATH.to_owned(),
            };
            (merged.account, progress, Some(merged.receipt))
        }
        None => {
            let account = linked_account(&txn, idp, &identity, now).await?;
            join_provider_organizations(&txn, idp, account.id, now).await?;
            apply_role_mappings(&txn, &plans, account.id, &origin.ip, now).await?;
            // Login CSRF: nobody started an unsolicited login in this browser, and a page elsewhere may have
            // posted it to swap the visitor into an account of its choosing; so may a login that would replace
            // another person's session. The person confirms those first.
            let confirm = answered.is_none()
                || signed_in_user(&txn, browser_binding, now)
                    .await?
                    .is_some_and(|user_id| user_id != account.id);
            // The waiting login needs a browser to be bound to: one that sent no cookie gets one now.
            if confirm && browser_binding.is_none() {
                minted_pre_login = Some(random_token());
            }
            let browser_binding = browser_binding.or(minted_pre_login.as_deref());
            let progress = login::after_first_factor(
                &txn,
                state,
                login::FirstFactor {
                    account: &account,
                    auth_method: "saml",
                    sso_origin: Some(SsoOrigin {
                        identity_provider_id: idp.id,
                        revision: idp.revision,
                        not_on_or_after: identity.session_not_on_or_after,
                    }),
                    next: return_to,
                    origin,
                    browser_binding,
                    confirm,
                },
            )
            .await?;
            (account, progress, None)
        }
    };
    for link in identity_providers::organization_links(&txn, idp.id).await? {
        let what = if merged.is_some() {
            "enabled Enterprise SSO (account merged)"
        } else {
            "signed in"
        };
        audit::record(
            &txn,
            now,
            AuditEvent::new(if merged.is_some() {
                "account.merged"
            } else {
                "login.sso"
            })
            .in_organization(link.organization_id)
            .by(AuditActor::Person(account.id))
            .about(account.id)
            .from_address(&origin.ip)
            .detail(format!(
                "{what} through {} (revision {})",
                idp.name, idp.revision
            )),
        )
        .await?;
    }
    txn.commit().await?;
    tracing::info!(idp = %idp.identifier, user_id = account.id, "identity accepted by SSO");
    if let Some(receipt) = merged {
        merge::send_receipt(state, &account, &receipt).await;
    }
    Ok(SsoSignedIn {
        progress,
        user_id: account.id,
        minted_pre_login,
    })
}

/// Consumes the answered request; a second response to it (or a concurrent one) finds it gone.
async fn consume_request(
    txn: &DatabaseTransaction,
    request_id: &str,
    outstanding: &[saml_request::Model],
) -> Result<saml_request::Model, AcsFailure> {
    let deleted = saml_request::Entity::delete_by_id(request_id.to_string())
        .exec(txn)
        .await?;
    if deleted.rows_affected != 1 {
        return Err(AcsFailure::Refused(SamlError::new(
            SamlErrorCode::InResponseToMismatch,
            format!("the request {request_id:?} was answered already"),
        )));
    }
    outstanding
        .iter()
        .find(|r| r.id == request_id)
        .cloned()
        .ok_or_else(|| {
            AcsFailure::Refused(SamlError::new(
                SamlErrorCode::InResponseToMismatch,
                format!("the request {request_id:?} was not started by this browser"),
            ))
        })
}

/// The replay cache: an assertion ID is accepted once, remembered until the assertion expires.
async fn remember_assertion(
    txn: &DatabaseTransaction,
    idp_id: i64,
    identity: &AcceptedIdentity,
    keep_until: DateTime<Utc>,
) -> Result<(), AcsFailure> {
    let inserted = saml_replay::ActiveModel {
        identity_provider_id: Set(idp_id),
        assertion_id: Set(identity.assertion_id.clone()),
        expires_at: Set(keep_until),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AcsFailure::Refused(SamlError::new(
            SamlErrorCode::Replayed,
            format!(
                "the assertion {:?} was already used to sign in; it stays refused until {}",
                identity.assertion_id,
                keep_until.to_rfc3339()
            ),
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Adds the person to the provider's organizations (as a member) and their default teams where missing, at every
/// SSO login. Nothing is taken away: access given earlier stays when an organization or default team is unlinked
/// from the provider later, and a role given by an administrator is kept.
pub(crate) async fn join_provider_organizations(
    txn: &DatabaseTransaction,
    idp: &identity_provider::Model,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for link in identity_providers::organization_links(txn, idp.id).await? {
        membership::Entity::insert(membership::ActiveModel {
            organization_id: Set(link.organization_id),
            user_id: Set(user_id),
            role: Set(Role::Member.as_str().to_owned()),
            created_at: Set(now),
        })
        .on_conflict_do_nothing()
        .exec(txn)
        .await?;
        if let Some(team_id) = link.default_team_id {
            team_member::Entity::insert(team_member::ActiveModel {
                team_id: Set(team_id),
                user_id: Set(user_id),
            })
            .on_conflict_do_nothing()
            .exec(txn)
            .await?;
        }
    }
    Ok(())
}

/// Works out, before the login's transaction, what each of the provider's organizations' role mappings grant the
/// person signing in.
pub(crate) async fn plan_role_mappings(
    db: &impl ConnectionTrait,
    idp: &identity_provider::Model,
    identity: &AcceptedIdentity,
) -> AppResult<Vec<role_mappings::LoginPlan>> {
    let groups = match identity.attributes.get(role_mappings::GROUPS_ATTRIBUTE) {
        Some(groups) => AssertedGroups::Present(groups),
        None if identity
            .attributes
            .contains_key(role_mappings::GROUPS_OVERAGE_ATTRIBUTE) =>
        {
            AssertedGroups::Overage
        }
        None => AssertedGroups::Missing,
    };
    let mut plans = Vec::new();
    for link in identity_providers::organization_links(db, idp.id).await? {
        plans.push(role_mappings::plan_at_login(db, link.organization_id, groups).await?);
    }
    Ok(plans)
}

/// Applies the planned role mappings to the person who just signed in, in the login's transaction.
async fn apply_role_mappings(
    txn: &DatabaseTransaction,
    plans: &[role_mappings::LoginPlan],
    user_id: i64,
    ip: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for plan in plans {
        role_mappings::apply_at_login(txn, plan, user_id, ip, now).await?;
    }
    Ok(())
}

/// The asserted groups within their budget (README, "Limits"), refused with their own codes otherwise.
fn check_asserted_groups(identity: &AcceptedIdentity) -> Result<(), SamlError> {
    let Some(groups) = identity.attributes.get(role_mappings::GROUPS_ATTRIBUTE) else {
        return Ok(());
    };
    if groups.len() > role_mappings::MAX_GROUPS {
        return Err(SamlError::new(
            SamlErrorCode::TooManyGroups,
            format!(
                "the groups attribute has {} values; at most {} are accepted (send only the groups your role mappings use)",
                groups.len(),
                role_mappings::MAX_GROUPS
            ),
        ));
    }
    if groups
        .iter()
        .any(|g| g.chars().count() > role_mappings::MAX_GROUP_CHARS)
    {
        return Err(SamlError::new(
            SamlErrorCode::GroupTooLong,
            format!(
                "a value of the groups attribute has more than {} characters",
                role_mappings::MAX_GROUP_CHARS
            ),
        ));
    }
    Ok(())
}

/// The email the identity provider asserted: the NameID in emailAddress format, else an email attribute.
pub(crate) fn asserted_email(identity: &AcceptedIdentity) -> Option<String> {
    let raw = if identity.name_id_format.uri() == NAME_ID_EMAIL {
        Some(identity.name_id.clone())
    } else {
        EMAIL_ATTRIBUTES
            .iter()
            .find_map(|name| identity.attribute(name))
            .map(str::to_string)
    };
    // Lowercasing non-ASCII text can fold look-alikes (the Kelvin sign becomes "k"), so only ASCII addresses link.
    raw.filter(|email| email.is_ascii())
        .and_then(|email| normalize_email(&email).ok())
}

/// The account the identity signs in: already linked, or linked now when an administrator pre-provisioned an
/// account without password for this email in one of the provider's organizations, or (just-in-time policy) a new
/// account for an unknown address in a verified domain of one of them.
async fn linked_account(
    txn: &DatabaseTransaction,
    idp: &identity_provider::Model,
    identity: &AcceptedIdentity,
    now: DateTime<Utc>,
) -> Result<user::Model, AcsFailure> {
    let email = asserted_email(identity);
    let existing = saml_identity::Entity::find()
        .filter(saml_identity::Column::IdentityProviderId.eq(idp.id))
        .filter(saml_identity::Column::NameId.eq(identity.name_id.as_str()))
        .one(txn)
        .await?;
    let link = match existing {
        Some(link) => link,
        None => {
            let known = match email.as_deref() {
                Some(address) => find_by_email(txn, address).await?,
                None => None,
            };
            let account = match (known, email.as_deref()) {
                (None, Some(address)) if idp.allow_jit_accounts => {
                    just_in_time_account(txn, idp, identity, address, now).await?
                }
                _ => pre_provisioned_account(txn, idp, email.as_deref()).await?,
            };
            let link = saml_identity::ActiveModel {
                identity_provider_id: Set(idp.id),
                name_id: Set(identity.name_id.clone()),
                user_id: Set(account.id),
                email: Set(email.clone()),
                created_at: Set(now),
                last_login_at: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            tracing::info!(idp = %idp.identifier, user_id = account.id, "SAML identity linked (pre-provisioned)");
            link
        }
    };
    let account = user::Entity::find_by_id(link.user_id)
        .one(txn)
        .await?
        .ok_or_else(|| AcsFailure::App(AppError::new(ErrorCode::SsoNoAccount)))?;
    let mut active_link = link.into_active_model();
    active_link.last_login_at = Set(Some(now));
    if email.is_some() {
        active_link.email = Set(email);
    }
    active_link.update(txn).await?;
    if account.email_verified_at.is_none()
        && asserted_email(identity).as_deref() == Some(account.email.as_str())
    {
        // The identity provider vouched for the address.
        let mut active = account.clone().into_active_model();
        active.email_verified_at = Set(Some(now));
        active.updated_at = Set(now);
        return Ok(active.update(txn).await?);
    }
    Ok(account)
}

/// A new account for someone the provider vouches for, when their address is in a domain verified by one of the
/// provider's organizations (that organization is the one that "created" it, as for pre-provisioned accounts).
async fn just_in_time_account(
    txn: &DatabaseTransaction,
    idp: &identity_provider::Model,
    identity: &AcceptedIdentity,
    email: &str,
    now: DateTime<Utc>,
) -> Result<user::Model, AcsFailure> {
    let domain_name = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    let owner = domains::verified_owner(txn, domain_name).await?;
    let serves_owner = match owner {
        Some(organization_id) => idp_organization::Entity::find_by_id((idp.id, organization_id))
            .one(txn)
            .await?
            .map(|_| organization_id),
        None => None,
    };
    let Some(organization_id) = serves_owner else {
        return Err(AcsFailure::App(AppError::new(ErrorCode::SsoNoAccount).with_message(
            format!(
                "{} ({domain_name} is not a verified domain of this identity provider's organizations, so no \
                 account is created at first login)",
                ErrorCode::SsoNoAccount.default_message()
            ),
        )));
    };
    let asserted_name = ["firstName", "lastName"]
        .iter()
        .filter_map(|attribute| identity.attribute(attribute))
        .collect::<Vec<_>>()
        .join(" ");
    let name = normalize_name(&asserted_name)
        .or_else(|_| normalize_name(email.split('@').next().unwrap_or(email)))?;
    let account = user::ActiveModel {
        email: Set(email.to_owned()),
        name: Set(name),
        password_hash: Set(None),
        email_verified_at: Set(Some(now)),
        provisioned_organization_id: Set(Some(organization_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|err| {
        conflict_on_unique(err, || {
            AppError::new(ErrorCode::SsoNoAccount).with_message(
                "An account for this address was created at the same moment. Sign in again.",
            )
        })
    })?;
    tracing::info!(idp = %idp.identifier, user_id = account.id, organization_id, "account created just in time");
    Ok(account)
}

async fn pre_provisioned_account(
    db: &impl ConnectionTrait,
    idp: &identity_provider::Model,
    email: Option<&str>,
) -> Result<user::Model, AcsFailure> {
    let no_account = |why: &str| {
        AcsFailure::App(AppError::new(ErrorCode::SsoNoAccount).with_message(format!(
            "{} ({why})",
            ErrorCode::SsoNoAccount.default_message()
        )))
    };
    if !idp.allow_pre_provisioned {
        return Err(no_account(&format!(
            "this identity provider accepts only {}",
            policy_summary(idp)
        )));
    }
    let Some(email) = email else {
        return Err(no_account("the identity provider sent no email address"));
    };
    let not_here = || {
        no_account(&format!(
            "no account for {email} in this identity provider's organizations"
        ))
    };
    let Some(account) = find_by_email(db, email).await? else {
        return Err(not_here());
    };
    // Anyone can register an identity provider and assert any address: about someone outside its organizations
    // (and outside the domains they verified), the answer must not differ from "no such account", or it would tell
    // who has an account here.
    let organizations: Vec<i64> = identity_providers::organization_links(db, idp.id)
        .await?
        .into_iter()
        .map(|link| link.organization_id)
        .collect();
    let member_of_its_organizations = membership::Entity::find()
        .filter(membership::Column::UserId.eq(account.id))
        .filter(membership::Column::OrganizationId.is_in(organizations.clone()))
        .one(db)
        .await?
        .is_some();
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    let in_its_domains = domains::verified_owner(db, domain)
        .await?
        .is_some_and(|owner| organizations.contains(&owner));
    if !member_of_its_organizations && !in_its_domains {
        return Err(not_here());
    }
    if account.password_hash.is_some() {
        // Converting a password account is the explicit "Enable Enterprise SSO" merge, never a side effect.
        let how = if idp.allow_merge {
            "its owner can enable Enterprise SSO in their preferences"
        } else {
            "this identity provider does not accept existing accounts"
        };
        return Err(no_account(&format!(
            "{email} has a password account; {how}"
        )));
    }
    // Only an identity provider of the organization that created the account may claim it, and only once: another
    // organization the person later joins must not be able to take it over with its own identity provider.
    let Some(provisioned_by) = account.provisioned_organization_id else {
        return Err(no_account(&format!(
            "{email} was not set up for single sign-on"
        )));
    };
    let serves_that_organization = idp_organization::Entity::find_by_id((idp.id, provisioned_by))
        .one(db)
        .await?
        .is_some();
    let still_member = membership::Entity::find_by_id((provisioned_by, account.id))
        .one(db)
        .await?
        .is_some();
    if !serves_that_organization || !still_member {
        return Err(no_account(&format!(
            "{email} was set up by an organization that does not use this identity provider"
        )));
    }
    let already_linked = saml_identity::Entity::find()
        .filter(saml_identity::Column::UserId.eq(account.id))
        .one(db)
        .await?;
    if already_linked.is_some() {
        return Err(no_account(&format!(
            "{email} is already linked to another identity provider"
        )));
    }
    Ok(account)
}

/// The account policies an identity provider has on, in words, for refusals.
fn policy_summary(idp: &identity_provider::Model) -> String {
    let mut policies = Vec::new();
    if idp.allow_merge {
        policies.push("existing accounts that enable Enterprise SSO in their preferences");
    }
    if idp.allow_jit_accounts {
        policies.push("new people in its organizations' verified domains");
    }
    if policies.is_empty() {
        "accounts already linked to it".to_owned()
    } else {
        policies.join(" and ")
    }
}

/// Keeps the refusal for the provider's administrators.
async fn record_failure(
    state: &AppState,
    idp: &identity_provider::Model,
    failure: &AcsFailure,
    origin: &Origin,
) {
    let (code, diagnosis) = match failure {
        AcsFailure::Refused(e) => (e.code.as_str(), e.diagnosis.clone()),
        AcsFailure::App(e) => (e.code.as_str(), e.message.clone()),
    };
    tracing::warn!(idp = %idp.identifier, code = %code, diagnosis = %diagnosis, "SSO login refused");
    let now = state.now();
    match identity_providers::organization_links(&state.db, idp.id).await {
        Ok(links) => {
            for link in links {
                audit::record_refusal(
                    &state.db,
                    now,
                    AuditEvent::new("login.sso")
                        .in_organization(link.organization_id)
                        .from_address(&origin.ip)
                        .refused(code)
                        .detail(format!("{}: {diagnosis}", idp.name)),
                )
                .await;
            }
        }
        Err(err) => tracing::error!(error = %err.message, "could not audit the refused SSO login"),
    }
    let row = saml_login_failure::ActiveModel {
        identity_provider_id: Set(idp.id),
        code: Set(code.to_owned()),
        diagnosis: Set(diagnosis),
        ip_address: Set(Some(origin.ip.clone())),
        created_at: Set(state.now()),
        ..Default::default()
    };
    if let Err(e) = row.insert(&state.db).await {
        tracing::error!(error = %e, "could not record the refused SSO login");
    }
}

/// Drops expired requests, replay entries past their assertion's expiry, and failures older than 30 days.
pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<()> {
    saml_request::Entity::delete_many()
        .filter(saml_request::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    saml_replay::Entity::delete_many()
        .filter(saml_replay::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    saml_login_failure::Entity::delete_many()
        .filter(saml_login_failure::Column::CreatedAt.lte(now - Duration::days(30)))
        .exec(db)
        .await?;
    Ok(())
}
