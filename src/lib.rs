//! Portcullis: a cloud dashboard (accounts, organizations, teams, fleets) whose headline feature is enterprise single
//! sign-on over SAML 2.0. Layers, dependencies pointing one way:
//! `ui` (Leptos pages) → `api` (server functions) → `server::services` → `server::{auth, db}`.

pub mod api;
pub mod app;
pub mod shared;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the browser bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
