//! Log in with email and password, or with Enterprise SSO (the person types their organization's SSO identifier
//! and is sent to its identity provider); returns to the page that asked for it.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::LogIn;
use crate::shared::error::ErrorCode;
use crate::ui::components::forms::{failure, Field, FormError};
use crate::ui::components::visit::{use_visit, CsrfField};

#[component]
pub fn Login() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    use_visit().refresh_after(action.value());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = failure(action.value());
    let unverified = move || {
        error
            .get()
            .is_some_and(|e| e.code == ErrorCode::EmailNotVerified)
    };
    view! {
        <Title text="Log in"/>
        <section class="card auth-card">
            <h1>"Log in"</h1>
            {move || query.read().get("reset").map(|_| view! {
                <p class="alert alert-success" role="status">"Your password was changed. Log in with your new password."</p>
            })}
            {move || query.read().get("logged_out").map(|_| view! {
                <p class="alert alert-info" role="status">"You are logged out."</p>
            })}
            <FormError error fields=&["email", "password"]/>
            {move || unverified().then(|| view! {
                <p class="hint"><A href="/signup/check-email">"Send me a new verification link"</A></p>
            })}
            <ActionForm action=action>
                <CsrfField/>
                <input type="hidden" name="next" value=next/>
                <Field label="Email" name="email" kind="email" autocomplete="username" required=true error/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" required=true error/>
                <button type="submit" class="button button-primary button-block">"Log in"</button>
            </ActionForm>
            <p class="form-footer"><A href="/forgot-password">"Forgot your password?"</A></p>
            <p class="form-footer">"New to Portcullis? "<A href="/signup">"Create an account"</A></p>
        </section>
        <EnterpriseSso next=Signal::derive(next)/>
    }
}

/// "Log in with Enterprise SSO": a plain GET form, so it works before (and without) the page's script.
#[component]
fn EnterpriseSso(#[prop(into)] next: Signal<String>) -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        query
            .read()
            .get("sso_error")
            .map(|code| ErrorCode::parse(&code).unwrap_or(ErrorCode::SsoLoginFailed))
    };
    let identifier = move || query.read().get("sso_identifier").unwrap_or_default();
    let message = move || {
        error().map(|code| match code {
            ErrorCode::IdpNotFound => format!(
                "There is no identity provider with the SSO identifier \"{}\". Check it with your administrator.",
                identifier()
            ),
            other => other.default_message().to_string(),
        })
    };
    view! {
        <section class="card auth-card sso-card" aria-labelledby="sso-heading">
            <h2 id="sso-heading">"Log in with Enterprise SSO"</h2>
            <p class="muted">"Your company signs you in. Enter the SSO identifier your administrator gave you."</p>
            <form method="get" action="/saml/start">
                <input type="hidden" name="return_to" value=move || next.get()/>
                <div class="field" class:invalid=move || error().is_some()>
                    <label for="sso-identifier">"SSO identifier"</label>
                    <input
                        id="sso-identifier"
                        name="identifier"
                        type="text"
                        autocomplete="organization"
                        autocapitalize="none"
                        spellcheck="false"
                        placeholder="acme"
                        required=true
                        value=identifier
                        aria-invalid=move || if error().is_some() { "true" } else { "false" }
                        aria-describedby="sso-identifier-error"
                    />
                    {move || message().map(|m| view! { <p class="field-error" id="sso-identifier-error" role="alert">{m}</p> })}
                </div>
                <button type="submit" class="button button-block">"Continue with SSO"</button>
            </form>
        </section>
    }
}
