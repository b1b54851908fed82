//! The target of the verification link: confirms the address and says what happened.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::verify_email;

#[component]
pub fn VerifyEmail() -> impl IntoView {
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let outcome = Resource::new(move || token.clone(), verify_email);
    view! {
        <Title text="Verify email"/>
        <section class="card auth-card">
            <h1>"Email verification"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Checking the link…"</p> }>
                {move || Suspend::new(async move {
                    match outcome.await {
                        Ok(email) => view! {
                            <p class="alert alert-success" role="status">{format!("{email} is verified.")}</p>
                            <A href="/login" attr:class="button button-primary">"Log in"</A>
                        }
                        .into_any(),
                        Err(err) => view! {
                            <div class="alert alert-error" role="alert" data-code=err.code.as_str()>{err.message}</div>
                            <p><A href="/signup/check-email">"Send me a new verification link"</A></p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
