//! The organization's SSO enforcement page ("Only allow login through my identity provider"): its state, what still
//! stands in the way of switching it on (a fresh SSO login with the provider's current configuration, a break-glass
//! key), creating that owner-role key (shown once), and switching enforcement on and off.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::security::{
    load_sso_enforcement, CreateOrganizationApiKey, DisableSsoEnforcement, EnableSsoEnforcement,
};
use crate::shared::format_time;
use crate::shared::models::{EnforcementStatus, Role};
use crate::ui::components::api_keys::NewKeySecret;
use crate::ui::components::forms::{failure, FormError};
use crate::ui::components::layout::{id_param, LoadError};
use crate::ui::components::visit::{CsrfField, RequireUser};

#[component]
pub fn SsoEnforcementPage() -> impl IntoView {
    view! {
        <Title text="Single sign-on enforcement"/>
        <RequireUser>
            <EnforcementContent/>
        </RequireUser>
    }
}

/// The page's actions; its data reloads after each.
#[derive(Clone, Copy)]
struct Actions {
    enable: ServerAction<EnableSsoEnforcement>,
    disable: ServerAction<DisableSsoEnforcement>,
    create_key: ServerAction<CreateOrganizationApiKey>,
}

#[component]
fn EnforcementContent() -> impl IntoView {
    let organization_id = id_param();
    let actions = Actions {
        enable: ServerAction::new(),
        disable: ServerAction::new(),
        create_key: ServerAction::new(),
    };
    let status = Resource::new(
        move || {
            (
                organization_id(),
                actions.enable.version().get(),
                actions.disable.version().get(),
                actions.create_key.version().get(),
            )
        },
        |(id, ..)| load_sso_enforcement(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Err(error) => view! { <LoadError error/> }.into_any(),
                    Ok(status) => view! { <Enforcement status actions/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Enforcement(status: EnforcementStatus, actions: Actions) -> impl IntoView {
    let id = status.organization_id;
    let enable_error = failure(actions.enable.value());
    let disable_error = failure(actions.disable.value());
    let key_error = failure(actions.create_key.value());
    let urls = status.login_urls.clone();
    let state = match status.enforced_at {
        Some(at) => view! {
            <div class="alert alert-success" role="status">
                <strong>"On since "{format_time(&at)}"."</strong>
                " Members sign in only through single sign-on; password logins are refused and name the SSO login URL."
            </div>
            <FormError error=disable_error/>
            <ActionForm action=actions.disable attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="organization_id" value=id.to_string()/>
                <div class="actions"><button type="submit" class="button button-danger">"Allow password logins again"</button></div>
            </ActionForm>
        }
        .into_any(),
        None => {
            let blocked = !status.blockers.is_empty();
            view! {
                <p class="muted">"Off: members may also sign in with a password."</p>
                {blocked.then(|| view! {
                    <div class="alert alert-warning" role="note">
                        <p><strong>"Before you can switch this on:"</strong></p>
                        <ul class="receipt-list">
                            {status.blockers.iter().map(|b| view! { <li>{b.clone()}</li> }).collect_view()}
                        </ul>
                    </div>
                })}
                <FormError error=enable_error/>
                <ActionForm action=actions.enable attr:class="stack">
                    <CsrfField/>
                    <input type="hidden" name="organization_id" value=id.to_string()/>
                    <div class="actions"><button type="submit" class="button button-primary" disabled=blocked>"Only allow login through my identity provider"</button></div>
                </ActionForm>
            }
            .into_any()
        }
    };
    let break_glass = if status.break_glass_keys > 0 {
        view! {
            <p>{match status.break_glass_keys {
                1 => "1 active organization key has the owner role.".to_owned(),
                n => format!("{n} active organization keys have the owner role."),
            }}" Keep one somewhere safe, outside your identity provider. If the provider fails, it switches enforcement off:"</p>
            <pre class="code-block">{format!(
                "curl -X PUT {} \\\n  -H 'Authorization: Bearer pc_…' -H 'Content-Type: application/json' \\\n  -d '{{\"enforce_authentication_method\": null}}'",
                status.api_url
            )}</pre>
        }
        .into_any()
    } else if status.my_role == Role::Owner {
        view! {
            <p>"No active organization key has the owner role. Create one now and store it outside your identity provider: it is shown only once."</p>
            <FormError error=key_error fields=&["name"]/>
            <ActionForm action=actions.create_key attr:class="inline-form">
                <CsrfField/>
                <input type="hidden" name="organization_id" value=id.to_string()/>
                <input type="hidden" name="role" value="owner"/>
                <input type="hidden" name="expires_in_days" value="never"/>
                <input type="hidden" name="name" value="Break-glass"/>
                <button type="submit" class="button">"Create break-glass key"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <p class="muted">"No active organization key has the owner role. An owner of the organization creates it."</p> }.into_any()
    };
    view! {
        <p class="breadcrumbs"><A href=format!("/organizations/{id}")>{status.organization_name.clone()}</A>" / Security"</p>
        <h1>"Single sign-on enforcement"</h1>
        <section class="card" aria-labelledby="enforcement-heading">
            <h2 id="enforcement-heading">"Only allow login through my identity provider"</h2>
            <p class="muted">"Members then sign in only through the organization's identity provider, so people removed there lose access here too. To prevent a lock-out, switching it on needs a single sign-on login with the identity provider's current configuration in the last 15 minutes, and an owner-role organization API key (the break-glass)."</p>
            {(!urls.is_empty()).then(|| view! {
                <p>"SSO login URL: "{urls.iter().map(|u| view! { <code class="login-url">{u.clone()}</code>" " }).collect_view()}</p>
            })}
            {state}
        </section>
        <section class="card" aria-labelledby="break-glass-heading">
            <h2 id="break-glass-heading">"Break-glass key"</h2>
            <NewKeySecret created=actions.create_key.value()/>
            {break_glass}
        </section>
    }
}
