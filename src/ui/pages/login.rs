//! Log in with email and password; returns to the page that asked for it.

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
    }
}
