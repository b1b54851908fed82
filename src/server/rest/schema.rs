//! The REST API's request and response bodies: its public contract, described in the OpenAPI document. Built from
//! the services' view models, so pages and API agree on the facts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::shared::error::AppError;
use crate::shared::models::{
    DeviceView, FleetOwner, FleetSummary, IdentityProviderSummary, MemberView, SamlAccountView,
    TeamView,
};

/// Every failure: a stable code (never renamed), a message for people, and the input field it concerns.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "api_key.revoked")]
    pub code: String,
    #[schema(example = "This API key was revoked.")]
    pub message: String,
    pub field: Option<String>,
}

impl From<&AppError> for ErrorBody {
    fn from(err: &AppError) -> Self {
        Self {
            code: err.code.as_str().to_owned(),
            message: err.message.clone(),
            field: err.field.clone(),
        }
    }
}

/// Which page of a list to return.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 100 (default 50).
    pub per_page: Option<u64>,
}

/// Where a page sits in the whole list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageInfo {
    pub page: u64,
    pub per_page: u64,
    /// Items in the whole list.
    pub total: u64,
    /// The next page's number, if there is one.
    pub next_page: Option<u64>,
}

/// Declares a page type for a list of `$item`s (OpenAPI has no generics).
macro_rules! page_of {
    ($name:ident, $item:ty) => {
        #[derive(Serialize, ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            pub pagination: PageInfo,
        }
    };
}

page_of!(OrganizationPage, OrganizationOut);
page_of!(MemberPage, MemberOut);
page_of!(TeamPage, TeamOut);
page_of!(FleetPage, FleetOut);
page_of!(DevicePage, DeviceOut);
page_of!(IdentityProviderPage, IdentityProviderOut);
page_of!(SamlAccountPage, SamlAccountOut);

/// The caller: a person (through a personal key) or an organization key.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// `person` or `organization_key`.
    #[schema(example = "person")]
    pub kind: String,
    /// For a personal key.
    pub person: Option<PersonOut>,
    /// For an organization key: its organization and role.
    pub organization: Option<OrganizationRef>,
    pub role: Option<String>,
    pub key: KeyOut,
}

#[derive(Serialize, ToSchema)]
pub struct PersonOut {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub two_factor_enabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationRef {
    pub id: i64,
    pub name: String,
    pub handle: String,
}

/// The key making the request (never its secret).
#[derive(Serialize, ToSchema)]
pub struct KeyOut {
    pub name: String,
    #[schema(example = "pc_abcdefghjkmn")]
    pub prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationOut {
    pub id: i64,
    pub name: String,
    pub handle: String,
    /// The caller's role in it: `owner`, `admin` or `member`.
    pub role: String,
    pub member_count: u64,
    pub require_two_factor: bool,
    /// `saml` while members may sign in only by SSO; `null` otherwise.
    pub enforce_authentication_method: Option<String>,
}

/// `PUT /api/v1/organizations/{id}`: `{"enforce_authentication_method": null}` switches SSO enforcement off (an
/// organization key with the owner role: the break-glass). Switching it on needs a person's fresh SSO login, on the
/// organization's Security page.
#[derive(serde::Deserialize, ToSchema)]
pub struct OrganizationUpdate {
    pub enforce_authentication_method: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

impl From<MemberView> for MemberOut {
    fn from(m: MemberView) -> Self {
        Self {
            user_id: m.user_id,
            name: m.name,
            email: m.email,
            role: m.role.as_str().to_owned(),
            joined_at: m.joined_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TeamOut {
    pub id: i64,
    pub name: String,
    pub members: Vec<TeamMemberOut>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamMemberOut {
    pub user_id: i64,
    pub name: String,
    pub email: String,
}

impl From<TeamView> for TeamOut {
    fn from(t: TeamView) -> Self {
        Self {
            id: t.id,
            name: t.name,
            members: t
                .members
                .into_iter()
                .map(|m| TeamMemberOut {
                    user_id: m.user_id,
                    name: m.name,
                    email: m.email,
                })
                .collect(),
        }
    }
}

/// Who a fleet belongs to.
#[derive(Serialize, ToSchema)]
pub struct OwnerOut {
    /// `user` or `organization`.
    pub kind: String,
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct FleetOut {
    pub id: i64,
    pub name: String,
    pub owner: OwnerOut,
    pub device_count: u64,
    /// Whether the caller may change it.
    pub can_manage: bool,
}

impl From<FleetSummary> for FleetOut {
    fn from(f: FleetSummary) -> Self {
        let owner = match f.owner {
            FleetOwner::User { id, name } => OwnerOut {
                kind: "user".into(),
                id,
                name,
            },
            FleetOwner::Organization { id, name } => OwnerOut {
                kind: "organization".into(),
                id,
                name,
            },
        };
        Self {
            id: f.id,
            name: f.name,
            owner,
            device_count: f.device_count,
            can_manage: f.can_manage,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeviceOut {
    pub id: i64,
    pub fleet_id: i64,
    /// 32 lowercase hexadecimal digits.
    pub uuid: String,
    pub name: String,
    pub status: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeviceView> for DeviceOut {
    fn from(d: DeviceView) -> Self {
        Self {
            id: d.id,
            fleet_id: d.fleet_id,
            uuid: d.uuid,
            name: d.name,
            status: d.status,
            last_seen_at: d.last_seen_at,
            created_at: d.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct IdentityProviderOut {
    pub id: i64,
    /// The SSO identifier; people log in at `/saml/{identifier}`.
    pub identifier: String,
    pub name: String,
    pub entity_id: String,
    pub linked_accounts: u64,
    /// The earliest expiry among its signing certificates.
    pub certificate_expires_at: Option<DateTime<Utc>>,
}

impl From<IdentityProviderSummary> for IdentityProviderOut {
    fn from(i: IdentityProviderSummary) -> Self {
        Self {
            id: i.id,
            identifier: i.identifier,
            name: i.name,
            entity_id: i.entity_id,
            linked_accounts: i.linked_accounts,
            certificate_expires_at: i.certificate_expires_at,
        }
    }
}

/// An account that signs in through an identity provider, keyed on the provider's NameID.
#[derive(Serialize, ToSchema)]
pub struct SamlAccountOut {
    /// The NameID the identity provider asserts (`remote_id` in balena's terms).
    pub remote_id: String,
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub linked_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<SamlAccountView> for SamlAccountOut {
    fn from(a: SamlAccountView) -> Self {
        Self {
            remote_id: a.remote_id,
            user_id: a.user_id,
            name: a.name,
            email: a.email,
            linked_at: a.linked_at,
            last_login_at: a.last_login_at,
        }
    }
}

/// A new fleet: personal (a personal key only) or for an organization the caller manages.
#[derive(Deserialize, ToSchema)]
pub struct NewFleet {
    pub name: String,
    /// Omit for a personal fleet.
    pub organization_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewDevice {
    pub name: String,
    /// 32 hexadecimal digits (dashes allowed); omit to have one generated.
    pub uuid: Option<String>,
}

/// A new name for a fleet, device or team.
#[derive(Deserialize, ToSchema)]
pub struct Rename {
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewTeam {
    pub name: String,
}

/// The id of something just created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}
