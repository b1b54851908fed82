//! Code compiled for both the server and the browser: view models, the error type, and small pure helpers.

pub mod error;
pub mod models;
pub mod paths;
pub mod user_agent;

/// Formats a moment for people: `2026-11-23 08:11 UTC`.
pub fn format_time(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
