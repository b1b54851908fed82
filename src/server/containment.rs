//! Keeps one request's failure inside that request: a panic while handling it becomes a 500 for it alone (the
//! worker and every other connection carry on; the release profile unwinds, it never aborts), and every 503 says
//! when to come back (`Retry-After`), since it only ever means a bounded pool or the database is briefly full.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

/// Seconds a refused client is asked to wait.
pub const RETRY_AFTER_SECONDS: u32 = 2;

/// The middleware: wraps the rest of the app.
pub async fn contain(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    // The request cannot be kept for building the answer (actix needs to own it alone), so the panic becomes an
    // error that actix turns into the 500 response.
    let path = req.path().to_owned();
    let outcome = AssertUnwindSafe(next.call(req)).catch_unwind().await;
    let mut response = match outcome {
        Ok(response) => response?,
        Err(_) => {
            tracing::error!(%path, "a request handler panicked; answered 500");
            return Err(actix_web::error::ErrorInternalServerError(
                "Something went wrong on our side. Try again; if it keeps happening, contact support.",
            ));
        }
    };
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(RETRY_AFTER_SECONDS),
        );
    }
    Ok(response)
}
