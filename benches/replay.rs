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
//! at 50 pages/s) also reports each process's resident memory after the
//! first minute and its least-squares slope in MiB/hour (sampled every
//! 10 s), anonymous and file-backed pages apart (`RssAnon` and `RssFile` of
//! `/proc/PID/status`): the SQLite store's mapped file (`mmap_size` 256 MiB
//! per connection) and the binary count as file pages; heap (SQLite's page
//! caches, 64 MiB per connection, the enricher's index) as anonymous ones.
//! `split` runs `newsflow scrape`, `enrich` and `sink` as three processes
//! instead of `newsflow run`, so each service's memory is measured alone.
//! Every minute a line of samples goes to stderr (stored rows, the SQLite
//! files' sizes, each process's anonymous and file pages).

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

/// A KiB field (`VmHWM:`, `RssAnon:`) of a `/proc/PID/status` text.
fn field_kib(status: &str, name: &str) -> Option<u64> {
    status.lines().find(|l| l.starts_with(name))?.split_whitespace().nth(1)?.parse().ok()
}

/// A KiB field of `/proc/PID/status`, 0 once gone.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    field_kib(&status, field).unwrap_or(0)
}

/// Resident memory of a process in KiB: anonymous pages, file pages (one
/// read of its status, so both are from the same moment).
fn rss_split(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name| field_kib(&status, name);
    Some((field("RssAnon:")?, field("RssFile:")? + field("RssShmem:").unwrap_or(0)))
}

/// Size in KiB of the SQLite store's files (main, WAL, search index, its WAL).
fn store_kib(db: &Path) -> u64 {
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    ["", "-wal", "-fts", "-fts-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(db.with_file_name(format!("{name}{suffix}"))).ok())
        .map(|m| m.len() / 1024)
        .sum()
}

fn stored_count(db: &Path) -> u64 {
    let Ok(conn) = rusqlite::Connection::open(db) else { return 0 };
    conn.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get::<_, i64>(0)).map(|n| n as u64).unwrap_or(0)
}

/// One memory sample of every process: seconds since the first produce,
/// rows stored, store size (KiB), then (anonymous, file) KiB per process.
struct Sample {
    t: f64,
    rows: u64,
    store: u64,
    rss: Vec<(u64, u64)>,
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
    let split = std::env::args().any(|a| a == "split");
    let mut broker = Broker::start(!in_memory).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let prefix = format!("{}.", unique("replay"));
    let kcfg =
        newsflow_kafka::KafkaConfig { brokers: broker.address(), topic_prefix: prefix.clone(), ..Default::default() };
    newsflow_kafka::admin::ensure_topics(&kcfg).await.unwrap();
    let addr = broker.address();
    let env = vec![("NEWSFLOW_KAFKA__GROUP_PREFIX", prefix.clone()), ("RUST_LOG", "warn".into())];
    let common = ["--brokers", &addr, "--data-dir", "data", "--topic-prefix", &prefix, "--metrics-listen", ""];
    let mut procs: Vec<Proc> = if split {
        let svc = Services {
            dir: dir.path(),
            common: common.map(str::to_owned).to_vec(),
            env: env.clone(),
            feed: String::new(),
        };
        ["scrape", "enrich", "sink"].iter().map(|name| svc.spawn(name)).collect()
    } else {
        let args: Vec<&str> = std::iter::once("run").chain(common).collect();
        vec![newsflow("newsflow", dir.path(), &args, &env)]
    };
    let pids: Vec<u32> = procs.iter().map(|p| p.child.id()).collect();
    let names: Vec<String> = procs.iter().map(|p| p.name.clone()).collect();
    tokio::time::sleep(Duration::from_secs(3)).await; // consumers join

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.address())
        .set("compression.type", "lz4")
        .set("linger.ms", "5")
        .set("message.max.bytes", "16777216")
        .create()
        .unwrap();
    let topic = kcfg.topics().name(TopicKind::RawPages);
    let started = Instant::now();
    // Every process's resident memory every 10 s, for the slopes (a soak: a
    // long run at a fixed rate, e.g. `-- 180000 50` for an hour at 50/s).
    let samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Sample>::new()));
    let sampler = tokio::spawn({
        let (samples, db, names) = (samples.clone(), db.clone(), names.clone());
        async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            for i in 0u64.. {
                tick.tick().await;
                let Some(rss) = pids.iter().map(|&p| rss_split(p)).collect::<Option<Vec<_>>>() else { break };
                let sample =
                    Sample { t: started.elapsed().as_secs_f64(), rows: stored_count(&db), store: store_kib(&db), rss };
                if i % 6 == 0 {
                    let procs: Vec<String> = names
                        .iter()
                        .zip(&sample.rss)
                        .map(|(n, (anon, file))| format!("{n} anon {} file {}", anon / 1024, file / 1024))
                        .collect();
                    eprintln!(
                        "{:>5.0} s  {} rows  store {} MiB  {} (MiB)",
                        sample.t,
                        sample.rows,
                        sample.store / 1024,
                        procs.join(", ")
                    );
                }
                samples.lock().unwrap().push(sample);
            }
        }
    });
    let mut produced_at: HashMap<String, DateTime<Utc>> = HashMap::with_capacity(n);
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
    let mut peaks = vec![0u64; procs.len()];
    let mut peak_broker = 0;
    let broker_pid =
        || std::fs::read_to_string(broker.dir.path().join("tansu.pid")).ok().and_then(|s| s.trim().parse::<u32>().ok());
    loop {
        let count = stored_count(&db) as usize;
        for (peak, p) in peaks.iter_mut().zip(&procs) {
            *peak = (*peak).max(proc_stat(p.child.id()).0);
        }
        peak_broker = peak_broker.max(broker_pid().map(|p| proc_stat(p).0).unwrap_or(0));
        if count != last.0 {
            last = (count, Instant::now());
        }
        if count >= n || last.1.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cpu: Vec<f64> = procs.iter().map(|p| proc_stat(p.child.id()).1).collect();
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
    for p in &mut procs {
        p.terminate();
    }
    broker.broker.take().unwrap().stop().await;

    println!(
        "pages produced:        {n} in {produce_secs:.2} s{} · broker storage {}{}",
        rate.map(|r| format!(" (target rate {r}/s)")).unwrap_or_default(),
        if in_memory { "memory" } else { "SQLite" },
        if split { " · scrape, enrich, sink as three processes" } else { "" }
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
    let peaks: Vec<String> = names.iter().zip(&peaks).map(|(n, kib)| format!("{n} {} MiB", kib / 1024)).collect();
    println!("peak RSS (VmHWM):      {}, tansu {} MiB", peaks.join(", "), peak_broker / 1024);
    // The first minute is warm-up (caches, buffers filling): the slopes are
    // taken over the rest, and over its second half (a bounded structure
    // filling up shows as a slope that falls there).
    let samples = samples.lock().unwrap();
    let warm: Vec<&Sample> = samples.iter().filter(|s| s.t >= 60.0).collect();
    if let (Some(first), Some(last)) = (warm.first(), warm.last()) {
        let half = &warm[warm.len() / 2..];
        println!(
            "after warm-up ({:.0} s → {:.0} s, {} samples): rows {} → {}, SQLite files {} → {} MiB",
            first.t,
            last.t,
            warm.len(),
            first.rows,
            last.rows,
            first.store / 1024,
            last.store / 1024
        );
        for (i, name) in names.iter().enumerate() {
            for (kind, pick) in [("anon", 0), ("file", 1)] {
                let kib = |s: &Sample| if pick == 0 { s.rss[i].0 } else { s.rss[i].1 };
                let series = |ss: &[&Sample]| ss.iter().map(|s| (s.t, kib(s))).collect::<Vec<_>>();
                println!(
                    "  {name:<7} {kind}: {:>4} → {:>4} MiB; slope {:+.0} MiB/hour, {:+.0} over the second half",
                    kib(first) / 1024,
                    kib(last) / 1024,
                    slope_mib_per_hour(&series(&warm)),
                    slope_mib_per_hour(&series(half))
                );
            }
        }
    }
    let cpu: Vec<String> =
        names.iter().zip(&cpu).map(|(name, s)| format!("{name} {:.2} ms", s * 1000.0 / n as f64)).collect();
    println!("CPU per article:       {}, tansu {:.2} ms", cpu.join(", "), cpu_broker * 1000.0 / n as f64);
}
