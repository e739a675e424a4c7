//! The fetcher service: polls each source's feed on its interval, fetches
//! every article page not seen before, and produces it to `raw-pages`.
//!
//! Politeness lives in [`crate::politeness`]: robots.txt, a global cap on
//! requests in flight, a per-host cap, per-host pacing (rate, crawl-delay,
//! Retry-After). A failing source is backed off exponentially with jitter
//! and its failures are recorded in the state. An item is marked seen only
//! after the broker acknowledged its raw page.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use newsflow_kafka::Producer;
use newsflow_kafka::producer::SendError;
use newsflow_wire::{Envelope, RawPage, TopicKind, Topics, item_id, new_trace_id};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::charset::decode_html;
use crate::feeds::{FeedEntry, FeedError, discover_feeds, parse_feed_in};
use crate::http::{Accept, Conditional, FetchError, Fetched};
use crate::politeness::{Polite, backoff_delay, host_key, jitter};
use crate::sitemap::{MAX_URLS, Sitemap, SitemapError, looks_like_sitemap, parse_sitemap};
use crate::state::{FetchState, StateError, body_hash};
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
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Sitemap(#[from] SitemapError),
    #[error(transparent)]
    Kafka(#[from] newsflow_kafka::KafkaError),
}

/// Feeds announced by a homepage that are tried, in page order.
pub const MAX_DISCOVERED_FEEDS: usize = 3;

/// Child sitemaps read per poll of an index: bounds one poll's work.
pub const MAX_CHILD_SITEMAPS: usize = 50;

/// The window first polls of never-polled sources are spread over: 2 ms
/// per source (20 s for 10,000), never more than a source's interval. A
/// handful of sources start at once.
pub fn first_poll_spread(sources: usize) -> Duration {
    Duration::from_millis(2 * sources as u64)
}

fn is_robots_txt(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| u.path() == "/robots.txt")
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
    polite: Polite,
    state: Arc<FetchState>,
    producer: Producer,
    topics: Topics,
    /// The shared state topic seen records are published to, when several
    /// instances share the sources.
    pub(crate) state_topic: Option<String>,
}

impl Fetcher {
    pub fn new(
        cfg: FetcherConfig,
        state: Arc<FetchState>,
        producer: Producer,
        topics: Topics,
    ) -> Result<Self, FetcherError> {
        Ok(Self { polite: Polite::new(&cfg)?, cfg, state, producer, topics, state_topic: None })
    }

    /// The fetcher's local state.
    pub fn state(&self) -> &Arc<FetchState> {
        &self.state
    }

    /// Wait for queued records to be delivered (at shutdown).
    pub fn flush(&self) {
        self.producer.flush(Duration::from_secs(10));
    }

    /// Poll every source on its interval until `cancel` (one instance
    /// alone; [`crate::scaleout::run_shared`] shares sources between
    /// instances).
    pub async fn run(self: Arc<Self>, sources: Vec<SourceConfig>, cancel: CancellationToken) {
        info!(sources = sources.len(), "fetcher started");
        let spread = first_poll_spread(sources.len());
        let mut tasks = tokio::task::JoinSet::new();
        for src in sources {
            let this = self.clone();
            let cancel = cancel.clone();
            tasks.spawn(async move { this.poll_loop(src, spread, cancel).await });
        }
        while tasks.join_next().await.is_some() {}
        self.producer.flush(Duration::from_secs(10));
        info!("fetcher stopped");
    }

    /// Poll one source on its adaptive interval until `cancel`; polls start
    /// an interval apart (not an interval after the last poll ended). The
    /// first poll waits for what is left of the interval recorded in the
    /// state (or of a backoff), so a restart or a hand-over does not poll
    /// early; a source never polled starts at a random point of `spread`
    /// (see [`first_poll_spread`]), so thousands of sources do not all start
    /// at once.
    pub async fn poll_loop(self: Arc<Self>, src: SourceConfig, spread: Duration, cancel: CancellationToken) {
        let bounds = src.bounds(&self.cfg);
        let source_id = src.source_id();
        let max_backoff = Duration::from_secs(self.cfg.max_backoff_secs).max(bounds.max);
        let recorded = self.state.schedule(&source_id).unwrap_or_default();
        let adapt = bounds.min != bounds.max;
        let mut interval = match recorded.interval {
            Some(i) if adapt => i.clamp(bounds.min, bounds.max),
            _ => bounds.start,
        };
        let mut failures = recorded.failures;
        let now = Utc::now();
        let due = match (recorded.next_poll, recorded.last_polled) {
            (Some(next), _) if failures > 0 => Some(next),
            (_, Some(last)) => Some(last + chrono::Duration::from_std(interval).unwrap_or_default()),
            _ => None,
        };
        let first = match due {
            Some(d) => (d - now).to_std().unwrap_or_default().min(max_backoff),
            None => spread.min(interval).mul_f64(jitter()),
        };
        tokio::select! {
            _ = tokio::time::sleep(first) => {}
            _ = cancel.cancelled() => return,
        }
        loop {
            let started = tokio::time::Instant::now();
            let delay = match self.poll_once(&src, &cancel).await {
                Ok(report) => {
                    failures = 0;
                    let new = report.sent + report.failed;
                    interval = crate::schedule::next_interval(interval, report.entries, new, bounds);
                    if adapt && let Err(e) = self.state.set_interval(&source_id, interval) {
                        warn!(error = %e, "cannot record the poll interval");
                    }
                    debug!(source = %source_id, new, next_in_secs = interval.as_secs(), "polled");
                    interval
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let mut delay = backoff_delay(interval, failures, max_backoff, jitter());
                    if let FetcherError::Http(FetchError::Throttled { retry_after: Some(ra), .. }) = &e {
                        delay = delay.max(*ra);
                    }
                    warn!(source = %source_id, error = %e, failures, retry_in_secs = delay.as_secs(), "poll failed");
                    let next = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                    if let Err(e) = self.state.backed_off(&source_id, failures, next) {
                        warn!(error = %e, "cannot record backoff");
                    }
                    delay
                }
            };
            tokio::select! {
                _ = tokio::time::sleep_until(started + delay) => {}
                _ = cancel.cancelled() => break,
            }
        }
    }

    /// Poll one source once: read its feed, send every unseen article.
    pub async fn poll_once(&self, src: &SourceConfig, cancel: &CancellationToken) -> Result<PollReport, FetcherError> {
        let source_id = src.source_id();
        if is_robots_txt(&src.url) {
            // Sitemap discovery: the source is a site's robots.txt; its
            // `Sitemap:` lines are read like a sitemap index.
            let sitemaps = self.polite.robots_info(&src.url).await.map(|r| r.sitemaps).unwrap_or_default();
            let entries = self.read_sitemaps(&source_id, sitemaps).await;
            return self.process_entries(src, &source_id, entries, &Conditional::default(), cancel).await;
        }
        let host = url::Url::parse(&src.url).ok().and_then(|u| host_key(&u)).unwrap_or_default();
        let meta = self.state.feed_meta(&source_id)?;
        let cond = if self.state.conditional_disabled(&host)? { Conditional::default() } else { meta.cond.clone() };
        let mut feed = self.poll_request(src, &source_id, &cond).await?;
        if feed.status == 304 {
            // Conditional GET with a check on servers that lie: every Nth
            // 304 in a row, fetch the feed again without validators and
            // compare its body with the last one seen. Changed content under
            // a 304 turns conditional requests off for the whole host.
            let every = self.cfg.verify_not_modified_every;
            let verify = every > 0 && meta.body_hash.is_some() && meta.not_modified_streak + 1 >= every;
            let full =
                if verify { Some(self.poll_request(src, &source_id, &Conditional::default()).await?) } else { None };
            match full {
                Some(full) if full.status != 304 && Some(body_hash(&full.body)) != meta.body_hash => {
                    warn!(source = %source_id, %host, "304 Not Modified for changed content: conditional requests off for this host");
                    metrics::counter!(names::ERRORS, "kind" => "lying_validators").increment(1);
                    self.state.disable_conditional(&host, "answered 304 Not Modified for changed content")?;
                    feed = full;
                }
                Some(_) => {
                    // Verified: really unchanged. Start counting again.
                    if let Some(h) = &meta.body_hash {
                        self.state.body_seen(&source_id, h)?;
                    }
                    metrics::counter!(names::POLLS, "outcome" => "not_modified").increment(1);
                    self.state.poll_ok(&source_id, &cond, 0)?;
                    return Ok(PollReport { not_modified: true, ..Default::default() });
                }
                None => {
                    self.state.not_modified(&source_id)?;
                    metrics::counter!(names::POLLS, "outcome" => "not_modified").increment(1);
                    self.state.poll_ok(&source_id, &cond, 0)?;
                    return Ok(PollReport { not_modified: true, ..Default::default() });
                }
            }
        }
        self.state.body_seen(&source_id, &body_hash(&feed.body))?;
        let entries = match self.entries_of(src, &source_id, &feed).await {
            Ok(entries) => entries,
            Err(e) => {
                metrics::counter!(names::POLLS, "outcome" => "error").increment(1);
                metrics::counter!(names::ERRORS, "kind" => "feed_parse").increment(1);
                self.state.poll_failed(&source_id, &e.to_string())?;
                return Err(e);
            }
        };
        let validators = Conditional { etag: feed.etag(), last_modified: feed.last_modified() };
        self.process_entries(src, &source_id, entries, &validators, cancel).await
    }

    /// Send every entry not seen before; record the poll.
    async fn process_entries(
        &self,
        src: &SourceConfig,
        source_id: &str,
        entries: Vec<FeedEntry>,
        validators: &Conditional,
        cancel: &CancellationToken,
    ) -> Result<PollReport, FetcherError> {
        let source_id = source_id.to_owned();
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
        self.state.poll_ok(&source_id, validators, report.sent as u64)?;
        metrics::counter!(names::NEW_ITEMS).increment(report.sent as u64);
        if report.sent > 0 {
            info!(source = %source_id, new = report.sent, "new articles");
        }
        Ok(report)
    }

    /// A source's entries: a sitemap (or sitemap index, read one level
    /// deep), a feed, or a homepage announcing feeds, told apart by content.
    async fn entries_of(
        &self,
        src: &SourceConfig,
        source_id: &str,
        doc: &Fetched,
    ) -> Result<Vec<FeedEntry>, FetcherError> {
        let tz = src.tz();
        if !looks_like_sitemap(&doc.body) {
            let err = match parse_feed_in(&doc.body, Some(&doc.final_url), doc.content_type().as_deref(), tz) {
                Ok(entries) => return Ok(entries),
                Err(e) => e,
            };
            // A homepage: follow the feeds it announces (autodiscovery).
            let (html, _) = decode_html(&doc.body, doc.content_type().as_deref());
            for feed_url in discover_feeds(&html, &doc.final_url).into_iter().take(MAX_DISCOVERED_FEEDS) {
                match self.request(&feed_url, &Conditional::default(), Accept::Any).await {
                    Ok(feed) => {
                        match parse_feed_in(&feed.body, Some(&feed.final_url), feed.content_type().as_deref(), tz) {
                            Ok(entries) => {
                                debug!(source = %source_id, feed = %feed_url, "feed discovered");
                                return Ok(entries);
                            }
                            Err(e) => {
                                debug!(source = %source_id, feed = %feed_url, error = %e, "discovered feed unreadable")
                            }
                        }
                    }
                    Err(e) => debug!(source = %source_id, feed = %feed_url, error = %e, "discovered feed unavailable"),
                }
            }
            return Err(err.into());
        }
        match parse_sitemap(&doc.body, Some(&doc.final_url), self.cfg.max_body_bytes)? {
            Sitemap::Urls(entries) => Ok(entries),
            Sitemap::Index(children) => Ok(self.read_sitemaps(source_id, children).await),
        }
    }

    /// Read child sitemaps (at most [`MAX_CHILD_SITEMAPS`], no deeper
    /// indexes); a failing child is logged and skipped.
    async fn read_sitemaps(&self, source_id: &str, urls: Vec<String>) -> Vec<FeedEntry> {
        let mut entries = Vec::new();
        for url in urls.into_iter().take(MAX_CHILD_SITEMAPS) {
            let parsed = match self.request(&url, &Conditional::default(), Accept::Any).await {
                Ok(doc) => {
                    parse_sitemap(&doc.body, Some(&doc.final_url), self.cfg.max_body_bytes).map_err(FetcherError::from)
                }
                Err(e) => Err(e.into()),
            };
            match parsed {
                Ok(Sitemap::Urls(more)) => {
                    entries.extend(more.into_iter().take(MAX_URLS.saturating_sub(entries.len())))
                }
                Ok(Sitemap::Index(_)) => warn!(source = %source_id, %url, "nested sitemap index skipped"),
                Err(e) => {
                    metrics::counter!(names::ERRORS, "kind" => "sitemap").increment(1);
                    warn!(source = %source_id, %url, error = %e, "sitemap unreadable");
                }
            }
        }
        entries
    }

    /// Request a source's feed; a failure is counted and recorded.
    async fn poll_request(
        &self,
        src: &SourceConfig,
        source_id: &str,
        cond: &Conditional,
    ) -> Result<Fetched, FetcherError> {
        match self.request(&src.url, cond, Accept::Any).await {
            Ok(f) => Ok(f),
            Err(e) => {
                metrics::counter!(names::POLLS, "outcome" => "error").increment(1);
                metrics::counter!(names::ERRORS, "kind" => e.kind()).increment(1);
                self.state.poll_failed(source_id, &e.to_string())?;
                Err(e.into())
            }
        }
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
        if cancel.is_cancelled() {
            // Stopping (shutdown, or the source moved to another instance):
            // left unseen for whoever polls the source next.
            return Ok(false);
        }
        let page = match self.request(&entry.url, &Conditional::default(), Accept::Page).await {
            Ok(p) => p,
            Err(e) => {
                metrics::counter!(names::ERRORS, "kind" => e.kind()).increment(1);
                warn!(item_id = %id, url = %entry.url, error = %e, "article fetch failed");
                if !e.is_transient() {
                    // A 404 or an oversized page will not get better.
                    self.seen(&id, &entry.url, source_id, &format!("gave up: {e}"), cancel).await?;
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
                self.seen(&id, &entry.url, source_id, "sent", cancel).await?;
                metrics::counter!(names::PAGES).increment(1);
                debug!(item_id = %id, url = %entry.url, "page sent");
                Ok(true)
            }
            Err(SendError::Cancelled(_)) => Ok(false),
            Err(SendError::Rejected(why)) => {
                warn!(item_id = %id, %why, "raw page rejected by the broker");
                self.seen(&id, &entry.url, source_id, &format!("rejected: {why}"), cancel).await?;
                Ok(false)
            }
        }
    }

    /// Record an item as handled, locally and (when shared) on the state
    /// topic, acknowledged before this returns.
    async fn seen(
        &self,
        id: &str,
        url: &str,
        source_id: &str,
        outcome: &str,
        cancel: &CancellationToken,
    ) -> Result<(), FetcherError> {
        self.state.mark_seen(id, url, source_id, outcome)?;
        if let Some(topic) = &self.state_topic {
            let rec = crate::state::SharedSeen {
                item_id: id.to_owned(),
                url: url.to_owned(),
                source_id: source_id.to_owned(),
                outcome: outcome.to_owned(),
                seen_at: Utc::now().to_rfc3339(),
            };
            let value = serde_json::to_vec(&rec).unwrap_or_default();
            if let Err(e) = self.producer.send(topic, id, &value, cancel).await {
                warn!(item_id = %id, error = %e, "seen record not shared");
            }
        }
        Ok(())
    }

    /// One polite request (see [`crate::politeness`]).
    async fn request(&self, url: &str, cond: &Conditional, accept: Accept) -> Result<Fetched, FetchError> {
        self.polite.request(url, cond, accept).await
    }
}
