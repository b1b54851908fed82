//! sea-orm entities, one module per table (schema in `migrations/`).

pub mod device;
pub mod email_token;
pub mod fleet;
pub mod invitation;
pub mod membership;
pub mod organization;
pub mod rate_limit;
pub mod server_secret;
pub mod session;
pub mod team;
pub mod team_member;
pub mod user;
