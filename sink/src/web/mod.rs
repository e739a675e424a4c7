//! The dashboard and its JSON API, served by `newsflow run` and `newsflow
//! serve`.
//!
//! Layout:
//! - [`api`]: the JSON endpoints (articles, search, stories, sources) over
//!   a [`Reader`](crate::query::Reader); errors are `{"error": "…"}`.
//! - [`stream`]: `/api/stream`, new articles as Server-Sent Events.
//! - [`auth`]: the bearer token, the loopback-only rule without one, and
//!   the security headers every response carries.
//! - [`assets`]: the dashboard (`sink/web/`: HTML, CSS, vanilla JS; no
//!   build step, nothing from the internet) and `openapi.json`, compiled
//!   into the binary.
//! - [`fetcher`]: the fetcher's per-source health, read from its state
//!   file (read-only).
//!
//! Article text is untrusted HTML. The dashboard inserts it only as text
//! (`textContent`), links only http(s) URLs, and the Content-Security-Policy
//! allows no inline script, so a `<script>` in an article can never run.

mod api;
mod assets;
mod auth;
mod fetcher;
mod stream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{MethodRouter, get};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::Store;
use crate::query::Reader;

/// What the web server needs to start.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// `IP:PORT` to listen on.
    pub listen: String,
    /// Bearer token for `/api/*` and `/openapi.json`; `None` serves them to
    /// anyone who can reach the address (loopback only).
    pub token: Option<String>,
    /// The store's URL, for the reader's own connections.
    pub database_url: String,
    /// The fetcher's state file, for per-source fetch health.
    pub fetcher_state: Option<PathBuf>,
    /// How often a live stream looks for new articles.
    pub poll_interval: Duration,
    /// Live streams served at once; more are refused with 503.
    pub max_streams: usize,
}

impl WebOptions {
    pub fn new(listen: impl Into<String>, database_url: impl Into<String>) -> Self {
        Self {
            listen: listen.into(),
            token: None,
            database_url: database_url.into(),
            fetcher_state: None,
            poll_interval: Duration::from_secs(1),
            max_streams: 64,
        }
    }
}

/// Why the web server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("web.listen: {0:?} is not an address like 127.0.0.1:7070")]
    BadAddress(String),
    #[error(
        "web.listen {0} is reachable from other machines but no token is set: \
         set web.token (better: the NEWSFLOW_WEB__TOKEN environment variable) or listen on 127.0.0.1"
    )]
    ExposedWithoutToken(String),
    #[error("web.listen {0}: {1}")]
    Bind(String, std::io::Error),
    #[error(transparent)]
    Reader(#[from] crate::query::QueryError),
}

/// The token, if any ("" counts as none).
pub fn effective_token(token: Option<&str>) -> Option<&str> {
    token.map(str::trim).filter(|t| !t.is_empty())
}

/// Refuse an address beyond loopback without a token.
pub fn check_exposure(listen: &str, token: Option<&str>) -> Result<SocketAddr, WebError> {
    let addr: SocketAddr = listen.parse().map_err(|_| WebError::BadAddress(listen.to_owned()))?;
    if !addr.ip().is_loopback() && effective_token(token).is_none() {
        return Err(WebError::ExposedWithoutToken(listen.to_owned()));
    }
    Ok(addr)
}

/// Shared by every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    reader: Arc<Reader>,
    fetcher_state: Option<Arc<PathBuf>>,
    streams: Arc<Semaphore>,
    poll_interval: Duration,
    cancel: CancellationToken,
}

/// Every route of this module: `(method, path, handler)`. The router is
/// built from this table, and a test checks each entry is in the OpenAPI
/// document.
pub(crate) fn routes() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("GET", "/api/articles", get(api::articles)),
        ("GET", "/api/articles/{id}", get(api::article)),
        ("GET", "/api/search", get(api::search)),
        ("GET", "/api/stories", get(api::stories)),
        ("GET", "/api/stories/{id}", get(api::story)),
        ("GET", "/api/sources", get(api::sources)),
        ("GET", "/api/stats", get(api::stats)),
        ("GET", "/api/stream", get(stream::stream)),
        ("GET", "/openapi.json", get(assets::openapi)),
        ("GET", "/healthz", get(|| async { "ok\n" })),
    ]
}

/// The whole application: API, alert endpoints, dashboard, headers, auth.
pub fn router(store: Arc<Store>, opts: &WebOptions, cancel: CancellationToken) -> Result<Router, WebError> {
    let state = AppState {
        reader: Arc::new(Reader::open(&opts.database_url)?),
        fetcher_state: opts.fetcher_state.clone().map(Arc::new),
        streams: Arc::new(Semaphore::new(opts.max_streams.max(1))),
        poll_interval: opts.poll_interval,
        cancel,
    };
    let api = routes().into_iter().fold(Router::new(), |r, (_, path, handler)| r.route(path, handler));
    let app = api.with_state(state).merge(assets::router());
    // The alert log and rules (sink/src/alerts/): served as is.
    let app = app.merge(crate::alerts::api::router(store));
    let guard = Arc::new(auth::Guard::new(effective_token(opts.token.as_deref())));
    Ok(app
        .fallback(api::no_such_endpoint)
        .layer(axum::middleware::from_fn_with_state(guard, auth::guard))
        .layer(axum::middleware::from_fn(auth::security_headers)))
}

/// A running web server.
pub struct Running {
    /// The bound address (the port is real when `listen` asked for 0).
    pub addr: SocketAddr,
    /// Finishes after `cancel`, once open requests (live streams too) ended.
    pub done: tokio::task::JoinHandle<()>,
}

/// Bind and serve until `cancel`.
pub async fn serve(store: Arc<Store>, opts: WebOptions, cancel: CancellationToken) -> Result<Running, WebError> {
    let addr = check_exposure(&opts.listen, opts.token.as_deref())?;
    if let Some(t) = effective_token(opts.token.as_deref()).filter(|t| t.len() < 16) {
        warn!(chars = t.len(), "web token is short: use at least 16 random characters");
    }
    let app = router(store, &opts, cancel.clone())?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| WebError::Bind(opts.listen.clone(), e))?;
    let addr = listener.local_addr().map_err(|e| WebError::Bind(opts.listen.clone(), e))?;
    info!(%addr, token = effective_token(opts.token.as_deref()).is_some(), "dashboard and API up");
    let done = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned()).await {
            warn!(error = %e, "web server stopped");
        }
    });
    Ok(Running { addr, done })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_needs_a_token() {
        assert!(check_exposure("127.0.0.1:7070", None).is_ok());
        assert!(check_exposure("[::1]:7070", None).is_ok());
        let err = check_exposure("0.0.0.0:7070", None).unwrap_err().to_string();
        assert!(err.contains("no token") && err.contains("NEWSFLOW_WEB__TOKEN"), "{err}");
        assert!(check_exposure("0.0.0.0:7070", Some("  ")).is_err());
        assert!(check_exposure("0.0.0.0:7070", Some("a-long-random-token")).is_ok());
        assert!(matches!(check_exposure("localhost", None), Err(WebError::BadAddress(_))));
    }

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc: serde_json::Value = serde_json::from_str(assets::OPENAPI).expect("openapi.json parses");
        assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
        for (method, path, _) in routes() {
            let op = &doc["paths"][path][method.to_ascii_lowercase()];
            assert!(op.is_object(), "{method} {path} is served but not in sink/web/openapi.json");
            assert!(op["responses"].is_object(), "{method} {path} documents no responses");
        }
        // The alert endpoints, served by crate::alerts::api.
        for (method, path) in [
            ("get", "/api/alerts"),
            ("get", "/api/rules"),
            ("put", "/api/rules/{name}"),
            ("delete", "/api/rules/{name}"),
            ("post", "/api/rules/{name}/test"),
        ] {
            assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
        }
    }
}
