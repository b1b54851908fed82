//! The authorization kernel: the one place that decides whether an actor may take an action. The rules are data
//! ([`PERMISSIONS`]: for each action, the least role a person needs, whether organization API keys may take it and
//! from which role, and the refusal code), [`decide`] applies them to the facts of one request (who, with which
//! credential, holding which role, in an organization that does or does not allow only single sign-on), and
//! [`authorize`] gathers those facts from the database. Every organization-scoped service asks [`authorize`] (or
//! [`permits`], [`also`]) before it reads or changes anything; the README's permissions reference is
//! [`reference`] rendered from the same table, and the integration suite walks every cell of it through HTTP.

use std::fmt::Write as _;

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::server::db::entities::organization;
use crate::server::services::actor::{enforcement_refusal, fits_enforcement, Actor, Credential};
use crate::server::services::organizations::{membership_ids, role_in};
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::Role;

/// What [`authorize`] established about the actor in the organization, for the rest of the request.
#[derive(Clone, Debug)]
pub struct Standing {
    pub organization: organization::Model,
    pub role: Role,
    principal: Principal,
    enforcement: Enforcement,
}

/// Everything an actor can do to an organization's resources, or to their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    ViewOrganization,
    RenameOrganization,
    RequireTwoFactor,
    ViewAuditLog,
    ViewMembers,
    InviteMember,
    InviteOwner,
    AddProvisionedMember,
    AddProvisionedOwner,
    RevokeInvitation,
    RevokeOwnerInvitation,
    AcceptInvitation,
    ChangeMemberRole,
    ChangeOwnerRole,
    RemoveMember,
    RemoveOwner,
    LeaveOrganization,
    ViewTeams,
    CreateTeam,
    RenameTeam,
    DeleteTeam,
    AddTeamMember,
    RemoveTeamMember,
    ViewDomains,
    ClaimDomain,
    VerifyDomain,
    RemoveDomain,
    ViewIdentityProviders,
    RegisterIdentityProvider,
    ConfigureIdentityProvider,
    LinkIdentityProvider,
    SetDefaultTeam,
    UnlinkIdentityProvider,
    DeleteIdentityProvider,
    ViewSamlAccounts,
    DeleteSamlAccount,
    DeleteOwnerSamlAccount,
    ViewRoleMappings,
    ChangeRoleMapping,
    ChangeOwnerRoleMapping,
    ViewOrganizationKeys,
    CreateOrganizationKey,
    CreateOwnerOrganizationKey,
    RevokeOrganizationKey,
    RevokeOwnerOrganizationKey,
    ViewEnforcement,
    EnableEnforcement,
    DisableEnforcement,
    ViewFleets,
    CreateFleet,
    RenameFleet,
    DeleteFleet,
    AddDevice,
    RenameDevice,
    DeleteDevice,
    UsePersonalFleet,
}

/// What an action is taken on, which decides what someone who may not even see it is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The organization itself, or something reached through it by id (teams, domains, keys, mappings).
    Organization,
    /// An identity provider, by its SSO identifier: it exists only for those who may see the identity providers
    /// of one of the organizations it serves (admins and owners).
    IdentityProvider,
    /// A fleet, by id.
    Fleet,
    /// A device, by id.
    Device,
    /// An invitation, by its token.
    Invitation,
}

impl Resource {
    /// The not-found code it answers with to whom it is hidden.
    pub fn hidden_code(self) -> ErrorCode {
        match self {
            Resource::Organization => ErrorCode::OrganizationNotFound,
            Resource::IdentityProvider => ErrorCode::IdpNotFound,
            Resource::Fleet => ErrorCode::FleetNotFound,
            Resource::Device => ErrorCode::DeviceNotFound,
            Resource::Invitation => ErrorCode::InvitationNotFound,
        }
    }

    /// The least role that sees the resource at all.
    fn seen_from(self) -> Role {
        match self {
            Resource::IdentityProvider => Role::Admin,
            _ => Role::Member,
        }
    }
}

/// The least standing a person needs for an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The person the resource belongs to (a personal fleet), and nobody else.
    Themself,
    /// A person holding an invitation to the organization (not a member yet).
    Invited,
    /// At least this role in the organization.
    Role(Role),
}

/// One row of the permissions table.
#[derive(Clone, Copy, Debug)]
pub struct Permission {
    pub action: Action,
    pub resource: Resource,
    /// The table's section in the permissions reference.
    pub area: &'static str,
    /// What the action is, completing "may …" and "Only … can …".
    pub what: &'static str,
    /// The least standing a person (with a session or a personal key) needs.
    pub people: Need,
    /// The least role an organization API key needs; `None`: keys never take this action.
    pub organization_keys: Option<Role>,
    /// Whether the REST API (API keys) can reach the action; without it only a browser session can.
    pub rest: bool,
    /// Whether an organization that allows only single sign-on asks for an SSO session through one of its
    /// identity providers (everything but leaving, which is always one's own to do).
    pub enforced: bool,
    /// The code of a refusal for too little standing.
    pub refusal: ErrorCode,
    /// Why, when the rule is not obvious; added to the refusal.
    pub why: Option<&'static str>,
}

const fn rule(
    action: Action,
    area: &'static str,
    what: &'static str,
    people: Need,
    organization_keys: Option<Role>,
    rest: bool,
) -> Permission {
    Permission {
        action,
        resource: Resource::Organization,
        area,
        what,
        people,
        organization_keys,
        rest,
        enforced: true,
        refusal: ErrorCode::PermissionDenied,
        why: None,
    }
}

const fn refused_with(
    mut permission: Permission,
    code: ErrorCode,
    why: &'static str,
) -> Permission {
    permission.refusal = code;
    permission.why = Some(why);
    permission
}

const fn on(resource: Resource, mut permission: Permission) -> Permission {
    permission.resource = resource;
    permission
}

const fn unenforced(mut permission: Permission) -> Permission {
    permission.enforced = false;
    permission
}

const MEMBER: Need = Need::Role(Role::Member);
const ADMIN: Need = Need::Role(Role::Admin);
const OWNER: Need = Need::Role(Role::Owner);
const KEYS: Option<Role> = Some(Role::Member);
const ADMIN_KEYS: Option<Role> = Some(Role::Admin);
const OWNER_KEYS: Option<Role> = Some(Role::Owner);
const NO_KEYS: Option<Role> = None;
const TRUST: &str = "whoever controls an identity provider can sign in as any member of the organizations it serves";
const OWNERS_ONLY: &str = "only owners hand out, take away or act on the owner role";

/// The permissions table: the contract the README's reference renders and the integration suite walks.
pub const PERMISSIONS: &[Permission] = &[
    rule(Action::ViewOrganization, "Organization", "see the organization and its settings", MEMBER, KEYS, true),
    rule(Action::RenameOrganization, "Organization", "rename the organization", ADMIN, NO_KEYS, false),
    rule(Action::RequireTwoFactor, "Organization", "require two-factor authentication", OWNER, NO_KEYS, false),
    rule(Action::ViewAuditLog, "Organization", "read the audit log", OWNER, NO_KEYS, false),
    rule(Action::ViewMembers, "People", "list the members and their addresses", MEMBER, KEYS, true),
    rule(Action::InviteMember, "People", "invite a member or admin", ADMIN, NO_KEYS, false),
    refused_with(
        rule(Action::InviteOwner, "People", "invite an owner", OWNER, NO_KEYS, false),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    rule(Action::AddProvisionedMember, "People", "pre-provision a member or admin for SSO", ADMIN, NO_KEYS, false),
    refused_with(
        rule(Action::AddProvisionedOwner, "People", "pre-provision an owner for SSO", OWNER, NO_KEYS, false),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    rule(Action::RevokeInvitation, "People", "withdraw an invitation", ADMIN, NO_KEYS, false),
    refused_with(
        rule(Action::RevokeOwnerInvitation, "People", "withdraw an invitation to become owner", OWNER, NO_KEYS, false),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    on(Resource::Invitation, rule(Action::AcceptInvitation, "People", "accept an invitation", Need::Invited, NO_KEYS, false)),
    rule(Action::ChangeMemberRole, "People", "change a role between member and admin", ADMIN, NO_KEYS, false),
    refused_with(
        rule(Action::ChangeOwnerRole, "People", "grant or take away the owner role", OWNER, NO_KEYS, false),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    rule(Action::RemoveMember, "People", "remove a member or admin", ADMIN, NO_KEYS, false),
    refused_with(
        rule(Action::RemoveOwner, "People", "remove an owner", OWNER, NO_KEYS, false),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    unenforced(rule(Action::LeaveOrganization, "People", "leave the organization", MEMBER, NO_KEYS, false)),
    rule(Action::ViewTeams, "Teams", "list the teams", MEMBER, KEYS, true),
    rule(Action::CreateTeam, "Teams", "create a team", ADMIN, ADMIN_KEYS, true),
    rule(Action::RenameTeam, "Teams", "rename a team", ADMIN, ADMIN_KEYS, true),
    rule(Action::DeleteTeam, "Teams", "delete a team", ADMIN, ADMIN_KEYS, true),
    rule(Action::AddTeamMember, "Teams", "add a member to a team", ADMIN, NO_KEYS, false),
    rule(Action::RemoveTeamMember, "Teams", "remove a member from a team", ADMIN, NO_KEYS, false),
    rule(Action::ViewDomains, "Domains", "see the claimed domains", ADMIN, NO_KEYS, false),
    rule(Action::ClaimDomain, "Domains", "claim a domain", OWNER, NO_KEYS, false),
    rule(Action::VerifyDomain, "Domains", "verify a domain", OWNER, NO_KEYS, false),
    rule(Action::RemoveDomain, "Domains", "remove a domain", OWNER, NO_KEYS, false),
    rule(
        Action::ViewIdentityProviders,
        "Single sign-on",
        "see the identity providers, their settings and failed logins",
        ADMIN,
        ADMIN_KEYS,
        true,
    ),
    refused_with(
        rule(
            Action::RegisterIdentityProvider,
            "Single sign-on",
            "register an identity provider for the organization",
            OWNER,
            NO_KEYS,
            false,
        ),
        ErrorCode::IdpLinkNeedsOwner,
        TRUST,
    ),
    refused_with(
        on(Resource::IdentityProvider, rule(
            Action::ConfigureIdentityProvider,
            "Single sign-on",
            "change who an identity provider lets in (certificates, metadata, entity ID, SSO URL, identifier, \
             account policies, IdP-initiated login, SHA-1, NameID format, session lifetime), as an owner of every \
             organization it serves",
            OWNER,
            NO_KEYS,
            false,
        )),
        ErrorCode::IdpOwnersOnly,
        TRUST,
    ),
    refused_with(
        rule(
            Action::LinkIdentityProvider,
            "Single sign-on",
            "let an existing identity provider sign people in to the organization (an owner of every organization \
             it already serves too)",
            OWNER,
            NO_KEYS,
            false,
        ),
        ErrorCode::IdpLinkNeedsOwner,
        TRUST,
    ),
    on(Resource::IdentityProvider, rule(Action::SetDefaultTeam, "Single sign-on", "choose an identity provider's default team", ADMIN, NO_KEYS, false)),
    on(Resource::IdentityProvider, rule(
        Action::UnlinkIdentityProvider,
        "Single sign-on",
        "stop an identity provider signing people in to the organization",
        ADMIN,
        NO_KEYS,
        false,
    )),
    on(Resource::IdentityProvider, rule(
        Action::DeleteIdentityProvider,
        "Single sign-on",
        "delete an identity provider (as an admin of every organization it serves)",
        ADMIN,
        NO_KEYS,
        false,
    )),
    on(Resource::IdentityProvider, rule(Action::ViewSamlAccounts, "Single sign-on", "list the SAML accounts", ADMIN, ADMIN_KEYS, true)),
    on(Resource::IdentityProvider, rule(Action::DeleteSamlAccount, "Single sign-on", "delete a member's or admin's SAML account", ADMIN, ADMIN_KEYS, true)),
    refused_with(
        on(Resource::IdentityProvider, rule(Action::DeleteOwnerSamlAccount, "Single sign-on", "delete an owner's SAML account", OWNER, OWNER_KEYS, true)),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    rule(Action::ViewRoleMappings, "Single sign-on", "see and preview the role mappings", ADMIN, NO_KEYS, false),
    rule(
        Action::ChangeRoleMapping,
        "Single sign-on",
        "create, change or delete a role mapping to member or admin",
        ADMIN,
        NO_KEYS,
        false,
    ),
    refused_with(
        rule(
            Action::ChangeOwnerRoleMapping,
            "Single sign-on",
            "create, change or delete a role mapping to owner",
            OWNER,
            NO_KEYS,
            false,
        ),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    rule(Action::ViewOrganizationKeys, "API keys", "see the organization's API keys", ADMIN, NO_KEYS, false),
    rule(
        Action::CreateOrganizationKey,
        "API keys",
        "create a member or admin organization key",
        ADMIN,
        NO_KEYS,
        false,
    ),
    refused_with(
        rule(
            Action::CreateOwnerOrganizationKey,
            "API keys",
            "create an owner organization key (a break-glass)",
            OWNER,
            NO_KEYS,
            false,
        ),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    rule(
        Action::RevokeOrganizationKey,
        "API keys",
        "revoke a member or admin organization key",
        ADMIN,
        NO_KEYS,
        false,
    ),
    refused_with(
        rule(
            Action::RevokeOwnerOrganizationKey,
            "API keys",
            "revoke an owner organization key",
            OWNER,
            NO_KEYS,
            false,
        ),
        ErrorCode::PermissionDenied,
        OWNERS_ONLY,
    ),
    rule(
        Action::ViewEnforcement,
        "Enforcement",
        "open the enforcement settings (what switching it on needs, the break-glass keys)",
        ADMIN,
        NO_KEYS,
        false,
    ),
    rule(
        Action::EnableEnforcement,
        "Enforcement",
        "allow only single sign-on (from a fresh SSO login)",
        ADMIN,
        NO_KEYS,
        false,
    ),
    rule(
        Action::DisableEnforcement,
        "Enforcement",
        "allow password logins again (the owner key is the break-glass)",
        ADMIN,
        OWNER_KEYS,
        true,
    ),
    on(Resource::Fleet, rule(Action::ViewFleets, "Fleets", "see the organization's fleets and devices", MEMBER, KEYS, true)),
    rule(Action::CreateFleet, "Fleets", "create an organization fleet", ADMIN, ADMIN_KEYS, true),
    on(Resource::Fleet, rule(Action::RenameFleet, "Fleets", "rename a fleet", ADMIN, ADMIN_KEYS, true)),
    on(Resource::Fleet, rule(Action::DeleteFleet, "Fleets", "delete a fleet", ADMIN, ADMIN_KEYS, true)),
    on(Resource::Fleet, rule(Action::AddDevice, "Fleets", "add a device", ADMIN, ADMIN_KEYS, true)),
    on(Resource::Device, rule(Action::RenameDevice, "Fleets", "rename a device", ADMIN, ADMIN_KEYS, true)),
    on(Resource::Device, rule(Action::DeleteDevice, "Fleets", "delete a device", ADMIN, ADMIN_KEYS, true)),
    on(Resource::Fleet, rule(
        Action::UsePersonalFleet,
        "Fleets",
        "create, see and change a personal fleet and its devices",
        Need::Themself,
        NO_KEYS,
        true,
    )),
];

/// The row of an action. Every action has one (a unit test checks), so the fallback is never taken.
pub fn permission(action: Action) -> Permission {
    PERMISSIONS
        .iter()
        .find(|p| p.action == action)
        .copied()
        .unwrap_or(rule(action, "", "do this", OWNER, NO_KEYS, false))
}

/// How the acting principal proved itself, as the table distinguishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A person with a browser session (password or SSO) or a personal API key.
    Person { personal_key: bool },
    /// An organization API key of this organization.
    OrganizationKey,
}

/// Whether an organization's single-sign-on-only rule is met by the principal's credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enforcement {
    /// The organization allows every way of signing in.
    Off,
    /// It allows only single sign-on, and this is an SSO session through one of its providers (or an
    /// organization key, which enforcement never covers).
    Met,
    /// It allows only single sign-on, and this is a password session, a session through another organization's
    /// provider, or a personal key.
    Unmet,
}

/// The facts of one request that the table is applied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub principal: Principal,
    /// The role held in the organization; `None` for a non-member (or another organization's key).
    pub role: Option<Role>,
    /// For [`Need::Themself`]: whether the resource is the principal's own.
    pub own: bool,
    /// For [`Need::Invited`]: whether the person holds an open invitation.
    pub invited: bool,
    pub enforcement: Enforcement,
}

/// What [`decide`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The resource does not exist for this principal (not a member; someone else's): 404, nothing revealed.
    Hidden,
    /// The organization allows only single sign-on and this credential is not one of its SSO sessions.
    SsoRequired,
    /// A person with too little standing, or a key where keys may not act: the row's refusal code.
    Denied,
}

/// The one decision: the permissions table applied to a subject.
pub fn decide(action: Action, subject: Subject) -> Decision {
    let rule = permission(action);
    match rule.people {
        Need::Themself => {
            return match (subject.principal, subject.own) {
                (Principal::OrganizationKey, _) => Decision::Denied,
                (Principal::Person { .. }, true) => Decision::Allow,
                (Principal::Person { .. }, false) => Decision::Hidden,
            }
        }
        Need::Invited => {
            return match subject.principal {
                Principal::OrganizationKey => Decision::Denied,
                Principal::Person { .. } if !subject.invited => Decision::Hidden,
                Principal::Person { .. } if subject.enforcement == Enforcement::Unmet => {
                    Decision::SsoRequired
                }
                Principal::Person { .. } => Decision::Allow,
            }
        }
        Need::Role(_) => {}
    }
    let Some(role) = subject.role else {
        return Decision::Hidden;
    };
    // A key acts only through the REST API: an action it cannot reach there is not its to take either.
    let by_key = matches!(
        subject.principal,
        Principal::OrganizationKey | Principal::Person { personal_key: true }
    );
    if by_key && !rule.rest {
        return Decision::Denied;
    }
    if role < rule.resource.seen_from() {
        return Decision::Hidden;
    }
    if rule.enforced && subject.enforcement == Enforcement::Unmet {
        return Decision::SsoRequired;
    }
    let least = match (subject.principal, rule.people, rule.organization_keys) {
        (Principal::OrganizationKey, _, None) => return Decision::Denied,
        (Principal::OrganizationKey, _, Some(least)) => least,
        (Principal::Person { .. }, Need::Role(least), _) => least,
        (Principal::Person { .. }, _, _) => return Decision::Denied,
    };
    if role >= least {
        Decision::Allow
    } else {
        Decision::Denied
    }
}

fn who(need: Need) -> &'static str {
    match need {
        Need::Role(Role::Owner) => "owners",
        Need::Role(Role::Admin) => "admins and owners",
        Need::Role(Role::Member) => "members",
        Need::Themself => "the person it belongs to",
        Need::Invited => "the person invited",
    }
}

/// The refusal a person reads for a denied action.
pub(in crate::server::services) fn denial(
    action: Action,
    principal: Principal,
    organization: &str,
) -> AppError {
    let rule = permission(action);
    let sentence = match principal {
        Principal::OrganizationKey => match rule.organization_keys {
            None => format!("An organization API key cannot {}.", rule.what),
            Some(least) => format!(
                "Only an organization API key with the {} role or higher can {}.",
                least.as_str(),
                rule.what
            ),
        },
        Principal::Person { .. } => {
            let place = if organization.is_empty() {
                String::new()
            } else {
                format!(" of {organization}")
            };
            format!("Only {}{place} can {}.", who(rule.people), rule.what)
        }
    };
    let message = match rule.why {
        Some(why) => format!("{sentence} ({why}.)"),
        None => sentence,
    };
    AppError::new(rule.refusal).with_message(message)
}

/// Gathers the facts of `actor` in `organization_id` and decides `action`; on success, the actor's standing there.
/// A refusal carries its code and a reason the person can read (for enforcement, where to sign in instead).
pub async fn authorize(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: Action,
    organization_id: i64,
) -> AppResult<Standing> {
    let organization = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::OrganizationNotFound))?;
    let (principal, role, enforcement) = facts(db, actor, &organization, false).await?;
    let subject = Subject {
        principal,
        role,
        own: false,
        invited: false,
        enforcement,
    };
    match decide(action, subject) {
        Decision::Allow => Ok(Standing {
            role: role.unwrap_or(Role::Member),
            organization,
            principal,
            enforcement,
        }),
        Decision::Hidden => Err(AppError::new(permission(action).resource.hidden_code())),
        Decision::SsoRequired => Err(enforcement_refusal(db, &organization, via(actor)).await),
        Decision::Denied => Err(denial(action, principal, &organization.name)),
    }
}

/// Whether the actor, already authorized in the organization (`standing` from [`authorize`]), may also take
/// `action` there: for a second, narrower rule of the same request (inviting an *owner*, say).
pub fn also(standing: &Standing, action: Action) -> AppResult<()> {
    let principal = standing.principal;
    let subject = Subject {
        principal: standing.principal,
        role: Some(standing.role),
        own: false,
        invited: false,
        enforcement: standing.enforcement,
    };
    match decide(action, subject) {
        Decision::Allow => Ok(()),
        Decision::Hidden => Err(AppError::new(permission(action).resource.hidden_code())),
        Decision::SsoRequired | Decision::Denied => {
            Err(denial(action, principal, &standing.organization.name))
        }
    }
}

/// [`also`] as a yes or no, for what a page offers.
pub fn also_permits(standing: &Standing, action: Action) -> bool {
    also(standing, action).is_ok()
}

pub(in crate::server::services) fn principal_of(actor: &Actor) -> Principal {
    match actor {
        Actor::Person { via, .. } => Principal::Person {
            personal_key: matches!(via, Credential::PersonalKey { .. }),
        },
        Actor::OrganizationKey { .. } => Principal::OrganizationKey,
    }
}

/// [`authorize`] for a person holding an open invitation to the organization (accepting it).
pub async fn authorize_invited(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization: &organization::Model,
) -> AppResult<()> {
    let (principal, _, enforcement) = facts(db, actor, organization, true).await?;
    let subject = Subject {
        principal,
        role: None,
        own: false,
        invited: true,
        enforcement,
    };
    match decide(Action::AcceptInvitation, subject) {
        Decision::Allow => Ok(()),
        Decision::Hidden => Err(AppError::new(ErrorCode::InvitationNotFound)),
        Decision::SsoRequired => Err(enforcement_refusal(db, organization, via(actor)).await),
        Decision::Denied => Err(denial(Action::AcceptInvitation, principal, "")),
    }
}

/// Decides an action on something that belongs to one person (a personal fleet): only they may, with a session or
/// a personal key. `hidden` is what a stranger is told (it does not exist for them).
pub fn authorize_own(
    actor: &Actor,
    action: Action,
    owner_id: i64,
    hidden: impl FnOnce() -> AppError,
) -> AppResult<i64> {
    let principal = principal_of(actor);
    let subject = Subject {
        principal,
        role: None,
        own: actor.person() == Some(owner_id),
        invited: false,
        enforcement: Enforcement::Off,
    };
    match decide(action, subject) {
        Decision::Allow => Ok(owner_id),
        Decision::Denied => Err(denial(action, principal, "")),
        Decision::Hidden | Decision::SsoRequired => Err(hidden()),
    }
}

/// Whether [`authorize`] would allow the action (for what a page offers; the action itself asks again).
pub async fn permits(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: Action,
    organization_id: i64,
) -> AppResult<bool> {
    match authorize(db, actor, action, organization_id).await {
        Ok(_) => Ok(true),
        Err(err) if err.code == ErrorCode::Internal => Err(err),
        Err(_) => Ok(false),
    }
}

/// The organizations the actor may see: a person's memberships where their credential meets the rules in force
/// (an organization that allows only single sign-on through a provider this session did not come from is left
/// out); an organization key's own.
pub async fn reachable_organizations(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> AppResult<Vec<i64>> {
    let candidates = match *actor {
        Actor::Person { user_id, .. } => membership_ids(db, user_id).await?,
        Actor::OrganizationKey {
            organization_id, ..
        } => vec![organization_id],
    };
    let mut reachable = Vec::with_capacity(candidates.len());
    for organization_id in candidates {
        if permits(db, actor, Action::ViewOrganization, organization_id).await? {
            reachable.push(organization_id);
        }
    }
    Ok(reachable)
}

fn via(actor: &Actor) -> Credential {
    match actor {
        Actor::Person { via, .. } => *via,
        Actor::OrganizationKey { .. } => Credential::PasswordSession,
    }
}

async fn facts(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization: &organization::Model,
    invited: bool,
) -> AppResult<(Principal, Option<Role>, Enforcement)> {
    let enforced = organization.sso_enforced_at.is_some();
    Ok(match *actor {
        Actor::Person { user_id, via } => {
            let role = if invited {
                None
            } else {
                role_in(db, user_id, organization.id).await?
            };
            let enforcement = if !enforced {
                Enforcement::Off
            } else if fits_enforcement(db, organization.id, via).await? {
                Enforcement::Met
            } else {
                Enforcement::Unmet
            };
            let personal_key = matches!(via, Credential::PersonalKey { .. });
            (Principal::Person { personal_key }, role, enforcement)
        }
        Actor::OrganizationKey {
            organization_id,
            role,
            ..
        } => {
            let role = (organization_id == organization.id).then_some(role);
            let enforcement = if enforced {
                Enforcement::Met
            } else {
                Enforcement::Off
            };
            (Principal::OrganizationKey, role, enforcement)
        }
    })
}

/// A column of the permissions reference: one kind of principal in one kind of organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub heading: &'static str,
    pub subject: Subject,
}

const fn person(role: Option<Role>, personal_key: bool, enforcement: Enforcement) -> Subject {
    Subject {
        principal: Principal::Person { personal_key },
        role,
        own: true,
        invited: true,
        enforcement,
    }
}

const fn key(role: Option<Role>) -> Subject {
    Subject {
        principal: Principal::OrganizationKey,
        role,
        own: false,
        invited: false,
        enforcement: Enforcement::Off,
    }
}

/// The reference's columns, in order. The first eight are an organization that allows every way of signing in;
/// the last three one that allows only single sign-on, for an admin signing in three ways. (A password session is
/// refused the same way as a session of another organization's provider; switching enforcement on ends the
/// members' password sessions and refuses their password logins, so no member holds one to walk.) For a personal fleet the
/// person columns are its owner, and the non-member someone else; for an invitation, the non-member is the person
/// invited.
pub const COLUMNS: &[Column] = &[
    Column {
        heading: "Owner",
        subject: person(Some(Role::Owner), false, Enforcement::Off),
    },
    Column {
        heading: "Admin",
        subject: person(Some(Role::Admin), false, Enforcement::Off),
    },
    Column {
        heading: "Member",
        subject: person(Some(Role::Member), false, Enforcement::Off),
    },
    Column {
        heading: "Non-member",
        subject: Subject {
            own: false,
            ..person(None, false, Enforcement::Off)
        },
    },
    Column {
        heading: "Owner key",
        subject: key(Some(Role::Owner)),
    },
    Column {
        heading: "Admin key",
        subject: key(Some(Role::Admin)),
    },
    Column {
        heading: "Member key",
        subject: key(Some(Role::Member)),
    },
    Column {
        heading: "Admin's personal key",
        subject: person(Some(Role::Admin), true, Enforcement::Off),
    },
    Column {
        heading: "SSO only: admin, SSO session of its IdP",
        subject: person(Some(Role::Admin), false, Enforcement::Met),
    },
    Column {
        heading: "SSO only: admin, SSO session of another organization's IdP",
        subject: person(Some(Role::Admin), false, Enforcement::Unmet),
    },
    Column {
        heading: "SSO only: admin's personal key",
        subject: person(Some(Role::Admin), true, Enforcement::Unmet),
    },
];

/// What a cell of the reference says: allowed, refused with a code, out of the credential's reach (an API key
/// reaches only the REST API, a browser session only the browser's calls), or not applicable (a member holds no
/// invitation to their own organization).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Allowed,
    Refused(ErrorCode),
    NoRoute,
    NotApplicable,
}

/// The cell of `action` in `column`.
pub fn cell(action: Action, column: &Column) -> Cell {
    let by_key = matches!(
        column.subject.principal,
        Principal::OrganizationKey | Principal::Person { personal_key: true }
    );
    if by_key && !permission(action).rest {
        return Cell::NoRoute;
    }
    if permission(action).people == Need::Invited && column.subject.role.is_some() {
        return Cell::NotApplicable;
    }
    match decide(action, column.subject) {
        Decision::Allow => Cell::Allowed,
        Decision::Hidden => Cell::Refused(permission(action).resource.hidden_code()),
        Decision::SsoRequired => Cell::Refused(ErrorCode::SsoEnforced),
        Decision::Denied => Cell::Refused(permission(action).refusal),
    }
}

/// The permissions reference as Markdown (the README embeds it; a unit test keeps the two equal).
pub fn reference() -> String {
    let mut out = String::from("| Action |");
    for column in COLUMNS {
        let _ = write!(out, " {} |", column.heading);
    }
    out.push_str("\n|---|");
    for _ in COLUMNS {
        out.push_str(":-:|");
    }
    out.push('\n');
    let mut area = "";
    for rule in PERMISSIONS {
        if rule.area != area {
            area = rule.area;
            let _ = write!(out, "| **{area}** |");
            for _ in COLUMNS {
                out.push_str(" |");
            }
            out.push('\n');
        }
        let _ = write!(out, "| {} |", capitalized(rule.what));
        for column in COLUMNS {
            let text = match cell(rule.action, column) {
                Cell::Allowed => "✓".to_owned(),
                Cell::Refused(code) => format!("`{}`", code.as_str()),
                Cell::NoRoute => "–".to_owned(),
                Cell::NotApplicable => "n/a".to_owned(),
            };
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_row() {
        for rule in PERMISSIONS {
            let rows = PERMISSIONS
                .iter()
                .filter(|p| p.action == rule.action)
                .count();
            assert_eq!(rows, 1, "{:?}", rule.action);
            assert!(!rule.area.is_empty() && !rule.what.is_empty());
        }
        assert_eq!(PERMISSIONS.len(), 56);
    }

    #[test]
    fn keys_act_only_where_the_rest_api_reaches() {
        for rule in PERMISSIONS {
            if rule.organization_keys.is_some() {
                assert!(
                    rule.rest,
                    "{:?} allows keys but has no REST route",
                    rule.action
                );
            }
        }
    }

    #[test]
    fn the_readme_carries_the_reference() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let begin = "<!-- permissions:begin -->\n";
        let end = "<!-- permissions:end -->";
        let start = readme.find(begin).unwrap() + begin.len();
        let stop = readme.find(end).unwrap();
        // `BLESS=1 cargo test --features ssr --lib authz` rewrites the README's copy after a change to the table.
        if std::env::var_os("BLESS").is_some() {
            let updated = format!("{}{}{}", &readme[..start], reference(), &readme[stop..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert!(
            readme[start..stop] == reference(),
            "the README's permissions reference differs from the table: run `BLESS=1 cargo test --features ssr --lib authz`"
        );
    }

    #[test]
    fn enforcement_never_stops_leaving_and_never_covers_keys() {
        let unmet = person(Some(Role::Member), false, Enforcement::Unmet);
        assert_eq!(decide(Action::LeaveOrganization, unmet), Decision::Allow);
        assert_eq!(
            decide(Action::ViewOrganization, unmet),
            Decision::SsoRequired
        );
        let break_glass = Subject {
            enforcement: Enforcement::Met,
            ..key(Some(Role::Owner))
        };
        assert_eq!(
            decide(Action::DisableEnforcement, break_glass),
            Decision::Allow
        );
        assert_eq!(
            decide(Action::DisableEnforcement, key(Some(Role::Admin))),
            Decision::Denied
        );
    }
}
