//! Forgotten password: ask for a link, the "sent" page, and choosing a new password from the link.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::{RequestPasswordReset, ResetPassword as ResetPasswordFn};
use crate::shared::error::ErrorCode;
use crate::ui::components::forms::{failure, Field, FormError};
use crate::ui::components::visit::CsrfField;

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = failure(action.value());
    view! {
        <Title text="Forgot password"/>
        <section class="card auth-card">
            <h1>"Reset your password"</h1>
            <p>"Enter the email address of your account and we will send you a link to choose a new password."</p>
            <FormError error fields=&["email"]/>
            <ActionForm action=action>
                <CsrfField/>
                <Field label="Email" name="email" kind="email" autocomplete="email" required=true error/>
                <button type="submit" class="button button-primary button-block">"Send reset link"</button>
            </ActionForm>
            <p class="form-footer"><A href="/login">"Back to log in"</A></p>
        </section>
    }
}

#[component]
pub fn ResetSent() -> impl IntoView {
    view! {
        <Title text="Check your email"/>
        <section class="card auth-card">
            <h1>"Check your email"</h1>
            <p>
                "If an account uses that address, we sent it a link to choose a new password. "
                "The link works once and expires in one hour."
            </p>
            <p class="form-footer"><A href="/login">"Back to log in"</A></p>
        </section>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let action = ServerAction::<ResetPasswordFn>::new();
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let error = failure(action.value());
    let link_problem = move || {
        error.get().is_some_and(|e| {
            matches!(
                e.code,
                ErrorCode::TokenExpired | ErrorCode::TokenUsed | ErrorCode::TokenInvalid
            )
        })
    };
    view! {
        <Title text="Choose a new password"/>
        <section class="card auth-card">
            <h1>"Choose a new password"</h1>
            <FormError error fields=&["password", "confirm_password"]/>
            {move || link_problem().then(|| view! {
                <p><A href="/forgot-password" attr:class="button">"Request a new link"</A></p>
            })}
            <ActionForm action=action>
                <CsrfField/>
                <input type="hidden" name="token" value=token/>
                <Field
                    label="New password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    hint="At least 10 characters. All your other sessions will be signed out."
                    error
                />
                <Field label="Repeat the new password" name="confirm_password" kind="password" autocomplete="new-password" required=true error/>
                <button type="submit" class="button button-primary button-block">"Set new password"</button>
            </ActionForm>
        </section>
    }
}
