//! Polite requests: robots.txt, per-host pacing and concurrency, a global
//! cap, and the server's own `Retry-After`.
//!
//! Design note: one [`HostState`] per host (`host:port`) holds
//! - a semaphore (per-host concurrency),
//! - a gate: the earliest instant the next request may start. Each request
//!   takes the next slot and pushes the gate by the host's interval, the
//!   larger of `1 / per_host_rps` and the robots.txt `Crawl-delay` (capped
//!   by `max_crawl_delay_secs`). A 429/503 pushes the gate to its
//!   `Retry-After` (or a default), so no request to that host, from any
//!   source, starts before then. Unlike a token bucket this keeps a
//!   per-host interval that can change at run time, in a few lines;
//! - the parsed robots.txt, fetched once per `robots_cache_secs` behind an
//!   async mutex, so concurrent requests wait for one fetch. RFC 9309: a
//!   4xx robots.txt allows everything; a 5xx or an unreachable one
//!   disallows everything until it is fetched again (sooner: 10 minutes).
//!
//! The host map is bounded: past `MAX_IDLE_HOSTS` entries, idle hosts
//! (nobody holding them, gate in the past) are dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::FetcherConfig;
use crate::http::{Accept, Conditional, FetchError, Fetched, HttpClient};

/// Host entries kept before idle ones are dropped.
const MAX_IDLE_HOSTS: usize = 10_000;
/// How long an unreachable or failing robots.txt blocks its host.
const ROBOTS_RETRY: Duration = Duration::from_secs(600);
/// Pause after a 429/503 without `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// The longest `Retry-After` honoured (a server asking for a week gets an hour).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

enum Rules {
    AllowAll,
    DisallowAll,
    Parsed(Box<texting_robots::Robot>),
}

struct Robots {
    rules: Rules,
    expires: Instant,
}

struct Gate {
    next: Instant,
    crawl_delay: Option<Duration>,
}

struct HostState {
    sem: Semaphore,
    gate: Mutex<Gate>,
    robots: tokio::sync::Mutex<Option<Robots>>,
}

/// What robots.txt says about a host, for sitemap discovery and tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RobotsInfo {
    pub crawl_delay: Option<Duration>,
    pub sitemaps: Vec<String>,
}

/// The polite client the fetcher sends every request through.
pub struct Polite {
    http: HttpClient,
    agent: String,
    obey_robots: bool,
    global: Semaphore,
    per_host_concurrency: usize,
    min_interval: Duration,
    max_crawl_delay: Duration,
    robots_ttl: Duration,
    hosts: Mutex<HashMap<String, Arc<HostState>>>,
}

impl Polite {
    pub fn new(cfg: &FetcherConfig) -> Result<Self, FetchError> {
        Ok(Self {
            http: HttpClient::new(cfg)?,
            agent: robots_token(&cfg.user_agent),
            obey_robots: cfg.obey_robots,
            global: Semaphore::new(cfg.concurrency),
            per_host_concurrency: cfg.per_host_concurrency,
            min_interval: Duration::from_secs_f64(1.0 / cfg.per_host_rps),
            max_crawl_delay: Duration::from_secs(cfg.max_crawl_delay_secs),
            robots_ttl: Duration::from_secs(cfg.robots_cache_secs),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// One polite request: per-host cap, robots.txt, per-host pacing, global
    /// cap; a 429/503 holds the host back for its `Retry-After`.
    pub async fn request(&self, url: &str, cond: &Conditional, accept: Accept) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_owned()))?;
        let key = host_key(&parsed).ok_or_else(|| FetchError::BadUrl(url.to_owned()))?;
        let host = self.host(&key);
        let _host = host.sem.acquire().await.map_err(|e| FetchError::Request(e.to_string()))?;
        if self.obey_robots && parsed.path() != "/robots.txt" {
            self.ensure_robots(&host, &parsed).await;
            let robots = host.robots.lock().await;
            match robots.as_ref().map(|r| &r.rules) {
                Some(Rules::DisallowAll) => return Err(FetchError::RobotsUnavailable(url.to_owned())),
                Some(Rules::Parsed(robot)) if !robot.allowed(parsed.as_str()) => {
                    return Err(FetchError::Robots(url.to_owned()));
                }
                _ => {}
            }
        }
        self.send(&host, url, cond, accept).await
    }

    /// robots.txt facts for the host of `url` (fetched if needed).
    pub async fn robots_info(&self, url: &str) -> Option<RobotsInfo> {
        let parsed = url::Url::parse(url).ok()?;
        let host = self.host(&host_key(&parsed)?);
        self.ensure_robots(&host, &parsed).await;
        let robots = host.robots.lock().await;
        match robots.as_ref().map(|r| &r.rules) {
            Some(Rules::Parsed(r)) => Some(RobotsInfo {
                crawl_delay: r.delay.map(|d| Duration::from_secs_f32(d.clamp(0.0, 86_400.0))),
                sitemaps: r.sitemaps.clone(),
            }),
            _ => Some(RobotsInfo::default()),
        }
    }

    /// Wait for the host's slot, send, and honour a `Retry-After`.
    async fn send(
        &self,
        host: &HostState,
        url: &str,
        cond: &Conditional,
        accept: Accept,
    ) -> Result<Fetched, FetchError> {
        let slot = {
            let mut gate = host.gate.lock().unwrap_or_else(|p| p.into_inner());
            let interval =
                gate.crawl_delay.map_or(self.min_interval, |d| d.min(self.max_crawl_delay).max(self.min_interval));
            let slot = gate.next.max(Instant::now());
            gate.next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
        // The global cap is taken after the wait: a host paced by a long
        // crawl-delay does not hold slots other hosts could use.
        let _global = self.global.acquire().await.map_err(|e| FetchError::Request(e.to_string()))?;
        let result = self.http.get_as(url, cond, accept).await;
        if let Err(FetchError::Throttled { retry_after, .. }) = &result {
            let pause = retry_after.unwrap_or(DEFAULT_RETRY_AFTER).min(MAX_RETRY_AFTER);
            let mut gate = host.gate.lock().unwrap_or_else(|p| p.into_inner());
            gate.next = gate.next.max(Instant::now() + pause);
        }
        result
    }

    /// Fetch and parse the host's robots.txt unless a fresh copy is cached.
    async fn ensure_robots(&self, host: &HostState, url: &url::Url) {
        let mut robots = host.robots.lock().await;
        if robots.as_ref().is_some_and(|r| r.expires > Instant::now()) {
            return;
        }
        let mut robots_url = url.clone();
        robots_url.set_path("/robots.txt");
        robots_url.set_query(None);
        robots_url.set_fragment(None);
        let (rules, ttl) = match self.send(host, robots_url.as_str(), &Conditional::default(), Accept::Any).await {
            Ok(f) => match texting_robots::Robot::new(&self.agent, &f.body) {
                Ok(robot) => (Rules::Parsed(Box::new(robot)), self.robots_ttl),
                Err(_) => (Rules::AllowAll, self.robots_ttl),
            },
            Err(FetchError::Status(s)) if (400..500).contains(&s) => (Rules::AllowAll, self.robots_ttl),
            // Too large or not text: treat as no robots.txt.
            Err(FetchError::TooLarge { .. } | FetchError::ContentType(_)) => (Rules::AllowAll, self.robots_ttl),
            Err(_) => (Rules::DisallowAll, ROBOTS_RETRY.min(self.robots_ttl.max(Duration::from_secs(1)))),
        };
        let delay = match &rules {
            Rules::Parsed(r) => {
                r.delay.filter(|d| d.is_finite() && *d > 0.0).map(|d| Duration::from_secs_f32(d.min(86_400.0)))
            }
            _ => None,
        };
        host.gate.lock().unwrap_or_else(|p| p.into_inner()).crawl_delay = delay;
        *robots = Some(Robots { rules, expires: Instant::now() + ttl });
    }

    fn host(&self, key: &str) -> Arc<HostState> {
        let mut map = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = map.get(key) {
            return h.clone();
        }
        if map.len() >= MAX_IDLE_HOSTS {
            let now = Instant::now();
            map.retain(|_, h| Arc::strong_count(h) > 1 || h.gate.lock().map(|g| g.next > now).unwrap_or(true));
        }
        let h = Arc::new(HostState {
            sem: Semaphore::new(self.per_host_concurrency),
            gate: Mutex::new(Gate { next: Instant::now(), crawl_delay: None }),
            robots: tokio::sync::Mutex::new(None),
        });
        map.insert(key.to_owned(), h.clone());
        h
    }
}

/// `host:port` of a URL: the unit of politeness (and of conditional-GET
/// trust).
pub fn host_key(url: &url::Url) -> Option<String> {
    Some(format!("{}:{}", url.host_str()?, url.port_or_known_default()?))
}

/// The product token robots.txt groups are matched against: the user
/// agent's first word without its version (`newsflow/0.1 (+…)` → `newsflow`).
fn robots_token(user_agent: &str) -> String {
    let first = user_agent.split_whitespace().next().unwrap_or("newsflow");
    let token = first.split('/').next().unwrap_or(first);
    if token.is_empty() { "newsflow".into() } else { token.to_owned() }
}

/// Delay before polling a source again after `failures` failures in a row:
/// the interval doubled per failure, capped at `max`, with ±25% jitter
/// (`jitter` in [0, 1)) so failing sources do not all come back at once.
pub fn backoff_delay(interval: Duration, failures: u32, max: Duration, jitter: f64) -> Duration {
    let factor = 2f64.powi(failures.min(30) as i32);
    let base =
        (interval.as_secs_f64() * factor).min(max.as_secs_f64()).max(interval.as_secs_f64().min(max.as_secs_f64()));
    let jittered = base * (0.75 + 0.5 * jitter.clamp(0.0, 1.0));
    Duration::from_secs_f64(jittered.max(0.0))
}

/// A random number in [0, 1) without a dependency: std's per-process
/// random hash keys.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_token_is_the_product_name() {
        assert_eq!(robots_token("newsflow/0.1.0 (+https://x)"), "newsflow");
        assert_eq!(robots_token("  "), "newsflow");
        assert_eq!(robots_token("MyBot"), "MyBot");
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let i = Duration::from_secs(60);
        let max = Duration::from_secs(3600);
        assert_eq!(backoff_delay(i, 0, max, 0.5), i);
        assert_eq!(backoff_delay(i, 1, max, 0.5), Duration::from_secs(120));
        assert_eq!(backoff_delay(i, 3, max, 0.5), Duration::from_secs(480));
        assert_eq!(backoff_delay(i, 50, max, 0.5), max);
        assert_eq!(backoff_delay(i, 2, max, 0.0), Duration::from_secs(180));
        assert_eq!(backoff_delay(i, 2, max, 1.0), Duration::from_secs(300));
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }
}
