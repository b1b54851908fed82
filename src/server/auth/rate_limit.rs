//! Fixed-window attempt counters in the database, so every app instance counts the same attempts.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
};

use crate::server::db::entities::rate_limit;
use crate::shared::error::{AppError, ErrorCode};

/// The length of one counting window.
pub const WINDOW_SECONDS: i64 = 15 * 60;

fn window_start(now: DateTime<Utc>, window_seconds: i64) -> i64 {
    now.timestamp() - now.timestamp().rem_euclid(window_seconds)
}

fn refuse(bucket: &str, hits: i64) -> AppError {
    tracing::warn!(bucket, hits, "rate limit exceeded");
    AppError::new(ErrorCode::RateLimited)
}

/// Adds one to the bucket's counter for the current window and returns the new count.
pub async fn record(
    db: &impl ConnectionTrait,
    bucket: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    record_in_window(db, bucket, WINDOW_SECONDS, now).await
}

/// Like `record`, with windows of `window_seconds` (the bucket name must be used with one window length only).
async fn record_in_window(
    db: &impl ConnectionTrait,
    bucket: &str,
    window_seconds: i64,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let row = rate_limit::ActiveModel {
        bucket: Set(bucket.to_owned()),
        window_start: Set(window_start(now, window_seconds)),
        hits: Set(1),
        expires_at: Set(now + Duration::seconds(2 * window_seconds)),
    };
    let counted = rate_limit::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([rate_limit::Column::Bucket, rate_limit::Column::WindowStart])
                .value(
                    rate_limit::Column::Hits,
                    Expr::col((rate_limit::Entity, rate_limit::Column::Hits)).add(1),
                )
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(i64::from(counted.hits))
}

/// Counts one attempt in `bucket` and refuses it when more than `limit` were made in the current window.
pub async fn hit(
    db: &impl ConnectionTrait,
    bucket: &str,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let hits = record(db, bucket, now).await?;
    if hits > i64::from(limit) {
        return Err(refuse(bucket, hits));
    }
    Ok(())
}

/// Counts one request in `bucket` with windows of `window_seconds` and refuses it when more than `limit` were made
/// in the current window (the API's per-key limit).
pub async fn hit_in_window(
    db: &impl ConnectionTrait,
    bucket: &str,
    limit: u32,
    window_seconds: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let hits = record_in_window(db, bucket, window_seconds, now).await?;
    if hits > i64::from(limit) {
        return Err(refuse(bucket, hits).with_message(format!(
            "Too many requests with this key: at most {limit} per {window_seconds} seconds. Wait and try again."
        )));
    }
    Ok(())
}

/// The attempts recorded in the bucket's current window.
pub async fn count(
    db: &impl ConnectionTrait,
    bucket: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    Ok(
        rate_limit::Entity::find_by_id((bucket.to_owned(), window_start(now, WINDOW_SECONDS)))
            .one(db)
            .await?
            .map_or(0, |row| i64::from(row.hits)),
    )
}

/// Refuses when `limit` attempts were already recorded in the current window, without counting this one.
pub async fn check(
    db: &impl ConnectionTrait,
    bucket: &str,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let hits = count(db, bucket, now).await?;
    if hits >= i64::from(limit) {
        return Err(refuse(bucket, hits));
    }
    Ok(())
}

/// Deletes counters of windows that are over.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, AppError> {
    let result = rate_limit::Entity::delete_many()
        .filter(rate_limit::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
