//! The one integration-test binary: each test starts the real app (port 0, fresh database, real SMTP server) on
//! every configured database engine and drives it over HTTP.

mod accounts;
mod budgets;
mod cli;
mod dns_server;
mod domains;
mod enforcement;
mod fleets;
mod helpers;
mod organizations;
mod permissions;
mod rest;
mod role_mappings;
mod saml_idp;
mod saml_security;
mod sso;
mod sso_accounts;
mod trust;
mod two_factor;
mod web;
