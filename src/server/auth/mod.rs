//! Authentication primitives: password hashing and strength, random tokens, CSRF tokens, database-backed sessions
//! and rate limits, and the per-request visitor extracted from cookies.

pub mod csrf;
pub mod password;
pub mod rate_limit;
pub mod sessions;
pub mod tokens;
pub mod visitor;
