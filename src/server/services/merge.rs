//! "Enable Enterprise SSO": a signed-in password account converts itself into a company (SAML) account of an
//! identity provider whose policy allows merging. The person reads exactly what will happen (`preview`), consents,
//! and is sent to the identity provider with a request bound to this session and this intent (`start`). At the ACS,
//! `convert` runs inside the login's transaction: the asserted email must equal the account's verified email
//! (case-insensitive, as both are stored lowercase), else nothing changes. Then the identity is linked, personal API
//! keys are deleted, fleets (and their devices) move to the chosen organization, the password is retired, other
//! sessions end, and a receipt is kept for the receipt page and email. It cannot be undone.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use std::collections::HashSet;

use crate::server::auth::sessions;
use crate::server::db::entities::{
    account_merge, api_key, device, email_token, fleet, identity_provider, idp_organization,
    login_challenge, organization, saml_identity, user,
};
use crate::server::mail::Email;
use crate::server::saml::core::response::AcceptedIdentity;
use crate::server::services::accounts::find_user;
use crate::server::services::identity_providers::{find_by_identifier, organization_links};
use crate::server::services::sso::{self, AcsFailure, MergeIntent, SsoRedirect};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{MergeFleet, MergeOrganization, MergePreview, MergeReceipt};

/// Where the browser lands after a merge.
pub const RECEIPT_PATH: &str = "/preferences/enterprise-sso/receipt";
/// Fleet names are at most this long (as `fleets::check_name` allows).
const FLEET_NAME_MAX_CHARS: usize = 80;

/// Why this account cannot merge into this identity provider, if it cannot.
async fn check_eligible(
    db: &impl ConnectionTrait,
    idp: &identity_provider::Model,
    account: &user::Model,
) -> AppResult<()> {
    if !idp.allow_merge {
        return Err(AppError::new(ErrorCode::MergeNotAllowed));
    }
    let linked = saml_identity::Entity::find()
        .filter(saml_identity::Column::UserId.eq(account.id))
        .count(db)
        .await?;
    if account.password_hash.is_none() || linked > 0 {
        return Err(AppError::new(ErrorCode::MergeNotPasswordAccount));
    }
    if account.email_verified_at.is_none() {
        return Err(AppError::new(ErrorCode::MergeEmailUnverified));
    }
    Ok(())
}

async fn organizations_of(
    db: &impl ConnectionTrait,
    idp: &identity_provider::Model,
) -> AppResult<Vec<MergeOrganization>> {
    let ids: Vec<i64> = organization_links(db, idp.id)
        .await?
        .into_iter()
        .map(|link| link.organization_id)
        .collect();
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|o| MergeOrganization {
            id: o.id,
            name: o.name,
        })
        .collect())
}

fn key_label(key: &api_key::Model) -> String {
    format!("{} (pc_{}_…)", key.name, key.public_id)
}

async fn personal_keys(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::UserId.eq(user_id))
        .filter(api_key::Column::OrganizationId.is_null())
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?)
}

async fn personal_fleets(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<fleet::Model>> {
    Ok(fleet::Entity::find()
        .filter(fleet::Column::OwnerUserId.eq(user_id))
        .order_by_asc(fleet::Column::Name)
        .all(db)
        .await?)
}

async fn device_count(db: &impl ConnectionTrait, fleet_id: i64) -> AppResult<u64> {
    Ok(device::Entity::find()
        .filter(device::Column::FleetId.eq(fleet_id))
        .count(db)
        .await?)
}

/// What enabling Enterprise SSO with this identifier would do to the signed-in account; refuses up front what the
/// merge would refuse at the end (policy, account type, unverified address).
pub async fn preview(state: &AppState, user_id: i64, identifier: &str) -> AppResult<MergePreview> {
    let identifier = identifier.trim().to_lowercase();
    let idp = find_by_identifier(&state.db, &identifier).await?;
    let account = find_user(&state.db, user_id).await?;
    check_eligible(&state.db, &idp, &account).await?;
    let mut fleets = Vec::new();
    for owned in personal_fleets(&state.db, user_id).await? {
        fleets.push(MergeFleet {
            device_count: device_count(&state.db, owned.id).await?,
            name: owned.name,
            renamed_to: None,
        });
    }
    Ok(MergePreview {
        sso_identifier: idp.identifier.clone(),
        identity_provider: idp.name.clone(),
        email: account.email,
        organizations: organizations_of(&state.db, &idp).await?,
        api_keys: personal_keys(&state.db, user_id)
            .await?
            .iter()
            .map(key_label)
            .collect(),
        fleets,
    })
}

/// After consent: sends the signed-in person to the identity provider with a request bound to this session (its
/// cookie) and to the merge, naming the organization that receives the fleets.
pub async fn start(
    state: &AppState,
    user_id: i64,
    session_token: &str,
    identifier: &str,
    organization_id: Option<i64>,
    consented: bool,
) -> AppResult<SsoRedirect> {
    let idp = find_by_identifier(&state.db, &identifier.trim().to_lowercase()).await?;
    let account = find_user(&state.db, user_id).await?;
    check_eligible(&state.db, &idp, &account).await?;
    let organizations = organizations_of(&state.db, &idp).await?;
    let organization_id = match (organization_id, organizations.as_slice()) {
        (Some(chosen), _) if organizations.iter().any(|o| o.id == chosen) => chosen,
        (None, [only]) => only.id,
        _ => {
            return Err(
                AppError::new(ErrorCode::MergeOrganizationRequired).on_field("organization_id")
            )
        }
    };
    if !consented {
        return Err(AppError::new(ErrorCode::MergeConsentRequired).on_field("consent"));
    }
    tracing::info!(idp = %idp.identifier, user_id, organization_id, "Enterprise SSO merge started");
    sso::send_request(
        state,
        &idp,
        session_token,
        None,
        Some(MergeIntent {
            user_id,
            organization_id,
        }),
    )
    .await
}

/// A completed merge: the converted account and what changed.
pub(crate) struct Merged {
    pub account: user::Model,
    pub receipt: MergeReceipt,
}

fn refused(code: ErrorCode) -> AcsFailure {
    AcsFailure::App(AppError::new(code))
}

/// Converts the account, in the ACS transaction. Any refusal leaves everything as it was (the caller rolls back).
pub(crate) async fn convert(
    txn: &DatabaseTransaction,
    idp: &identity_provider::Model,
    identity: &AcceptedIdentity,
    intent: MergeIntent,
    now: DateTime<Utc>,
) -> Result<Merged, AcsFailure> {
    let account = find_user(txn, intent.user_id).await?;
    check_eligible(txn, idp, &account).await?;
    let asserted = sso::asserted_email(identity);
    if asserted.as_deref() != Some(account.email.as_str()) {
        let said = asserted.unwrap_or_else(|| "no email address".to_owned());
        return Err(AcsFailure::App(AppError::new(ErrorCode::MergeEmailMismatch).with_message(
            format!(
                "Your identity provider signed you in as {said}, but this account's address is {}. Nothing was \
                 changed. Sign in at your identity provider as {}, or ask your administrator.",
                account.email, account.email
            ),
        )));
    }
    let taken = saml_identity::Entity::find()
        .filter(saml_identity::Column::IdentityProviderId.eq(idp.id))
        .filter(saml_identity::Column::NameId.eq(identity.name_id.as_str()))
        .count(txn)
        .await?;
    if taken > 0 {
        return Err(refused(ErrorCode::MergeIdentityTaken));
    }
    let organization = match idp_organization::Entity::find_by_id((idp.id, intent.organization_id))
        .one(txn)
        .await?
    {
        Some(_) => organization::Entity::find_by_id(intent.organization_id)
            .one(txn)
            .await?,
        None => None,
    }
    .ok_or_else(|| {
        AcsFailure::App(AppError::new(ErrorCode::MergeOrganizationRequired).with_message(
            "The organization you chose no longer uses this identity provider. Nothing was changed; start again.",
        ))
    })?;

    saml_identity::ActiveModel {
        identity_provider_id: Set(idp.id),
        name_id: Set(identity.name_id.clone()),
        user_id: Set(account.id),
        email: Set(Some(account.email.clone())),
        created_at: Set(now),
        last_login_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let deleted_api_keys = delete_personal_keys(txn, account.id).await?;
    let transferred_fleets = transfer_fleets(txn, &account, organization.id).await?;
    retire_password(txn, &account, now).await?;

    let receipt = MergeReceipt {
        sso_identifier: idp.identifier.clone(),
        identity_provider: idp.name.clone(),
        organization: organization.name.clone(),
        email: account.email.clone(),
        deleted_api_keys,
        transferred_fleets,
        merged_at: now,
    };
    let receipt_json = serde_json::to_string(&receipt)
        .map_err(|e| AppError::new(ErrorCode::Internal).with_message(e.to_string()))?;
    account_merge::ActiveModel {
        user_id: Set(account.id),
        identity_provider_id: Set(idp.id),
        organization_id: Set(organization.id),
        receipt: Set(receipt_json),
        merged_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let account = find_user(txn, account.id).await?;
    tracing::info!(
        idp = %idp.identifier,
        user_id = account.id,
        organization_id = organization.id,
        keys = receipt.deleted_api_keys.len(),
        fleets = receipt.transferred_fleets.len(),
        "account merged into Enterprise SSO"
    );
    Ok(Merged { account, receipt })
}

async fn delete_personal_keys(txn: &DatabaseTransaction, user_id: i64) -> AppResult<Vec<String>> {
    let keys = personal_keys(txn, user_id).await?;
    if !keys.is_empty() {
        api_key::Entity::delete_many()
            .filter(api_key::Column::Id.is_in(keys.iter().map(|k| k.id)))
            .exec(txn)
            .await?;
    }
    Ok(keys.iter().map(key_label).collect())
}

/// Moves every fleet of the person (its devices follow) to the organization. A fleet whose name the organization
/// already uses gets the person's name added, as fleet names are unique per owner.
async fn transfer_fleets(
    txn: &DatabaseTransaction,
    account: &user::Model,
    organization_id: i64,
) -> AppResult<Vec<MergeFleet>> {
    let mut taken: HashSet<String> = fleet::Entity::find()
        .filter(fleet::Column::OwnerOrganizationId.eq(organization_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|f| f.name)
        .collect();
    let mut moved = Vec::new();
    for owned in personal_fleets(txn, account.id).await? {
        let name = free_fleet_name(&owned.name, &account.name, &taken);
        taken.insert(name.clone());
        let devices = device_count(txn, owned.id).await?;
        let former_name = owned.name.clone();
        let mut active = owned.into_active_model();
        active.owner_user_id = Set(None);
        active.owner_organization_id = Set(Some(organization_id));
        active.name = Set(name.clone());
        active.update(txn).await?;
        moved.push(MergeFleet {
            renamed_to: (name != former_name).then_some(name),
            name: former_name,
            device_count: devices,
        });
    }
    Ok(moved)
}

/// `name`, or `name (person)`, or `name (person) 2`…, whichever the organization does not use, within the length
/// limit.
fn free_fleet_name(name: &str, person: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(name) {
        return name.to_owned();
    }
    (1..)
        .map(|n| {
            // Names may be longer than a fleet name can be: the person's part is cut first.
            let person: String = person.chars().take(FLEET_NAME_MAX_CHARS / 2).collect();
            let suffix = if n == 1 {
                format!(" ({person})")
            } else {
                format!(" ({person}) {n}")
            };
            let room = FLEET_NAME_MAX_CHARS.saturating_sub(suffix.chars().count());
            format!("{}{suffix}", name.chars().take(room).collect::<String>())
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| name.to_owned())
}

/// The password stops working, and with it everything a password or a session opened before gave: other sessions,
/// logins waiting for a second factor, password reset links. The hash stays only to recognise the old password at
/// the login form (see `users.retired_password_hash`).
async fn retire_password(
    txn: &DatabaseTransaction,
    account: &user::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // Conditional: of two merges of this account finishing at once, only one finds the password still there.
    let retired = user::Entity::update_many()
        .col_expr(
            user::Column::RetiredPasswordHash,
            Expr::col(user::Column::PasswordHash),
        )
        .col_expr(
            user::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(account.id))
        .filter(user::Column::PasswordHash.is_not_null())
        .exec(txn)
        .await?;
    if retired.rows_affected != 1 {
        return Err(AppError::new(ErrorCode::MergeNotPasswordAccount));
    }
    sessions::revoke_all_except(txn, account.id, None).await?;
    login_challenge::Entity::delete_many()
        .filter(login_challenge::Column::UserId.eq(account.id))
        .exec(txn)
        .await?;
    email_token::Entity::delete_many()
        .filter(email_token::Column::UserId.eq(account.id))
        .filter(email_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// The receipt by email, after the merge committed.
pub async fn send_receipt(state: &AppState, account: &user::Model, receipt: &MergeReceipt) {
    let keys = if receipt.deleted_api_keys.is_empty() {
        "  (none)\n".to_owned()
    } else {
        receipt
            .deleted_api_keys
            .iter()
            .map(|k| format!("  - {k}\n"))
            .collect()
    };
    let fleets = if receipt.transferred_fleets.is_empty() {
        "  (none)\n".to_owned()
    } else {
        receipt
            .transferred_fleets
            .iter()
            .map(|f| {
                let renamed = f
                    .renamed_to
                    .as_deref()
                    .map(|n| format!(", now named {n}"))
                    .unwrap_or_default();
                format!("  - {} ({} devices{renamed})\n", f.name, f.device_count)
            })
            .collect()
    };
    state.mailer.send_in_background(Email {
        to: account.email.clone(),
        subject: "Enterprise SSO is enabled on your Portcullis account".into(),
        body: format!(
            "Hello {name},\n\nYour Portcullis account {email} is now a company account of {org}, signing in through \
             {idp}. This cannot be undone.\n\nDeleted API keys:\n{keys}\nFleets transferred to {org}:\n{fleets}\n\
             Password login is disabled. Sign in with Enterprise SSO and the SSO identifier \"{identifier}\": {login}\n\n\
             Receipt: {receipt_link}\n\nIf you did not do this, contact your administrator at once.\n",
            name = account.name,
            email = receipt.email,
            org = receipt.organization,
            idp = receipt.identity_provider,
            identifier = receipt.sso_identifier,
            login = state.link(&format!("/saml/{}", receipt.sso_identifier)),
            receipt_link = state.link(RECEIPT_PATH),
        ),
    });
}

/// The receipt of the account's merge.
pub async fn receipt(state: &AppState, user_id: i64) -> AppResult<MergeReceipt> {
    let found = account_merge::Entity::find()
        .filter(account_merge::Column::UserId.eq(user_id))
        .order_by_desc(account_merge::Column::MergedAt)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::MergeReceiptNotFound))?;
    serde_json::from_str(&found.receipt)
        .map_err(|e| AppError::new(ErrorCode::Internal).with_message(e.to_string()))
}

/// For the login form: where an account that enabled Enterprise SSO signs in now (its SSO identifier).
pub async fn sso_identifier_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Option<String>> {
    let Some(link) = saml_identity::Entity::find()
        .filter(saml_identity::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(
        identity_provider::Entity::find_by_id(link.identity_provider_id)
            .one(db)
            .await?
            .map(|idp| idp.identifier),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_name_the_organization_uses_gets_the_person_added() {
        let taken: HashSet<String> = ["Sensors", "Sensors (Mia)"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(free_fleet_name("Gateways", "Mia", &taken), "Gateways");
        assert_eq!(free_fleet_name("Sensors", "Mia", &taken), "Sensors (Mia) 2");
        let long = "x".repeat(80);
        let taken: HashSet<String> = [long.clone()].into_iter().collect();
        let renamed = free_fleet_name(&long, "Mia", &taken);
        assert_eq!(renamed.chars().count(), 80);
        assert!(renamed.ends_with(" (Mia)"));
        let long_name = "N".repeat(100);
        assert!(free_fleet_name(&long, &long_name, &taken).chars().count() <= 80);
    }
}
