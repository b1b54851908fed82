//! Server functions: the thin edge between pages and services. Each one checks the CSRF token of state-changing
//! calls, calls one service, and converts the result once (`edge::run`). Endpoints have stable paths (`/api/{name}`)
//! because tests and scripts call them.

#[cfg(feature = "ssr")]
pub mod edge;

pub mod accounts;
pub mod domains;
pub mod enterprise_sso;
pub mod fleets;
pub mod identity_providers;
pub mod organizations;
pub mod preferences;
pub mod role_mappings;
pub mod security;
