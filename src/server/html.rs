//! Standalone HTML pages served outside the Leptos app (SAML hand-offs and errors, the API reference): our header
//! and stylesheet, a strict Content-Security-Policy, escaping.

use actix_web::http::header;
use actix_web::HttpResponse;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The origin (`scheme://host:port`) a form may be posted to, for the page's `form-action`.
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    Some(parsed.origin().ascii_serialization())
}

/// A page in the narrow column (hand-offs, errors).
pub fn html_page(
    status: u16,
    title: &str,
    body: &str,
    nonce: Option<&str>,
    form_action: Option<&str>,
) -> HttpResponse {
    html_page_with_head(status, title, "", body, nonce, form_action)
}

/// A page in the narrow column with extra `<head>` markup (a meta refresh).
pub fn html_page_with_head(
    status: u16,
    title: &str,
    head: &str,
    body: &str,
    nonce: Option<&str>,
    form_action: Option<&str>,
) -> HttpResponse {
    page(
        status,
        title,
        head,
        body,
        nonce,
        form_action,
        "container narrow",
    )
}

/// A reference page across the full content width, without scripts or forms to other origins.
pub fn wide_page(title: &str, body: &str) -> HttpResponse {
    page(200, title, "", body, None, None, "container wide")
}

fn page(
    status: u16,
    title: &str,
    head: &str,
    body: &str,
    nonce: Option<&str>,
    form_action: Option<&str>,
    main_class: &str,
) -> HttpResponse {
    let script_src = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let form_action = form_action.map(|o| format!(" {o}")).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'{script_src}; style-src 'self'; img-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'self'; form-action 'self'{form_action}; object-src 'none'"
    );
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\">{head}<title>{title} · Portcullis</title>\
         <link rel=\"stylesheet\" href=\"/pkg/portcullis.css\"></head><body>\
         <header class=\"site-header\"><div class=\"container header-inner\"><a class=\"brand\" href=\"/\">\
         <span class=\"brand-mark\" aria-hidden=\"true\">▥</span> Portcullis</a></div></header>\
         <main class=\"{main_class}\">{body}</main></body></html>",
        title = escape(title)
    );
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .insert_header((header::CONTENT_SECURITY_POLICY, policy))
    .insert_header((header::CACHE_CONTROL, "no-store"))
    .content_type("text/html; charset=utf-8")
    .body(page)
}
