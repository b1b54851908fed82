//! Business rules. Services own transactions; they take the application state (database, clock, mailer) and return
//! view models or `AppError`s.

pub mod accounts;
pub mod fleets;
pub mod identity_providers;
pub mod maintenance;
pub mod organizations;
pub mod sso;
pub mod teams;
