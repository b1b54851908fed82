//! The HTML shell, the router with every page, the header with the account menu, and the visit context (who is
//! signed in, the CSRF token) that every page reads.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::api::accounts::get_visit;
use crate::ui::components::layout::{Footer, Header, NotFound};
use crate::ui::components::visit::VisitContext;
use crate::ui::pages;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security::page_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let epoch = RwSignal::new(0u32);
    // Blocking: pages are rendered whole on the server (they work without JavaScript), and redirects for
    // signed-out visitors must be decided before the first byte is sent.
    let visit = Resource::new_blocking(move || epoch.get(), |_| get_visit());
    provide_context(VisitContext { epoch, visit });
    // Effects run only in the browser: the marker says the page is hydrated (the end-to-end tests wait for it).
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/portcullis.css"/>
        <Title formatter=|text: String| if text.is_empty() { "Portcullis".to_string() } else { format!("{text} · Portcullis") }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header/>
            <main id="main" class="container">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=pages::landing::Landing ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=pages::signup::Signup ssr=SsrMode::Async/>
                    <Route path=path!("/signup/check-email") view=pages::signup::CheckEmail ssr=SsrMode::Async/>
                    <Route path=path!("/verify-email") view=pages::verify_email::VerifyEmail ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::login::Login ssr=SsrMode::Async/>
                    <Route path=path!("/login/two-factor") view=pages::two_factor_login::TwoFactorLoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/confirm") view=pages::login_confirm::ConfirmLoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=pages::password_reset::ForgotPassword ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password/sent") view=pages::password_reset::ResetSent ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view=pages::password_reset::ResetPassword ssr=SsrMode::Async/>
                    <Route path=path!("/dashboard") view=pages::dashboard::DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/organizations/:id") view=pages::organization::OrganizationPage ssr=SsrMode::Async/>
                    <Route path=path!("/organizations/:id/audit") view=pages::audit_log::AuditLogPage ssr=SsrMode::Async/>
                    <Route path=path!("/organizations/:id/role-mappings") view=pages::role_mappings::RoleMappingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/organizations/:id/security") view=pages::organization_sso::SsoEnforcementPage ssr=SsrMode::Async/>
                    <Route path=path!("/organizations/:id/identity-providers/new") view=pages::identity_providers::NewIdentityProviderPage ssr=SsrMode::Async/>
                    <Route path=path!("/identity-providers/:identifier") view=pages::identity_providers::IdentityProviderPage ssr=SsrMode::Async/>
                    <Route path=path!("/invitations/:token") view=pages::invitation::InvitationPage ssr=SsrMode::Async/>
                    <Route path=path!("/fleets/:id") view=pages::fleet::FleetPage ssr=SsrMode::Async/>
                    <Route path=path!("/devices/:id") view=pages::device::DevicePage ssr=SsrMode::Async/>
                    <Route path=path!("/preferences") view=pages::preferences::PreferencesPage ssr=SsrMode::Async/>
                    <Route path=path!("/preferences/enterprise-sso") view=pages::enterprise_sso::EnableEnterpriseSsoPage ssr=SsrMode::Async/>
                    <Route path=path!("/preferences/enterprise-sso/receipt") view=pages::enterprise_sso::MergeReceiptPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
