//! The landing page: what Portcullis is, and the way in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::ui::components::visit::{current_user, use_visit};

#[component]
pub fn Landing() -> impl IntoView {
    let ctx = use_visit();
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"Your fleets, your people, your identity provider."</h1>
            <p class="lead">
                "Portcullis is the cloud dashboard for device fleets with enterprise single sign-on: connect Entra ID, "
                "Google, Okta or Keycloak over SAML 2.0, and let your people sign in with their corporate accounts."
            </p>
            <Suspense>
                {move || Suspend::new(async move {
                    if current_user(&ctx.visit.await).is_some() {
                        view! { <A href="/dashboard" attr:class="button button-primary">"Go to your dashboard"</A> }.into_any()
                    } else {
                        view! {
                            <div class="actions">
                                <A href="/signup" attr:class="button button-primary">"Create an account"</A>
                                <A href="/login" attr:class="button">"Log in"</A>
                            </div>
                        }
                        .into_any()
                    }
                })}
            </Suspense>
        </section>
        <section class="features">
            <div class="feature">
                <h2>"Organizations and teams"</h2>
                <p>"Invite colleagues, give them owner, admin or member roles, and group them into teams."</p>
            </div>
            <div class="feature">
                <h2>"Fleets and devices"</h2>
                <p>"Keep fleets of your own or your organization's, and see every device's status at a glance."</p>
            </div>
            <div class="feature">
                <h2>"Security first"</h2>
                <p>"Server-side sessions you can revoke, rate-limited logins, and single sign-on that tells admins exactly why a login failed."</p>
            </div>
        </section>
    }
}
