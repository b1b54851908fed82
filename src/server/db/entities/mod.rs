//! sea-orm entities, one module per table (schema in `migrations/`).

pub mod account_merge;
pub mod api_key;
pub mod device;
pub mod domain;
pub mod email_token;
pub mod fleet;
pub mod identity_provider;
pub mod idp_certificate;
pub mod idp_organization;
pub mod invitation;
pub mod login_challenge;
pub mod membership;
pub mod organization;
pub mod rate_limit;
pub mod recovery_code;
pub mod saml_identity;
pub mod saml_login_failure;
pub mod saml_replay;
pub mod saml_request;
pub mod server_secret;
pub mod session;
pub mod team;
pub mod team_member;
pub mod two_factor_secret;
pub mod user;
