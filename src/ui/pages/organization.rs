//! An organization: members and their roles, invitations, teams, the organization's fleets, single sign-on,
//! claimed domains, security (2FA requirement, organization API keys) and settings.
//! Admins and owners see the management forms; members see the lists.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::domains::{ClaimDomain, RemoveDomain, VerifyDomain};
use crate::api::fleets::CreateFleet;
use crate::api::organizations::{
    organization, AddTeamMember, ChangeMemberRole, CreateTeam, DeleteTeam, InviteMember,
    RemoveMember, RemoveTeamMember, RenameOrganization, RenameTeam, RevokeInvitation,
};
use crate::api::security::{
    CreateOrganizationApiKey, RevokeOrganizationApiKey, SetRequireTwoFactor,
};
use crate::shared::format_time;
use crate::shared::models::{
    IdentityProviderSummary, MemberView, OrganizationDetail, Role, TeamView,
};
use crate::ui::components::forms::{
    failure, reset_on_success, succeeded, Field, FormError, RoleSelect, Saved,
};
use crate::ui::components::layout::{id_param, LoadError};
use crate::ui::components::visit::{current_user, use_visit, CsrfField, RequireUser};
use crate::ui::pages::organization_domains::DomainsSection;
use crate::ui::pages::organization_security::SecuritySection;

#[component]
pub fn OrganizationPage() -> impl IntoView {
    view! {
        <Title text="Organization"/>
        <RequireUser>
            <OrganizationContent/>
        </RequireUser>
    }
}

/// Every action of the page; the page reloads its data after any of them.
#[derive(Clone, Copy)]
struct Actions {
    rename: ServerAction<RenameOrganization>,
    invite: ServerAction<InviteMember>,
    revoke: ServerAction<RevokeInvitation>,
    change_role: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    create_team: ServerAction<CreateTeam>,
    rename_team: ServerAction<RenameTeam>,
    delete_team: ServerAction<DeleteTeam>,
    add_team_member: ServerAction<AddTeamMember>,
    remove_team_member: ServerAction<RemoveTeamMember>,
    create_fleet: ServerAction<CreateFleet>,
    set_requirement: ServerAction<SetRequireTwoFactor>,
    create_key: ServerAction<CreateOrganizationApiKey>,
    revoke_key: ServerAction<RevokeOrganizationApiKey>,
    claim_domain: ServerAction<ClaimDomain>,
    verify_domain: ServerAction<VerifyDomain>,
    remove_domain: ServerAction<RemoveDomain>,
}

impl Actions {
    fn new() -> Self {
        Self {
            rename: ServerAction::new(),
            invite: ServerAction::new(),
            revoke: ServerAction::new(),
            change_role: ServerAction::new(),
            remove: ServerAction::new(),
            create_team: ServerAction::new(),
            rename_team: ServerAction::new(),
            delete_team: ServerAction::new(),
            add_team_member: ServerAction::new(),
            remove_team_member: ServerAction::new(),
            create_fleet: ServerAction::new(),
            set_requirement: ServerAction::new(),
            create_key: ServerAction::new(),
            revoke_key: ServerAction::new(),
            claim_domain: ServerAction::new(),
            verify_domain: ServerAction::new(),
            remove_domain: ServerAction::new(),
        }
    }

    fn versions(&self) -> [usize; 17] {
        [
            self.rename.version().get(),
            self.invite.version().get(),
            self.revoke.version().get(),
            self.change_role.version().get(),
            self.remove.version().get(),
            self.create_team.version().get(),
            self.rename_team.version().get(),
            self.delete_team.version().get(),
            self.add_team_member.version().get(),
            self.remove_team_member.version().get(),
            self.create_fleet.version().get(),
            self.set_requirement.version().get(),
            self.create_key.version().get(),
            self.revoke_key.version().get(),
            self.claim_domain.version().get(),
            self.verify_domain.version().get(),
            self.remove_domain.version().get(),
        ]
    }
}

#[component]
fn OrganizationContent() -> impl IntoView {
    let actions = Actions::new();
    let organization_id = id_param();
    let data = Resource::new(
        move || (organization_id(), actions.versions()),
        |(id, _)| organization(id),
    );
    let ctx = use_visit();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = current_user(&ctx.visit.await).map(|u| u.id).unwrap_or_default();
                match data.await {
                    Ok(detail) => view! { <Organization detail me actions/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Organization(detail: OrganizationDetail, me: i64, actions: Actions) -> impl IntoView {
    let summary = detail.summary.clone();
    let manager = summary.my_role.can_manage();
    let id = summary.id;
    view! {
        <Title text=summary.name.clone()/>
        <header class="page-header">
            <div>
                <h1>{summary.name.clone()}</h1>
                <p class="muted">
                    <code>{summary.handle.clone()}</code>
                    " · you are "<span class="badge">{summary.my_role.label()}</span>
                </p>
            </div>
            <nav class="tabs" aria-label="Sections">
                <a href="#members">"Members"</a>
                <a href="#teams">"Teams"</a>
                <a href="#fleets">"Fleets"</a>
                {manager.then(|| view! { <a href="#sso">"Single sign-on"</a> })}
                {manager.then(|| view! { <a href="#domains">"Domains"</a> })}
                {manager.then(|| view! { <a href="#security">"Security"</a> })}
                {manager.then(|| view! { <a href="#settings">"Settings"</a> })}
            </nav>
        </header>
        <MembersSection organization_id=id members=detail.members.clone() my_role=summary.my_role me actions/>
        {manager.then(|| view! { <InvitationsSection organization_id=id detail=detail.clone() actions/> })}
        <TeamsSection organization_id=id teams=detail.teams.clone() members=detail.members.clone() manager actions/>
        <section class="card" id="fleets" aria-labelledby="fleets-heading">
            <h2 id="fleets-heading">"Fleets"</h2>
            {if detail.fleets.is_empty() {
                view! { <p class="muted">"This organization has no fleets yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Fleet"</th><th class="num">"Devices"</th></tr></thead>
                        <tbody>
                            {detail.fleets.clone().into_iter().map(|f| view! {
                                <tr>
                                    <td><A href=format!("/fleets/{}", f.id)>{f.name.clone()}</A></td>
                                    <td class="num">{f.device_count}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            {manager.then(|| {
                let error = failure(actions.create_fleet.value());
                view! {
                    <FormError error fields=&["name"]/>
                    <ActionForm action=actions.create_fleet attr:class="inline-form">
                        <CsrfField/>
                        <input type="hidden" name="owner" value=id.to_string()/>
                        <Field label="New fleet name" name="name" id_prefix="org-fleet" required=true error/>
                        <button type="submit" class="button">"Create fleet"</button>
                    </ActionForm>
                }
            })}
        </section>
        {manager.then(|| view! { <SsoSection organization_id=id providers=detail.identity_providers.clone()/> }.into_any())}
                {manager.then(|| view! {
            <DomainsSection
                organization_id=id
                owner=summary.my_role == Role::Owner
                domains=detail.domains.clone()
                claim=actions.claim_domain
                verify=actions.verify_domain
                remove=actions.remove_domain
            />
        }
        .into_any())}
        {manager.then(|| view! {
            <SecuritySection
                organization_id=id
                my_role=summary.my_role
                require_two_factor=detail.require_two_factor
                keys=detail.api_keys.clone()
                set_requirement=actions.set_requirement
                create=actions.create_key
                revoke=actions.revoke_key
            />
        }
        .into_any())}
        {manager.then(|| {
            let error = failure(actions.rename.value());
            view! {
                <section class="card" id="settings" aria-labelledby="settings-heading">
                    <h2 id="settings-heading">"Settings"</h2>
                    <FormError error fields=&["name"]/>
                    <Saved when=succeeded(actions.rename.value()) message="The organization was renamed."/>
                    <ActionForm action=actions.rename attr:class="inline-form">
                        <CsrfField/>
                        <input type="hidden" name="organization_id" value=id.to_string()/>
                        <Field label="Organization name" name="name" id_prefix="settings" value=summary.name.clone() required=true error/>
                        <button type="submit" class="button">"Rename"</button>
                    </ActionForm>
                </section>
            }
        })}
    }
}

#[component]
fn MembersSection(
    organization_id: i64,
    members: Vec<MemberView>,
    my_role: Role,
    me: i64,
    actions: Actions,
) -> impl IntoView {
    let role_error = failure(actions.change_role.value());
    let remove_error = failure(actions.remove.value());
    let manager = my_role.can_manage();
    view! {
        <section class="card" id="members" aria-labelledby="members-heading">
            <h2 id="members-heading">{format!("Members ({})", members.len())}</h2>
            <FormError error=role_error/>
            <FormError error=remove_error/>
            <table class="table">
                <thead>
                    <tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Joined"</th>{manager.then(|| view! { <th><span class="sr-only">"Actions"</span></th> })}</tr>
                </thead>
                <tbody>
                    {members.into_iter().map(|m| {
                        let is_me = m.user_id == me;
                        let row_id = format!("member-{}", m.user_id);
                        view! {
                            <tr data-email=m.email.clone()>
                                <td>{m.name.clone()}{is_me.then(|| view! { <span class="muted">" (you)"</span> })}</td>
                                <td>{m.email.clone()}</td>
                                <td>
                                    {if manager && !is_me {
                                        view! {
                                            <ActionForm action=actions.change_role attr:class="inline">
                                                <CsrfField/>
                                                <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                                                <input type="hidden" name="user_id" value=m.user_id.to_string()/>
                                                <RoleSelect selected=m.role.as_str() id=format!("{row_id}-role")/>
                                                <button type="submit" class="button button-small">"Change"</button>
                                            </ActionForm>
                                        }.into_any()
                                    } else {
                                        view! { <span class="badge">{m.role.label()}</span> }.into_any()
                                    }}
                                </td>
                                <td>{format_time(&m.joined_at)}</td>
                                {manager.then(|| view! {
                                    <td>
                                        {(!is_me).then(|| view! {
                                            <ActionForm action=actions.remove attr:class="inline">
                                                <CsrfField/>
                                                <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                                                <input type="hidden" name="user_id" value=m.user_id.to_string()/>
                                                <button type="submit" class="button button-small button-danger">"Remove"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <ActionForm action=actions.remove attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                <input type="hidden" name="user_id" value=me.to_string()/>
                <button type="submit" class="button button-small">"Leave organization"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn InvitationsSection(
    organization_id: i64,
    detail: OrganizationDetail,
    actions: Actions,
) -> impl IntoView {
    let error = failure(actions.invite.value());
    let revoke_error = failure(actions.revoke.value());
    let invite_form = NodeRef::new();
    reset_on_success(actions.invite.value(), invite_form);
    view! {
        <section class="card" id="invitations" aria-labelledby="invitations-heading">
            <h2 id="invitations-heading">"Invite people"</h2>
            <FormError error fields=&["email", "role"]/>
            <Saved when=succeeded(actions.invite.value()) message="Invitation sent."/>
            <ActionForm action=actions.invite node_ref=invite_form attr:class="inline-form">
                <CsrfField/>
                <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                <Field label="Email address" name="email" kind="email" id_prefix="invite" required=true error/>
                <div class="field">
                    <RoleSelect selected="member" id="invite-role" label="Role"/>
                </div>
                <button type="submit" class="button button-primary">"Send invitation"</button>
            </ActionForm>
            <FormError error=revoke_error/>
            {if detail.invitations.is_empty() {
                view! { <p class="muted">"No pending invitations."</p> }.into_any()
            } else {
                view! {
                    <h3>"Pending invitations"</h3>
                    <table class="table">
                        <thead><tr><th>"Email"</th><th>"Role"</th><th>"Invited by"</th><th>"Expires"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>
                            {detail.invitations.into_iter().map(|inv| view! {
                                <tr>
                                    <td>{inv.email.clone()}</td>
                                    <td><span class="badge">{inv.role.label()}</span></td>
                                    <td>{inv.invited_by.clone().unwrap_or_default()}</td>
                                    <td>{format_time(&inv.expires_at)}</td>
                                    <td>
                                        <ActionForm action=actions.revoke attr:class="inline">
                                            <CsrfField/>
                                            <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                                            <input type="hidden" name="invitation_id" value=inv.id.to_string()/>
                                            <button type="submit" class="button button-small">"Withdraw"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn TeamsSection(
    organization_id: i64,
    teams: Vec<TeamView>,
    members: Vec<MemberView>,
    manager: bool,
    actions: Actions,
) -> impl IntoView {
    let create_error = failure(actions.create_team.value());
    let new_team_form = NodeRef::new();
    reset_on_success(actions.create_team.value(), new_team_form);
    let errors = [
        failure(actions.rename_team.value()),
        failure(actions.delete_team.value()),
        failure(actions.add_team_member.value()),
        failure(actions.remove_team_member.value()),
    ];
    view! {
        <section class="card" id="teams" aria-labelledby="teams-heading">
            <h2 id="teams-heading">"Teams"</h2>
            {errors.into_iter().map(|error| view! { <FormError error/> }).collect_view()}
            {if teams.is_empty() {
                view! { <p class="muted">"No teams yet."</p> }.into_any()
            } else {
                teams.into_iter().map(|team| view! {
                    <Team organization_id team members=members.clone() manager actions/>
                }).collect_view().into_any()
            }}
            {manager.then(|| view! {
                <h3>"New team"</h3>
                <FormError error=create_error fields=&["name"]/>
                <ActionForm action=actions.create_team node_ref=new_team_form attr:class="inline-form">
                    <CsrfField/>
                    <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                    <Field label="Team name" name="name" id_prefix="team-new" required=true error=create_error/>
                    <button type="submit" class="button">"Create team"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn Team(
    organization_id: i64,
    team: TeamView,
    members: Vec<MemberView>,
    manager: bool,
    actions: Actions,
) -> impl IntoView {
    let team_id = team.id;
    let candidates: Vec<MemberView> = members
        .into_iter()
        .filter(|m| !team.members.iter().any(|t| t.user_id == m.user_id))
        .collect();
    let no_field_errors = Signal::derive(|| None);
    let team_name = team.name.clone();
    let rename_value = team.name.clone();
    view! {
        <article class="team" data-team=team_name.clone()>
            <h3>{team_name.clone()}</h3>
            {if team.members.is_empty() {
                view! { <p class="muted">"No members."</p> }.into_any()
            } else {
                view! {
                    <ul class="list">
                        {team.members.clone().into_iter().map(|m| view! {
                            <li>
                                {m.name.clone()}" "<span class="muted">{m.email.clone()}</span>
                                {manager.then(|| view! {
                                    <ActionForm action=actions.remove_team_member attr:class="inline">
                                        <CsrfField/>
                                        <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                                        <input type="hidden" name="team_id" value=team_id.to_string()/>
                                        <input type="hidden" name="user_id" value=m.user_id.to_string()/>
                                        <button type="submit" class="button button-small">"Remove"</button>
                                    </ActionForm>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            {manager.then(|| view! {
                <div class="team-actions">
                    {(!candidates.is_empty()).then(|| view! {
                        <ActionForm action=actions.add_team_member attr:class="inline-form">
                            <CsrfField/>
                            <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                            <input type="hidden" name="team_id" value=team_id.to_string()/>
                            <label for=format!("team-{team_id}-add")>"Add member"</label>
                            <select id=format!("team-{team_id}-add") name="user_id">
                                {candidates.iter().map(|m| view! { <option value=m.user_id.to_string()>{format!("{} <{}>", m.name, m.email)}</option> }).collect_view()}
                            </select>
                            <button type="submit" class="button button-small">"Add"</button>
                        </ActionForm>
                    })}
                    <ActionForm action=actions.rename_team attr:class="inline-form">
                        <CsrfField/>
                        <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                        <input type="hidden" name="team_id" value=team_id.to_string()/>
                        <Field label="Team name" name="name" id_prefix=format!("team-{team_id}") value=rename_value.clone() required=true error=no_field_errors/>
                        <button type="submit" class="button button-small">"Rename"</button>
                    </ActionForm>
                    <ActionForm action=actions.delete_team attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                        <input type="hidden" name="team_id" value=team_id.to_string()/>
                        <button type="submit" class="button button-small button-danger">"Delete team"</button>
                    </ActionForm>
                </div>
            })}
        </article>
    }
}

/// Single sign-on for admins: the organization's identity providers, adding one, and adding members without a
/// password who sign in through them (pre-provisioned accounts, linked at their first SSO login).
#[component]
fn SsoSection(organization_id: i64, providers: Vec<IdentityProviderSummary>) -> impl IntoView {
    use crate::api::organizations::AddProvisionedMember;
    let provision = ServerAction::<AddProvisionedMember>::new();
    let provision_error = failure(provision.value());
    let provision_form = NodeRef::new();
    reset_on_success(provision.value(), provision_form);
    view! {
        <section class="card" id="sso" aria-labelledby="sso-heading">
            <div class="section-header">
                <h2 id="sso-heading">"Single sign-on"</h2>
                <A href=format!("/organizations/{organization_id}/identity-providers/new") attr:class="button button-primary">"Add identity provider"</A>
            </div>
            {if providers.is_empty() {
                view! {
                    <p class="muted">"No identity provider yet. Add one so your people can log in with their company account."</p>
                }.into_any()
            } else {
                view! {
                    <table class="table" id="identity-providers">
                        <thead><tr><th>"Identity provider"</th><th>"SSO identifier"</th><th class="num">"Linked accounts"</th><th>"Certificate expires"</th></tr></thead>
                        <tbody>
                            {providers.into_iter().map(|p| view! {
                                <tr>
                                    <td><A href=format!("/identity-providers/{}", p.identifier)>{p.name.clone()}</A></td>
                                    <td><code>{p.identifier.clone()}</code></td>
                                    <td class="num">{p.linked_accounts}</td>
                                    <td>{p.certificate_expires_at.map(|t| format_time(&t)).unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h3>"Add a member who signs in with SSO"</h3>
            <p class="muted">"Creates an account without a password. It is linked to the person's company identity at their first login through one of this organization's identity providers."</p>
            <FormError error=provision_error fields=&["email", "name", "role"]/>
            <Saved when=succeeded(provision.value()) message="Member added. They can now log in with Enterprise SSO."/>
            <ActionForm action=provision node_ref=provision_form attr:class="inline-form" attr:id="provision-form">
                <CsrfField/>
                <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                <Field label="Name" name="name" id_prefix="provision" required=true error=provision_error/>
                <Field label="Company email" name="email" kind="email" id_prefix="provision" required=true error=provision_error/>
                <div class="field">
                    <RoleSelect selected="member" id="provision-role" label="Role"/>
                </div>
                <button type="submit" class="button">"Add member"</button>
            </ActionForm>
        </section>
    }
}
