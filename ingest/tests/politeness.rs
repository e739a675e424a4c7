//! Politeness measured on the server side: every request's arrival time is
//! recorded, and the gaps between them are what the site owner sees.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use newsflow_ingest::FetcherConfig;
use newsflow_ingest::http::{Accept, Conditional, FetchError};
use newsflow_ingest::politeness::Polite;

#[derive(Clone)]
struct Site {
    robots: Option<&'static str>,
    log: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl Site {
    fn hits(&self, path: &str) -> Vec<Instant> {
        self.log.lock().unwrap().iter().filter(|(p, _)| p == path).map(|(_, t)| *t).collect()
    }
    fn page_hits(&self) -> Vec<Instant> {
        self.log.lock().unwrap().iter().filter(|(p, _)| p != "/robots.txt").map(|(_, t)| *t).collect()
    }
}

async fn handle(State(site): State<Site>, uri: Uri) -> Response {
    let path = uri.path().to_owned();
    let busy_before = {
        let mut log = site.log.lock().unwrap();
        let n = log.iter().filter(|(p, _)| p == &path).count();
        log.push((path.clone(), Instant::now()));
        n
    };
    match path.as_str() {
        "/robots.txt" => match site.robots {
            // A broken robots.txt.
            Some("500") => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            Some(txt) => ([(header::CONTENT_TYPE, "text/plain")], txt).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        // Busy on the first request, with Retry-After: 2.
        "/busy" if busy_before == 0 => {
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "2")], "busy").into_response()
        }
        "/limited" => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "slow down").into_response(),
        _ => ([(header::CONTENT_TYPE, "text/html")], "<p>ok</p>").into_response(),
    }
}

async fn site(robots: Option<&'static str>) -> (SocketAddr, Site) {
    let site = Site { robots, log: Arc::default() };
    let router = Router::new().fallback(handle).with_state(site.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    (addr, site)
}

fn polite(addr: SocketAddr, rps: f64) -> Arc<Polite> {
    let cfg = FetcherConfig {
        per_host_rps: rps,
        per_host_concurrency: 4,
        request_timeout_secs: 5,
        allow_hosts: vec![addr.to_string()],
        ..Default::default()
    };
    Arc::new(Polite::new(&cfg).unwrap())
}

async fn get(p: &Polite, addr: SocketAddr, path: &str) -> Result<(), FetchError> {
    p.request(&format!("http://{addr}{path}"), &Conditional::default(), Accept::Page).await.map(|_| ())
}

/// Fire `n` requests for `path` at once and wait for all.
async fn burst(p: &Arc<Polite>, addr: SocketAddr, path: &'static str, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move { get(&p, addr, path).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

fn min_gap(times: &[Instant]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    t.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(Duration::MAX)
}

#[tokio::test]
async fn robots_disallow_is_obeyed_and_robots_txt_is_fetched_once() {
    let (addr, site) = site(Some("User-agent: *\nDisallow: /private\n\nUser-agent: otherbot\nDisallow: /\n")).await;
    let p = polite(addr, 100.0);
    get(&p, addr, "/public/1").await.unwrap();
    let err = get(&p, addr, "/private/1").await.unwrap_err();
    assert!(matches!(err, FetchError::Robots(_)), "{err}");
    assert!(!err.is_transient());
    get(&p, addr, "/public/2").await.unwrap();
    assert_eq!(site.hits("/robots.txt").len(), 1, "robots.txt is cached per host");
    assert!(site.hits("/private/1").is_empty(), "a disallowed page is never requested");
}

#[tokio::test]
async fn robots_for_our_agent_wins_over_the_wildcard() {
    let (addr, _site) = site(Some("User-agent: *\nAllow: /\n\nUser-agent: newsflow\nDisallow: /news\n")).await;
    let p = polite(addr, 100.0);
    assert!(matches!(get(&p, addr, "/news/1").await, Err(FetchError::Robots(_))));
    get(&p, addr, "/other").await.unwrap();
}

#[tokio::test]
async fn crawl_delay_paces_requests_to_the_host() {
    let (addr, site) = site(Some("User-agent: *\nCrawl-delay: 1\n")).await;
    let p = polite(addr, 100.0);
    burst(&p, addr, "/page", 3).await;
    let gap = min_gap(&site.page_hits());
    assert!(gap >= Duration::from_millis(950), "requests {gap:?} apart despite Crawl-delay: 1");
}

#[tokio::test]
async fn per_host_rate_is_measured_at_the_server() {
    let (addr, site) = site(None).await;
    let p = polite(addr, 5.0);
    let started = Instant::now();
    burst(&p, addr, "/page", 6).await;
    let all = site.log.lock().unwrap().iter().map(|(_, t)| *t).collect::<Vec<_>>();
    // robots.txt (a 404 here: everything allowed) counts as a request too.
    assert_eq!(all.len(), 7);
    let gap = min_gap(&all);
    assert!(gap >= Duration::from_millis(190), "requests {gap:?} apart at 5 rps");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn retry_after_holds_the_host_back() {
    let (addr, site) = site(None).await;
    let p = polite(addr, 100.0);
    let err = get(&p, addr, "/busy").await.unwrap_err();
    assert!(
        matches!(err, FetchError::Throttled { status: 503, retry_after: Some(d) } if d == Duration::from_secs(2)),
        "{err}"
    );
    assert!(err.is_transient());
    get(&p, addr, "/busy").await.unwrap();
    get(&p, addr, "/other").await.unwrap();
    let busy = site.hits("/busy");
    let other = site.hits("/other");
    assert!(busy[1] - busy[0] >= Duration::from_millis(1950), "retried after {:?}", busy[1] - busy[0]);
    assert!(other[0] - busy[0] >= Duration::from_millis(1950), "the whole host waits");
}

#[tokio::test]
async fn a_429_storm_is_not_hammered() {
    let (addr, site) = site(None).await;
    let p = polite(addr, 100.0);
    for _ in 0..3 {
        assert!(matches!(get(&p, addr, "/limited").await, Err(FetchError::Throttled { status: 429, .. })));
    }
    let gap = min_gap(&site.hits("/limited"));
    assert!(gap >= Duration::from_millis(950), "429s {gap:?} apart");
}

#[tokio::test]
async fn an_unavailable_robots_txt_blocks_the_host_for_now() {
    let (addr, site) = site(Some("500")).await;
    let p = polite(addr, 100.0);
    let err = get(&p, addr, "/page").await.unwrap_err();
    assert!(matches!(err, FetchError::RobotsUnavailable(_)), "{err}");
    // Retried later, not given up: the article must not be marked seen.
    assert!(err.is_transient());
    assert!(site.hits("/page").is_empty());
}
