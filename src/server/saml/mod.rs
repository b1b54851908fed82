//! SAML 2.0 service provider. `core` is pure (no actix, no database, no clock of its own): configuration, response
//! validation against the DESIGN.md checklist, and its error codes. `routes` are the thin HTTP endpoints over the
//! identity-provider and SSO services.

pub mod check;
pub mod core;
pub mod routes;
