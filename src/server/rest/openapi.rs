//! The OpenAPI 3.1 document of the REST API, generated from the handlers' annotations, and a readable reference page
//! rendered from that same document on the server (no external scripts or fonts).

use actix_web::HttpResponse;
use std::fmt::Write;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi as Document, RefOr};
use utoipa::OpenApi;

use super::resources::Endpoints;
use crate::server::html::{escape, wide_page};

/// The whole document: the endpoints, bearer-key security on every one of them, and the API's description.
pub struct ApiDoc;

impl ApiDoc {
    pub fn document() -> Document {
        let mut doc = Endpoints::openapi();
        doc.info = InfoBuilder::new()
            .title("Portcullis API")
            .version("1")
            .description(Some(
                "Manage organizations, teams, fleets and devices. Authenticate every request with an API key: \
                 `Authorization: Bearer pc_…`. Personal keys act with your current rights; organization keys act \
                 inside their organization with their role. Errors are `{code, message, field}` with a stable \
                 `code`. Lists are paged with `page` and `per_page` (at most 100). Each key may make a limited \
                 number of requests per minute; over it, the answer is 429 with `Retry-After`.",
            ))
            .build();
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pc_<id>_<secret>")
                    .build(),
            ),
        );
        doc.security = Some(vec![SecurityRequirement::new(
            "api_key",
            Vec::<String>::new(),
        )]);
        doc
    }
}

/// `GET /api/v1/openapi.json`
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::document())
}

fn describe_operation(out: &mut String, method: &str, path: &str, op: &Operation) {
    let anchor: String = format!("{method}-{path}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let _ = write!(
        out,
        "<section class=\"card api-op\" id=\"{anchor}\"><h3><span class=\"badge method method-{m}\">{M}</span> \
         <code>{path}</code></h3>",
        m = method,
        M = method.to_uppercase(),
        path = escape(path)
    );
    if let Some(text) = op.description.as_deref().or(op.summary.as_deref()) {
        let _ = write!(out, "<p>{}</p>", escape(text));
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    if !params.is_empty() {
        out.push_str("<table class=\"table\"><thead><tr><th>Parameter</th><th>In</th><th>Description</th></tr></thead><tbody>");
        for p in params {
            let place = match p.parameter_in {
                ParameterIn::Path => "path",
                ParameterIn::Query => "query",
                ParameterIn::Header => "header",
                ParameterIn::Cookie => "cookie",
            };
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{place}</td><td>{}</td></tr>",
                escape(&p.name),
                escape(p.description.as_deref().unwrap_or_default())
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(body) = &op.request_body {
        for (media, content) in &body.content {
            if let Some(RefOr::Ref(reference)) = &content.schema {
                let _ =
                    write!(
                    out,
                    "<p>Request body ({}): <a href=\"#schema-{name}\"><code>{name}</code></a></p>",
                    escape(media),
                    name = escape(reference.ref_location.rsplit('/').next().unwrap_or_default())
                );
            }
        }
    }
    out.push_str("<p class=\"muted\">Responses: ");
    let responses: Vec<String> = op
        .responses
        .responses
        .iter()
        .map(|(status, response)| {
            let schema = match response {
                RefOr::T(r) => r.content.values().find_map(|c| match &c.schema {
                    Some(RefOr::Ref(reference)) => {
                        reference.ref_location.rsplit('/').next().map(str::to_owned)
                    }
                    _ => None,
                }),
                RefOr::Ref(_) => None,
            };
            match schema {
                Some(name) => format!(
                    "<code>{status}</code> <a href=\"#schema-{n}\">{n}</a>",
                    n = escape(&name)
                ),
                None => format!("<code>{status}</code>"),
            }
        })
        .collect();
    out.push_str(&responses.join(", "));
    out.push_str("</p></section>");
}

/// `GET /api/docs`: the reference, rendered from the document.
pub async fn docs_page() -> HttpResponse {
    let doc = ApiDoc::document();
    let mut body = String::from(
        "<h1>Portcullis API</h1><p><a class=\"button\" href=\"/api/v1/openapi.json\">OpenAPI document (JSON)</a></p>",
    );
    if let Some(text) = &doc.info.description {
        let _ = write!(
            body,
            "<section class=\"card\"><p>{}</p></section>",
            escape(text)
        );
    }
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ] {
            if let Some(op) = op {
                describe_operation(&mut body, method, path, op);
            }
        }
    }
    if let Some(components) = &doc.components {
        body.push_str("<h2>Schemas</h2>");
        for (name, schema) in &components.schemas {
            let json = serde_json::to_string_pretty(schema).unwrap_or_default();
            let _ = write!(
                body,
                "<section class=\"card\" id=\"schema-{n}\"><h3><code>{n}</code></h3><pre class=\"code\">{}</pre></section>",
                escape(&json),
                n = escape(name)
            );
        }
    }
    wide_page("API reference", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_endpoint_with_bearer_security() {
        let doc = serde_json::to_value(ApiDoc::document()).unwrap();
        assert_eq!(
            doc["components"]["securitySchemes"]["api_key"]["scheme"],
            "bearer"
        );
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/v1/me",
            "/api/v1/organizations",
            "/api/v1/organizations/{id}/members",
            "/api/v1/organizations/{id}/teams/{team_id}",
            "/api/v1/fleets/{id}/devices",
            "/api/v1/devices/{id}",
        ] {
            assert!(paths.contains_key(path), "{path} missing");
        }
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        assert!(doc["components"]["schemas"]["FleetPage"].is_object());
    }
}
