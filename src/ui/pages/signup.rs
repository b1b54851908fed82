//! Sign up (name, email, password), and the "check your email" page with a way to get a new link.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::{ResendVerification, SignUp};
use crate::ui::components::forms::{failure, Field, FormError};
use crate::ui::components::visit::{use_visit, CsrfField};

#[component]
pub fn Signup() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    use_visit().refresh_after(action.value());
    let query = use_query_map();
    let invitation = query.read_untracked().get("invitation").unwrap_or_default();
    let email = query.read_untracked().get("email").unwrap_or_default();
    let error = failure(action.value());
    let invited = !invitation.is_empty();
    view! {
        <Title text="Sign up"/>
        <section class="card auth-card">
            <h1>"Create your account"</h1>
            {invited.then(|| view! {
                <p class="alert alert-info">"Sign up with the address the invitation was sent to, and you will join the organization right away."</p>
            })}
            <FormError error fields=&["name", "email", "password"]/>
            <ActionForm action=action>
                <CsrfField/>
                <input type="hidden" name="invitation" value=invitation/>
                <Field label="Your name" name="name" autocomplete="name" required=true error/>
                <Field label="Email" name="email" kind="email" autocomplete="email" required=true value=email error/>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    hint="At least 10 characters. A few unrelated words make a strong password."
                    error
                />
                <button type="submit" class="button button-primary button-block">"Create account"</button>
            </ActionForm>
            <p class="form-footer">"Already have an account? "<A href="/login">"Log in"</A></p>
        </section>
    }
}

#[component]
pub fn CheckEmail() -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let error = failure(resend.value());
    view! {
        <Title text="Check your email"/>
        <section class="card auth-card">
            <h1>"Check your email"</h1>
            <p>
                "We sent a message to the address you entered. Follow the link in it to finish. "
                "The link works once and expires in 48 hours."
            </p>
            <details class="resend">
                <summary>"No email? Send a new link"</summary>
                <FormError error fields=&["email"]/>
                <ActionForm action=resend>
                    <CsrfField/>
                    <Field label="Email" name="email" kind="email" autocomplete="email" required=true error/>
                    <button type="submit" class="button">"Send a new link"</button>
                </ActionForm>
            </details>
            <p class="form-footer"><A href="/login">"Back to log in"</A></p>
        </section>
    }
}
