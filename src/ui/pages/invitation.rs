//! An invitation link: who invited whom to what, then accept (signed in with the invited address), or sign up or
//! log in first.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::organizations::{invitation, AcceptInvitation};
use crate::shared::models::InvitationPreview;
use crate::shared::paths::encode_query_value;
use crate::ui::components::forms::{failure, FormError};
use crate::ui::components::layout::LoadError;
use crate::ui::components::visit::{current_user, use_visit, CsrfField};

#[component]
pub fn InvitationPage() -> impl IntoView {
    let params = use_params_map();
    let token = params.read_untracked().get("token").unwrap_or_default();
    let preview = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        invitation,
    );
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = failure(accept.value());
    let ctx = use_visit();
    view! {
        <Title text="Invitation"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let token = token.clone();
                Suspend::new(async move {
                    let me = current_user(&ctx.visit.await);
                    match preview.await {
                        Err(error) => view! { <LoadError error/> }.into_any(),
                        Ok(InvitationPreview { organization_name, email, role, invited_by, expired, accepted }) => view! {
                            <section class="card auth-card">
                                <h1>{format!("Join {organization_name}")}</h1>
                                <p>
                                    {invited_by.map(|name| format!("{name} invited ")).unwrap_or_else(|| "You were invited: ".into())}
                                    <strong>{email.clone()}</strong>
                                    {format!(" to join {organization_name} as {}.", role.label().to_lowercase())}
                                </p>
                                {if accepted {
                                    view! { <p class="alert alert-info">"This invitation has already been accepted."</p><A href="/dashboard">"Go to your dashboard"</A> }.into_any()
                                } else if expired {
                                    view! { <p class="alert alert-error" role="alert">"This invitation has expired. Ask the organization's admin to invite you again."</p> }.into_any()
                                } else {
                                    match me {
                                        Some(user) => view! {
                                            {(user.email != email).then(|| view! {
                                                <p class="alert alert-warning">{format!("You are signed in as {}. Log out and sign in as {email} to accept.", user.email)}</p>
                                            })}
                                            <FormError error/>
                                            <ActionForm action=accept>
                                                <CsrfField/>
                                                <input type="hidden" name="token" value=token.clone()/>
                                                <button type="submit" class="button button-primary">"Accept invitation"</button>
                                            </ActionForm>
                                        }.into_any(),
                                        None => view! {
                                            <div class="actions">
                                                <A href=format!("/signup?invitation={}&email={}", encode_query_value(&token), encode_query_value(&email)) attr:class="button button-primary">"Sign up and join"</A>
                                                <A href=format!("/login?next={}", encode_query_value(&format!("/invitations/{token}"))) attr:class="button">"I have an account: log in"</A>
                                            </div>
                                        }.into_any(),
                                    }
                                }}
                            </section>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
