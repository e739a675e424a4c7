//! The fetcher service: polls each source's feed on its interval, fetches
//! every article page not seen before, and produces it to `raw-pages`.
//!
//! Politeness: a global cap on requests in flight, a per-host cap, and a
//! per-host rate limit (governor). An item is marked seen only after the
//! broker acknowledged its raw page.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use newsflow_kafka::Producer;
use newsflow_kafka::producer::SendError;
use newsflow_wire::{Envelope, RawPage, TopicKind, Topics, item_id, new_trace_id};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::charset::decode_html;
use crate::feeds::{FeedEntry, parse_feed};
use crate::http::{Conditional, FetchError, Fetched, HttpClient};
use crate::state::{FetchState, StateError};
use crate::{FetcherConfig, SourceConfig};

/// Metric names of the fetcher, declared in one place.
pub mod names {
    pub const POLLS: &str = "newsflow_fetch_polls_total";
    pub const NEW_ITEMS: &str = "newsflow_fetch_new_items_total";
    pub const PAGES: &str = "newsflow_fetch_pages_total";
    pub const ERRORS: &str = "newsflow_fetch_errors_total";
}

/// What stops the fetcher service.
#[derive(Debug, thiserror::Error)]
pub enum FetcherError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Http(#[from] FetchError),
}

/// What one poll of one source did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollReport {
    pub not_modified: bool,
    pub entries: usize,
    pub sent: usize,
    pub failed: usize,
}

pub struct Fetcher {
    cfg: FetcherConfig,
    http: HttpClient,
    state: Arc<FetchState>,
    producer: Producer,
    topics: Topics,
    global: Semaphore,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
    rate: DefaultKeyedRateLimiter<String>,
}

impl Fetcher {
    pub fn new(
        cfg: FetcherConfig,
        state: Arc<FetchState>,
        producer: Producer,
        topics: Topics,
    ) -> Result<Self, FetcherError> {
        let http = HttpClient::new(&cfg)?;
        let period = Duration::from_secs_f64(1.0 / cfg.per_host_rps);
        let burst = NonZeroU32::new(cfg.per_host_rps.ceil().max(1.0) as u32).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst);
        Ok(Self {
            global: Semaphore::new(cfg.concurrency),
            per_host: Mutex::new(HashMap::new()),
            rate: RateLimiter::keyed(quota),
            cfg,
            http,
            state,
            producer,
            topics,
        })
    }

    /// Poll every source on its interval until `cancel`.
    pub async fn run(self: Arc<Self>, sources: Vec<SourceConfig>, cancel: CancellationToken) {
        info!(sources = sources.len(), "fetcher started");
        let mut tasks = tokio::task::JoinSet::new();
        for src in sources {
            let this = self.clone();
            let cancel = cancel.clone();
            tasks.spawn(async move {
                let interval = Duration::from_secs(src.interval_secs.unwrap_or(this.cfg.default_interval_secs));
                loop {
                    if let Err(e) = this.poll_once(&src, &cancel).await {
                        warn!(source = %src.source_id(), error = %e, "poll failed");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(interval) => {}
                        _ = cancel.cancelled() => break,
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        self.producer.flush(Duration::from_secs(10));
        info!("fetcher stopped");
    }

    /// Poll one source once: read its feed, send every unseen article.
    pub async fn poll_once(&self, src: &SourceConfig, cancel: &CancellationToken) -> Result<PollReport, FetcherError> {
        let source_id = src.source_id();
        let cond = self.state.conditional(&source_id)?;
        let feed = match self.request(&src.url, &cond).await {
            Ok(f) => f,
            Err(e) => {
                metrics::counter!(names::POLLS, "outcome" => "error").increment(1);
                metrics::counter!(names::ERRORS, "kind" => e.kind()).increment(1);
                self.state.poll_failed(&source_id, &e.to_string())?;
                return Err(e.into());
            }
        };
        if feed.status == 304 {
            metrics::counter!(names::POLLS, "outcome" => "not_modified").increment(1);
            self.state.poll_ok(&source_id, &cond, 0)?;
            return Ok(PollReport { not_modified: true, ..Default::default() });
        }
        let entries = match parse_feed(&feed.body, Some(&feed.final_url)) {
            Ok(entries) => entries,
            Err(e) => {
                metrics::counter!(names::POLLS, "outcome" => "error").increment(1);
                metrics::counter!(names::ERRORS, "kind" => "feed_parse").increment(1);
                self.state.poll_failed(&source_id, &e.to_string())?;
                warn!(source = %source_id, error = %e, "feed unreadable");
                return Ok(PollReport::default());
            }
        };
        metrics::counter!(names::POLLS, "outcome" => "ok").increment(1);
        let mut fresh = Vec::new();
        for entry in entries.iter() {
            if !self.state.is_seen(&item_id(&entry.url))? {
                fresh.push(entry.clone());
            }
        }
        let mut report = PollReport { entries: entries.len(), ..Default::default() };
        let results: Vec<_> = futures::stream::iter(fresh)
            .map(|entry| self.fetch_article(src, &source_id, entry, cancel))
            .buffer_unordered(self.cfg.per_host_concurrency)
            .collect()
            .await;
        for r in results {
            match r? {
                true => report.sent += 1,
                false => report.failed += 1,
            }
        }
        let validators = Conditional { etag: feed.etag(), last_modified: feed.last_modified() };
        self.state.poll_ok(&source_id, &validators, report.sent as u64)?;
        metrics::counter!(names::NEW_ITEMS).increment(report.sent as u64);
        if report.sent > 0 {
            info!(source = %source_id, new = report.sent, "new articles");
        }
        Ok(report)
    }

    /// Fetch one article page and produce it. Returns whether it was sent.
    async fn fetch_article(
        &self,
        src: &SourceConfig,
        source_id: &str,
        entry: FeedEntry,
        cancel: &CancellationToken,
    ) -> Result<bool, FetcherError> {
        let id = item_id(&entry.url);
        let page = match self.request(&entry.url, &Conditional::default()).await {
            Ok(p) => p,
            Err(e) => {
                metrics::counter!(names::ERRORS, "kind" => e.kind()).increment(1);
                warn!(item_id = %id, url = %entry.url, error = %e, "article fetch failed");
                if !e.is_transient() {
                    // A 404 or an oversized page will not get better.
                    self.state.mark_seen(&id, &entry.url, source_id, &format!("gave up: {e}"))?;
                }
                return Ok(false);
            }
        };
        let content_type = page.content_type();
        let (body, charset) = decode_html(&page.body, content_type.as_deref());
        let mut hint = entry.hint;
        if hint.language.is_none() {
            hint.language = src.language.clone();
        }
        let raw = RawPage {
            source_id: source_id.to_owned(),
            url: entry.url.clone(),
            final_url: page.final_url.clone(),
            status: page.status,
            content_type,
            charset: Some(charset.to_owned()),
            etag: page.etag(),
            last_modified: page.last_modified(),
            fetched_at: Utc::now(),
            feed: hint,
            body,
        };
        let env = Envelope::new(id.clone(), new_trace_id(), raw);
        let topic = self.topics.name(TopicKind::RawPages);
        match self.producer.send(&topic, &id, &env.encode(), cancel).await {
            Ok(()) => {
                self.state.mark_seen(&id, &entry.url, source_id, "sent")?;
                metrics::counter!(names::PAGES).increment(1);
                debug!(item_id = %id, url = %entry.url, "page sent");
                Ok(true)
            }
            Err(SendError::Cancelled(_)) => Ok(false),
            Err(SendError::Rejected(why)) => {
                warn!(item_id = %id, %why, "raw page rejected by the broker");
                self.state.mark_seen(&id, &entry.url, source_id, &format!("rejected: {why}"))?;
                Ok(false)
            }
        }
    }

    /// One polite request: global cap, per-host cap, per-host rate.
    async fn request(&self, url: &str, cond: &Conditional) -> Result<Fetched, FetchError> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .ok_or_else(|| FetchError::BadUrl(url.to_owned()))?;
        let host_sem = {
            let mut map = self.per_host.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(host.clone()).or_insert_with(|| Arc::new(Semaphore::new(self.cfg.per_host_concurrency))).clone()
        };
        let _global = self.global.acquire().await.map_err(|e| FetchError::Request(e.to_string()))?;
        let _host = host_sem.acquire().await.map_err(|e| FetchError::Request(e.to_string()))?;
        self.rate.until_key_ready(&host).await;
        self.http.get(url, cond).await
    }
}
