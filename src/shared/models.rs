//! View models: what pages receive from the server. Plain data, compiled for the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A person's role in an organization, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    /// Admins and owners manage the organization's people, teams and fleets.
    pub fn can_manage(self) -> bool {
        self >= Role::Admin
    }
}

/// The signed-in person, as every page sees them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub has_password: bool,
}

/// What every page needs to know about the browser: who is signed in and the CSRF token for its forms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub user: Option<CurrentUser>,
    pub csrf_token: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganizationSummary {
    pub id: i64,
    pub name: String,
    pub handle: String,
    pub my_role: Role,
    pub member_count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    pub members: Vec<TeamMemberView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamMemberView {
    pub user_id: i64,
    pub name: String,
    pub email: String,
}

/// Everything the organization page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganizationDetail {
    pub summary: OrganizationSummary,
    /// Members who log in with a password must use 2FA.
    pub require_two_factor: bool,
    pub members: Vec<MemberView>,
    pub invitations: Vec<InvitationView>,
    pub teams: Vec<TeamView>,
    pub fleets: Vec<FleetSummary>,
    /// The organization's identity providers; only admins and owners see them (empty for members).
    pub identity_providers: Vec<IdentityProviderSummary>,
    /// The organization's API keys; only admins and owners see them (empty for members).
    pub api_keys: Vec<ApiKeyView>,
    /// The organization's claimed email domains; only admins and owners see them (empty for members).
    pub domains: Vec<DomainView>,
}

/// An invitation as its recipient sees it before accepting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<String>,
    pub expired: bool,
    pub accepted: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FleetOwner {
    User { id: i64, name: String },
    Organization { id: i64, name: String },
}

impl FleetOwner {
    pub fn label(&self) -> String {
        match self {
            FleetOwner::User { name, .. } => format!("{name} (personal)"),
            FleetOwner::Organization { name, .. } => name.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetSummary {
    pub id: i64,
    pub name: String,
    pub owner: FleetOwner,
    pub device_count: u64,
    pub can_manage: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: i64,
    pub fleet_id: i64,
    pub uuid: String,
    pub name: String,
    pub status: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetDetail {
    pub fleet: FleetSummary,
    pub devices: Vec<DeviceView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceDetail {
    pub fleet: FleetSummary,
    pub device: DeviceView,
}

/// The dashboard: my fleets and my organizations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub fleets: Vec<FleetSummary>,
    pub organizations: Vec<OrganizationSummary>,
}

/// A signed-in browser in the preferences' "Signed-in devices" list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub auth_method: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub current: bool,
}

/// An identity provider in an organization's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentityProviderSummary {
    pub id: i64,
    pub identifier: String,
    pub name: String,
    pub entity_id: String,
    pub linked_accounts: u64,
    /// The earliest expiry among its certificates.
    pub certificate_expires_at: Option<DateTime<Utc>>,
}

/// A registered signing certificate, as administrators see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateView {
    pub fingerprint_sha256: String,
    pub subject: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Days until expiry (negative once expired), for the warning shown 30 days ahead.
    pub days_left: i64,
}

/// An organization an identity provider signs people into.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdpOrganizationView {
    pub organization_id: i64,
    pub organization_name: String,
    pub default_team_id: Option<i64>,
    pub default_team_name: Option<String>,
    /// Whether the viewer administers it (only those can be removed or changed by the viewer).
    pub administered: bool,
    /// Its teams, for the default-team choice (only when the viewer administers it).
    pub teams: Vec<TeamOption>,
}

/// A team as a choice in a form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamOption {
    pub id: i64,
    pub name: String,
}

/// What an administrator pastes into the identity provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceProviderInfo {
    pub entity_id: String,
    pub acs_url: String,
    pub login_url: String,
    pub metadata_url: String,
}

/// Everything about one identity provider, for its view and edit pages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentityProviderDetail {
    pub id: i64,
    pub identifier: String,
    pub name: String,
    pub entity_id: String,
    pub sso_url: String,
    /// `redirect` or `post`.
    pub sso_binding: String,
    /// `email` or `persistent`.
    pub name_id_format: String,
    pub clock_skew_seconds: i32,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    pub allow_jit_accounts: bool,
    pub allow_merge: bool,
    pub allow_pre_provisioned: bool,
    /// How long an SSO session lasts, in hours (1 to 24).
    pub session_lifetime_hours: i32,
    pub revision: i32,
    pub has_metadata: bool,
    pub certificates: Vec<CertificateView>,
    pub organizations: Vec<IdpOrganizationView>,
    pub service_provider: ServiceProviderInfo,
    pub linked_accounts: u64,
    /// The linked accounts the viewer's organizations include.
    pub saml_accounts: Vec<SamlAccountView>,
    /// The latest refused logins, newest first, with the diagnosis only administrators see.
    pub recent_failures: Vec<LoginFailureView>,
    /// False when the provider also serves an organization whose identity providers the viewer may not see: its
    /// refused logins (other organizations' people among them) are not shown.
    pub failures_visible: bool,
    /// Whether the viewer owns every organization the provider serves, and so may change who it lets in (its
    /// source, certificates and settings); everyone else who sees it reads them only.
    pub can_configure: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A refused SSO login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginFailureView {
    pub code: String,
    pub diagnosis: String,
    pub ip_address: Option<String>,
    pub at: DateTime<Utc>,
}

/// Whether the account has two-factor authentication on, for preferences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: u64,
}

/// What an authenticator app needs to add the account: a QR code (`data:` URL of an SVG) and the same secret as text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorEnrolment {
    pub secret: String,
    pub uri: String,
    pub qr_code: String,
}

/// Where a login stands after a factor was accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LoginStep {
    /// Signed in; go on to this path.
    SignedIn { next: String },
    /// Enter a code from the authenticator app (or a recovery code).
    SecondFactor,
    /// An organization requires 2FA: set it up now to finish logging in.
    Enrolment,
}

/// The second step of a login, as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginChallengeView {
    pub step: LoginStep,
    pub email: String,
    /// During enrolment: the secret to add to the authenticator app.
    pub enrolment: Option<TwoFactorEnrolment>,
    /// The organizations that require 2FA, named on the enrolment page.
    pub required_by: Vec<String>,
}

/// Finishing enrolment at login: the recovery codes (shown once) and where to go next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrolledAtLogin {
    pub recovery_codes: Vec<String>,
    pub next: String,
}

/// An API key as lists show it (never its secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The recognisable start of the key, `pc_<public id>`.
    pub prefix: String,
    /// For organization keys.
    pub role: Option<Role>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expired: bool,
}

/// A key just created: the only time its full value is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    pub secret: String,
}

/// The preferences page's API key section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonalApiKeys {
    /// False for accounts that sign in with SSO; the page explains why.
    pub allowed: bool,
    pub keys: Vec<ApiKeyView>,
}

/// An account linked to a SAML identity of an identity provider, for its administrators.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamlAccountView {
    /// The NameID the identity provider asserts for the person.
    pub remote_id: String,
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub linked_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// A claimed domain, as its organization's administrators see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainView {
    pub id: i64,
    pub domain: String,
    /// The TXT record to create: its name and value.
    pub record_name: String,
    pub record_value: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_check_result: Option<String>,
}

/// What "Enable Enterprise SSO" will do to the signed-in account, shown before the person consents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergePreview {
    pub sso_identifier: String,
    pub identity_provider: String,
    pub email: String,
    /// The organizations of the identity provider; one receives the fleets.
    pub organizations: Vec<MergeOrganization>,
    /// Personal API keys that will be deleted: name and public prefix.
    pub api_keys: Vec<String>,
    pub fleets: Vec<MergeFleet>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeOrganization {
    pub id: i64,
    pub name: String,
}

/// A fleet that moves (or moved) to the company organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeFleet {
    pub name: String,
    /// Its name in the organization, when the organization already had a fleet of the same name.
    pub renamed_to: Option<String>,
    pub device_count: u64,
}

/// What "Enable Enterprise SSO" changed, for the receipt page and email.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeReceipt {
    pub sso_identifier: String,
    pub identity_provider: String,
    pub organization: String,
    pub email: String,
    pub deleted_api_keys: Vec<String>,
    pub transferred_fleets: Vec<MergeFleet>,
    pub merged_at: DateTime<Utc>,
}

/// SSO enforcement of an organization, for its Security page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnforcementStatus {
    pub organization_id: i64,
    pub organization_name: String,
    pub my_role: Role,
    /// When "Only allow login through my identity provider" was switched on; `None` while off.
    pub enforced_at: Option<DateTime<Utc>>,
    /// Active organization API keys with the owner role (the break-glass).
    pub break_glass_keys: u64,
    /// The SSO login URLs of the organization's identity providers.
    pub login_urls: Vec<String>,
    /// Where the break-glass key switches enforcement off (`PUT`).
    pub api_url: String,
    /// Why the viewer cannot switch enforcement on now (empty when they can).
    pub blockers: Vec<String>,
}

/// One security event, as the audit log shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `area.event`, e.g. `login.password`.
    pub action: String,
    /// `success`, or the refusal's error code.
    pub outcome: String,
    /// Who did it: a person (`Name <email>`) or an organization API key; `None` when nobody was known yet.
    pub actor: Option<String>,
    /// Whom it concerns.
    pub subject: Option<String>,
    pub detail: String,
    pub ip_address: Option<String>,
}

/// An organization's audit log, for its owners.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganizationAudit {
    pub organization_id: i64,
    pub organization_name: String,
    pub events: Vec<AuditEventView>,
}

/// The kinds of event a reader can filter on: the action prefix and its label.
pub const AUDIT_CATEGORIES: &[(&str, &str)] = &[
    ("login", "Sign-ins"),
    ("sso", "SSO enforcement"),
    ("account", "Account merges"),
    ("saml_account", "SAML accounts"),
    ("two_factor", "Two-factor authentication"),
    ("api_key", "API keys"),
    ("identity_provider", "Identity providers"),
    ("role_mapping", "Role mappings"),
    ("domain", "Domains"),
];

/// A role mapping, for its organization's admins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleMappingView {
    pub id: i64,
    pub name: String,
    /// The organization role it grants, if any.
    pub role: Option<Role>,
    pub team_ids: Vec<i64>,
    /// `all` or `any`.
    pub kind: String,
    pub patterns: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

/// What the organization's role mappings would grant for typed groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappingPreview {
    pub groups: Vec<String>,
    /// `None` when no mapping grants a role (roles are then left as they are).
    pub role: Option<Role>,
    pub teams: Vec<String>,
    /// Names of the matching mappings.
    pub matched: Vec<String>,
    pub has_mappings: bool,
}

/// An organization's role mappings page: its mappings, and its teams to grant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleMappingsPage {
    pub organization_id: i64,
    pub organization_name: String,
    pub my_role: Role,
    pub mappings: Vec<RoleMappingView>,
    pub teams: Vec<TeamOption>,
}
