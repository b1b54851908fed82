//! The application state every request handler and service receives: database, configuration, clock, mailer, keys.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use std::sync::Arc;

use crate::server::auth::csrf::CsrfKey;
use crate::server::auth::sessions::Lifetimes;
use crate::server::auth::tokens::random_token;
use crate::server::clock::Clock;
use crate::server::config::Config;
use crate::server::db::entities::server_secret;
use crate::server::mail::Mailer;
use crate::server::pool::Pools;
use crate::shared::error::{AppError, ErrorCode};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub mailer: Mailer,
    pub csrf: CsrfKey,
    /// Bounded pools for expensive work strangers can cause.
    pub pools: Pools,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn session_lifetimes(&self) -> Lifetimes {
        Lifetimes {
            idle: chrono::Duration::minutes(self.config.session_idle_minutes),
            absolute: chrono::Duration::hours(self.config.session_absolute_hours),
        }
    }

    /// An absolute link into the app, for emails.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }
}

/// Reads the named secret, generating and storing it on first use. Concurrent first starts agree on one value
/// because the insert does nothing when another instance got there first.
pub async fn shared_secret(
    db: &DatabaseConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, AppError> {
    let candidate = server_secret::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(random_token()),
        created_at: Set(now),
    };
    server_secret::Entity::insert(candidate)
        .on_conflict_do_nothing()
        .exec(db)
        .await?;
    let stored = server_secret::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::Internal))?;
    Ok(stored.value.into_bytes())
}
