//! The REST API under `/api/v1`: authenticated by API keys (`Authorization: Bearer pc_…`), JSON in and out, errors
//! as `{code, message, field}` with the error's HTTP status, per-key rate limits, page-numbered lists, and the
//! OpenAPI document generated from the handlers (`/api/v1/openapi.json`, readable at `/api/docs`). Handlers are thin:
//! caller and input in, one service call, response out.

mod openapi;
mod resources;
pub mod schema;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use std::fmt;

use crate::server::auth::visitor::client_ip;
use crate::server::services::api_keys::{self, KeyCaller};
use crate::server::state::AppState;
use crate::shared::error::{AppError, ErrorCode};
use schema::{ErrorBody, PageInfo, PageQuery};

pub use openapi::ApiDoc;

pub const PREFIX: &str = "/api/v1";
const DEFAULT_PER_PAGE: u64 = 50;
const MAX_PER_PAGE: u64 = 100;

/// An `AppError` answered as JSON: the one place the API turns a failure into a response.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if self.0.code == ErrorCode::Internal {
            tracing::error!(code = %self.0.code, message = %self.0.message, "API request failed");
        } else {
            tracing::info!(code = %self.0.code, "API request refused");
        }
        let mut response = HttpResponse::build(self.status_code());
        if self.0.code == ErrorCode::RateLimited {
            response.insert_header((header::RETRY_AFTER, "60"));
        }
        if self.status_code() == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"portcullis\""));
        }
        response.json(ErrorBody::from(&self.0))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The authenticated caller of a request, from its API key.
pub struct Caller(pub KeyCaller);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let ip = state
            .as_ref()
            .map(|s| client_ip(req, s.config.trust_forwarded_for))
            .unwrap_or_default();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::new(ErrorCode::Internal))?;
            let caller = api_keys::authenticate(&state, authorization.as_deref(), &ip).await?;
            Ok(Caller(caller))
        })
    }
}

/// One page of `items` (already in order), with where it sits.
pub fn paginate<T>(items: Vec<T>, query: &PageQuery) -> ApiResult<(Vec<T>, PageInfo)> {
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 {
        return Err(AppError::new(ErrorCode::InvalidInput)
            .with_message("Pages are numbered from 1.")
            .on_field("page")
            .into());
    }
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(AppError::new(ErrorCode::InvalidInput)
            .with_message(format!("per_page must be between 1 and {MAX_PER_PAGE}."))
            .on_field("per_page")
            .into());
    }
    let total = items.len() as u64;
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(usize::MAX);
    let data: Vec<T> = items.into_iter().skip(skip).take(take).collect();
    let next_page = (page.saturating_mul(per_page) < total).then_some(page + 1);
    Ok((
        data,
        PageInfo {
            page,
            per_page,
            total,
            next_page,
        },
    ))
}

/// A malformed body, path or query is answered like any other refusal, with what was wrong.
fn invalid_request(what: &str, detail: impl fmt::Display) -> actix_web::Error {
    ApiError(
        AppError::new(ErrorCode::InvalidInput)
            .with_message(format!("The request's {what} is not valid: {detail}")),
    )
    .into()
}

async fn unknown_endpoint() -> ApiResult<HttpResponse> {
    Err(AppError::new(ErrorCode::NotFound)
        .with_message("There is no such API endpoint. The list is at /api/v1/openapi.json.")
        .into())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/docs", web::get().to(openapi::docs_page))
        .service(
            web::scope(PREFIX)
                .app_data(
                    web::JsonConfig::default()
                        .limit(64 * 1024)
                        .error_handler(|err, _| invalid_request("JSON body", err)),
                )
                .app_data(
                    web::PathConfig::default().error_handler(|err, _| invalid_request("path", err)),
                )
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|err, _| invalid_request("query", err)),
                )
                .route("/openapi.json", web::get().to(openapi::document))
                .configure(resources::configure)
                .default_service(web::to(unknown_endpoint)),
        );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(page: Option<u64>, per_page: Option<u64>) -> PageQuery {
        PageQuery { page, per_page }
    }

    #[test]
    fn pages_split_the_list_and_say_what_follows() {
        let items: Vec<u32> = (1..=5).collect();
        let (data, info) = paginate(items.clone(), &query(Some(2), Some(2))).unwrap();
        assert_eq!(data, vec![3, 4]);
        assert_eq!((info.total, info.next_page), (5, Some(3)));
        let (data, info) = paginate(items.clone(), &query(Some(3), Some(2))).unwrap();
        assert_eq!((data, info.next_page), (vec![5], None));
        let (data, _) = paginate(items.clone(), &query(Some(9), Some(2))).unwrap();
        assert!(data.is_empty());
        assert_eq!(
            paginate(items.clone(), &query(None, None)).unwrap().0.len(),
            5
        );
        for (page, per_page, field) in [(0, 10, "page"), (1, 0, "per_page"), (1, 101, "per_page")] {
            let err = paginate(items.clone(), &query(Some(page), Some(per_page))).unwrap_err();
            assert_eq!(err.0.field.as_deref(), Some(field));
        }
    }
}
