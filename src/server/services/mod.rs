//! Business rules. Services own transactions; they take the application state (database, clock, mailer) and return
//! view models or `AppError`s.

pub mod accounts;
pub mod actor;
pub mod api_keys;
pub mod audit;
pub mod authz;
pub mod domains;
pub mod enforcement;
pub mod fleets;
pub mod identity_providers;
pub mod login;
pub mod login_throttle;
pub mod maintenance;
pub mod merge;
pub mod organizations;
pub mod role_mappings;
pub mod sso;
pub mod teams;
pub mod two_factor;
