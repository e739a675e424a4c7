//! The fetcher's HTTP client: every response is bounded in size and time.

use std::time::Duration;

use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::redirect::Policy;

use crate::FetcherConfig;

/// Why a fetch failed. `is_transient` tells whether a later retry may work.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {0:?}")]
    BadUrl(String),
    #[error("request failed: {0}")]
    Request(String),
    #[error("timed out after {0} s")]
    Timeout(u64),
    #[error("too many redirects or a redirect loop: {0}")]
    Redirects(String),
    #[error("response larger than the {limit}-byte cap")]
    TooLarge { limit: usize },
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("unexpected content type {0:?}")]
    ContentType(String),
}

impl FetchError {
    /// Worth retrying on a later poll.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Request(_) | FetchError::Timeout(_) => true,
            FetchError::Status(s) => *s == 429 || *s >= 500,
            _ => false,
        }
    }

    /// A short low-cardinality label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::BadUrl(_) => "bad_url",
            FetchError::Request(_) => "request",
            FetchError::Timeout(_) => "timeout",
            FetchError::Redirects(_) => "redirects",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Status(_) => "status",
            FetchError::ContentType(_) => "content_type",
        }
    }
}

/// A bounded response.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub final_url: String,
    pub status: u16,
    pub headers: HeaderMap,
    /// Empty on 304 Not Modified.
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn header(&self, name: reqwest::header::HeaderName) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
    pub fn content_type(&self) -> Option<String> {
        self.header(CONTENT_TYPE)
    }
    pub fn etag(&self) -> Option<String> {
        self.header(ETAG)
    }
    pub fn last_modified(&self) -> Option<String> {
        self.header(LAST_MODIFIED)
    }
}

/// Validators for a conditional GET.
#[derive(Debug, Clone, Default)]
pub struct Conditional {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The HTTP client with newsflow's limits.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout_secs: u64,
    max_body: usize,
}

impl HttpClient {
    pub fn new(cfg: &FetcherConfig) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(&cfg.user_agent)
            .redirect(Policy::limited(cfg.max_redirects))
            .connect_timeout(Duration::from_secs(cfg.request_timeout_secs.min(10)))
            .timeout(Duration::from_secs(cfg.request_timeout_secs))
            .build()
            .map_err(|e| FetchError::Request(e.to_string()))?;
        Ok(Self { client, timeout_secs: cfg.request_timeout_secs, max_body: cfg.max_body_bytes })
    }

    /// GET `url`. Statuses other than 2xx and 304 are errors; the body is
    /// read up to the size cap (decompressed size counts, which also stops
    /// decompression bombs).
    pub async fn get(&self, url: &str, cond: &Conditional) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_owned()))?;
        let mut req = self.client.get(parsed);
        if let Some(etag) = &cond.etag {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &cond.last_modified {
            req = req.header(IF_MODIFIED_SINCE, lm);
        }
        let resp = req.send().await.map_err(|e| self.map_err(e))?;
        let status = resp.status().as_u16();
        let final_url = resp.url().to_string();
        let headers = resp.headers().clone();
        if status == 304 {
            return Ok(Fetched { final_url, status, headers, body: Vec::new() });
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::Status(status));
        }
        if resp.content_length().is_some_and(|n| n as usize > self.max_body) {
            return Err(FetchError::TooLarge { limit: self.max_body });
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.map_err(e))?;
            if body.len() + chunk.len() > self.max_body {
                return Err(FetchError::TooLarge { limit: self.max_body });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { final_url, status, headers, body })
    }

    fn map_err(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.timeout_secs)
        } else if e.is_redirect() {
            FetchError::Redirects(e.to_string())
        } else {
            // `{:#}`-style chain so "connection refused" is visible.
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            FetchError::Request(msg)
        }
    }
}
