//! The organization's role mappings page (admins): the mappings with their rules and grants, a form to create one
//! or edit one (its "Preview" shows what typed groups would get with the mapping as typed, before saving it),
//! delete, and a preview of the saved mappings.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::role_mappings::{
    load_role_mappings, CreateRoleMapping, DeleteRoleMapping, PreviewRoleMappings,
    UpdateRoleMapping,
};
use crate::shared::models::{MappingPreview, Role, RoleMappingView, RoleMappingsPage, TeamOption};
use crate::ui::components::forms::{failure, FormError};
use crate::ui::components::layout::{id_param, LoadError};
use crate::ui::components::visit::{CsrfField, RequireUser};

#[component]
pub fn RoleMappingsPage() -> impl IntoView {
    view! {
        <Title text="Role mappings"/>
        <RequireUser>
            <RoleMappingsContent/>
        </RequireUser>
    }
}

/// The page's actions; its data reloads after each change.
#[derive(Clone, Copy)]
struct Actions {
    create: ServerAction<CreateRoleMapping>,
    update: ServerAction<UpdateRoleMapping>,
    delete: ServerAction<DeleteRoleMapping>,
    preview: ServerAction<PreviewRoleMappings>,
    /// The mapping being edited, if any.
    editing: RwSignal<Option<RoleMappingView>>,
    /// Bumped when a mapping was saved (a form preview saves nothing and keeps what was typed).
    saved: RwSignal<u32>,
}

#[component]
fn RoleMappingsContent() -> impl IntoView {
    let organization_id = id_param();
    let actions = Actions {
        create: ServerAction::new(),
        update: ServerAction::new(),
        delete: ServerAction::new(),
        preview: ServerAction::new(),
        editing: RwSignal::new(None),
        saved: RwSignal::new(0),
    };
    Effect::new(move |_| {
        if matches!(actions.update.value().get(), Some(Ok(None))) {
            actions.editing.set(None);
            actions.saved.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if matches!(actions.create.value().get(), Some(Ok(None))) {
            actions.saved.update(|n| *n += 1);
        }
    });
    let page = Resource::new(
        move || {
            (
                organization_id(),
                actions.saved.get(),
                actions.delete.version().get(),
            )
        },
        |(id, ..)| load_role_mappings(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <LoadError error/> }.into_any(),
                    Ok(page) => view! { <Mappings page actions/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn rule_text(mapping: &RoleMappingView) -> String {
    let how = if mapping.kind == "all" {
        "All are true"
    } else {
        "Any is true"
    };
    format!("{how}: {}", mapping.patterns.join(", "))
}

fn grant_text(mapping: &RoleMappingView, teams: &[TeamOption]) -> String {
    let mut grants = Vec::new();
    if let Some(role) = mapping.role {
        grants.push(format!("role {}", role.as_str()));
    }
    for id in &mapping.team_ids {
        if let Some(team) = teams.iter().find(|t| t.id == *id) {
            grants.push(format!("team {}", team.name));
        }
    }
    grants.join(", ")
}

#[component]
fn Mappings(page: RoleMappingsPage, actions: Actions) -> impl IntoView {
    let id = page.organization_id;
    let delete_error = failure(actions.delete.value());
    let teams = page.teams.clone();
    let table = if page.mappings.is_empty() {
        view! { <p class="muted">"No role mappings yet: people who sign in by SSO keep the roles given by hand."</p> }.into_any()
    } else {
        view! {
            <table class="table">
                <thead><tr><th>"Name"</th><th>"When the groups match"</th><th>"Grants"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    {page.mappings.clone().into_iter().map(|m| {
                        let edit = m.clone();
                        let rule = rule_text(&m);
                        let grants = grant_text(&m, &teams);
                        view! {
                            <tr>
                                <td><strong>{m.name.clone()}</strong></td>
                                <td><code>{rule}</code></td>
                                <td>{grants}</td>
                                <td class="nowrap">
                                    <button type="button" class="button button-small" on:click=move |_| actions.editing.set(Some(edit.clone()))
                                        aria-label=format!("Edit {}", m.name)>"Edit"</button>" "
                                    <ActionForm action=actions.delete attr:class="inline">
                                        <CsrfField/>
                                        <input type="hidden" name="organization_id" value=id.to_string()/>
                                        <input type="hidden" name="mapping_id" value=m.id.to_string()/>
                                        <button type="submit" class="button button-small button-danger" aria-label=format!("Delete {}", m.name)>"Delete"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let form_teams = page.teams.clone();
    let my_role = page.my_role;
    view! {
        <p class="breadcrumbs"><A href=format!("/organizations/{id}")>{page.organization_name.clone()}</A>" / Role mappings"</p>
        <h1>"Role mappings"</h1>
        <section class="card" aria-labelledby="mappings-heading">
            <h2 id="mappings-heading">"Mappings"</h2>
            <p class="muted">"At every single sign-on login, the groups your identity provider sends in the "<code>"groups"</code>
                " attribute decide the member's role: the highest role a matching mapping grants, or member when none matches. This replaces roles given by hand. Without a groups attribute, the member keeps the roles from the last mapping. No mapping ever demotes the last owner who can sign in."</p>
            <FormError error=delete_error/>
            {table}
        </section>
        {move || {
            let editing = actions.editing.get();
            view! { <MappingForm organization_id=id teams=form_teams.clone() my_role editing actions/> }
        }}
        <PreviewSection organization_id=id actions/>
    }
}

#[component]
fn MappingForm(
    organization_id: i64,
    teams: Vec<TeamOption>,
    my_role: Role,
    editing: Option<RoleMappingView>,
    actions: Actions,
) -> impl IntoView {
    let heading = if editing.is_some() {
        "Edit role mapping"
    } else {
        "New role mapping"
    };
    let (error, preview) = match editing {
        Some(_) => (failure(actions.update.value()), actions.update.value()),
        None => (failure(actions.create.value()), actions.create.value()),
    };
    let preview = move || preview.get().and_then(Result::ok).flatten();
    let name = editing.as_ref().map(|m| m.name.clone()).unwrap_or_default();
    let role = editing
        .as_ref()
        .and_then(|m| m.role)
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    let team = editing.as_ref().and_then(|m| m.team_ids.first().copied());
    let kind = editing
        .as_ref()
        .map(|m| m.kind.clone())
        .unwrap_or_else(|| "any".into());
    let patterns = editing
        .as_ref()
        .map(|m| m.patterns.join("\n"))
        .unwrap_or_default();
    let fields = view! {
        <CsrfField/>
        <input type="hidden" name="organization_id" value=organization_id.to_string()/>
        {editing.as_ref().map(|m| view! { <input type="hidden" name="mapping_id" value=m.id.to_string()/> })}
        <div class="two-columns">
            <div class="field">
                <label for="mapping-name">"Name"</label>
                <input id="mapping-name" name="name" required=true value=name/>
            </div>
            <div class="field">
                <label for="mapping-kind">"Rule"</label>
                <select id="mapping-kind" name="kind">
                    <option value="any" selected=kind == "any">"Any is true (one pattern matches)"</option>
                    <option value="all" selected=kind == "all">"All are true (every pattern matches)"</option>
                </select>
            </div>
        </div>
        <div class="field">
            <label for="mapping-patterns">"Group patterns"</label>
            <textarea id="mapping-patterns" name="patterns" rows="3" required=true placeholder="cloud-admins\neng-*">{patterns}</textarea>
            <p class="hint">"One per line. "<code>"*"</code>" matches zero or more characters; matching is case-sensitive."</p>
        </div>
        <div class="field">
            <label for="mapping-try-groups">"Groups to try (optional)"</label>
            <textarea id="mapping-try-groups" name="groups" rows="2" placeholder="eng-platform, staff"></textarea>
            <p class="hint">"“Preview” shows what these groups would get with this mapping as typed, together with the saved ones. Nothing is saved."</p>
        </div>
        <div class="two-columns">
            <div class="field">
                <label for="mapping-role">"Organization role"</label>
                <select id="mapping-role" name="role">
                    <option value="" selected=role.is_empty()>"No role (teams only)"</option>
                    <option value="member" selected=role == "member">"Member"</option>
                    <option value="admin" selected=role == "admin">"Admin"</option>
                    {(my_role == Role::Owner).then(|| view! { <option value="owner" selected=role == "owner">"Owner"</option> })}
                </select>
            </div>
            <div class="field">
                <label for="mapping-team">"Team"</label>
                <select id="mapping-team" name="team_id">
                    <option value="" selected=team.is_none()>"No team"</option>
                    {teams.iter().map(|t| view! { <option value=t.id.to_string() selected=team == Some(t.id)>{t.name.clone()}</option> }).collect_view()}
                </select>
            </div>
        </div>
    };
    let buttons = if editing.is_some() {
        view! {
            <div class="actions">
                <button type="submit" class="button button-primary">"Save mapping"</button>
                <button type="submit" class="button" name="intent" value="preview">"Preview"</button>
                <button type="button" class="button" on:click=move |_| actions.editing.set(None)>"Cancel"</button>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="actions">
                <button type="submit" class="button button-primary">"Create mapping"</button>
                <button type="submit" class="button" name="intent" value="preview">"Preview"</button>
            </div>
        }
        .into_any()
    };
    let body = if editing.is_some() {
        view! { <ActionForm action=actions.update attr:class="stack">{fields}{buttons}</ActionForm> }.into_any()
    } else {
        view! { <ActionForm action=actions.create attr:class="stack">{fields}{buttons}</ActionForm> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="mapping-form-heading">
            <h2 id="mapping-form-heading">{heading}</h2>
            <FormError error fields=&["name", "role", "kind", "patterns", "team_ids"]/>
            {body}
            {move || preview().map(|p| view! { <PreviewResult preview=p/> })}
        </section>
    }
}

#[component]
fn PreviewSection(organization_id: i64, actions: Actions) -> impl IntoView {
    let error = failure(actions.preview.value());
    view! {
        <section class="card" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Preview"</h2>
            <p class="muted">"Type the groups someone would have, and see what the saved mappings grant them."</p>
            <FormError error/>
            <ActionForm action=actions.preview attr:class="stack">
                <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                <div class="field">
                    <label for="preview-groups">"Groups"</label>
                    <textarea id="preview-groups" name="groups" rows="3" placeholder="cloud-admins\neng-platform"></textarea>
                </div>
                <div class="actions"><button type="submit" class="button">"Preview"</button></div>
            </ActionForm>
            {move || actions.preview.value().get().and_then(Result::ok).map(|p| view! { <PreviewResult preview=p/> })}
        </section>
    }
}

#[component]
fn PreviewResult(preview: MappingPreview) -> impl IntoView {
    let p = preview;
    view! {
        <div class="alert alert-info preview-result" role="status">
            {if !p.has_mappings {
                "There are no mappings yet: nothing would change.".to_owned()
            } else if p.matched.is_empty() {
                format!(
                    "No mapping matches [{}]: {}, no mapped teams.",
                    p.groups.join(", "),
                    p.role.map_or("role unchanged".to_owned(), |r| format!("role {}", r.as_str()))
                )
            } else {
                format!(
                    "Matches {}: {}{}.",
                    p.matched.join(", "),
                    p.role.map_or("role unchanged".to_owned(), |r| format!("role {}", r.as_str())),
                    if p.teams.is_empty() { String::new() } else { format!(", teams {}", p.teams.join(", ")) }
                )
            }}
        </div>
    }
}
