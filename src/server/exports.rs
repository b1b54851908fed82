//! Downloads for signed-in browsers: an organization's audit log as JSON or CSV
//! (`GET /organizations/{id}/audit-log.json|csv?category=…&outcome=…`, owners only), with the same filters as its page.

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::server::auth::visitor::Visitor;
use crate::server::services::actor::Actor;
use crate::server::services::audit::{self, AuditFilter};
use crate::server::state::AppState;
use crate::shared::error::{AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/organizations/{id}/audit-log.{format}",
        web::get().to(audit_log),
    );
}

#[derive(Deserialize)]
pub struct FilterQuery {
    category: Option<String>,
    outcome: Option<String>,
}

fn refusal(err: &AppError) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(err.code.status())
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .content_type("text/plain; charset=utf-8")
    .body(err.message.clone())
}

async fn audit_log(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    query: web::Query<FilterQuery>,
) -> HttpResponse {
    let (organization_id, format) = path.into_inner();
    let visitor = req.extensions().get::<Visitor>().cloned();
    let Some(me) = visitor.as_ref().and_then(|v| v.signed_in.as_ref()) else {
        return refusal(&AppError::new(ErrorCode::NotSignedIn));
    };
    let filter = match AuditFilter::parse(query.category.as_deref(), query.outcome.as_deref()) {
        Ok(filter) => filter,
        Err(err) => return refusal(&err),
    };
    let log = match audit::for_organization(
        &state,
        &Actor::signed_in(me.user.id, &me.session),
        organization_id,
        &filter,
    )
    .await
    {
        Ok(log) => log,
        Err(err) => return refusal(&err),
    };
    let filename = format!("portcullis-audit-{organization_id}.{format}");
    let disposition = (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{filename}\""),
    );
    let no_store = (header::CACHE_CONTROL, "no-store");
    match format.as_str() {
        "json" => HttpResponse::Ok()
            .insert_header(disposition)
            .insert_header(no_store)
            .json(&log.events),
        "csv" => HttpResponse::Ok()
            .insert_header(disposition)
            .insert_header(no_store)
            .content_type("text/csv; charset=utf-8")
            .body(audit::to_csv(&log.events)),
        _ => refusal(
            &AppError::new(ErrorCode::InvalidInput).with_message("Export as .json or .csv."),
        ),
    }
}
