//! Authentication primitives: password hashing and strength, TOTP codes, random tokens, CSRF tokens, database-backed
//! sessions and rate limits, the login state machine between the two factors, API keys, and the per-request visitor
//! extracted from cookies.

pub mod csrf;
pub mod password;
pub mod rate_limit;
pub mod sessions;
pub mod tokens;
pub mod totp;
pub mod visitor;
