//! Organizations, their members and roles, and email invitations. Rules: the creator is the owner; admins and owners
//! manage people; only owners grant, change or remove the owner role; an organization always keeps an owner.
//! Access is checked against the database on every request, so a removed member loses access at once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

use crate::server::auth::tokens::{hash_token, random_token};
use crate::server::db::entities::{
    invitation, membership, organization, saml_identity, team, team_member, user,
};
use crate::server::db::{begin_write, conflict_on_unique};
use crate::server::mail::Email;
use crate::server::services::accounts::normalize_email;
use crate::server::services::actor::Actor;
use crate::server::services::authz::{
    also, also_permits, authorize, authorize_invited, Action, Standing,
};
use crate::server::services::{api_keys, domains, fleets, identity_providers, teams};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{
    InvitationPreview, InvitationView, MemberView, OrganizationDetail, OrganizationSummary, Role,
};

const INVITATION_LIFETIME_DAYS: i64 = 7;

fn parse_role(raw: &str) -> AppResult<Role> {
    Role::parse(raw).ok_or_else(|| AppError::new(ErrorCode::RoleInvalid).on_field("role"))
}

fn stored_role(raw: &str) -> Role {
    Role::parse(raw).unwrap_or(Role::Member)
}

/// A URL handle from a name: lowercase letters, digits and single dashes.
pub fn handle_from_name(name: &str) -> String {
    let mut handle = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            handle.push(c);
        } else if !handle.ends_with('-') && !handle.is_empty() {
            handle.push('-');
        }
    }
    handle
        .trim_end_matches('-')
        .chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

fn check_handle(handle: &str) -> AppResult<String> {
    let handle = handle.trim().to_string();
    let valid = (2..=40).contains(&handle.len())
        && handle
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !handle.starts_with('-')
        && !handle.ends_with('-');
    if valid {
        Ok(handle)
    } else {
        Err(AppError::new(ErrorCode::HandleInvalid).on_field("handle"))
    }
}

fn check_org_name(raw: &str) -> AppResult<String> {
    let name = raw.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::new(ErrorCode::NameInvalid)
            .with_message("Enter an organization name between 1 and 100 characters.")
            .on_field("name"));
    }
    Ok(name)
}

/// The role a person holds in the organization, if they are a member. Only the authorization kernel asks.
pub(in crate::server::services) async fn role_in(
    db: &impl ConnectionTrait,
    user_id: i64,
    organization_id: i64,
) -> AppResult<Option<Role>> {
    Ok(membership::Entity::find_by_id((organization_id, user_id))
        .one(db)
        .await?
        .map(|member| stored_role(&member.role)))
}

pub struct NewOrganization {
    pub name: String,
    pub handle: Option<String>,
}

pub async fn create(
    state: &AppState,
    user_id: i64,
    input: NewOrganization,
) -> AppResult<OrganizationSummary> {
    let name = check_org_name(&input.name)?;
    let handle = match input
        .handle
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        Some(handle) => check_handle(handle)?,
        None => check_handle(&handle_from_name(&name)).map_err(|_| {
            AppError::new(ErrorCode::HandleInvalid)
                .with_message("Choose a handle: 2 to 40 lowercase letters, digits and dashes.")
                .on_field("handle")
        })?,
    };
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let org = organization::ActiveModel {
        name: Set(name),
        handle: Set(handle),
        require_two_factor: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        conflict_on_unique(err, || {
            AppError::new(ErrorCode::HandleTaken).on_field("handle")
        })
    })?;
    membership::ActiveModel {
        organization_id: Set(org.id),
        user_id: Set(user_id),
        role: Set(Role::Owner.as_str().into()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(organization_id = org.id, user_id, "organization created");
    Ok(OrganizationSummary {
        id: org.id,
        name: org.name,
        handle: org.handle,
        my_role: Role::Owner,
        member_count: 1,
    })
}

pub async fn rename(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    raw_name: &str,
) -> AppResult<()> {
    let standing = authorize(
        &state.db,
        acting,
        Action::RenameOrganization,
        organization_id,
    )
    .await?;
    let name = check_org_name(raw_name)?;
    let mut active = standing.organization.into_active_model();
    active.name = Set(name);
    active.update(&state.db).await?;
    Ok(())
}

/// Owners only: require 2FA of members who log in with a password.
pub async fn set_require_two_factor(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    required: bool,
) -> AppResult<()> {
    let standing = authorize(&state.db, acting, Action::RequireTwoFactor, organization_id).await?;
    let user_id = acting.require_person("change the two-factor requirement")?;
    let mut active = standing.organization.into_active_model();
    active.require_two_factor = Set(required);
    active.update(&state.db).await?;
    tracing::info!(
        organization_id,
        user_id,
        required,
        "2FA requirement changed"
    );
    Ok(())
}

pub(in crate::server::services) async fn count_members(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<u64> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .count(db)
        .await?)
}

pub async fn list_for_user(state: &AppState, user_id: i64) -> AppResult<Vec<OrganizationSummary>> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(&state.db)
        .await?;
    let mut summaries = Vec::with_capacity(memberships.len());
    for member in memberships {
        if let Some(org) = organization::Entity::find_by_id(member.organization_id)
            .one(&state.db)
            .await?
        {
            summaries.push(OrganizationSummary {
                member_count: count_members(&state.db, org.id).await?,
                id: org.id,
                name: org.name,
                handle: org.handle,
                my_role: stored_role(&member.role),
            });
        }
    }
    summaries.sort_by_key(|s| s.name.to_lowercase());
    Ok(summaries)
}

/// The members, for whoever may see them.
pub async fn member_list(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
) -> AppResult<Vec<MemberView>> {
    authorize(&state.db, acting, Action::ViewMembers, organization_id).await?;
    members(&state.db, organization_id).await
}

/// The organization as the actor sees it, with its member count.
pub async fn overview(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
) -> AppResult<(Standing, u64)> {
    let standing = authorize(&state.db, acting, Action::ViewOrganization, organization_id).await?;
    let count = count_members(&state.db, organization_id).await?;
    Ok((standing, count))
}

async fn members(db: &impl ConnectionTrait, organization_id: i64) -> AppResult<Vec<MemberView>> {
    let rows = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.user_id).collect();
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut members: Vec<MemberView> = rows
        .into_iter()
        .filter_map(|m| {
            users.get(&m.user_id).map(|u| MemberView {
                user_id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
                role: stored_role(&m.role),
                joined_at: m.created_at,
            })
        })
        .collect();
    members.sort_by(|a, b| {
        b.role
            .cmp(&a.role)
            .then(a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    Ok(members)
}

pub async fn detail(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
) -> AppResult<OrganizationDetail> {
    let standing = authorize(&state.db, acting, Action::ViewOrganization, organization_id).await?;
    let members = members(&state.db, organization_id).await?;
    let invitations = if also_permits(&standing, Action::InviteMember) {
        pending_invitations(state, organization_id).await?
    } else {
        Vec::new()
    };
    let teams = teams::list(&state.db, organization_id).await?;
    let fleets = fleets::for_organization(&state.db, &standing).await?;
    let api_keys = if also_permits(&standing, Action::ViewOrganizationKeys) {
        api_keys::organization_keys(state, organization_id).await?
    } else {
        Vec::new()
    };
    let domains = if also_permits(&standing, Action::ViewDomains) {
        domains::list(&state.db, organization_id).await?
    } else {
        Vec::new()
    };
    let identity_providers = if also_permits(&standing, Action::ViewIdentityProviders) {
        identity_providers::list_for_organization(state, acting, organization_id).await?
    } else {
        Vec::new()
    };
    Ok(OrganizationDetail {
        summary: OrganizationSummary {
            id: standing.organization.id,
            name: standing.organization.name.clone(),
            handle: standing.organization.handle.clone(),
            my_role: standing.role,
            member_count: members.len() as u64,
        },
        require_two_factor: standing.organization.require_two_factor,
        members,
        invitations,
        teams,
        fleets,
        identity_providers,
        api_keys,
        domains,
    })
}

async fn pending_invitations(
    state: &AppState,
    organization_id: i64,
) -> AppResult<Vec<InvitationView>> {
    let rows = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(organization_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(state.now()))
        .order_by_asc(invitation::Column::Email)
        .all(&state.db)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(InvitationView {
            invited_by: inviter_name(&state.db, row.invited_by).await?,
            id: row.id,
            email: row.email,
            role: stored_role(&row.role),
            expires_at: row.expires_at,
        });
    }
    Ok(views)
}

async fn inviter_name(
    db: &impl ConnectionTrait,
    user_id: Option<i64>,
) -> AppResult<Option<String>> {
    Ok(match user_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
        None => None,
    })
}

/// Invites an address (with or without an account) to join with a role; a new invitation replaces an older one.
pub async fn invite(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    raw_email: &str,
    raw_role: &str,
) -> AppResult<InvitationView> {
    let actor = authorize(&state.db, acting, Action::InviteMember, organization_id).await?;
    let actor_id = acting.require_person("invite people")?;
    let email = normalize_email(raw_email)?;
    let role = parse_role(raw_role)?;
    if role == Role::Owner {
        also(&actor, Action::InviteOwner)?;
    }
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?
    {
        if membership::Entity::find_by_id((organization_id, existing.id))
            .one(&state.db)
            .await?
            .is_some()
        {
            return Err(AppError::new(ErrorCode::AlreadyMember).on_field("email"));
        }
    }
    let now = state.now();
    let token = random_token();
    let txn = begin_write(&state.db).await?;
    let replaced = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(organization_id))
        .filter(invitation::Column::Email.eq(&email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .all(&txn)
        .await?;
    // Replacing a pending invitation to become owner is an owner's decision too.
    for pending in &replaced {
        if stored_role(&pending.role) == Role::Owner {
            also(&actor, Action::RevokeOwnerInvitation)?;
        }
    }
    invitation::Entity::delete_many()
        .filter(invitation::Column::Id.is_in(replaced.iter().map(|i| i.id).collect::<Vec<_>>()))
        .exec(&txn)
        .await?;
    let created = invitation::ActiveModel {
        organization_id: Set(organization_id),
        email: Set(email.clone()),
        role: Set(role.as_str().into()),
        token_hash: Set(hash_token(&token)),
        invited_by: Set(Some(actor_id)),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(INVITATION_LIFETIME_DAYS)),
        accepted_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let inviter = inviter_name(&state.db, Some(actor_id)).await?;
    state
        .mailer
        .send_in_background(Email {
            to: email.clone(),
            subject: format!("Join {} on Portcullis", actor.organization.name),
            body: format!(
                "Hello,\n\n{} invited you to join the organization {} on Portcullis as {}.\n\n\
                 Accept the invitation here (you can sign up with this email address if you have no account yet):\n\n{}\n\n\
                 The invitation expires in {INVITATION_LIFETIME_DAYS} days.\n",
                inviter.clone().unwrap_or_else(|| "Someone".into()),
                actor.organization.name,
                role.label().to_lowercase(),
                state.link(&format!("/invitations/{token}"))
            ),
        });
    tracing::info!(
        organization_id,
        invitation_id = created.id,
        "invitation sent"
    );
    Ok(InvitationView {
        id: created.id,
        email,
        role,
        invited_by: inviter,
        expires_at: created.expires_at,
    })
}

/// Pre-provisions a member for single sign-on: an account without password (it can only sign in through an
/// identity provider of this organization, which links it at the first login) that joins with the role at once.
/// An address that already has an account is invited instead, so nobody's account is taken over.
pub async fn add_provisioned_member(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    raw_email: &str,
    raw_name: &str,
    raw_role: &str,
) -> AppResult<()> {
    let actor = authorize(
        &state.db,
        acting,
        Action::AddProvisionedMember,
        organization_id,
    )
    .await?;
    let email = normalize_email(raw_email)?;
    let name = crate::server::services::accounts::normalize_name(raw_name)?;
    let role = parse_role(raw_role)?;
    if role == Role::Owner {
        also(&actor, Action::AddProvisionedOwner)?;
    }
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::new(ErrorCode::EmailTaken)
            .with_message("This address already has a Portcullis account. Invite it instead; its owner can then enable Enterprise SSO.")
            .on_field("email"));
    }
    let account = user::ActiveModel {
        email: Set(email.clone()),
        name: Set(name),
        password_hash: Set(None),
        email_verified_at: Set(None),
        provisioned_organization_id: Set(Some(organization_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        conflict_on_unique(e, || AppError::new(ErrorCode::EmailTaken).on_field("email"))
    })?;
    membership::ActiveModel {
        organization_id: Set(organization_id),
        user_id: Set(account.id),
        role: Set(role.as_str().into()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(
        organization_id,
        user_id = account.id,
        "member pre-provisioned for SSO"
    );
    Ok(())
}

pub async fn revoke_invitation(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    invitation_id: i64,
) -> AppResult<()> {
    let actor = authorize(&state.db, acting, Action::RevokeInvitation, organization_id).await?;
    let pending = invitation::Entity::find_by_id(invitation_id)
        .filter(invitation::Column::OrganizationId.eq(organization_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvitationNotFound))?;
    // Withdrawing an invitation to become owner is an owner's decision too.
    if stored_role(&pending.role) == Role::Owner {
        also(&actor, Action::RevokeOwnerInvitation)?;
    }
    invitation::Entity::delete_by_id(pending.id)
        .exec(&state.db)
        .await?;
    Ok(())
}

async fn find_invitation(db: &impl ConnectionTrait, token: &str) -> AppResult<invitation::Model> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash_token(token.trim())))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvitationNotFound))
}

/// An invitation that can still be accepted.
pub(in crate::server::services) async fn find_open_invitation(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<invitation::Model> {
    let found = find_invitation(db, token).await?;
    if found.accepted_at.is_some() {
        return Err(AppError::new(ErrorCode::TokenUsed)
            .with_message("This invitation has already been accepted."));
    }
    if found.expires_at <= now {
        return Err(AppError::new(ErrorCode::TokenExpired).with_message(
            "This invitation has expired. Ask the organization's admin to invite you again.",
        ));
    }
    Ok(found)
}

pub async fn preview_invitation(state: &AppState, token: &str) -> AppResult<InvitationPreview> {
    let found = find_invitation(&state.db, token).await?;
    let org = organization::Entity::find_by_id(found.organization_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvitationNotFound))?;
    Ok(InvitationPreview {
        organization_name: org.name,
        invited_by: inviter_name(&state.db, found.invited_by).await?,
        role: stored_role(&found.role),
        expired: found.expires_at <= state.now(),
        accepted: found.accepted_at.is_some(),
        email: found.email,
    })
}

/// Joins the organization of an invitation addressed to this account's email. Into an organization that allows
/// only single sign-on, only with an SSO session of one of its identity providers.
pub async fn accept_invitation(state: &AppState, acting: &Actor, token: &str) -> AppResult<i64> {
    // A key learns nothing about the token, not even whether it is open.
    let user_id = acting.require_person("accept invitations")?;
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let found = find_open_invitation(&txn, token, now).await?;
    let organization = organization::Entity::find_by_id(found.organization_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::OrganizationNotFound))?;
    authorize_invited(&txn, acting, &organization).await?;
    let account = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotSignedIn))?;
    if account.email != found.email {
        return Err(AppError::new(ErrorCode::InvitationEmailMismatch).with_message(format!(
            "This invitation was sent to {}, but you are signed in as {}. Log out and sign in with that address.",
            found.email, account.email
        )));
    }
    let organization_id = found.organization_id;
    accept_invitation_in(&txn, found, user_id, now).await?;
    txn.commit().await?;
    Ok(organization_id)
}

/// Marks the invitation accepted and adds the member, inside the caller's transaction. The invitation is claimed
/// with a conditional update, so two concurrent acceptances cannot both succeed.
pub(in crate::server::services) async fn accept_invitation_in(
    txn: &impl ConnectionTrait,
    found: invitation::Model,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(Some(now)))
        .filter(invitation::Column::Id.eq(found.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::new(ErrorCode::TokenUsed)
            .with_message("This invitation has already been accepted."));
    }
    membership::ActiveModel {
        organization_id: Set(found.organization_id),
        user_id: Set(user_id),
        role: Set(found.role.clone()),
        created_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|err| {
        conflict_on_unique(err, || {
            AppError::new(ErrorCode::AlreadyMember)
                .with_message("You are already a member of this organization.")
        })
    })?;
    Ok(())
}

/// The caller's standing, read inside a writing transaction after locking the organization's row, so concurrent
/// role changes of one organization run one after the other: two owners demoting each other at the same moment
/// cannot both see "another owner remains". (On SQLite, `BEGIN IMMEDIATE` already serializes writers and the
/// lock clause is left out.)
async fn locked_standing(
    txn: &DatabaseTransaction,
    acting: &Actor,
    action: Action,
    organization_id: i64,
) -> AppResult<Standing> {
    lock_organization(txn, organization_id).await?;
    authorize(txn, acting, action, organization_id).await
}

async fn lock_organization(txn: &DatabaseTransaction, organization_id: i64) -> AppResult<()> {
    organization::Entity::find_by_id(organization_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::OrganizationNotFound))?;
    Ok(())
}

/// Whether an owner of the organization, other than `leaving` (being demoted or removed), can still sign in without
/// the SAML identity `unlinked` (being deleted), under the rules in force: with a password, or through another
/// linked identity; while the organization allows only single sign-on, only through an identity linked to one of
/// its own identity providers (a password no longer gets in). No change may take that away: the organization would
/// have nobody left to manage it.
pub(in crate::server::services) async fn keeps_an_owner_who_can_sign_in(
    db: &impl ConnectionTrait,
    organization_id: i64,
    leaving: Option<i64>,
    unlinked: Option<i64>,
) -> AppResult<bool> {
    let enforced = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .is_some_and(|o| o.sso_enforced_at.is_some());
    let owners: Vec<i64> = owner_ids(db, organization_id)
        .await?
        .into_iter()
        .filter(|id| Some(*id) != leaving)
        .collect();
    let with_password = if enforced {
        0
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(owners.clone()))
            .filter(user::Column::PasswordHash.is_not_null())
            .count(db)
            .await?
    };
    let mut identities =
        saml_identity::Entity::find().filter(saml_identity::Column::UserId.is_in(owners));
    if let Some(unlinked) = unlinked {
        identities = identities.filter(saml_identity::Column::Id.ne(unlinked));
    }
    if enforced {
        let providers = identity_providers::provider_ids_of(db, organization_id).await?;
        identities = identities.filter(saml_identity::Column::IdentityProviderId.is_in(providers));
    }
    Ok(with_password + identities.count(db).await? > 0)
}

/// The refusal when a change would leave no owner who can sign in.
fn no_owner_left(organization: &organization::Model, remaining_owners: u64) -> AppError {
    if remaining_owners == 0 {
        return AppError::new(ErrorCode::LastOwner);
    }
    AppError::new(ErrorCode::LastOwner).with_message(format!(
        "This would leave {} without an owner who can still sign in: the other owners have neither a password nor \
         a linked single sign-on identity. Make someone who can sign in an owner first.",
        organization.name
    ))
}

async fn owner_count(db: &impl ConnectionTrait, organization_id: i64) -> AppResult<u64> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(db)
        .await?)
}

async fn target_membership(
    db: &impl ConnectionTrait,
    organization_id: i64,
    user_id: i64,
) -> AppResult<membership::Model> {
    membership::Entity::find_by_id((organization_id, user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::MemberNotFound))
}

pub async fn change_role(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    target_user_id: i64,
    raw_role: &str,
) -> AppResult<()> {
    let new_role = parse_role(raw_role)?;
    let txn = begin_write(&state.db).await?;
    let actor = locked_standing(&txn, acting, Action::ChangeMemberRole, organization_id).await?;
    let target = target_membership(&txn, organization_id, target_user_id).await?;
    let old_role = stored_role(&target.role);
    if old_role.max(new_role) == Role::Owner {
        also(&actor, Action::ChangeOwnerRole)?;
    }
    if old_role == Role::Owner
        && new_role != Role::Owner
        && !keeps_an_owner_who_can_sign_in(&txn, organization_id, Some(target_user_id), None)
            .await?
    {
        let others = owner_count(&txn, organization_id).await?.saturating_sub(1);
        return Err(no_owner_left(&actor.organization, others));
    }
    let mut active = target.into_active_model();
    active.role = Set(new_role.as_str().into());
    active.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(
        organization_id,
        target_user_id,
        role = new_role.as_str(),
        "member role changed"
    );
    Ok(())
}

async fn delete_membership(
    txn: &impl ConnectionTrait,
    organization_id: i64,
    user_id: i64,
) -> AppResult<()> {
    let team_ids: Vec<i64> = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(organization_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    team_member::Entity::delete_many()
        .filter(team_member::Column::UserId.eq(user_id))
        .filter(team_member::Column::TeamId.is_in(team_ids))
        .exec(txn)
        .await?;
    membership::Entity::delete_by_id((organization_id, user_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Removes a member (and their team memberships); their access ends with this transaction.
pub async fn remove_member(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    target_user_id: i64,
) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    // Leaving is always one's own to do, even from an organization this credential may not act in.
    let leaving = acting.person() == Some(target_user_id);
    let action = if leaving {
        Action::LeaveOrganization
    } else {
        Action::RemoveMember
    };
    let actor = locked_standing(&txn, acting, action, organization_id).await?;
    let actor_id = acting.require_person("remove members")?;
    let target = target_membership(&txn, organization_id, target_user_id).await?;
    let target_role = stored_role(&target.role);
    if !leaving && target_role == Role::Owner {
        also(&actor, Action::RemoveOwner)?;
    }
    if target_role == Role::Owner
        && !keeps_an_owner_who_can_sign_in(&txn, organization_id, Some(target_user_id), None)
            .await?
    {
        let others = owner_count(&txn, organization_id).await?.saturating_sub(1);
        return Err(no_owner_left(&actor.organization, others));
    }
    delete_membership(&txn, organization_id, target_user_id).await?;
    txn.commit().await?;
    tracing::info!(organization_id, target_user_id, actor_id, "member removed");
    Ok(())
}

/// The ids of the organizations a person is a member of.
pub(in crate::server::services) async fn membership_ids(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Vec<i64>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.organization_id)
        .collect())
}

/// The ids of an organization's owners.
async fn owner_ids(db: &impl ConnectionTrait, organization_id: i64) -> AppResult<Vec<i64>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// The owners of an organization (to tell them of changes to its security).
pub(in crate::server::services) async fn owners(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<Vec<user::Model>> {
    let ids = owner_ids(db, organization_id).await?;
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_from_names() {
        assert_eq!(handle_from_name("Acme Robotics, Inc."), "acme-robotics-inc");
        assert_eq!(handle_from_name("  --Zed--  "), "zed");
        assert!(check_handle("a").is_err());
        assert!(check_handle("Acme").is_err());
        assert!(check_handle("-acme").is_err());
        assert_eq!(check_handle("acme-2").unwrap(), "acme-2");
    }
}
