//! Two `newsflow fetch` processes in one group share the sources and never
//! fetch the same URL twice: while both run, when one stops and the other
//! takes its hosts over, and when it comes back (restarted on its old state).
//! The sites count every request per URL at the server.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use support::*;

const HOSTS: usize = 12;

#[derive(Clone, Default)]
struct Sites {
    /// Articles published per port.
    published: Arc<Mutex<HashMap<u16, usize>>>,
    /// Article requests per URL path (`port/a/i`), and feed polls per user agent.
    article_hits: Arc<Mutex<HashMap<String, usize>>>,
    feed_polls: Arc<Mutex<HashMap<String, usize>>>,
}

#[derive(Clone)]
struct Host {
    sites: Sites,
    port: u16,
}

async fn feed(State(h): State<Host>, headers: HeaderMap) -> Response {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    *h.sites.feed_polls.lock().unwrap().entry(agent).or_default() += 1;
    let n = h.sites.published.lock().unwrap().get(&h.port).copied().unwrap_or(0);
    // The newest 20 items, as a real feed's window.
    let items: String = (n.saturating_sub(20)..n)
        .rev()
        .map(|i| format!("<item><title>Story {i}</title><link>http://127.0.0.1:{}/a/{i}</link></item>", h.port))
        .collect();
    let body = format!(r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>"#);
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

async fn article(State(h): State<Host>, UrlPath(i): UrlPath<usize>) -> Response {
    *h.sites.article_hits.lock().unwrap().entry(format!("{}/a/{i}", h.port)).or_default() += 1;
    let body = format!(
        "<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>\
         <p>Paragraph one of story {i} on port {}, long enough to be a body.</p></article></body></html>",
        h.port
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn serve(sites: &Sites) -> Vec<SocketAddr> {
    let mut addrs = Vec::new();
    for _ in 0..HOSTS {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/feed.xml", get(feed))
            .route("/a/{i}", get(article))
            .route("/robots.txt", get(|| async { StatusCode::NOT_FOUND }))
            .with_state(Host { sites: sites.clone(), port: addr.port() });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addrs.push(addr);
    }
    addrs
}

impl Sites {
    fn publish(&self, per_host: usize) -> usize {
        let mut p = self.published.lock().unwrap();
        for n in p.values_mut() {
            *n += per_host;
        }
        p.values().sum()
    }

    /// Every published article fetched, each exactly once.
    async fn wait_all_once(&self, procs: &[&Proc]) {
        let want: usize = self.published.lock().unwrap().values().sum();
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let hits = self.article_hits.lock().unwrap().clone();
            let twice: Vec<_> = hits.iter().filter(|(_, n)| **n > 1).collect();
            let logs = || procs.iter().map(|p| format!("--- {}\n{}", p.name, p.tail())).collect::<Vec<_>>().join("\n");
            assert!(twice.is_empty(), "fetched more than once: {twice:?}\n{}", logs());
            if hits.len() == want {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "{} of {want} articles fetched\n{}", hits.len(), logs());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_fetchers_in_one_group_never_fetch_a_url_twice() {
    let broker = Broker::start(false).await;
    let sites = Sites::default();
    let addrs = serve(&sites).await;
    sites.published.lock().unwrap().extend(addrs.iter().map(|a| (a.port(), 0)));
    sites.publish(3);
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("{}.", unique("scale"));
    let feeds: Vec<String> = addrs.iter().map(|a| format!("http://{a}/feed.xml")).collect();
    let spawn = |name: &str| {
        let data = format!("data-{name}");
        let mut args: Vec<&str> = vec!["fetch", "--data-dir", &data, "--poll-interval", "1", "--metrics-listen", ""];
        let addr = broker.address();
        args.extend(["--brokers", &addr, "--topic-prefix", &prefix]);
        for f in &feeds {
            args.extend(["--feed", f.as_str()]);
        }
        let env = [
            ("NEWSFLOW_KAFKA__GROUP_PREFIX", prefix.clone()),
            ("NEWSFLOW_FETCHER__PER_HOST_RPS", "50".into()),
            ("NEWSFLOW_KAFKA__REJOIN_WHEN_IDLE_SECS", "15".into()),
            // Same config otherwise; the agent tells the servers who polled.
            ("NEWSFLOW_FETCHER__USER_AGENT", format!("newsflow-{name}/1 (+https://example.org/bot)")),
        ];
        newsflow(name, dir.path(), &args, &env)
    };

    // Both running: they split the hosts.
    let mut a = spawn("a");
    let b = spawn("b");
    sites.wait_all_once(&[&a, &b]).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    sites.publish(4);
    sites.wait_all_once(&[&a, &b]).await;
    let (pa, pb) = (by_agent(&sites, "newsflow-a/"), by_agent(&sites, "newsflow-b/"));
    assert!(pa > 0 && pb > 0, "both instances poll some hosts ({pa}, {pb})\n{}\n{}", a.tail(), b.tail());

    // One stops: the other takes its hosts over and fetches only what is new.
    assert!(a.terminate().success(), "a exits cleanly\n{}", a.tail());
    sites.publish(3);
    sites.wait_all_once(&[&b]).await;

    // It comes back on its old state: the hosts are split again, nothing
    // fetched by either is fetched again.
    let before = by_agent(&sites, "newsflow-a/");
    let a = spawn("a");
    tokio::time::sleep(Duration::from_secs(8)).await;
    sites.publish(3);
    sites.wait_all_once(&[&a, &b]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    sites.wait_all_once(&[&a, &b]).await;
    assert_eq!(sites.article_hits.lock().unwrap().len(), HOSTS * 13);
    wait_for(Duration::from_secs(60), "the restarted instance to poll again", || {
        (by_agent(&sites, "newsflow-a/") > before).then_some(())
    })
    .await;
}

fn by_agent(sites: &Sites, who: &str) -> usize {
    sites.feed_polls.lock().unwrap().iter().filter(|(k, _)| k.starts_with(who)).map(|(_, n)| n).sum()
}
