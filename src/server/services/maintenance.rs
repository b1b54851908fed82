//! Periodic clean-up of rows nobody will read again: expired sessions, rate-limit windows, expired links, login
//! challenges, and the SAML requests, replay-cache entries and login failures past their time.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

use crate::server::auth::{rate_limit, sessions};
use crate::server::db::entities::email_token;
use crate::server::services::{login, sso};
use crate::server::state::AppState;
use crate::shared::error::AppResult;

pub async fn purge_expired(state: &AppState) -> AppResult<()> {
    let now = state.now();
    let ended_sessions = sessions::purge_expired(&state.db, state.session_lifetimes(), now).await?;
    let windows = rate_limit::purge(&state.db, now).await?;
    let links = email_token::Entity::delete_many()
        // Used links stay until they expire, so a second click still says "already used".
        .filter(email_token::Column::ExpiresAt.lte(now))
        .exec(&state.db)
        .await?
        .rows_affected;
    sso::purge_expired(&state.db, now).await?;
    login::purge_expired(state).await?;
    tracing::debug!(ended_sessions, windows, links, "purged expired rows");
    Ok(())
}

/// Runs the purge every ten minutes for as long as the server runs.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(err) = purge_expired(&state).await {
                tracing::warn!(error = %err, "purge of expired rows failed");
            }
        }
    });
}
