//! SAML 2.0 service provider. `core` is pure (no actix, no database, no clock of its own): configuration, response
//! validation against the DESIGN.md checklist, and its error codes. Routes and services come on top of it.

pub mod core;
