//! Preferences: profile (name), password, Enterprise SSO, security events, two-factor authentication, API keys, and the signed-in devices list where
//! sessions are revoked.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::preferences::{list_sessions, ChangeName, ChangePassword, RevokeSession};
use crate::shared::format_time;
use crate::shared::user_agent::describe;
use crate::ui::components::forms::{failure, succeeded, Field, FormError, Saved};
use crate::ui::components::layout::LoadError;
use crate::ui::components::visit::{current_user, use_visit, CsrfField, RequireUser};
use crate::ui::pages::audit_log::MySecurityEventsSection;
use crate::ui::pages::enterprise_sso::EnterpriseSsoSection;
use crate::ui::pages::preferences_security::{PersonalKeysSection, TwoFactorSection};

#[component]
pub fn PreferencesPage() -> impl IntoView {
    view! {
        <Title text="Preferences"/>
        <RequireUser>
            <h1>"Preferences"</h1>
            <Profile/>
            <Password/>
            <EnterpriseSsoSection/>
            <TwoFactorSection/>
            <PersonalKeysSection/>
            <Sessions/>
            <MySecurityEventsSection/>
        </RequireUser>
    }
}

#[component]
fn Profile() -> impl IntoView {
    let ctx = use_visit();
    let action = ServerAction::<ChangeName>::new();
    ctx.refresh_after(action.value());
    let error = failure(action.value());
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <Suspense>
                {move || Suspend::new(async move {
                    let user = current_user(&ctx.visit.await);
                    let name = user.as_ref().map(|u| u.name.clone()).unwrap_or_default();
                    let email = user.map(|u| u.email).unwrap_or_default();
                    view! {
                        <p>"Email: "<strong>{email}</strong></p>
                        <FormError error fields=&["name"]/>
                        <Saved when=succeeded(action.value()) message="Your name was changed."/>
                        <ActionForm action=action attr:class="inline-form">
                            <CsrfField/>
                            <Field label="Name" name="name" id_prefix="profile" value=name autocomplete="name" required=true error/>
                            <button type="submit" class="button">"Save"</button>
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Password() -> impl IntoView {
    let ctx = use_visit();
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                // Accounts that sign in with Enterprise SSO have no password to change.
                current_user(&ctx.visit.await)
                    .is_some_and(|u| u.has_password)
                    .then(|| view! { <PasswordForm/> })
            })}
        </Suspense>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = failure(action.value());
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <FormError error fields=&["current_password", "password", "confirm_password"]/>
            <Saved when=succeeded(action.value()) message="Your password was changed. Your other sessions were signed out."/>
            <ActionForm action=action attr:class="stack">
                <CsrfField/>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" required=true error/>
                <Field label="New password" name="password" kind="password" autocomplete="new-password" required=true hint="At least 10 characters." error/>
                <Field label="Repeat the new password" name="confirm_password" kind="password" autocomplete="new-password" required=true error/>
                <button type="submit" class="button button-primary">"Change password"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let sessions = Resource::new(move || revoke.version().get(), |_| list_sessions());
    let error = failure(revoke.value());
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Signed-in devices"</h2>
            <p class="muted">"Browsers where your account is signed in. Sign out any you do not recognise."</p>
            <FormError error/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Err(error) => view! { <LoadError error/> }.into_any(),
                        Ok(list) => view! {
                            <table class="table">
                                <thead><tr><th>"Browser"</th><th>"Address"</th><th>"Signed in"</th><th>"Last active"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|s| view! {
                                        <tr class:current=s.current>
                                            <td title=s.user_agent.clone().unwrap_or_default()>{describe(s.user_agent.as_deref().unwrap_or_default())}{s.current.then(|| view! { <span class="badge">"This browser"</span> })}</td>
                                            <td>{s.ip_address.clone().unwrap_or_default()}</td>
                                            <td>{format!("{} ({})", format_time(&s.created_at), s.auth_method)}</td>
                                            <td>{format_time(&s.last_seen_at)}</td>
                                            <td>
                                                <ActionForm action=revoke attr:class="inline">
                                                    <CsrfField/>
                                                    <input type="hidden" name="session_id" value=s.id.clone()/>
                                                    <button type="submit" class="button button-small">{if s.current { "Sign out" } else { "Revoke" }}</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
