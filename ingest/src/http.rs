//! The fetcher's HTTP client: every response is bounded in size and time,
//! redirects are capped and loop-checked, every hop passes the SSRF guard
//! ([`crate::ssrf`]), and article pages must be HTML or XML.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
use reqwest::redirect::Policy;

use crate::FetcherConfig;
use crate::ssrf::{Blocked, GuardedResolver, HostPolicy};

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
    /// 429 Too Many Requests or 503 Service Unavailable, with the server's
    /// `Retry-After` when it sent one.
    #[error("HTTP status {status} (retry after {retry_after:?})")]
    Throttled { status: u16, retry_after: Option<Duration> },
    #[error("disallowed by robots.txt: {0}")]
    Robots(String),
    /// robots.txt answered 5xx or not at all: RFC 9309 says assume
    /// everything is disallowed, for now.
    #[error("robots.txt unavailable, not fetching {0}")]
    RobotsUnavailable(String),
    #[error("unexpected content type {0:?}: not HTML or XML")]
    ContentType(String),
    #[error("{0}")]
    Blocked(#[from] Blocked),
}

impl FetchError {
    /// Worth retrying on a later poll.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Request(_)
            | FetchError::Timeout(_)
            | FetchError::Throttled { .. }
            | FetchError::RobotsUnavailable(_) => true,
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
            FetchError::Throttled { .. } => "throttled",
            FetchError::Robots(_) => "robots",
            FetchError::RobotsUnavailable(_) => "robots_unavailable",
            FetchError::ContentType(_) => "content_type",
            FetchError::Blocked(_) => "blocked",
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditional {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3). A date
/// in the past means "now".
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (when.to_utc() - chrono::Utc::now()).num_seconds().max(0);
    Some(Duration::from_secs(secs as u64))
}

/// Which bodies a request accepts, judged by the `Content-Type` header
/// before the body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Anything (feeds: servers label them every which way).
    Any,
    /// An article page: HTML, XHTML or XML; a missing header is accepted
    /// (the extractor copes), a PDF or an image is refused.
    Page,
}

impl Accept {
    /// Whether a response with this `Content-Type` is acceptable.
    pub fn allows(self, content_type: Option<&str>) -> bool {
        let Some(ct) = content_type else { return true };
        let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match self {
            Accept::Any => true,
            Accept::Page => {
                mime.is_empty()
                    || matches!(mime.as_str(), "text/html" | "application/xhtml+xml" | "text/xml" | "application/xml")
                    || mime.ends_with("+xml")
            }
        }
    }
}

/// The redirect error when a redirect points back to a URL already visited.
#[derive(Debug, thiserror::Error)]
#[error("redirect loop at {0}")]
struct RedirectLoop(String);

/// The redirect error when there are too many redirects.
#[derive(Debug, thiserror::Error)]
#[error("more than {0} redirects")]
struct TooManyRedirects(usize);

/// The HTTP client with newsflow's limits.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: Arc<HostPolicy>,
    timeout_secs: u64,
    max_body: usize,
}

impl HttpClient {
    pub fn new(cfg: &FetcherConfig) -> Result<Self, FetchError> {
        let policy = Arc::new(HostPolicy::new(&cfg.allow_hosts));
        let max_redirects = cfg.max_redirects;
        let redirect_policy = policy.clone();
        let redirect = Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                return attempt.error(TooManyRedirects(max_redirects));
            }
            if attempt.previous().contains(attempt.url()) {
                let url = attempt.url().to_string();
                return attempt.error(RedirectLoop(url));
            }
            match redirect_policy.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(blocked) => attempt.error(blocked),
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(&cfg.user_agent)
            .redirect(redirect)
            .dns_resolver(Arc::new(GuardedResolver::new(policy.clone())))
            .connect_timeout(Duration::from_secs(cfg.request_timeout_secs.min(10)))
            .timeout(Duration::from_secs(cfg.request_timeout_secs))
            .build()
            .map_err(|e| FetchError::Request(e.to_string()))?;
        Ok(Self { client, policy, timeout_secs: cfg.request_timeout_secs, max_body: cfg.max_body_bytes })
    }

    /// GET `url`, accepting any content type. See [`Self::get_as`].
    pub async fn get(&self, url: &str, cond: &Conditional) -> Result<Fetched, FetchError> {
        self.get_as(url, cond, Accept::Any).await
    }

    /// GET `url`. Statuses other than 2xx and 304 are errors, as are
    /// content types `accept` refuses; the body is read up to the size cap
    /// (decompressed size counts, which also stops decompression bombs), and
    /// the whole request, body included, within the time cap.
    pub async fn get_as(&self, url: &str, cond: &Conditional, accept: Accept) -> Result<Fetched, FetchError> {
        let limit = Duration::from_secs(self.timeout_secs);
        // reqwest's own timeout covers the body too; this outer one also
        // bounds our reading loop whatever the client does.
        match tokio::time::timeout(limit, self.get_inner(url, cond, accept)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(self.timeout_secs)),
        }
    }

    async fn get_inner(&self, url: &str, cond: &Conditional, accept: Accept) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_owned()))?;
        self.policy.check_url(&parsed)?;
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
        if status == 429 || status == 503 {
            let retry_after = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
            return Err(FetchError::Throttled { status, retry_after });
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::Status(status));
        }
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        if !accept.allows(content_type) {
            return Err(FetchError::ContentType(content_type.unwrap_or_default().to_owned()));
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
        // The SSRF guard's refusal may come from the resolver or the
        // redirect policy, wrapped in reqwest and hyper errors.
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = src {
            if let Some(b) = s.downcast_ref::<Blocked>() {
                return FetchError::Blocked(b.clone());
            }
            src = s.source();
        }
        // `{:#}`-style chain so "connection refused" is visible.
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        if e.is_timeout() {
            FetchError::Timeout(self.timeout_secs)
        } else if e.is_redirect() {
            FetchError::Redirects(msg)
        } else {
            FetchError::Request(msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(100)).to_rfc2822();
        let got = parse_retry_after(&later).unwrap();
        assert!(got > Duration::from_secs(90) && got <= Duration::from_secs(100), "{got:?}");
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-5"), None);
    }

    #[test]
    fn page_content_types() {
        for ct in [None, Some("text/html"), Some("TEXT/HTML; charset=utf-8"), Some("application/atom+xml"), Some("")] {
            assert!(Accept::Page.allows(ct), "{ct:?}");
        }
        for ct in ["application/pdf", "image/png", "application/json", "video/mp4"] {
            assert!(!Accept::Page.allows(Some(ct)), "{ct}");
            assert!(Accept::Any.allows(Some(ct)), "{ct}");
        }
    }
}
