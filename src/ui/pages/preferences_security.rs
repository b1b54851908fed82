//! The security sections of preferences: two-factor authentication (set up, recovery codes, turn off) and personal
//! API keys (create, shown once, revoke; unavailable to accounts that sign in with SSO, with the reason).

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::security::{
    load_personal_api_keys, load_two_factor_status, BeginTwoFactor, ConfirmTwoFactor,
    CreatePersonalApiKey, DisableTwoFactor, RegenerateRecoveryCodes, RevokePersonalApiKey,
};
use crate::shared::format_time;
use crate::ui::components::api_keys::{ApiKeyTable, ExpirySelect, NewKeySecret, Revoker};
use crate::ui::components::forms::{failure, reset_on_success, succeeded, Field, FormError, Saved};
use crate::ui::components::layout::LoadError;
use crate::ui::components::two_factor::{EnrolmentInstructions, RecoveryCodes};
use crate::ui::components::visit::{current_user, use_visit, CsrfField};

/// The code field of the two-factor forms.
#[component]
fn CodeField(
    #[prop(into)] error: Signal<Option<crate::shared::error::AppError>>,
    id_prefix: &'static str,
    #[prop(optional)] label: Option<&'static str>,
) -> impl IntoView {
    view! {
        <Field
            label=label.unwrap_or("Authentication code")
            name="code"
            id_prefix=id_prefix
            autocomplete="one-time-code"
            placeholder="123456"
            required=true
            error
        />
    }
}

#[component]
pub fn TwoFactorSection() -> impl IntoView {
    let begin = ServerAction::<BeginTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let status = Resource::new(
        move || {
            (
                confirm.version().get(),
                disable.version().get(),
                regenerate.version().get(),
            )
        },
        |_| load_two_factor_status(),
    );
    let ctx = use_visit();
    let begin_error = failure(begin.value());
    let confirm_error = failure(confirm.value());
    let regenerate_error = failure(regenerate.value());
    let disable_error = failure(disable.value());
    let regenerate_form = NodeRef::new();
    reset_on_success(regenerate.value(), regenerate_form);
    let new_codes = move || match (confirm.value().get(), regenerate.value().get()) {
        (_, Some(Ok(codes))) | (Some(Ok(codes)), _) => Some(codes),
        _ => None,
    };
    view! {
        <section class="card" id="two-factor" aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading">"Two-factor authentication"</h2>
            <p class="muted">"Each login also asks for a code from an authenticator app on your phone, so a stolen password alone cannot open your account."</p>
            {move || new_codes().map(|codes| view! { <RecoveryCodes codes/> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let has_password = current_user(&ctx.visit.await).is_some_and(|u| u.has_password);
                    match status.await {
                        Err(error) => view! { <LoadError error/> }.into_any(),
                        Ok(status) if status.enabled => view! {
                            <p class="status-line">
                                <span class="badge badge-ok">"On"</span>
                                {status.enabled_at.map(|at| format!(" since {}", format_time(&at)))}
                                {format!(" · {} recovery codes left", status.recovery_codes_left)}
                            </p>
                            <div class="two-columns">
                                <div>
                                    <h3>"New recovery codes"</h3>
                                    <p class="muted">"Replaces your recovery codes; the old ones stop working."</p>
                                    <FormError error=regenerate_error fields=&["code"]/>
                                    <ActionForm action=regenerate node_ref=regenerate_form attr:class="stack">
                                        <CsrfField/>
                                        <CodeField error=regenerate_error id_prefix="regenerate"/>
                                        <button type="submit" class="button">"Show new recovery codes"</button>
                                    </ActionForm>
                                </div>
                                <div>
                                    <h3>"Turn off"</h3>
                                    <p class="muted">{if has_password {
                                        "Confirm with your password and a code."
                                    } else {
                                        "Your account signs in with single sign-on: sign in again through your identity provider, then confirm with a code within 10 minutes."
                                    }}</p>
                                    <FormError error=disable_error fields=&["code", "password"]/>
                                    <ActionForm action=disable attr:class="stack">
                                        <CsrfField/>
                                        {has_password.then(|| view! {
                                            <Field label="Password" name="password" id_prefix="disable" kind="password" autocomplete="current-password" required=true error=disable_error/>
                                        })}
                                        <CodeField error=disable_error id_prefix="disable"/>
                                        <button type="submit" class="button button-danger">"Turn off two-factor authentication"</button>
                                    </ActionForm>
                                </div>
                            </div>
                        }
                        .into_any(),
                        Ok(_) => view! {
                            <Saved when=succeeded(disable.value()) message="Two-factor authentication is off."/>
                            {move || match begin.value().get() {
                                Some(Ok(enrolment)) => view! {
                                    <EnrolmentInstructions enrolment/>
                                    <FormError error=confirm_error fields=&["code"]/>
                                    <ActionForm action=confirm attr:class="inline-form">
                                        <CsrfField/>
                                        <CodeField error=confirm_error id_prefix="confirm"/>
                                        <button type="submit" class="button button-primary">"Turn on"</button>
                                    </ActionForm>
                                }
                                .into_any(),
                                _ => view! {
                                    <p class="status-line"><span class="badge">"Off"</span></p>
                                    <FormError error=begin_error/>
                                    <ActionForm action=begin>
                                        <CsrfField/>
                                        <button type="submit" class="button button-primary">"Set up two-factor authentication"</button>
                                    </ActionForm>
                                }
                                .into_any(),
                            }}
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn PersonalKeysSection() -> impl IntoView {
    let create = ServerAction::<CreatePersonalApiKey>::new();
    let revoke = ServerAction::<RevokePersonalApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| load_personal_api_keys(),
    );
    let create_error = failure(create.value());
    let revoke_error = failure(revoke.value());
    let form = NodeRef::new();
    reset_on_success(create.value(), form);
    view! {
        <section class="card" id="api-keys" aria-labelledby="api-keys-heading">
            <h2 id="api-keys-heading">"API keys"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Err(error) => view! { <LoadError error/> }.into_any(),
                        Ok(list) if !list.allowed => view! {
                            <p class="alert alert-info" role="note">
                                "Your account signs in with single sign-on, so it cannot have personal API keys: your company controls your access, and a personal key would outlive it. For automation, ask an organization admin for an organization API key."
                            </p>
                        }
                        .into_any(),
                        Ok(list) => view! {
                            <p class="muted">"Keys let scripts use the "<a href="/api/docs">"Portcullis API"</a>" as you, with your current rights. Send one as "<code>"Authorization: Bearer pc_…"</code>"."</p>
                            <NewKeySecret created=create.value()/>
                            <FormError error=create_error fields=&["name", "expires_in_days"]/>
                            <FormError error=revoke_error/>
                            <ActionForm action=create node_ref=form attr:class="inline-form">
                                <CsrfField/>
                                <Field label="Key name" name="name" id_prefix="personal-key" placeholder="Deploy script" required=true error=create_error/>
                                <ExpirySelect id="personal-key-expiry"/>
                                <button type="submit" class="button button-primary">"Create key"</button>
                            </ActionForm>
                            <ApiKeyTable keys=list.keys revoker=Revoker::Personal(revoke)/>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
