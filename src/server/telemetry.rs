//! Logging and tracing: human-readable or JSON lines, filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::{fmt, EnvFilter};

use crate::server::config::LogFormat;

/// Installs the global subscriber once; later calls (tests start many apps) are ignored.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let result = match format {
        LogFormat::Json => fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .try_init(),
        LogFormat::Text => fmt().with_env_filter(filter).try_init(),
    };
    // Err means a subscriber is already installed, which is fine.
    drop(result);
}
