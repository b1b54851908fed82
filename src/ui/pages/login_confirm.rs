//! The target of the link a challenged login emails (`/login/confirm?token=…`): after many failed attempts for an
//! account, the right password alone does not sign in; this page's button, with the link's token, does. A button
//! rather than the link itself, so mail scanners that open links cannot use it up.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::ConfirmLogin;
use crate::ui::components::forms::{failure, FormError};
use crate::ui::components::visit::{use_visit, CsrfField};

#[component]
pub fn ConfirmLoginPage() -> impl IntoView {
    let action = ServerAction::<ConfirmLogin>::new();
    use_visit().refresh_after(action.value());
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let error = failure(action.value());
    view! {
        <Title text="Finish signing in"/>
        <section class="card auth-card">
            <h1>"Finish signing in"</h1>
            <p class="muted">"There were many failed sign-in attempts for your account, so signing in needs this emailed link as well as your password."</p>
            <FormError error fields=&[]/>
            <ActionForm action=action>
                <CsrfField/>
                <input type="hidden" name="token" value=token/>
                <button type="submit" class="button button-primary button-block">"Finish signing in"</button>
            </ActionForm>
            <p class="form-footer"><A href="/login">"Back to log in"</A></p>
        </section>
    }
}
