//! The page frame: header with navigation and the account menu, footer, the not-found page, and a page heading.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::accounts::LogOut;
use crate::ui::components::visit::{current_user, use_visit, CsrfField};
use leptos::form::ActionForm;

#[component]
pub fn Header() -> impl IntoView {
    let ctx = use_visit();
    let log_out = ServerAction::<LogOut>::new();
    ctx.refresh_after(log_out.value());
    view! {
        <header class="site-header">
            <div class="container header-inner">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"▥"</span>
                    " Portcullis"
                </A>
                <Suspense>
                    {move || Suspend::new(async move {
                        match current_user(&ctx.visit.await) {
                            Some(user) => view! {
                                <nav class="main-nav" aria-label="Main">
                                    <A href="/dashboard">"Dashboard"</A>
                                    <A href="/preferences">"Preferences"</A>
                                    <span class="who" title=user.email.clone()>{user.name.clone()}</span>
                                    <ActionForm action=log_out attr:class="inline">
                                        <CsrfField/>
                                        <button type="submit" class="button-link">"Log out"</button>
                                    </ActionForm>
                                </nav>
                            }
                            .into_any(),
                            None => view! {
                                <nav class="main-nav" aria-label="Main">
                                    <A href="/login">"Log in"</A>
                                    <A href="/signup" attr:class="button button-small">"Sign up"</A>
                                </nav>
                            }
                            .into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container">"Portcullis · cloud dashboard with enterprise single sign-on · "<a href="/api/docs" rel="external">"API reference"</a></div>
        </footer>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_actix::ResponseOptions>() {
            response.set_status(actix_web::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found"/>
        <section class="narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Check the link, or go to your "<A href="/dashboard">"dashboard"</A>"."</p>
        </section>
    }
}

/// Shows a failed page load (not found, no permission…) as a message with a way back.
#[component]
pub fn LoadError(error: crate::shared::error::AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let (Some(response), Ok(status)) = (
            use_context::<leptos_actix::ResponseOptions>(),
            actix_web::http::StatusCode::from_u16(error.status()),
        ) {
            response.set_status(status);
        }
    }
    view! {
        <section class="narrow">
            <h1>"Cannot show this page"</h1>
            <div class="alert alert-error" role="alert" data-code=error.code.as_str()>{error.message}</div>
            <p><A href="/dashboard">"Back to the dashboard"</A></p>
        </section>
    }
}

/// The numeric `:id` of the current route; 0 (which matches nothing) when it is not a number.
pub fn id_param() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    }
}
