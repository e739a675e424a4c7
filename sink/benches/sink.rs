//! Sink throughput: `enriched` messages built from the 3,153 real Arabic
//! articles of `../shared/data/arabic/ant-sample.jsonl` (enriched once,
//! before timing; the set is repeated under new URLs up to N) go through the
//! sink stage's `process` (decode, search form, upsert with full-text entry,
//! entities, story and source counts, group commit) from 64 concurrent tasks
//! (the runner's default `max_in_flight`), into SQLite and into PostgreSQL.
//! Kafka is left out: this measures what the sink itself sustains.
//!
//! `cargo bench -p newsflow-sink --bench sink -- [N] [sqlite|postgres|both]
//! [IN_FLIGHT]` (defaults 20000, both, and the sink stage's default
//! `kafka.sink_max_in_flight`). PostgreSQL: a fresh database on `$NEWSFLOW_TEST_PG` (default
//! postgres://postgres@127.0.0.1:5432), dropped afterwards.

use std::sync::Arc;
use std::time::Instant;

use newsflow_kafka::{Incoming, Stage, StageError};
use newsflow_sink::{SinkStage, Store};
use newsflow_wire::{ArticleMsg, EnrichedArticle, Envelope, item_id};
use tokio::task::JoinSet;

fn articles() -> Vec<ArticleMsg> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/arabic/ant-sample.jsonl");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let body = v["text"].as_str()?.to_owned();
            Some(ArticleMsg {
                source_id: v["source"].as_str().unwrap_or("ant").to_owned(),
                url: v["url"].as_str()?.to_owned(),
                title: v["title"].as_str().map(str::to_owned),
                language: Some("ar".into()),
                text: body,
                ..Default::default()
            })
        })
        .collect()
}

/// `n` encoded `enriched` messages; story ids group every 5 consecutive.
fn messages(n: usize) -> Vec<Incoming> {
    let base = articles();
    assert!(!base.is_empty(), "no articles read");
    let enriched: Vec<_> = base.iter().map(newsflow_enrich::enrich).collect();
    (0..n)
        .map(|i| {
            let mut article = base[i % base.len()].clone();
            article.url = format!("{}?copy={}", article.url, i / base.len());
            article.canonical_url = article.url.clone();
            let mut enrichment = enriched[i % base.len()].clone();
            let id = item_id(&article.url);
            enrichment.story_id = Some(format!("story-{}", i / 5));
            let env = Envelope::new(id.clone(), format!("trace-{i}"), EnrichedArticle { article, enrichment });
            Incoming {
                topic: "enriched".into(),
                partition: (i % 6) as i32,
                offset: i as i64,
                key: Some(id.into_bytes()),
                value: Some(env.encode()),
            }
        })
        .collect()
}

fn rss_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn run(label: &str, url: &str, msgs: Arc<Vec<Incoming>>, concurrency: usize) {
    let store = Arc::new(Store::open(url).await.unwrap_or_else(|e| panic!("{label}: {e}")));
    let stage = Arc::new(SinkStage::new(store.clone()));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for t in 0..concurrency {
        let (stage, msgs) = (stage.clone(), msgs.clone());
        tasks.spawn(async move {
            let mut retries = 0u64;
            for m in msgs.iter().skip(t).step_by(concurrency) {
                // As the runner does: a transient error is retried.
                loop {
                    match stage.process(m).await {
                        Ok(_) => break,
                        Err(StageError::Transient(e)) if retries < 1_000 => {
                            retries += 1;
                            if retries == 1 {
                                eprintln!("transient (retried): {e}");
                            }
                        }
                        Err(e) => panic!("write failed: {e}"),
                    }
                }
            }
            retries
        });
    }
    let mut retries = 0;
    while let Some(done) = tasks.join_next().await {
        retries += done.expect("writer task panicked");
    }
    let took = started.elapsed();
    let stored = store.summary(0).await.expect("count").count;
    // The sample repeats some URLs (as real feeds do): one row per item id.
    let distinct: std::collections::HashSet<&Option<Vec<u8>>> = msgs.iter().map(|m| &m.key).collect();
    assert_eq!(stored, distinct.len() as u64, "{label}: every item stored once");
    let (rss, hwm) = rss_kb();
    println!(
        "{label:9} {:>7} articles in {:>6.2} s = {:>7.0} articles/s   (RSS {} MB, peak {} MB, {retries} retried)",
        msgs.len(),
        took.as_secs_f64(),
        msgs.len() as f64 / took.as_secs_f64(),
        rss / 1024,
        hwm / 1024
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let which = args.get(1).map_or("both", String::as_str);
    let concurrency: usize =
        args.get(2).and_then(|a| a.parse().ok()).unwrap_or(newsflow_kafka::KafkaConfig::default().sink_max_in_flight);
    let built = Instant::now();
    let msgs = Arc::new(messages(n));
    let bytes: usize = msgs.iter().map(|m| m.value.as_ref().map_or(0, Vec::len)).sum();
    println!(
        "{n} messages ({:.1} MB, {} B mean) built in {:.1} s; {concurrency} concurrent writers",
        bytes as f64 / 1e6,
        bytes / n.max(1),
        built.elapsed().as_secs_f64()
    );
    let cpu = Instant::now();
    for m in msgs.iter() {
        let env: Envelope<EnrichedArticle> = m.decode().expect("decode");
        std::hint::black_box(newsflow_sink::ArticleRow::from(&env));
    }
    println!("decode + row (search form) alone: {:.0} articles/s on one core", n as f64 / cpu.elapsed().as_secs_f64());
    if which != "postgres" {
        let dir = tempfile::tempdir().expect("temp dir");
        run("sqlite", &format!("sqlite:{}", dir.path().join("bench.db").display()), msgs.clone(), concurrency).await;
    }
    if which != "sqlite" {
        let server =
            std::env::var("NEWSFLOW_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
        let name = format!("nf_bench_{}", std::process::id());
        let (admin, conn) = tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {server}: {e}"));
        tokio::spawn(conn);
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create the bench database");
        run("postgres", &format!("{server}/{name}"), msgs.clone(), concurrency).await;
        admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await.expect("drop the bench database");
    }
}
