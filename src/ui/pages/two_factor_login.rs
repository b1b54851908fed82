//! The second step of a login (`/login/two-factor`): a code from the authenticator app or a recovery code; or, when
//! an organization requires 2FA and the account has none, setting it up now (the recovery codes are shown once
//! before going on).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::accounts::{login_challenge, LogInEnrol, LogInSecondFactor};
use crate::shared::error::ErrorCode;
use crate::shared::models::{LoginChallengeView, LoginStep};
use crate::ui::components::forms::{failure, Field, FormError};
use crate::ui::components::layout::LoadError;
use crate::ui::components::two_factor::{EnrolmentInstructions, RecoveryCodes};
use crate::ui::components::visit::{use_visit, CsrfField};

#[component]
pub fn TwoFactorLoginPage() -> impl IntoView {
    let challenge = Resource::new(|| (), |_| login_challenge());
    view! {
        <Title text="Two-factor authentication"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match challenge.await {
                    Ok(view) => match view.step {
                        LoginStep::Enrolment => view! { <Enrol challenge=view/> }.into_any(),
                        _ => view! { <EnterCode challenge=view/> }.into_any(),
                    },
                    Err(error) if error.code == ErrorCode::LoginChallengeExpired => view! {
                        <section class="card auth-card">
                            <h1>"Log in again"</h1>
                            <p role="alert">{error.message}</p>
                            <p><A href="/login" attr:class="button button-primary">"Go to log in"</A></p>
                        </section>
                    }
                    .into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EnterCode(challenge: LoginChallengeView) -> impl IntoView {
    let action = ServerAction::<LogInSecondFactor>::new();
    use_visit().refresh_after(action.value());
    let error = failure(action.value());
    let expired = move || {
        error
            .get()
            .is_some_and(|e| e.code == ErrorCode::LoginChallengeExpired)
    };
    view! {
        <section class="card auth-card">
            <h1>"Two-factor authentication"</h1>
            <p class="muted">{format!("Logging in as {}. Enter the 6-digit code your authenticator app shows for Portcullis.", challenge.email)}</p>
            <FormError error fields=&["code"]/>
            {move || expired().then(|| view! { <p><A href="/login">"Log in again"</A></p> })}
            <ActionForm action=action>
                <CsrfField/>
                <Field label="Authentication code" name="code" autocomplete="one-time-code" placeholder="123456" required=true error
                    hint="Lost your phone? Enter one of your recovery codes instead."/>
                <button type="submit" class="button button-primary button-block">"Verify"</button>
            </ActionForm>
            <p class="form-footer"><A href="/login">"Cancel and log in as someone else"</A></p>
        </section>
    }
}

#[component]
fn Enrol(challenge: LoginChallengeView) -> impl IntoView {
    let action = ServerAction::<LogInEnrol>::new();
    use_visit().refresh_after(action.value());
    let error = failure(action.value());
    let required_by = challenge.required_by.join(", ");
    let enrolment = challenge.enrolment.clone();
    view! {
        <section class="card narrow-card">
            <h1>"Set up two-factor authentication"</h1>
            {move || match action.value().get() {
                Some(Ok(done)) => view! {
                    <p class="alert alert-success" role="status">"Two-factor authentication is on. You are logged in."</p>
                    <RecoveryCodes codes=done.recovery_codes.clone()/>
                    <p><a href=done.next.clone() class="button button-primary" rel="external">"I saved my recovery codes, continue"</a></p>
                }
                .into_any(),
                _ => view! {
                    <p>{format!("{} requires two-factor authentication for everyone who logs in with a password. Set it up to finish logging in as {}.", required_by, challenge.email)}</p>
                    {enrolment.clone().map(|enrolment| view! { <EnrolmentInstructions enrolment/> })}
                    <FormError error fields=&["code"]/>
                    <ActionForm action=action attr:class="inline-form">
                        <CsrfField/>
                        <Field label="Authentication code" name="code" autocomplete="one-time-code" placeholder="123456" required=true error/>
                        <button type="submit" class="button button-primary">"Turn on and log in"</button>
                    </ActionForm>
                }
                .into_any(),
            }}
        </section>
    }
}
