//! The audit log: an organization's security events for its owners (filter by kind and outcome, export as JSON or
//! CSV with the same filters), and the preferences section listing a person's own security events.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::security::{load_my_security_events, load_organization_audit_log};
use crate::shared::format_time;
use crate::shared::models::{AuditEventView, AUDIT_CATEGORIES};
use crate::shared::paths::encode_query_value;
use crate::ui::components::layout::{id_param, LoadError};
use crate::ui::components::visit::RequireUser;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! {
        <Title text="Audit log"/>
        <RequireUser>
            <AuditLogContent/>
        </RequireUser>
    }
}

#[component]
fn AuditLogContent() -> impl IntoView {
    let organization_id = id_param();
    let query = use_query_map();
    let category = move || query.read().get("category").filter(|c| !c.is_empty());
    let outcome = move || query.read().get("outcome").filter(|o| !o.is_empty());
    let log = Resource::new(
        move || (organization_id(), category(), outcome()),
        |(id, category, outcome)| load_organization_audit_log(id, category, outcome),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(error) => view! { <LoadError error/> }.into_any(),
                    Ok(log) => {
                        let id = log.organization_id;
                        let chosen_category = category().unwrap_or_default();
                        let chosen_outcome = outcome().unwrap_or_default();
                        let export_query = format!(
                            "?category={}&outcome={}",
                            encode_query_value(&chosen_category),
                            encode_query_value(&chosen_outcome)
                        );
                        view! {
                            <p class="breadcrumbs"><A href=format!("/organizations/{id}")>{log.organization_name.clone()}</A>" / Audit log"</p>
                            <div class="page-header">
                                <h1>"Audit log"</h1>
                                <div class="actions">
                                    <a class="button" href=format!("/organizations/{id}/audit-log.csv{export_query}") download="">"Export CSV"</a>
                                    <a class="button" href=format!("/organizations/{id}/audit-log.json{export_query}") download="">"Export JSON"</a>
                                </div>
                            </div>
                            <section class="card">
                                <form method="get" class="inline-form audit-filters">
                                    <div class="field field-compact">
                                        <label for="audit-category">"Kind"</label>
                                        <select id="audit-category" name="category">
                                            <option value="" selected=chosen_category.is_empty()>"All events"</option>
                                            {AUDIT_CATEGORIES.iter().map(|(key, label)| view! {
                                                <option value=*key selected=chosen_category == *key>{*label}</option>
                                            }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field field-compact">
                                        <label for="audit-outcome">"Outcome"</label>
                                        <select id="audit-outcome" name="outcome">
                                            <option value="" selected=chosen_outcome.is_empty()>"Any"</option>
                                            <option value="success" selected=chosen_outcome == "success">"Succeeded"</option>
                                            <option value="refused" selected=chosen_outcome == "refused">"Refused"</option>
                                        </select>
                                    </div>
                                    <button type="submit" class="button">"Filter"</button>
                                </form>
                                <EventTable events=log.events show_subject=true/>
                            </section>
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn EventTable(events: Vec<AuditEventView>, show_subject: bool) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No events."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="table audit-table">
            <thead><tr>
                <th>"Time"</th><th>"Event"</th><th>"Outcome"</th><th>"By"</th>
                {show_subject.then(|| view! { <th>"About"</th> })}
                <th>"Address"</th>
            </tr></thead>
            <tbody>
                {events.into_iter().map(|e| {
                    let refused = e.outcome != "success";
                    view! {
                        <tr class:refused=refused>
                            <td class="nowrap">{format_time(&e.at)}</td>
                            <td class="audit-event"><code>{e.action.clone()}</code>
                                {(!e.detail.is_empty()).then(|| view! { <p class="audit-detail">{e.detail.clone()}</p> })}</td>
                            <td>{if refused {
                                view! { <span class="badge badge-warning">{e.outcome.clone()}</span> }.into_any()
                            } else {
                                view! { <span class="badge badge-ok">"success"</span> }.into_any()
                            }}</td>
                            <td>{e.actor.clone().unwrap_or_else(|| "—".into())}</td>
                            {show_subject.then(|| view! { <td>{e.subject.clone().unwrap_or_else(|| "—".into())}</td> })}
                            <td class="nowrap">{e.ip_address.clone().unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

/// Preferences: the person's own security events.
#[component]
pub fn MySecurityEventsSection() -> impl IntoView {
    let events = Resource::new(|| (), |_| load_my_security_events());
    view! {
        <section class="card" aria-labelledby="security-events-heading">
            <h2 id="security-events-heading">"Security events"</h2>
            <p class="muted">"Sign-ins and changes to your account's security, newest first."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Err(error) => view! { <LoadError error/> }.into_any(),
                        Ok(events) => view! { <EventTable events show_subject=false/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
