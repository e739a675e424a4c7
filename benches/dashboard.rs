//! Dashboard benchmark: a SQLite store filled with 100,000 articles
//! (Arabic news from `../shared/data/arabic/ant-sample.jsonl`, cycled, plus
//! one English article in eight; grouped into stories of three), written
//! through `Store::write` (the sink's real write path, group commit and
//! full-text index included); then the web server (in this process) and
//! headless Chromium.
//!
//! `cargo bench --bench dashboard -- [ARTICLES] [--db PATH]` (default
//! 100000 articles in a temporary file; `--db` keeps the file and reuses it
//! when it already holds enough articles). Reports the fill rate, the
//! dashboard's first paint, first contentful paint and first page of
//! articles rendered (Performance API, cold and warm loads), and the
//! latency of `/api/articles` (first page and deep in the list),
//! `/api/search` and the other endpoints (p50 / p95 / max over 30 requests).

#[path = "../tests/browser/mod.rs"]
mod browser;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use newsflow_enrich::search::search_form;
use newsflow_sink::web::{self, WebOptions};
use newsflow_sink::{ArticleRow, Store};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

struct Seed {
    title: String,
    text: String,
    description: String,
    site: String,
}

fn load_seeds() -> Vec<Seed> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/arabic/ant-sample.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| {
            let v: Value = serde_json::from_str(l).ok()?;
            Some(Seed {
                title: v["title"].as_str()?.to_owned(),
                text: v["text"].as_str()?.to_owned(),
                description: v["abstract"].as_str().unwrap_or_default().to_owned(),
                site: v["source"].as_str().unwrap_or("ant").to_owned(),
            })
        })
        .filter(|s| !s.text.is_empty())
        .collect()
}

const EN_WORDS: &[&str] = &[
    "coalition",
    "ministers",
    "meeting",
    "Rome",
    "Baghdad",
    "security",
    "markets",
    "election",
    "climate",
    "summit",
    "talks",
    "agreement",
    "ceasefire",
    "energy",
    "prices",
    "parliament",
    "budget",
    "protest",
    "report",
    "minister",
];

fn english(i: usize) -> (String, String) {
    let w = |k: usize| EN_WORDS[(i * 7 + k * 13) % EN_WORDS.len()];
    let title = format!("{} {} {} as {} {}", w(0), w(1), w(2), w(3), w(4));
    let text = (0..60).map(|k| w(k + 5)).collect::<Vec<_>>().join(" ") + ".";
    (title, text)
}

fn row(i: usize, seeds: &[Seed]) -> ArticleRow {
    let id = format!("{:016x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let story = format!("{:016x}", ((i / 3 * 3) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let (title, text, description, language, source) = if i % 8 == 7 {
        let (t, x) = english(i);
        (t, x, String::new(), "en", format!("en-wire-{}", i % 5))
    } else {
        let s = &seeds[i % seeds.len()];
        let title = format!("{} ({})", s.title, i / seeds.len());
        (title, s.text.clone(), s.description.clone(), "ar", format!("{}-{}", s.site.to_lowercase(), i % 3))
    };
    let url = format!("https://{source}.example/news/{i}");
    ArticleRow {
        id,
        url: url.clone(),
        canonical_url: url,
        search_title: search_form(&title),
        search_body: search_form(&text),
        word_count: text.split_whitespace().count() as i64,
        title: Some(title),
        text,
        description: (!description.is_empty()).then_some(description),
        language: Some(language.into()),
        direction: Some(if language == "ar" { "rtl" } else { "ltr" }.into()),
        source,
        content_hash: format!("h{i}"),
        trace_id: format!("t{i}"),
        story_id: Some(story),
        published_at: Some(chrono::Utc::now() - chrono::Duration::minutes(i as i64)),
        ..Default::default()
    }
}

fn count(db: &Path) -> usize {
    rusqlite::Connection::open(db)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get::<_, i64>(0)))
        .map_or(0, |n| n as usize)
}

async fn fill(store: Arc<Store>, from: usize, to: usize) {
    let seeds = Arc::new(load_seeds());
    let started = Instant::now();
    let mut done = 0;
    let mut writes = futures::stream::iter(from..to)
        .map(|i| {
            let (store, seeds) = (store.clone(), seeds.clone());
            async move { store.write(row(i, &seeds)).await }
        })
        .buffer_unordered(2000);
    while let Some(r) = writes.next().await {
        r.expect("write");
        done += 1;
        if done % 10_000 == 0 {
            eprintln!("  {done} written ({:.0}/s)", done as f64 / started.elapsed().as_secs_f64());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "filled {} articles in {secs:.1} s ({:.0} articles/s through Store::write)",
        to - from,
        (to - from) as f64 / secs
    );
}

fn stats(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    format!("p50 {:7.1} ms   p95 {:7.1} ms   max {:7.1} ms", p(0.5), p(0.95), ms[ms.len() - 1])
}

async fn latency(http: &reqwest::Client, base: &str, label: &str, path: &str) {
    let mut ms = Vec::new();
    let mut items = 0;
    for _ in 0..30 {
        let t = Instant::now();
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        let body = resp.text().await.unwrap();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let v: Value = serde_json::from_str(&body).unwrap();
        items = v["items"].as_array().map_or(0, Vec::len);
    }
    println!("  {label:<38} {}   ({items} items)", stats(ms));
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let tmp = tempfile::tempdir().unwrap();
    let db: PathBuf = args
        .iter()
        .position(|a| a == "--db")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("news.db"));
    let url = format!("sqlite:{}", db.display());
    let store = Arc::new(Store::open(&url).await.expect("open the store"));
    let have = count(&db);
    if have < n {
        println!("filling {} with {} articles ({have} there)…", db.display(), n - have);
        fill(store.clone(), have, n).await;
    } else {
        println!("reusing {} ({have} articles)", db.display());
    }
    let size = std::fs::metadata(&db).map_or(0, |m| m.len())
        + std::fs::metadata(db.with_extension("db-wal")).map_or(0, |m| m.len());
    println!("store: {} articles, {:.0} MB", count(&db), size as f64 / 1e6);

    let cancel = CancellationToken::new();
    let running = web::serve(store.clone(), WebOptions::new("127.0.0.1:0", &url), cancel.clone()).await.unwrap();
    let base = format!("http://{}", running.addr);

    // The dashboard in Chromium: a cold load, then reloads (assets
    // revalidated by ETag).
    let b = browser::Browser::start(tmp.path()).await;
    println!("dashboard load (Performance API, ms after navigation start):");
    let probe = "const p = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
                 const a = performance.getEntriesByName('newsflow:articles')[0];
                 const nav = performance.getEntriesByType('navigation')[0];
                 return [p['first-paint'] ?? null, p['first-contentful-paint'] ?? null, a ? a.startTime : null,
                         nav ? nav.responseEnd : null, document.querySelectorAll('#stream > li').length];";
    let mut fcp = Vec::new();
    for round in 0..6 {
        b.client.goto(&format!("{base}/?round={round}")).await.unwrap();
        b.wait_for("html[data-articles='loaded']", "the first page of articles", Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let v = b.js(probe, vec![]).await;
        let f = |i: usize| v[i].as_f64().map_or("n/a".to_owned(), |x| format!("{x:6.1}"));
        println!(
            "  {:<5} first paint {}   first contentful paint {}   50 articles rendered {}   (HTML done {}, {} items)",
            if round == 0 { "cold" } else { "warm" },
            f(0),
            f(1),
            f(2),
            f(3),
            v[4]
        );
        if let Some(x) = v[1].as_f64() {
            fcp.push(x);
        }
    }
    b.close().await;
    if !fcp.is_empty() {
        println!("  first contentful paint over {} loads: {}", fcp.len(), stats(fcp.clone()));
        let worst = fcp.iter().copied().fold(0.0, f64::max);
        println!("  target < 1000 ms: {}", if worst < 1000.0 { "met" } else { "MISSED" });
    }

    // The API.
    let deep = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT stored_at || '~' || id FROM articles ORDER BY stored_at DESC, id DESC LIMIT 1 OFFSET ?1",
            [(count(&db) / 2) as i64],
            |r| r.get::<_, String>(0),
        )
        .unwrap();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let http = reqwest::Client::new();
    println!("API latency (30 requests each, one client):");
    latency(&http, &base, "/api/articles (first page of 50)", "/api/articles?limit=50").await;
    latency(
        &http,
        &base,
        "/api/articles (50, mid-list cursor)",
        &format!("/api/articles?limit=50&before={}", enc(&deep)),
    )
    .await;
    latency(&http, &base, "/api/articles (200)", "/api/articles?limit=200").await;
    for (label, q) in [
        ("/api/search common word (في)", "في"),
        ("/api/search Arabic word (والاجتماع)", "والاجتماع"),
        ("/api/search Arabic phrase", "\"التحالف الدولي\""),
        ("/api/search OR and exclusion", "بغداد OR دمشق -سوريا"),
        ("/api/search English word", "ceasefire"),
        ("/api/search rare word", "فويس"),
    ] {
        latency(&http, &base, label, &format!("/api/search?limit=50&q={}", enc(q))).await;
    }
    latency(
        &http,
        &base,
        "/api/search common word, lang=en",
        &format!("/api/search?limit=50&lang=en&q={}", enc("minister")),
    )
    .await;
    latency(&http, &base, "/api/stories", "/api/stories?limit=50").await;
    latency(&http, &base, "/api/sources", "/api/sources").await;
    cancel.cancel();
    let _ = running.done.await;
}
