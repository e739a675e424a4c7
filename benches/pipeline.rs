//! End-to-end throughput of the embedded pipeline on the demo newsroom:
//! `cargo bench --bench pipeline [-- ARTICLES]` (default 1,000).
//!
//! The newsroom serves the five seed pages plus ARTICLES more built from
//! them; `newsflow run` (release build, embedded tansu on SQLite storage,
//! SQLite sink) polls the feed and fetches, extracts, enriches and stores
//! every page. Reports wall time to the last stored row, articles/s, and
//! peak memory (VmHWM) of newsflow and of the broker.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::*;

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let extra: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000);
    let site = Site::start().await;
    site.publish_many(extra);
    let want = site.newsroom.articles().len();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let feed = site.feed();
    let env = [
        ("NEWSFLOW_FETCHER__PER_HOST_RPS", "100000".to_owned()),
        ("NEWSFLOW_FETCHER__PER_HOST_CONCURRENCY", "16".into()),
        ("RUST_LOG", "warn".into()),
    ];
    let args = ["run", "--data-dir", "data", "--feed", &feed, "--metrics-listen", ""];
    let started = Instant::now();
    let mut run = newsflow("bench-run", dir.path(), &args, &env);
    let mut first = None;
    let mut peak_nf = 0;
    let mut peak_broker = 0;
    let broker_pid = || {
        std::fs::read_to_string(dir.path().join("data/broker/tansu.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
    };
    loop {
        let n = sqlite_rows(&db).len();
        if n > 0 && first.is_none() {
            first = Some(started.elapsed());
        }
        peak_nf = peak_nf.max(vm_hwm_kib(run.child.id()).unwrap_or(0));
        peak_broker = peak_broker.max(broker_pid().and_then(vm_hwm_kib).unwrap_or(0));
        if n >= want {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(900), "stalled at {n}/{want}\n{}", run.tail());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = started.elapsed();
    let first = first.unwrap_or_default();
    run.terminate();
    let steady = (want - 1) as f64 / (total - first).as_secs_f64().max(1e-9);
    println!("articles stored:        {want}");
    println!(
        "wall time to last row:  {:.2} s (first row after {:.2} s: broker start, topics, first poll)",
        total.as_secs_f64(),
        first.as_secs_f64()
    );
    println!(
        "throughput:             {:.0} articles/s overall, {steady:.0} articles/s after the first row",
        want as f64 / total.as_secs_f64()
    );
    println!("peak RSS (VmHWM):       newsflow {} MiB, tansu {} MiB", peak_nf / 1024, peak_broker / 1024);
}
