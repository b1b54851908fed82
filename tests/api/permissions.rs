//! The permissions table, cell by cell, through the real app on every database: for every action of the
//! authorization kernel's table and every column of the README's reference (owner, admin, member, non-member, each
//! organization-key role, a personal key, and, in an organization that allows only single sign-on, an admin's SSO
//! session through its provider, one through another organization's provider, and a personal key), the action is
//! taken over HTTP the way that principal can reach it (browser calls for sessions, the REST API for keys) and its
//! outcome must be the cell's: done, or refused with the cell's code. A key on an action without a REST route
//! posts the browser call with its key and is turned away.

use portcullis::server::services::authz::{cell, Action, Cell, Column, COLUMNS, PERMISSIONS};
use serde_json::{json, Value};

use crate::enforcement::create_key;
use crate::helpers::{backends, join_organization, member_id, token_of, Browser};
use crate::sso::{metadata, provision, register, setup, sso_login, Setup, IDENTIFIER};
use crate::trust::{change_role, sso_login_at};

/// How a principal acts.
#[derive(Clone)]
enum Who {
    Session { browser: Browser, email: String },
    Key(String),
}

/// What came of an attempt.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Refused(String),
}

/// A browser call (`endpoint`, its form; `read`: no CSRF token) and, where keys can reach the action, its REST
/// request (method, path, body).
struct Attempt {
    endpoint: &'static str,
    form: Vec<(String, String)>,
    read: bool,
    rest: Option<(&'static str, String, Option<Value>)>,
}

impl Attempt {
    fn call(endpoint: &'static str, form: &[(&str, String)]) -> Self {
        Attempt {
            endpoint,
            form: form
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            read: false,
            rest: None,
        }
    }

    fn read(endpoint: &'static str, form: &[(&str, String)]) -> Self {
        Attempt {
            read: true,
            ..Attempt::call(endpoint, form)
        }
    }

    fn rest(mut self, method: &'static str, path: String, body: Option<Value>) -> Self {
        self.rest = Some((method, path, body));
        self
    }
}

/// The organization under test and everyone in it.
struct World {
    setup: Setup,
    org: i64,
    /// Prepares targets with owner rights: Ada (password) before enforcement, Olga (SSO owner) after.
    preparer: Browser,
    /// Another organization of the preparer's (to share providers with).
    preparer_org: i64,
    /// Carol, a member: whom team rows add and remove.
    carol_id: String,
    /// An organization fleet and a personal fleet of Ada's.
    fleet_id: i64,
    personal_fleet_id: i64,
    counter: std::cell::Cell<u32>,
}

impl World {
    fn fresh(&self, prefix: &str) -> String {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        format!("{prefix}{n}")
    }

    fn org(&self) -> String {
        self.org.to_string()
    }

    async fn prepare(&self, endpoint: &str, form: &[(&str, String)]) -> Value {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = self.preparer.call(endpoint, &form).await;
        reply.assert_ok();
        reply.body.clone()
    }

    async fn provision(&self, role: &str) -> (String, String) {
        let email = format!("{}@corp.example", self.fresh("p"));
        self.prepare(
            "add_provisioned_member",
            &[
                ("organization_id", self.org()),
                ("email", email.clone()),
                ("name", "Pre Provisioned".into()),
                ("role", role.into()),
            ],
        )
        .await;
        let id = member_id(&self.preparer, &self.org(), &email).await;
        (email, id)
    }

    async fn invitation(&self, role: &str) -> String {
        let email = format!("{}@elsewhere.example", self.fresh("i"));
        self.prepare(
            "invite_member",
            &[
                ("organization_id", self.org()),
                ("email", email.clone()),
                ("role", role.into()),
            ],
        )
        .await;
        let detail = self
            .preparer
            .call_raw("organization", &[("organization_id", &self.org())])
            .await
            .body;
        detail["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["email"] == email.as_str())
            .unwrap()["id"]
            .to_string()
    }

    async fn team(&self) -> String {
        let name = self.fresh("team-");
        self.prepare(
            "create_team",
            &[("organization_id", self.org()), ("name", name.clone())],
        )
        .await;
        let detail = self
            .preparer
            .call_raw("organization", &[("organization_id", &self.org())])
            .await
            .body;
        detail["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name.as_str())
            .unwrap()["id"]
            .to_string()
    }

    /// A provider registered for the organization (and, with `shared`, for the preparer's other one too).
    async fn provider(&self, shared: bool) -> String {
        let identifier = self.fresh("idp-");
        self.prepare(
            "create_identity_provider",
            &provider_form(self.org, &identifier),
        )
        .await;
        if shared {
            self.prepare(
                "set_identity_provider_organization",
                &[
                    ("identifier", identifier.clone()),
                    ("organization_id", self.preparer_org.to_string()),
                ],
            )
            .await;
        }
        identifier
    }

    /// A SAML account through the setup's provider, of a pre-provisioned person with `role`.
    /// (The role is given after the login: role mappings the walk made apply at each login.)
    async fn saml_account(&self, role: &str) -> String {
        let (email, _) = self.provision("member").await;
        let browser = self.setup.app.browser();
        let answer = sso_login(&self.setup, &browser, &email, &self.fresh("_perm-")).await;
        assert_eq!(answer.status().as_u16(), 303);
        change_role(&self.preparer, self.org, &email, role).await;
        email
    }

    async fn device(&self) -> String {
        self.prepare(
            "add_device",
            &[
                ("fleet_id", self.fleet_id.to_string()),
                ("name", self.fresh("device-")),
            ],
        )
        .await
        .to_string()
    }

    async fn fleet(&self) -> String {
        self.prepare(
            "create_fleet",
            &[("name", self.fresh("fleet-")), ("owner", self.org())],
        )
        .await
        .to_string()
    }
}

fn provider_form(organization_id: i64, identifier: &str) -> Vec<(&'static str, String)> {
    vec![
        ("organization_id", organization_id.to_string()),
        ("name", format!("IdP {identifier}")),
        ("identifier", identifier.to_owned()),
        ("source", "metadata".into()),
        ("metadata", metadata()),
        ("name_id_format", "email".into()),
        ("allow_pre_provisioned", "on".into()),
    ]
}

/// Prepares the target of `action` and says how to take it.
async fn attempt_for(w: &World, action: Action, who: &Who) -> Attempt {
    let org = w.org();
    let orgs = format!("/api/v1/organizations/{org}");
    match action {
        Action::ViewOrganization => {
            Attempt::read("organization", &[("organization_id", org)]).rest("GET", orgs, None)
        }
        Action::RenameOrganization => Attempt::call(
            "rename_organization",
            &[("organization_id", org), ("name", "Acme Corp".into())],
        ),
        Action::RequireTwoFactor => {
            Attempt::call("set_require_two_factor", &[("organization_id", org)])
        }
        Action::ViewAuditLog => {
            Attempt::read("organization_audit_log", &[("organization_id", org)])
        }
        Action::ViewMembers => Attempt::read("organization", &[("organization_id", org)]).rest(
            "GET",
            format!("{orgs}/members"),
            None,
        ),
        Action::InviteMember | Action::InviteOwner => Attempt::call(
            "invite_member",
            &[
                ("organization_id", org),
                ("email", format!("{}@elsewhere.example", w.fresh("new"))),
                ("role", role_of(action, Action::InviteOwner)),
            ],
        ),
        Action::AddProvisionedMember | Action::AddProvisionedOwner => Attempt::call(
            "add_provisioned_member",
            &[
                ("organization_id", org),
                ("email", format!("{}@corp.example", w.fresh("new"))),
                ("name", "New Person".into()),
                ("role", role_of(action, Action::AddProvisionedOwner)),
            ],
        ),
        Action::RevokeInvitation | Action::RevokeOwnerInvitation => {
            let id = w
                .invitation(&role_of(action, Action::RevokeOwnerInvitation))
                .await;
            Attempt::call(
                "revoke_invitation",
                &[("organization_id", org), ("invitation_id", id)],
            )
        }
        Action::ChangeMemberRole | Action::ChangeOwnerRole => {
            let (_, id) = w.provision("member").await;
            let to = if action == Action::ChangeOwnerRole {
                "owner"
            } else {
                "admin"
            };
            Attempt::call(
                "change_member_role",
                &[
                    ("organization_id", org),
                    ("user_id", id),
                    ("role", to.into()),
                ],
            )
        }
        Action::RemoveMember | Action::RemoveOwner => {
            let (_, id) = w.provision(&role_of(action, Action::RemoveOwner)).await;
            Attempt::call(
                "remove_member",
                &[("organization_id", org), ("user_id", id)],
            )
        }
        Action::LeaveOrganization => {
            // The person leaves themself (a non-member "leaves" Bob's membership: not theirs to end).
            let user_id = match who {
                Who::Session { browser, email } if !email.starts_with("dave") => {
                    browser.visit().await["user"]["id"].to_string()
                }
                _ => member_id(&w.preparer, &org, "bob@corp.example").await,
            };
            Attempt::call(
                "remove_member",
                &[("organization_id", org), ("user_id", user_id)],
            )
        }
        Action::AcceptInvitation => {
            // Only reached for the non-member column: a person holding an invitation.
            let email = match who {
                Who::Session { email, .. } => email.clone(),
                Who::Key(_) => "nobody@elsewhere.example".into(),
            };
            w.prepare(
                "invite_member",
                &[
                    ("organization_id", org),
                    ("email", email.clone()),
                    ("role", "member".into()),
                ],
            )
            .await;
            let mail = w.setup.app.mail.wait_for(&email, "Join ").await;
            Attempt::call(
                "accept_invitation",
                &[("token", token_of(&mail.link_path()))],
            )
        }
        Action::ViewTeams => Attempt::read("organization", &[("organization_id", org)]).rest(
            "GET",
            format!("{orgs}/teams"),
            None,
        ),
        Action::CreateTeam => {
            let name = w.fresh("team-");
            Attempt::call(
                "create_team",
                &[("organization_id", org), ("name", name.clone())],
            )
            .rest(
                "POST",
                format!("{orgs}/teams"),
                Some(json!({ "name": name })),
            )
        }
        Action::RenameTeam => {
            let team = w.team().await;
            let name = w.fresh("renamed-");
            Attempt::call(
                "rename_team",
                &[
                    ("organization_id", org),
                    ("team_id", team.clone()),
                    ("name", name.clone()),
                ],
            )
            .rest(
                "PATCH",
                format!("{orgs}/teams/{team}"),
                Some(json!({ "name": name })),
            )
        }
        Action::DeleteTeam => {
            let team = w.team().await;
            Attempt::call(
                "delete_team",
                &[("organization_id", org), ("team_id", team.clone())],
            )
            .rest("DELETE", format!("{orgs}/teams/{team}"), None)
        }
        Action::AddTeamMember | Action::RemoveTeamMember => {
            let team = w.team().await;
            let form = [
                ("organization_id", org),
                ("team_id", team),
                ("user_id", w.carol_id.clone()),
            ];
            if action == Action::RemoveTeamMember {
                w.prepare("add_team_member", &form).await;
                Attempt::call("remove_team_member", &form)
            } else {
                Attempt::call("add_team_member", &form)
            }
        }
        Action::ViewDomains => Attempt::read("organization", &[("organization_id", org)]),
        Action::ClaimDomain => Attempt::call(
            "claim_domain",
            &[
                ("organization_id", org),
                ("domain", format!("{}.example", w.fresh("claim"))),
            ],
        ),
        Action::VerifyDomain | Action::RemoveDomain => {
            let claimed = w
                .prepare(
                    "claim_domain",
                    &[
                        ("organization_id", org.clone()),
                        ("domain", format!("{}.example", w.fresh("claimed"))),
                    ],
                )
                .await;
            let endpoint = if action == Action::VerifyDomain {
                "verify_domain"
            } else {
                "remove_domain"
            };
            Attempt::call(
                endpoint,
                &[
                    ("organization_id", org),
                    ("domain_id", claimed["id"].to_string()),
                ],
            )
        }
        Action::ViewIdentityProviders => Attempt::read(
            "organization_identity_providers",
            &[("organization_id", org)],
        )
        .rest("GET", format!("{orgs}/identity-providers"), None),
        Action::RegisterIdentityProvider => Attempt::call(
            "create_identity_provider",
            &provider_form(w.org, &w.fresh("new-idp-")),
        ),
        Action::ConfigureIdentityProvider => {
            let identifier = w.provider(false).await;
            Attempt::call(
                "update_identity_provider",
                &[
                    ("current_identifier", identifier.clone()),
                    ("name", "Reconfigured".into()),
                    ("identifier", identifier),
                    ("name_id_format", "email".into()),
                    ("allow_pre_provisioned", "on".into()),
                    ("allow_idp_initiated", "on".into()),
                ],
            )
        }
        Action::LinkIdentityProvider => {
            // The principal's own provider, in an organization of their own, offered to this one.
            let identifier = w.fresh("own-idp-");
            if let Who::Session { browser, .. } = who {
                let own = browser
                    .call("create_organization", &[("name", &w.fresh("Own Co "))])
                    .await;
                own.assert_ok();
                let form = provider_form(own.body.as_i64().unwrap(), &identifier);
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                browser
                    .call("create_identity_provider", &form)
                    .await
                    .assert_ok();
            }
            Attempt::call(
                "set_identity_provider_organization",
                &[("identifier", identifier), ("organization_id", org)],
            )
        }
        Action::SetDefaultTeam => {
            let identifier = w.provider(false).await;
            let team = w.team().await;
            Attempt::call(
                "set_identity_provider_organization",
                &[
                    ("identifier", identifier),
                    ("organization_id", org),
                    ("default_team_id", team),
                ],
            )
        }
        Action::UnlinkIdentityProvider => {
            let identifier = w.provider(true).await;
            Attempt::call(
                "remove_identity_provider_organization",
                &[("identifier", identifier), ("organization_id", org)],
            )
        }
        Action::DeleteIdentityProvider => {
            let identifier = w.provider(false).await;
            Attempt::call("delete_identity_provider", &[("identifier", identifier)])
        }
        Action::ViewSamlAccounts => {
            Attempt::read("identity_provider", &[("identifier", IDENTIFIER.into())]).rest(
                "GET",
                format!("/api/v1/identity-providers/{IDENTIFIER}/saml-accounts"),
                None,
            )
        }
        Action::DeleteSamlAccount | Action::DeleteOwnerSamlAccount => {
            let email = w
                .saml_account(&role_of(action, Action::DeleteOwnerSamlAccount))
                .await;
            Attempt::call(
                "delete_saml_account",
                &[
                    ("identifier", IDENTIFIER.into()),
                    ("remote_id", email.clone()),
                ],
            )
            .rest(
                "DELETE",
                format!(
                    "/api/v1/identity-providers/{IDENTIFIER}/saml-accounts/{}",
                    email.replace('@', "%40")
                ),
                None,
            )
        }
        Action::ViewRoleMappings => Attempt::read("role_mappings", &[("organization_id", org)]),
        Action::ChangeRoleMapping | Action::ChangeOwnerRoleMapping => Attempt::call(
            "create_role_mapping",
            &[
                ("organization_id", org),
                ("name", w.fresh("mapping-")),
                ("role", role_of(action, Action::ChangeOwnerRoleMapping)),
                ("kind", "any".into()),
                ("patterns", w.fresh("group-")),
            ],
        ),
        Action::ViewOrganizationKeys => {
            Attempt::read("organization_api_keys", &[("organization_id", org)])
        }
        Action::CreateOrganizationKey | Action::CreateOwnerOrganizationKey => Attempt::call(
            "create_organization_api_key",
            &[
                ("organization_id", org),
                ("name", w.fresh("key-")),
                ("role", role_of(action, Action::CreateOwnerOrganizationKey)),
                ("expires_in_days", "30".into()),
            ],
        ),
        Action::RevokeOrganizationKey | Action::RevokeOwnerOrganizationKey => {
            let created = w
                .prepare(
                    "create_organization_api_key",
                    &[
                        ("organization_id", org.clone()),
                        ("name", w.fresh("revocable-")),
                        ("role", role_of(action, Action::RevokeOwnerOrganizationKey)),
                        ("expires_in_days", "30".into()),
                    ],
                )
                .await;
            Attempt::call(
                "revoke_organization_api_key",
                &[
                    ("organization_id", org),
                    ("key_id", created["key"]["id"].to_string()),
                ],
            )
        }
        Action::ViewEnforcement => Attempt::read("sso_enforcement", &[("organization_id", org)]),
        Action::EnableEnforcement => {
            Attempt::call("enable_sso_enforcement", &[("organization_id", org)])
        }
        Action::DisableEnforcement => {
            Attempt::call("disable_sso_enforcement", &[("organization_id", org)]).rest(
                "PUT",
                orgs,
                Some(json!({ "enforce_authentication_method": null })),
            )
        }
        Action::ViewFleets => Attempt::read("fleet", &[("fleet_id", w.fleet_id.to_string())]).rest(
            "GET",
            format!("/api/v1/fleets/{}", w.fleet_id),
            None,
        ),
        Action::CreateFleet => {
            let name = w.fresh("fleet-");
            Attempt::call("create_fleet", &[("name", name.clone()), ("owner", org)]).rest(
                "POST",
                "/api/v1/fleets".into(),
                Some(json!({ "name": name, "organization_id": w.org })),
            )
        }
        Action::RenameFleet => {
            let fleet = w.fleet().await;
            let name = w.fresh("renamed-");
            Attempt::call(
                "rename_fleet",
                &[("fleet_id", fleet.clone()), ("name", name.clone())],
            )
            .rest(
                "PATCH",
                format!("/api/v1/fleets/{fleet}"),
                Some(json!({ "name": name })),
            )
        }
        Action::DeleteFleet => {
            let fleet = w.fleet().await;
            Attempt::call("delete_fleet", &[("fleet_id", fleet.clone())]).rest(
                "DELETE",
                format!("/api/v1/fleets/{fleet}"),
                None,
            )
        }
        Action::AddDevice => {
            let name = w.fresh("device-");
            Attempt::call(
                "add_device",
                &[("fleet_id", w.fleet_id.to_string()), ("name", name.clone())],
            )
            .rest(
                "POST",
                format!("/api/v1/fleets/{}/devices", w.fleet_id),
                Some(json!({ "name": name })),
            )
        }
        Action::RenameDevice => {
            let device = w.device().await;
            let name = w.fresh("renamed-");
            Attempt::call(
                "rename_device",
                &[("device_id", device.clone()), ("name", name.clone())],
            )
            .rest(
                "PATCH",
                format!("/api/v1/devices/{device}"),
                Some(json!({ "name": name })),
            )
        }
        Action::DeleteDevice => {
            let device = w.device().await;
            Attempt::call("delete_device", &[("device_id", device.clone())]).rest(
                "DELETE",
                format!("/api/v1/devices/{device}"),
                None,
            )
        }
        Action::UsePersonalFleet => {
            // Persons create a fleet of their own; the non-member column tries Ada's, which is not theirs.
            let non_member = matches!(who, Who::Session { email, .. } if email.starts_with("dave"));
            if non_member {
                Attempt::call(
                    "rename_fleet",
                    &[
                        ("fleet_id", w.personal_fleet_id.to_string()),
                        ("name", "Mine now".into()),
                    ],
                )
            } else {
                let name = w.fresh("own-fleet-");
                Attempt::call(
                    "create_fleet",
                    &[("name", name.clone()), ("owner", "me".into())],
                )
                .rest(
                    "POST",
                    "/api/v1/fleets".into(),
                    Some(json!({ "name": name })),
                )
            }
        }
    }
}

fn role_of(action: Action, owner_variant: Action) -> String {
    if action == owner_variant {
        "owner".into()
    } else {
        "member".into()
    }
}

/// Takes the attempt as `who` can: a session by the browser call, a key by REST (or, without a REST route, by
/// posting the browser call with its key, which must be turned away).
async fn take(w: &World, attempt: &Attempt, who: &Who) -> Outcome {
    let form: Vec<(&str, &str)> = attempt
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    match who {
        Who::Session { browser, .. } => {
            let reply = if attempt.read {
                browser.call_raw(attempt.endpoint, &form).await
            } else {
                browser.call(attempt.endpoint, &form).await
            };
            if (200..400).contains(&reply.status) {
                Outcome::Done
            } else {
                Outcome::Refused(code_of(reply.status, &reply.body))
            }
        }
        Who::Key(key) => match &attempt.rest {
            Some((method, path, body)) => {
                let reply = w.setup.app.api(method, path, Some(key), body.clone()).await;
                if (200..300).contains(&reply.status) {
                    Outcome::Done
                } else {
                    Outcome::Refused(code_of(reply.status, &reply.body))
                }
            }
            None => {
                let response = reqwest::Client::new()
                    .post(format!("{}/api/{}", w.setup.app.address, attempt.endpoint))
                    .bearer_auth(key)
                    .header("accept", "application/json")
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                assert!(
                    (400..500).contains(&status),
                    "a key reached {} without a route: {status}",
                    attempt.endpoint
                );
                Outcome::Refused("no route".into())
            }
        },
    }
}

/// The refusal's code; a failure without one is shown whole.
fn code_of(status: u16, body: &Value) -> String {
    match body["code"].as_str() {
        Some(code) => code.to_owned(),
        None => format!("HTTP {status}: {body}"),
    }
}

/// What the cell expects, as the attempt reports it.
fn expected(action: Action, column: &Column, w: &World) -> Option<Outcome> {
    let _ = w;
    match cell(action, column) {
        Cell::Allowed => Some(Outcome::Done),
        Cell::Refused(code) => Some(Outcome::Refused(code.as_str().to_owned())),
        Cell::NoRoute => Some(Outcome::Refused("no route".into())),
        Cell::NotApplicable => None,
    }
}

/// Outcomes that pass the kernel but meet a later rule of the action itself count as done: switching enforcement
/// on from a password session (it asks for a fresh SSO login), verifying a domain whose DNS record is not there;
/// the organization page leaves out the domains of those who may not see them.
async fn settle(
    w: &World,
    action: Action,
    attempt: &Attempt,
    who: &Who,
    outcome: Outcome,
) -> Outcome {
    match (action, outcome) {
        (Action::EnableEnforcement, Outcome::Refused(code))
            if code == "enforcement.fresh_sso_login_required" =>
        {
            Outcome::Done
        }
        (Action::VerifyDomain, Outcome::Refused(code)) if code == "domain.not_verified" => {
            Outcome::Done
        }
        (Action::ViewDomains, Outcome::Done) => {
            let Who::Session { browser, .. } = who else {
                return Outcome::Done;
            };
            let form: Vec<(&str, &str)> = attempt
                .form
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let detail = browser.call_raw("organization", &form).await.body;
            let _ = w;
            if detail["domains"].as_array().is_some_and(|d| !d.is_empty()) {
                Outcome::Done
            } else {
                Outcome::Refused("permission_denied".into())
            }
        }
        (_, outcome) => outcome,
    }
}

/// A person signed up with a password, joined to the organization with `role` by the preparer.
async fn joined(w: &World, role: &str) -> Who {
    let email = format!("{}@corp.example", w.fresh("joiner"));
    let browser = w.setup.app.signed_in_user("Joiner", &email).await;
    join_organization(&w.setup.app, &w.preparer, &browser, w.org, &email, role).await;
    Who::Session { browser, email }
}

/// Walks the table's cells for the columns `columns` (indexes into [`COLUMNS`]) with these principals.
async fn walk(w: &World, columns: &[(usize, Who)], rows: &[Action], cells: &mut usize) {
    for action in rows {
        for (index, who) in columns {
            let column = &COLUMNS[*index];
            let Some(want) = expected(*action, column, w) else {
                *cells += 1;
                continue;
            };
            // Leaving and accepting change who is in the organization: fresh people take those cells.
            let who = match (action, who) {
                (Action::LeaveOrganization, Who::Session { email, .. })
                    if !email.starts_with("dave") && *index < 4 =>
                {
                    joined(w, ["owner", "admin", "member"][*index]).await
                }
                (Action::AcceptInvitation, Who::Session { .. }) => {
                    let email = format!("{}@elsewhere.example", w.fresh("invitee"));
                    let browser = w.setup.app.signed_in_user("Invitee", &email).await;
                    Who::Session { browser, email }
                }
                _ => who.clone(),
            };
            let attempt = attempt_for(w, *action, &who).await;
            let outcome = take(w, &attempt, &who).await;
            let outcome = settle(w, *action, &attempt, &who, outcome).await;
            assert_eq!(
                outcome, want,
                "{action:?} by \"{}\" (body of the attempt: {} {:?})",
                column.heading, attempt.endpoint, attempt.form
            );
            *cells += 1;
            // Switching enforcement off in the enforcing phase is switched back on for the next cells.
            if *action == Action::DisableEnforcement && outcome == Outcome::Done && *index >= 8 {
                w.preparer
                    .call("enable_sso_enforcement", &[("organization_id", &w.org())])
                    .await
                    .assert_ok();
            }
        }
    }
}

async fn personal_key(browser: &Browser) -> String {
    browser
        .call(
            "create_personal_api_key",
            &[("name", "laptop"), ("expires_in_days", "never")],
        )
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_cell_of_the_permissions_table_holds() {
    let rows: Vec<Action> = PERMISSIONS.iter().map(|p| p.action).collect();
    // Leaving last: in the enforcing phase the principals themselves leave.
    let (mut rows, leave): (Vec<Action>, Vec<Action>) = rows
        .into_iter()
        .partition(|a| *a != Action::LeaveOrganization);
    rows.extend(leave);
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        let bob = crate::sso::admin_bob(&setup).await;
        let carol = setup
            .app
            .signed_in_user("Carol", "carol@corp.example")
            .await;
        join_organization(
            &setup.app,
            &setup.admin,
            &carol,
            org,
            "carol@corp.example",
            "member",
        )
        .await;
        let dave = setup
            .app
            .signed_in_user("Dave", "dave@elsewhere.example")
            .await;
        let keys = [
            create_key(&setup, "owner").await,
            create_key(&setup, "admin").await,
            create_key(&setup, "member").await,
        ];
        let bob_key = personal_key(&bob).await;
        // Ada's other organization, a claimed domain, an organization fleet and a personal one.
        let ada_co = setup
            .admin
            .call("create_organization", &[("name", "Ada Co")])
            .await
            .body
            .as_i64()
            .unwrap();
        let fleet_id = setup
            .admin
            .call(
                "create_fleet",
                &[("name", "Fleet"), ("owner", &org.to_string())],
            )
            .await
            .body
            .as_i64()
            .unwrap();
        let personal_fleet_id = setup
            .admin
            .call("create_fleet", &[("name", "Ada's own"), ("owner", "me")])
            .await
            .body
            .as_i64()
            .unwrap();
        setup
            .admin
            .call(
                "claim_domain",
                &[
                    ("organization_id", &org.to_string()),
                    ("domain", "corp.example"),
                ],
            )
            .await
            .assert_ok();
        let carol_id = member_id(&setup.admin, &org.to_string(), "carol@corp.example").await;
        let preparer = setup.admin.clone();
        let mut w = World {
            setup,
            org,
            preparer,
            preparer_org: ada_co,
            carol_id,
            fleet_id,
            personal_fleet_id,
            counter: std::cell::Cell::new(0),
        };
        let session = |browser: &Browser, email: &str| Who::Session {
            browser: browser.clone(),
            email: email.to_owned(),
        };
        let mut cells = 0;
        let open_columns = [
            (0, session(&w.setup.admin, "ada@corp.example")),
            (1, session(&bob, "bob@corp.example")),
            (2, session(&carol, "carol@corp.example")),
            (3, session(&dave, "dave@elsewhere.example")),
            (4, Who::Key(keys[0].clone())),
            (5, Who::Key(keys[1].clone())),
            (6, Who::Key(keys[2].clone())),
            (7, Who::Key(bob_key.clone())),
        ];
        walk(&w, &open_columns, &rows, &mut cells).await;

        // Only single sign-on from here: Olga (owner) and Mia (admin) sign in through Acme's provider, Zed (admin)
        // through another organization's; Mia switches enforcement on.
        // (Roles are given after the first login: the role mappings the walk made apply at each login.)
        let olga = w.setup.app.browser();
        let mia = w.setup.app.browser();
        for (browser, email, role) in [
            (&olga, "olga@corp.example", "owner"),
            (&mia, "mia@corp.example", "admin"),
        ] {
            provision(&w.setup, email).await;
            let assertion = format!("_perm-{role}");
            let answer = sso_login(&w.setup, browser, email, &assertion).await;
            assert_eq!(answer.status().as_u16(), 303);
            change_role(&w.setup.admin, org, email, role).await;
        }
        let olga_co = olga
            .call("create_organization", &[("name", "Olga Co")])
            .await
            .body
            .as_i64()
            .unwrap();
        let labs = w
            .setup
            .admin
            .call("create_organization", &[("name", "Acme Labs")])
            .await
            .body
            .as_i64()
            .unwrap();
        let labs_form = provider_form(labs, "labs");
        let labs_form: Vec<(&str, &str)> =
            labs_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        w.setup
            .admin
            .call("create_identity_provider", &labs_form)
            .await
            .assert_ok();
        w.setup
            .admin
            .call(
                "add_provisioned_member",
                &[
                    ("organization_id", &labs.to_string()),
                    ("email", "zed@corp.example"),
                    ("name", "Zed Labs"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let zed = w.setup.app.browser();
        assert_eq!(
            sso_login_at(&w.setup, &zed, "labs", "zed@corp.example", "_perm-zed").await,
            303
        );
        w.setup
            .admin
            .call(
                "invite_member",
                &[
                    ("organization_id", &org.to_string()),
                    ("email", "zed@corp.example"),
                    ("role", "admin"),
                ],
            )
            .await
            .assert_ok();
        let mail = w.setup.app.mail.wait_for("zed@corp.example", "Join ").await;
        zed.call(
            "accept_invitation",
            &[("token", &token_of(&mail.link_path()))],
        )
        .await
        .assert_ok();
        mia.call(
            "enable_sso_enforcement",
            &[("organization_id", &org.to_string())],
        )
        .await
        .assert_ok();
        w.preparer = olga.clone();
        w.preparer_org = olga_co;
        let enforced_columns = [
            (8, session(&mia, "mia@corp.example")),
            (9, session(&zed, "zed@corp.example")),
            (10, Who::Key(bob_key.clone())),
        ];
        walk(&w, &enforced_columns, &rows, &mut cells).await;
        assert_eq!(cells, PERMISSIONS.len() * COLUMNS.len());
        println!("permissions table: {cells} cells walked on {backend:?}");
    }
}
