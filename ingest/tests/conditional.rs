//! Conditional GET through `Fetcher::poll_once` against local servers: an
//! honest one (304 only when the ETag matches) and a liar (304 whatever
//! changed). Article pages are disallowed by robots.txt so no broker is
//! needed: new entries show up as `failed` in the poll report.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use newsflow_ingest::state::FetchState;
use newsflow_ingest::{Fetcher, FetcherConfig, SourceConfig};
use newsflow_kafka::{KafkaConfig, Producer};
use newsflow_wire::Topics;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Default)]
struct Feed {
    lies: bool,
    version: Arc<AtomicU32>,
    /// The If-None-Match of every feed request (None when absent).
    conditions: Arc<Mutex<Vec<Option<String>>>>,
}

async fn handle(State(feed): State<Feed>, uri: Uri, headers: HeaderMap) -> Response {
    if uri.path() == "/robots.txt" {
        return "User-agent: *\nDisallow: /a/\n".into_response();
    }
    let v = feed.version.load(Ordering::SeqCst);
    let inm = headers.get(header::IF_NONE_MATCH).and_then(|h| h.to_str().ok()).map(str::to_owned);
    feed.conditions.lock().unwrap().push(inm.clone());
    // The liar sends one ETag forever and 304 to any conditional request.
    let etag = if feed.lies { "\"fixed\"".to_owned() } else { format!("\"v{v}\"") };
    if inm.is_some() && (feed.lies || inm.as_deref() == Some(etag.as_str())) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let body = format!(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>v{v}</title><link>/a/{v}</link></item></channel></rss>"
    );
    ([(header::CONTENT_TYPE, "application/rss+xml".to_owned()), (header::ETAG, etag)], body).into_response()
}

async fn serve(feed: Feed) -> SocketAddr {
    let router = Router::new().fallback(handle).with_state(feed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    addr
}

fn fetcher(addr: SocketAddr) -> (Fetcher, Arc<FetchState>) {
    let state = Arc::new(FetchState::in_memory().unwrap());
    (fetcher_on(addr, state.clone()), state)
}

/// A fetcher on `state` (a restart keeps the state).
fn fetcher_on(addr: SocketAddr, state: Arc<FetchState>) -> Fetcher {
    let cfg = FetcherConfig {
        per_host_rps: 100.0,
        allow_hosts: vec![addr.to_string()],
        verify_not_modified_every: 2,
        ..Default::default()
    };
    Fetcher::new(cfg, state, producer(), Topics::new("t")).unwrap()
}

#[tokio::test]
async fn honest_304s_are_trusted_and_verified_now_and_then() {
    let feed = Feed::default();
    let addr = serve(feed.clone()).await;
    let (f, state) = fetcher(addr);
    let src = SourceConfig::from_url(&format!("http://{addr}/feed.xml"));
    let cancel = CancellationToken::new();

    let r = f.poll_once(&src, &cancel).await.unwrap();
    assert_eq!((r.not_modified, r.entries), (false, 1));
    let r = f.poll_once(&src, &cancel).await.unwrap();
    assert!(r.not_modified);
    // The second 304 in a row is verified with an unconditional request.
    let r = f.poll_once(&src, &cancel).await.unwrap();
    assert!(r.not_modified);
    // New content is seen through the validators.
    feed.version.store(1, Ordering::SeqCst);
    let r = f.poll_once(&src, &cancel).await.unwrap();
    assert_eq!((r.not_modified, r.entries), (false, 1));
    let conds = feed.conditions.lock().unwrap().clone();
    let v0 = Some("\"v0\"".to_owned());
    assert_eq!(conds, vec![None, v0.clone(), v0.clone(), None, v0]);
    assert!(!state.conditional_disabled(&format!("127.0.0.1:{}", addr.port())).unwrap());
}

#[tokio::test]
async fn a_lying_etag_is_caught_and_conditional_requests_stop_for_the_host() {
    let feed = Feed { lies: true, ..Default::default() };
    let addr = serve(feed.clone()).await;
    let (f, state) = fetcher(addr);
    let src = SourceConfig::from_url(&format!("http://{addr}/feed.xml"));
    let cancel = CancellationToken::new();

    assert!(!f.poll_once(&src, &cancel).await.unwrap().not_modified);
    feed.version.store(1, Ordering::SeqCst);
    // The lie: 304 although the feed changed.
    assert!(f.poll_once(&src, &cancel).await.unwrap().not_modified);
    // The check: 304 again, then the unconditional body differs.
    let r = f.poll_once(&src, &cancel).await.unwrap();
    assert_eq!((r.not_modified, r.entries, r.failed), (false, 1, 1), "the new entry is read");
    assert!(state.conditional_disabled(&format!("127.0.0.1:{}", addr.port())).unwrap());
    // From now on: plain GETs.
    feed.version.store(2, Ordering::SeqCst);
    let r = f.poll_once(&src, &cancel).await.unwrap();
    assert_eq!((r.not_modified, r.failed), (false, 1));
    let conds = feed.conditions.lock().unwrap().clone();
    let fixed = Some("\"fixed\"".to_owned());
    assert_eq!(conds, vec![None, fixed.clone(), fixed, None, None]);
}

#[tokio::test]
async fn a_failing_source_is_backed_off_not_hammered() {
    use std::time::{Duration, Instant};
    let hits: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let log = hits.clone();
    let router = Router::new().fallback(move |uri: Uri| {
        let log = log.clone();
        async move {
            if uri.path() == "/robots.txt" {
                return StatusCode::NOT_FOUND;
            }
            log.lock().unwrap().push(Instant::now());
            StatusCode::INTERNAL_SERVER_ERROR
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    let (f, state) = fetcher(addr);
    let src = SourceConfig { interval_secs: Some(1), ..SourceConfig::from_url(&format!("http://{addr}/feed.xml")) };
    let cancel = CancellationToken::new();
    let run = tokio::spawn(Arc::new(f).run(vec![src.clone()], cancel.clone()));
    tokio::time::sleep(Duration::from_millis(4500)).await;
    cancel.cancel();
    run.await.unwrap();
    // Every second without backoff: 5 polls. With it: 0, ~2 s, ~6 s.
    let hits = hits.lock().unwrap().clone();
    assert!((2..=3).contains(&hits.len()), "{} polls in 4.5 s", hits.len());
    assert!(hits[1] - hits[0] >= Duration::from_millis(1450), "{:?}", hits[1] - hits[0]);
    let health = state.health().unwrap();
    let h = health.iter().find(|h| h.source_id == src.source_id()).unwrap();
    assert!(h.failures >= 2 && h.next_poll.is_some(), "{h:?}");
    assert_eq!(h.last_error.as_deref(), Some("HTTP status 500"));
}

#[tokio::test]
async fn a_restarted_fetcher_polls_when_due_and_keeps_the_adapted_interval() {
    use std::time::Duration;
    let feed = Feed::default();
    let addr = serve(feed.clone()).await;
    let (f, state) = fetcher(addr);
    let src = SourceConfig {
        interval_secs: Some(3),
        min_interval_secs: Some(2),
        max_interval_secs: Some(60),
        ..SourceConfig::from_url(&format!("http://{addr}/feed.xml"))
    };
    let polls = || feed.conditions.lock().unwrap().len();
    let run_for = |f: Fetcher, d: Duration| {
        let (src, cancel) = (src.clone(), CancellationToken::new());
        let run = tokio::spawn(Arc::new(f).run(vec![src], cancel.clone()));
        async move {
            tokio::time::sleep(d).await;
            cancel.cancel();
            run.await.unwrap();
        }
    };
    // A source never polled is polled at once.
    run_for(f, Duration::from_millis(700)).await;
    assert_eq!(polls(), 1);
    // Restarted on the same state: nothing before the 3 s interval is up.
    let again = || fetcher_on(addr, state.clone());
    run_for(again(), Duration::from_millis(1500)).await;
    assert_eq!(polls(), 1, "a restart does not poll early");
    run_for(again(), Duration::from_millis(2000)).await;
    assert_eq!(polls(), 2, "then it polls when due");
    // That poll found nothing new (304): the interval grew by half and is
    // remembered across the restart.
    let s = state.schedule(&src.source_id()).unwrap();
    assert_eq!(s.interval, Some(Duration::from_secs(4)), "{s:?}");
}

/// Never used: every article is disallowed by robots.txt.
fn producer() -> Producer {
    Producer::new(&KafkaConfig { brokers: "127.0.0.1:9".into(), ..Default::default() }).unwrap()
}
