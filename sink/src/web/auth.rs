//! Who may read the API, and the headers every response carries.
//!
//! With a token, `/api/*` and `/openapi.json` need `Authorization: Bearer
//! TOKEN` (compared in constant time); `/api/stream` also takes
//! `?access_token=TOKEN`, since a browser's EventSource cannot send
//! headers. The dashboard's HTML, CSS and JS and `/healthz` stay public:
//! they hold no data.
//!
//! Without a token the server only listens on loopback (see
//! [`super::check_exposure`]), and the API also checks the `Host` header
//! names a loopback host: a web page the user visits cannot rebind its own
//! domain name to 127.0.0.1 and read the API through the browser. And a
//! request that changes something (not GET or HEAD: the rules API) must
//! come from the dashboard's own origin when the browser says where it
//! comes from, so another site cannot post to it (CSRF).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::api::ApiError;

/// The dashboard's Content-Security-Policy: scripts and styles from this
/// server only, no inline script, no plugins, no framing.
pub(crate) const CSP: &str =
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub(crate) struct Guard {
    token: Option<Vec<u8>>,
}

impl Guard {
    pub fn new(token: Option<&str>) -> Self {
        Self { token: token.map(|t| t.as_bytes().to_vec()) }
    }

    fn accepts(&self, presented: Option<&str>) -> bool {
        match (&self.token, presented) {
            (None, _) => true,
            (Some(t), Some(p)) => bool::from(t.as_slice().ct_eq(p.as_bytes())),
            (Some(_), None) => false,
        }
    }
}

fn protected(path: &str) -> bool {
    path.starts_with("/api/") || path == "/api" || path == "/openapi.json"
}

/// Whether `host` (a Host header: name or IP, maybe with a port) is this
/// machine's loopback.
fn loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => name == "localhost" || name.ends_with(".localhost"),
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn access_token(req: &Request) -> Option<String> {
    let query = req.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
}

/// Whether a browser's `Origin` header names another site than the one
/// the request is addressed to (`Host`).
fn cross_site(req: &Request) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) else { return false };
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest).trim_end_matches('/');
    !origin_host.eq_ignore_ascii_case(host)
}

/// The access check in front of every route.
pub(crate) async fn guard(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    if !protected(req.uri().path()) {
        return next.run(req).await;
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) && cross_site(&req) {
        return ApiError::new(StatusCode::FORBIDDEN, "requests from other sites may only read").into_response();
    }
    if guard.token.is_none() {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !loopback_host(host) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "without a token the API answers only to localhost (set web.token to serve other hosts)",
            )
            .into_response();
        }
        return next.run(req).await;
    }
    let from_query = if req.uri().path() == "/api/stream" { access_token(&req) } else { None };
    let presented = bearer(&req).map(str::to_owned).or(from_query);
    if guard.accepts(presented.as_deref()) {
        return next.run(req).await;
    }
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "a valid token is required: Authorization: Bearer TOKEN")
            .into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"newsflow\""));
    response
}

/// Security headers on every response; API answers are never cached.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let api = protected(req.uri().path());
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        let g = Guard::new(Some("s3cret-token"));
        assert!(g.accepts(Some("s3cret-token")));
        assert!(!g.accepts(Some("s3cret-tokeN")));
        assert!(!g.accepts(Some("s3cret")));
        assert!(!g.accepts(Some("")));
        assert!(!g.accepts(None));
        assert!(Guard::new(None).accepts(None));
    }

    #[test]
    fn loopback_hosts() {
        for ok in [
            "localhost",
            "localhost:7070",
            "127.0.0.1:7070",
            "127.0.0.9",
            "[::1]:7070",
            "app.localhost:1",
            "LOCALHOST.",
        ] {
            assert!(loopback_host(ok), "{ok}");
        }
        for bad in ["", "evil.example", "evil.example:7070", "10.0.0.1:7070", "[::2]:80", "localhost.evil.example"] {
            assert!(!loopback_host(bad), "{bad}");
        }
    }
}
