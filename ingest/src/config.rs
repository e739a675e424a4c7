//! Fetcher, source and scraper configuration.

use std::collections::BTreeMap;

use newsflow_extract::SiteSelectors;
use serde::{Deserialize, Serialize};

/// `[fetcher]` in the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetcherConfig {
    /// Sent with every request. Be honest and leave a contact URL so site
    /// owners can reach you.
    pub user_agent: String,
    /// First poll interval of a source that sets none, in seconds. Default
    /// 300. From there each source's interval adapts to how often it
    /// publishes, within the bounds below.
    pub default_interval_secs: u64,
    /// Shortest adaptive poll interval, in seconds. Default 60.
    pub min_interval_secs: u64,
    /// Longest adaptive poll interval, in seconds. Default 3600.
    pub max_interval_secs: u64,
    /// Cap on one request (connect, headers and the whole body), in seconds:
    /// a slow-drip server is cut here. Default 30.
    pub request_timeout_secs: u64,
    /// Largest response body accepted, in bytes; larger ones are cut and
    /// reported. Default 10 MiB.
    pub max_body_bytes: usize,
    /// Redirects followed before giving up. Default 5.
    pub max_redirects: usize,
    /// Requests in flight over all hosts. Default 32.
    pub concurrency: usize,
    /// Requests in flight per host. Default 2.
    pub per_host_concurrency: usize,
    /// Requests per second per host. Default 1.0: polite to small sites.
    pub per_host_rps: f64,
    /// Hosts the SSRF guard lets through although they are (or resolve to)
    /// loopback, private, link-local or metadata addresses: `"host"` or
    /// `"host:port"` (`"127.0.0.1"`, `"[::1]:8080"`, `"intranet.example"`).
    /// Default empty: the fetcher follows URLs written by strangers, so
    /// nothing inside our own network is reachable unless named here.
    pub allow_hosts: Vec<String>,
    /// Obey robots.txt (RFC 9309), including `Crawl-delay`. Default true:
    /// site owners say there what they accept.
    pub obey_robots: bool,
    /// How long a host's robots.txt is cached, in seconds. Default 3600:
    /// rules change rarely, and one request an hour per host is negligible.
    pub robots_cache_secs: u64,
    /// The largest robots.txt `Crawl-delay` honoured, in seconds. Default
    /// 60: larger values would starve a news site's feed of its own polls.
    pub max_crawl_delay_secs: u64,
    /// Longest pause before re-polling a failing source, in seconds; the
    /// pause doubles per failure from the source's interval. Default 21600
    /// (6 h): a dead site is still retried a few times a day.
    pub max_backoff_secs: u64,
    /// Every this many 304 Not Modified answers in a row, a source's feed
    /// is also fetched unconditionally and its body compared with the last
    /// one: a server that answers 304 for changed content loses conditional
    /// requests for its host. Default 10: one extra request per ten polls of
    /// an idle feed. 0 turns the check off.
    pub verify_not_modified_every: u32,
}

impl Default for FetcherConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!("newsflow/", env!("CARGO_PKG_VERSION"), " (+https://github.com/newsflow/newsflow)")
                .into(),
            default_interval_secs: 300,
            min_interval_secs: 60,
            max_interval_secs: 3600,
            request_timeout_secs: 30,
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            concurrency: 32,
            per_host_concurrency: 2,
            per_host_rps: 1.0,
            allow_hosts: Vec::new(),
            obey_robots: true,
            robots_cache_secs: 3600,
            max_crawl_delay_secs: 60,
            max_backoff_secs: 21600,
            verify_not_modified_every: 10,
        }
    }
}

impl FetcherConfig {
    /// Check the values, naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        if self.default_interval_secs == 0 || self.min_interval_secs == 0 {
            return Err("fetcher.default_interval_secs and fetcher.min_interval_secs: must be at least 1".into());
        }
        if self.max_interval_secs < self.min_interval_secs {
            return Err(format!(
                "fetcher.max_interval_secs ({}) must not be below fetcher.min_interval_secs ({})",
                self.max_interval_secs, self.min_interval_secs
            ));
        }
        if self.user_agent.trim().is_empty() {
            return Err("fetcher.user_agent: must not be empty".into());
        }
        if self.request_timeout_secs == 0 {
            return Err("fetcher.request_timeout_secs: must be at least 1".into());
        }
        if self.concurrency == 0 || self.per_host_concurrency == 0 {
            return Err("fetcher.concurrency and fetcher.per_host_concurrency: must be at least 1".into());
        }
        if !(self.per_host_rps > 0.0 && self.per_host_rps.is_finite()) {
            return Err(format!("fetcher.per_host_rps: must be a positive number, got {}", self.per_host_rps));
        }
        if self.max_body_bytes < 1024 {
            return Err(format!("fetcher.max_body_bytes: must be at least 1024, got {}", self.max_body_bytes));
        }
        if self.robots_cache_secs == 0 || self.max_backoff_secs == 0 {
            return Err("fetcher.robots_cache_secs and fetcher.max_backoff_secs: must be at least 1".into());
        }
        if let Some(bad) = self.allow_hosts.iter().find(|h| !crate::ssrf::is_valid_entry(h)) {
            return Err(format!("fetcher.allow_hosts: {bad:?} is not a host or host:port"));
        }
        Ok(())
    }
}

/// One `[[sources]]` entry: a feed to poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Short stable name; defaults to the feed URL's host and path.
    #[serde(default)]
    pub id: Option<String>,
    /// Feed URL (RSS, RDF, Atom or JSON Feed), an XML sitemap or sitemap
    /// index (also `.xml.gz`, Google News sitemaps), or a site's
    /// `/robots.txt` to read the sitemaps it lists. Told apart by content.
    pub url: String,
    /// First poll interval in seconds; defaults to
    /// `fetcher.default_interval_secs`.
    #[serde(default)]
    pub interval_secs: Option<u64>,
    /// Bounds of the adaptive interval; default to `fetcher.min_interval_secs`
    /// and `fetcher.max_interval_secs`. Equal bounds poll on a fixed interval.
    #[serde(default)]
    pub min_interval_secs: Option<u64>,
    #[serde(default)]
    pub max_interval_secs: Option<u64>,
    /// Language hint for the source's articles (ISO 639-1).
    #[serde(default)]
    pub language: Option<String>,
    /// IANA time zone of the source (`"Asia/Riyadh"`): feed dates written
    /// without an offset are read as local time there. Default none: such
    /// dates are dropped (the extractor looks for one on the page).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Free labels for people and tools (`["gulf", "economy"]`), shown by
    /// `newsflow sources list`; at most 32, each 1–64 characters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl SourceConfig {
    pub fn from_url(url: &str) -> Self {
        Self {
            id: None,
            url: url.to_owned(),
            interval_secs: None,
            min_interval_secs: None,
            max_interval_secs: None,
            language: None,
            timezone: None,
            tags: Vec::new(),
        }
    }

    /// The source's time zone, when it names a valid one.
    pub fn tz(&self) -> Option<chrono_tz::Tz> {
        self.timezone.as_deref().and_then(|z| z.parse().ok())
    }

    /// The adaptive interval's start and bounds for this source: the
    /// start always lies within them.
    pub fn bounds(&self, fetcher: &FetcherConfig) -> crate::schedule::Bounds {
        use std::time::Duration;
        let start = self.interval_secs.unwrap_or(fetcher.default_interval_secs);
        let min = self.min_interval_secs.unwrap_or(fetcher.min_interval_secs).min(start);
        let max = self.max_interval_secs.unwrap_or(fetcher.max_interval_secs).max(start);
        crate::schedule::Bounds {
            start: Duration::from_secs(start),
            min: Duration::from_secs(min),
            max: Duration::from_secs(max),
        }
    }

    /// The source id: the configured one, else `host/path` of the URL.
    pub fn source_id(&self) -> String {
        if let Some(id) = &self.id {
            return id.clone();
        }
        match url::Url::parse(&self.url) {
            Ok(u) => format!("{}{}", u.host_str().unwrap_or_default(), u.path().trim_end_matches('/')),
            Err(_) => self.url.clone(),
        }
    }

    pub fn validate(&self, index: usize) -> Result<(), String> {
        match url::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => return Err(format!("sources[{index}].url: {:?} is not an http(s) URL", self.url)),
        }
        if self.interval_secs == Some(0) {
            return Err(format!("sources[{index}].interval_secs: must be at least 1"));
        }
        if let (Some(min), Some(max)) = (self.min_interval_secs, self.max_interval_secs)
            && min > max
        {
            return Err(format!(
                "sources[{index}].min_interval_secs ({min}) must not exceed max_interval_secs ({max})"
            ));
        }
        if self.min_interval_secs == Some(0) {
            return Err(format!("sources[{index}].min_interval_secs: must be at least 1"));
        }
        if let Some(z) = &self.timezone
            && z.parse::<chrono_tz::Tz>().is_err()
        {
            return Err(format!("sources[{index}].timezone: {z:?} is not an IANA time zone like \"Asia/Riyadh\""));
        }
        if self.tags.len() > 32 {
            return Err(format!("sources[{index}].tags: at most 32, got {}", self.tags.len()));
        }
        if let Some(bad) =
            self.tags.iter().find(|t| t.trim().is_empty() || t.chars().count() > 64 || t.chars().any(char::is_control))
        {
            return Err(format!("sources[{index}].tags: {bad:?} must be 1-64 printable characters"));
        }
        Ok(())
    }
}

/// `[scraper]` in the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScraperConfig {
    /// Per-site CSS overrides for pages where the generic extractor fails,
    /// keyed by host (`"www.example.com"`).
    pub sites: BTreeMap<String, SiteSelectors>,
}
