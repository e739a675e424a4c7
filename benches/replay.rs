//! Replay benchmark: raw pages built from the Fundus extraction pages
//! (`../shared/data/extraction/fundus`, 258 real pages from 181 publishers)
//! are produced at full speed (or at a fixed rate) to `raw-pages` on the
//! embedded broker (tansu, SQLite storage), and `newsflow run` (release
//! build, no feeds) scrapes, enriches and stores them into SQLite.
//!
//! `cargo bench --bench replay -- [PAGES] [RATE_PER_SEC] [memory]` (defaults
//! 3000, unlimited, broker on SQLite storage; `memory` keeps the broker's
//! data in memory, to see what the storage costs). Reports articles/s from the first produce to the last stored
//! row, p50/p95/p99 latency from produce to stored, peak RSS and CPU time
//! per article of newsflow and of the broker, and dead letters (pages with no
//! extractable body are dead-lettered, not stored).
//!
//! As a soak: a fixed rate for long enough (`-- 180000 50 memory` is an hour
//! at 50 pages/s) also reports newsflow's resident memory after the first
//! minute and its least-squares slope in MiB/hour (sampled every 10 s).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use newsflow_wire::TopicKind;
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use support::*;

/// A KiB field of `/proc/PID/status` (`VmHWM:`, `VmRSS:`), 0 once gone.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0)
}

fn proc_stat(pid: u32) -> (u64, f64) {
    let hwm = status_kib(pid, "VmHWM:");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|s| s.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (hwm, ticks as f64 / 100.0)
}

fn load_pages(root: &Path) -> Vec<(String, String)> {
    let index = std::fs::read_to_string(root.join("index.jsonl")).expect("fundus index.jsonl");
    index
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(root.join(v["html"].as_str()?)).ok()?);
            let mut html = String::new();
            gz.read_to_string(&mut html).ok()?;
            Some((v["url"].as_str()?.to_owned(), html))
        })
        .collect()
}

/// Least-squares slope of `(seconds, KiB)` samples, in MiB per hour.
fn slope_mib_per_hour(samples: &[(f64, u64)]) -> f64 {
    let n = samples.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (sx, sy) = samples.iter().fold((0.0, 0.0), |(x, y), (t, kib)| (x + t, y + *kib as f64));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = samples
        .iter()
        .fold((0.0, 0.0), |(num, den), (t, kib)| (num + (t - mx) * (*kib as f64 - my), den + (t - mx) * (t - mx)));
    if den == 0.0 { 0.0 } else { num / den * 3600.0 / 1024.0 }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let nums: Vec<f64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = nums.first().copied().unwrap_or(3000.0) as usize;
    let rate = nums.get(1).copied();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/extraction/fundus");
    let pages = load_pages(&root);
    assert!(!pages.is_empty(), "no pages under {}", root.display());

    let in_memory = std::env::args().any(|a| a == "memory");
    let mut broker = Broker::start(!in_memory).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let prefix = format!("{}.", unique("replay"));
    let kcfg =
        newsflow_kafka::KafkaConfig { brokers: broker.address(), topic_prefix: prefix.clone(), ..Default::default() };
    newsflow_kafka::admin::ensure_topics(&kcfg).await.unwrap();
    let addr = broker.address();
    let env = [("NEWSFLOW_KAFKA__GROUP_PREFIX", prefix.clone()), ("RUST_LOG", "warn".into())];
    let args = ["run", "--brokers", &addr, "--data-dir", "data", "--topic-prefix", &prefix, "--metrics-listen", ""];
    let mut run = newsflow("replay-run", dir.path(), &args, &env);
    tokio::time::sleep(Duration::from_secs(3)).await; // consumers join

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.address())
        .set("compression.type", "lz4")
        .set("linger.ms", "5")
        .set("message.max.bytes", "16777216")
        .create()
        .unwrap();
    let topic = kcfg.topics().name(TopicKind::RawPages);
    // newsflow's resident memory every 10 s, for its slope (a soak: a long
    // run at a fixed rate, e.g. `-- 180000 50` for an hour at 50/s).
    let nf_pid = run.child.id();
    let rss_samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(f64, u64)>::new()));
    let sampler = tokio::spawn({
        let samples = rss_samples.clone();
        async move {
            let t0 = Instant::now();
            loop {
                let kib = status_kib(nf_pid, "VmRSS:");
                if kib > 0 {
                    samples.lock().unwrap().push((t0.elapsed().as_secs_f64(), kib));
                }
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        }
    });
    let mut produced_at: HashMap<String, DateTime<Utc>> = HashMap::with_capacity(n);
    let started = Instant::now();
    let mut acks = Vec::with_capacity(n);
    for i in 0..n {
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(i as f64 / rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        let (url, html) = &pages[i % pages.len()];
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}replay={i}");
        let env = raw_page("replay", &url, html.clone());
        produced_at.insert(env.id.clone(), env.produced_at);
        let value = env.encode();
        let record = FutureRecord::to(&topic).key(&env.id).payload(&value);
        acks.push(producer.send_result(record).map_err(|(e, _)| e).unwrap());
        if acks.len() >= 500 {
            for a in acks.drain(..) {
                a.await.unwrap().map_err(|(e, _)| e).unwrap();
            }
        }
    }
    for a in acks.drain(..) {
        a.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
    let produce_secs = started.elapsed().as_secs_f64();

    // Wait until the rows stop growing (pages without a body are dead-lettered).
    let mut last = (0, Instant::now());
    let (mut peak_nf, mut peak_broker) = (0, 0);
    let broker_pid =
        || std::fs::read_to_string(broker.dir.path().join("tansu.pid")).ok().and_then(|s| s.trim().parse::<u32>().ok());
    loop {
        let count = sqlite_rows(&db).len();
        peak_nf = peak_nf.max(proc_stat(run.child.id()).0);
        peak_broker = peak_broker.max(broker_pid().map(|p| proc_stat(p).0).unwrap_or(0));
        if count != last.0 {
            last = (count, Instant::now());
        }
        if count >= n || last.1.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, cpu_nf) = proc_stat(run.child.id());
    sampler.abort();
    let cpu_broker = broker_pid().map(|p| proc_stat(p).1).unwrap_or(0.0);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut stmt = conn.prepare("SELECT id, stored_at FROM articles").unwrap();
    let stored: Vec<(String, DateTime<Utc>)> = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|(id, ts)| Some((id, DateTime::parse_from_rfc3339(&ts).ok()?.to_utc())))
        .collect();
    let mut latencies: Vec<f64> = stored
        .iter()
        .filter_map(|(id, at)| Some((*at - *produced_at.get(id)?).num_milliseconds() as f64 / 1000.0))
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let first = produced_at.values().min().copied().unwrap();
    let last_stored = stored.iter().map(|(_, at)| *at).max().unwrap();
    let span = (last_stored - first).num_milliseconds() as f64 / 1000.0;
    run.terminate();
    broker.broker.take().unwrap().stop().await;

    println!(
        "pages produced:        {n} in {produce_secs:.2} s{} · broker storage {}",
        rate.map(|r| format!(" (target rate {r}/s)")).unwrap_or_default(),
        if in_memory { "memory" } else { "SQLite" }
    );
    println!(
        "articles stored:       {} ({} without an extractable body went to dead-letters)",
        stored.len(),
        n - stored.len()
    );
    println!(
        "throughput:            {:.0} articles/s (first produce to last stored row, {span:.2} s)",
        stored.len() as f64 / span
    );
    println!(
        "latency produce→stored: p50 {:.2} s, p95 {:.2} s, p99 {:.2} s, max {:.2} s",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies.last().unwrap()
    );
    println!("peak RSS (VmHWM):      newsflow {} MiB, tansu {} MiB", peak_nf / 1024, peak_broker / 1024);
    // The first minute is warm-up (caches, buffers filling): the slope is
    // taken over the rest.
    let samples: Vec<(f64, u64)> = rss_samples.lock().unwrap().iter().copied().filter(|(t, _)| *t >= 60.0).collect();
    if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
        println!(
            "newsflow RSS after warm-up: {} MiB at {:.0} s → {} MiB at {:.0} s; slope {:+.1} MiB/hour ({} samples)",
            first.1 / 1024,
            first.0,
            last.1 / 1024,
            last.0,
            slope_mib_per_hour(&samples),
            samples.len()
        );
    }
    println!(
        "CPU per article:       newsflow {:.2} ms, tansu {:.2} ms",
        cpu_nf * 1000.0 / n as f64,
        cpu_broker * 1000.0 / n as f64
    );
}
