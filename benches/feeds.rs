//! Fetcher benchmark: 10,000 simulated feeds on local servers, polled by the
//! real `Fetcher` (in this process, default politeness: 1 request/s and 2 in
//! flight per host, 32 in flight overall) that produces new articles'
//! raw pages to the embedded broker (tansu, in memory).
//!
//! `cargo bench --bench feeds -- [FEEDS] [SECONDS] [FEEDS_PER_HOST]`
//! (defaults 10000, 60, 2). The feed server runs in a child process (this
//! binary again), so the fetcher's memory and CPU are measured alone. Each
//! host (`127.1.0.x:port`, one listener per host) serves FEEDS_PER_HOST
//! RSS feeds; each feed is polled every 5 s (fixed interval: 2,000 polls/s
//! for 10,000 feeds), publishes a new item every 30–90 s from the start
//! (about 170 new articles/s for 10,000 feeds), keeps a window of 20 items
//! and answers 304 to a matching `If-None-Match`. After a warm-up
//! that covers the spread of first polls, the server's request log over
//! SECONDS gives: feed polls/s, interval adherence (each gap between two
//! polls of a feed minus the 5 s interval: percentiles), articles fetched
//! and any article fetched twice; this process reports its peak RSS and
//! CPU time per poll.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use newsflow_ingest::state::FetchState;
use newsflow_ingest::{Fetcher, FetcherConfig, SourceConfig};
use newsflow_kafka::embedded::{EmbeddedBroker, EmbeddedOptions};
use newsflow_kafka::{KafkaConfig, Producer};
use tokio_util::sync::CancellationToken;

const INTERVAL_MS: u64 = 5_000;
const IPS: usize = 50;
const WINDOW: u64 = 20;
const ROLE: &str = "NEWSFLOW_FEEDS_BENCH_SERVER";

fn proc_stat(pid: u32) -> (u64, u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|s| s.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (kb("VmRSS:"), kb("VmHWM:"), ticks as f64 / 100.0)
}

// ---- the feed server (child process) ----

struct Log {
    started: Instant,
    /// Poll times (ms since start) per feed.
    polls: Vec<Vec<u32>>,
    not_modified: u64,
    articles: HashMap<(usize, u64), u32>,
}

#[derive(Clone)]
struct Srv {
    log: Arc<Mutex<Log>>,
    host_of: Arc<Vec<String>>,
}

/// Items published by feed `i` at `ms`: one per period (30–90 s) from the
/// start, so the bench measures steady polling, not a first crawl.
fn published(i: usize, ms: u64) -> u64 {
    let period = 30_000 + (i as u64 * 7_919) % 60_000;
    let phase = (i as u64 * 104_729) % period;
    (ms + phase) / period
}

async fn feed(State(s): State<Srv>, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    let Some(i) = name.strip_suffix(".xml").and_then(|n| n.parse::<usize>().ok()).filter(|&i| i < s.host_of.len())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let ms = {
        let mut log = s.log.lock().unwrap();
        let ms = log.started.elapsed().as_millis() as u64;
        log.polls[i].push(ms as u32);
        ms
    };
    let n = published(i, ms);
    let etag = format!("\"{i}-{n}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        s.log.lock().unwrap().not_modified += 1;
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let host = &s.host_of[i];
    let items: String = (n.saturating_sub(WINDOW)..n)
        .rev()
        .map(|k| {
            format!("<item><title>Feed {i} story {k}</title><link>http://{host}/a/{i}/{k}</link><description>Story {k} of feed {i}, a short summary of the news.</description></item>")
        })
        .collect();
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {i}</title><link>http://{host}/</link>{items}</channel></rss>"#
    );
    ([(header::CONTENT_TYPE, "application/rss+xml"), (header::ETAG, etag.as_str())], body).into_response()
}

async fn article(State(s): State<Srv>, UrlPath((i, k)): UrlPath<(usize, u64)>) -> Response {
    *s.log.lock().unwrap().articles.entry((i, k)).or_default() += 1;
    let para = format!(
        "<p>Paragraph of story {k} of feed {i}: the council met today and agreed on a new plan for the city's schools, its transport and its parks.</p>"
    );
    let body = format!(
        "<html><head><title>Story {k}</title></head><body><article><h1>Story {k}</h1>{}</article></body></html>",
        para.repeat(8)
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn now(State(s): State<Srv>) -> String {
    s.log.lock().unwrap().started.elapsed().as_millis().to_string()
}

async fn stats(State(s): State<Srv>, Query(q): Query<HashMap<String, u64>>) -> String {
    let (from, to) = (q.get("from").copied().unwrap_or(0), q.get("to").copied().unwrap_or(u64::MAX));
    let log = s.log.lock().unwrap();
    let mut polls = 0u64;
    let mut late: Vec<i64> = Vec::new();
    for times in &log.polls {
        let inside: Vec<u64> = times.iter().map(|&t| u64::from(t)).filter(|t| (from..to).contains(t)).collect();
        polls += inside.len() as u64;
        late.extend(inside.windows(2).map(|w| (w[1] - w[0]) as i64 - INTERVAL_MS as i64));
    }
    late.sort_unstable();
    let pct = |p: f64| late.get(((late.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0);
    let twice = log.articles.values().filter(|&&n| n > 1).count();
    let feeds_polled = log.polls.iter().filter(|t| t.iter().any(|&t| (from..to).contains(&u64::from(t)))).count();
    serde_json::json!({
        "polls": polls, "feeds_polled": feeds_polled, "not_modified_total": log.not_modified,
        "articles": log.articles.len(), "articles_twice": twice,
        "late_p50": pct(0.5), "late_p90": pct(0.9), "late_p99": pct(0.99), "late_max": late.last().copied().unwrap_or(0),
        "early_min": late.first().copied().unwrap_or(0), "gaps": late.len(),
    })
    .to_string()
}

async fn serve_feeds(feeds: usize, per_host: usize) {
    let hosts = feeds.div_ceil(per_host);
    let mut host_addr = Vec::with_capacity(hosts);
    let mut listeners = Vec::with_capacity(hosts);
    for h in 0..hosts {
        let ip = format!("127.1.0.{}", 1 + h % IPS);
        let l = tokio::net::TcpListener::bind(format!("{ip}:0")).await.expect("bind a loopback address");
        host_addr.push(l.local_addr().unwrap().to_string());
        listeners.push(l);
    }
    let host_of: Vec<String> = (0..feeds).map(|i| host_addr[i / per_host].clone()).collect();
    let log =
        Log { started: Instant::now(), polls: vec![Vec::new(); feeds], not_modified: 0, articles: HashMap::new() };
    let srv = Srv { log: Arc::new(Mutex::new(log)), host_of: Arc::new(host_of.clone()) };
    let app = Router::new()
        .route("/f/{name}", get(feed))
        .route("/a/{i}/{k}", get(article))
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .with_state(srv.clone());
    for l in listeners {
        let app = app.clone();
        tokio::spawn(async move { axum::serve(l, app).await.ok() });
    }
    let control = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ctl = Router::new().route("/now", get(now)).route("/stats", get(stats)).with_state(srv);
    println!("CONTROL {}", control.local_addr().unwrap());
    for (i, host) in host_of.iter().enumerate() {
        println!("FEED http://{host}/f/{i}.xml");
    }
    println!("READY");
    axum::serve(control, ctl).await.ok();
}

// ---- the fetcher side ----

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let arg = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (feeds, secs, per_host) = (arg(0, 10_000), arg(1, 60) as u64, arg(2, 2).max(1));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if std::env::var_os(ROLE).is_some() {
        rt.block_on(serve_feeds(feeds, per_host));
        return;
    }
    rt.block_on(bench(feeds, secs, per_host));
}

async fn bench(feeds: usize, secs: u64, per_host: usize) {
    let mut server = Command::new(std::env::current_exe().unwrap())
        .args([feeds.to_string(), secs.to_string(), per_host.to_string()])
        .env(ROLE, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut control = String::new();
    let mut urls = Vec::with_capacity(feeds);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(c) = line.strip_prefix("CONTROL ") {
            control = c.to_owned();
        } else if let Some(u) = line.strip_prefix("FEED ") {
            urls.push(u.to_owned());
        } else if line == "READY" {
            break;
        }
    }
    assert_eq!(urls.len(), feeds, "the feed server announced every feed");

    let dir = tempfile::tempdir().unwrap();
    let opts = EmbeddedOptions { dir: dir.path().join("broker"), port: 0, in_memory: true, install: false };
    let broker = EmbeddedBroker::start(&opts).await.expect("tansu (built by scripts/test or the first `run`)");
    let kafka = KafkaConfig {
        brokers: broker.address().to_owned(),
        topic_prefix: format!("{}.", support::unique("feeds")),
        ..Default::default()
    };
    newsflow_kafka::admin::ensure_topics(&kafka).await.unwrap();
    let cfg =
        FetcherConfig { allow_hosts: (0..IPS).map(|i| format!("127.1.0.{}", i + 1)).collect(), ..Default::default() };
    let secs5 = Some(INTERVAL_MS / 1000);
    let sources: Vec<SourceConfig> = urls
        .iter()
        .map(|u| SourceConfig {
            interval_secs: secs5,
            min_interval_secs: secs5,
            max_interval_secs: secs5,
            ..SourceConfig::from_url(u)
        })
        .collect();
    let state = Arc::new(FetchState::open(&dir.path().join("fetcher-state.sqlite")).unwrap());
    let producer = Producer::new(&kafka).unwrap();
    let fetcher = Arc::new(Fetcher::new(cfg, state, producer, kafka.topics()).unwrap());
    let cancel = CancellationToken::new();
    let (before_rss, _, _) = proc_stat(std::process::id());
    let run = tokio::spawn(fetcher.run(sources, cancel.clone()));

    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("http://{control}{path}");
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    // Warm-up: first polls are spread over 2 ms per source, then one more
    // interval so every feed has settled into its 304 rhythm.
    let warmup = newsflow_ingest::fetcher::first_poll_spread(feeds).min(Duration::from_millis(INTERVAL_MS))
        + Duration::from_millis(2 * INTERVAL_MS);
    tokio::time::sleep(warmup).await;
    let from: u64 = get("/now".into()).await.parse().unwrap();
    let (_, _, cpu0) = proc_stat(std::process::id());
    let (_, _, srv_cpu0) = proc_stat(server.id());
    let mut peak_rss = 0;
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak_rss = peak_rss.max(proc_stat(std::process::id()).0);
    }
    let to: u64 = get("/now".into()).await.parse().unwrap();
    let (_, hwm, cpu1) = proc_stat(std::process::id());
    let (_, _, srv_cpu1) = proc_stat(server.id());
    let stats: serde_json::Value = serde_json::from_str(&get(format!("/stats?from={from}&to={to}")).await).unwrap();
    cancel.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(30), run).await;
    broker.stop().await;
    let _ = server.kill();
    let _ = server.wait();

    let window = (to - from) as f64 / 1000.0;
    let polls = stats["polls"].as_u64().unwrap_or(0) as f64;
    println!(
        "feeds {feeds} on {} hosts ({per_host} per host), interval 5 s, window {window:.1} s",
        feeds.div_ceil(per_host)
    );
    println!(
        "feed polls/s               {:.0}  (target 2000; {} of {feeds} feeds polled in the window)",
        polls / window,
        stats["feeds_polled"]
    );
    println!(
        "interval lateness (ms)     p50 {}  p90 {}  p99 {}  max {}  (earliest {}; {} gaps)",
        stats["late_p50"], stats["late_p90"], stats["late_p99"], stats["late_max"], stats["early_min"], stats["gaps"]
    );
    println!("articles fetched           {} in total, {} fetched twice", stats["articles"], stats["articles_twice"]);
    println!(
        "fetcher RSS (MiB)          peak {:.0} during the window, high-water {:.0} (before start {:.0})",
        peak_rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        before_rss as f64 / 1024.0
    );
    println!(
        "CPU per poll (ms)          fetcher {:.3}, feed server {:.3}",
        (cpu1 - cpu0) * 1000.0 / polls.max(1.0),
        (srv_cpu1 - srv_cpu0) * 1000.0 / polls.max(1.0)
    );
}
