//! The dashboard's files and the OpenAPI document, compiled into the
//! binary from `sink/web/`. Served with an ETag (a hash of the content) so
//! a reload revalidates in one round trip without downloading again.

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub(crate) const INDEX: &str = include_str!("../../web/index.html");
pub(crate) const APP_JS: &str = include_str!("../../web/app.js");
pub(crate) const APP_CSS: &str = include_str!("../../web/app.css");
pub(crate) const FAVICON: &str = include_str!("../../web/favicon.svg");
pub(crate) const OPENAPI: &str = include_str!("../../web/openapi.json");

/// A stable 64-bit FNV-1a hash, as a strong ETag.
fn etag(body: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

fn file(headers: &HeaderMap, body: &'static str, content_type: &'static str) -> Response {
    let tag = etag(body);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    response
}

/// The dashboard's public files (they hold no data: the data comes from
/// the API, behind the token when one is set).
pub(crate) fn router() -> Router {
    Router::new()
        .route("/", get(|h: HeaderMap| async move { file(&h, INDEX, "text/html; charset=utf-8") }))
        .route("/app.js", get(|h: HeaderMap| async move { file(&h, APP_JS, "text/javascript; charset=utf-8") }))
        .route("/app.css", get(|h: HeaderMap| async move { file(&h, APP_CSS, "text/css; charset=utf-8") }))
        .route("/favicon.svg", get(|h: HeaderMap| async move { file(&h, FAVICON, "image/svg+xml") }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
}

/// `GET /openapi.json`: the API's hand-written description.
pub(crate) async fn openapi(headers: HeaderMap) -> Response {
    file(&headers, OPENAPI, "application/json")
}
