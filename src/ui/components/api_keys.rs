//! API key building blocks shared by preferences (personal keys) and the organization page (organization keys):
//! the list with last use and a revoke button, the expiry picker, and the one-time display of a new key.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::security::{RevokeOrganizationApiKey, RevokePersonalApiKey};

use crate::shared::error::AppError;
use crate::shared::format_time;
use crate::shared::models::{ApiKeyView, CreatedApiKey};
use crate::ui::components::forms::CopyField;
use crate::ui::components::visit::CsrfField;

/// Expiry choices, in days (`never` for none).
#[component]
pub fn ExpirySelect(id: &'static str) -> impl IntoView {
    view! {
        <div class="field field-compact">
            <label for=id>"Expires"</label>
            <select id=id name="expires_in_days">
                <option value="30">"In 30 days"</option>
                <option value="90" selected=true>"In 90 days"</option>
                <option value="365">"In a year"</option>
                <option value="never">"Never"</option>
            </select>
        </div>
    }
}

/// A key just created: shown once, with a copy button.
#[component]
pub fn NewKeySecret(
    #[prop(into)] created: Signal<Option<Result<CreatedApiKey, AppError>>>,
) -> impl IntoView {
    move || {
        created.get().and_then(Result::ok).map(|created| {
            view! {
                <div class="alert alert-success new-key" role="status">
                    <p><strong>{format!("Key \u{201c}{}\u{201d} created.", created.key.name)}</strong>
                        " Copy it now: it is shown only this once."</p>
                    <CopyField id="new-api-key" label="API key" value=created.secret.clone()/>
                </div>
            }
        })
    }
}

/// The key's state badge, and when it was revoked.
fn key_state(key: &ApiKeyView) -> (&'static str, &'static str, Option<String>) {
    if let Some(at) = key.revoked_at {
        ("badge badge-muted", "Revoked", Some(format_time(&at)))
    } else if key.expired {
        ("badge badge-warning", "Expired", None)
    } else {
        ("badge badge-ok", "Active", None)
    }
}

/// Whose keys a table lists, with the action its revoke buttons call.
#[derive(Clone, Copy)]
pub enum Revoker {
    Personal(ServerAction<RevokePersonalApiKey>),
    Organization(ServerAction<RevokeOrganizationApiKey>, i64),
}

/// The revoke button of one key.
#[component]
fn RevokeButton(revoker: Revoker, key_id: i64, name: String) -> impl IntoView {
    let button = view! {
        <input type="hidden" name="key_id" value=key_id.to_string()/>
        <button type="submit" class="button button-small button-danger" aria-label=format!("Revoke {name}")>"Revoke"</button>
    };
    match revoker {
        Revoker::Personal(action) => view! {
            <ActionForm action attr:class="inline"><CsrfField/>{button}</ActionForm>
        }
        .into_any(),
        Revoker::Organization(action, organization_id) => view! {
            <ActionForm action attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                {button}
            </ActionForm>
        }
        .into_any(),
    }
}

/// The keys, newest first, each with its last use and a revoke button while it is live.
#[component]
pub fn ApiKeyTable(keys: Vec<ApiKeyView>, revoker: Revoker) -> impl IntoView {
    let show_role = matches!(revoker, Revoker::Organization(..));
    if keys.is_empty() {
        return view! { <p class="muted">"No API keys yet."</p> }.into_any();
    }
    view! {
        <table class="table api-keys">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Key"</th>
                    {show_role.then(|| view! { <th>"Role"</th> })}
                    <th>"Created"</th>
                    <th>"Expires"</th>
                    <th>"Last used"</th>
                    <th>"State"</th>
                    <th><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {keys.into_iter().map(|key| {
                    let (badge, state, revoked_at) = key_state(&key);
                    let live = key.revoked_at.is_none();
                    let last_used = match (&key.last_used_at, &key.last_used_ip) {
                        (Some(at), Some(ip)) => format!("{} from {ip}", format_time(at)),
                        (Some(at), None) => format_time(at),
                        _ => "Never".to_string(),
                    };
                    let created = match &key.created_by {
                        Some(by) => format!("{} by {by}", format_time(&key.created_at)),
                        None => format_time(&key.created_at),
                    };
                    view! {
                        <tr>
                            <td>{key.name.clone()}</td>
                            <td><code>{format!("{}_…", key.prefix)}</code></td>
                            {show_role.then(|| view! { <td>{key.role.map(|r| r.label()).unwrap_or("—")}</td> })}
                            <td>{created}</td>
                            <td>{key.expires_at.map(|t| format_time(&t)).unwrap_or_else(|| "Never".into())}</td>
                            <td>{last_used}</td>
                            <td class="key-state"><span class=badge>{state}</span>{revoked_at.map(|at| view! { <span class="hint">{at}</span> })}</td>
                            <td>
                                {live.then(|| view! { <RevokeButton revoker key_id=key.id name=key.name.clone()/> })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
