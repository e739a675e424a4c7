//! Single-core throughput of `extract` on the Fundus pages.
//!
//! ```text
//! cargo run --release -p newsflow-extract --example bench -- DATA_DIR [SECONDS]
//! ```
//! Runs on the calling thread only. Full extraction, html5ever parsing of
//! the raw page, and parsing of the pre-filtered page (the floor extraction
//! builds on) are timed in alternating passes, so both see the same machine
//! load; reports pages per wall-clock second and per CPU-second of this
//! thread (the latter hardly moves when other processes load the machine),
//! for all pages and for pages of 120-220 KB, plus peak RSS (VmHWM).

// The ground-truth fields are only read by the quality example.
#[allow(dead_code)]
#[path = "common/dataset.rs"]
mod dataset;

use std::time::{Duration, Instant};

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time this thread has run, from /proc/thread-self/schedstat (ns):
/// unlike wall time it does not grow while other processes hold the cores.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok().map(Duration::from_nanos)
}

/// Pages per second of full extraction and of html5ever-only parsing.
struct Rates {
    extract_wall: f64,
    parse_wall: f64,
    pre_wall: f64,
    extract_cpu: Option<f64>,
    parse_cpu: Option<f64>,
    pre_cpu: Option<f64>,
    n: usize,
}

/// Alternates full extraction and parse-only, one pass over `pages` each
/// per round, for at least `min`, so both see the same machine load. Wall
/// time is summed per page; thread CPU time per pass.
fn paired(pages: &[&dataset::Page], min: Duration) -> Rates {
    let opts: Vec<newsflow_extract::Options> =
        pages.iter().map(|p| newsflow_extract::Options { url: p.row.url.clone(), ..Default::default() }).collect();
    let (mut t_extract, mut t_parse, mut t_pre, mut n) = (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0usize);
    let (mut c_extract, mut c_parse, mut c_pre) = (Some(Duration::ZERO), Some(Duration::ZERO), Some(Duration::ZERO));
    let start = Instant::now();
    while start.elapsed() < min && !pages.is_empty() {
        let c0 = thread_cpu();
        for (p, o) in pages.iter().zip(&opts) {
            let t = Instant::now();
            std::hint::black_box(newsflow_extract::extract(&p.html, o).ok());
            t_extract += t.elapsed();
        }
        let c1 = thread_cpu();
        for p in pages {
            let t = Instant::now();
            std::hint::black_box(scraper::Html::parse_document(&p.html));
            t_parse += t.elapsed();
        }
        let c2 = thread_cpu();
        for p in pages {
            let t = Instant::now();
            std::hint::black_box(scraper::Html::parse_document(&newsflow_extract::prefiltered(&p.html)));
            t_pre += t.elapsed();
        }
        let c3 = thread_cpu();
        n += pages.len();
        c_pre = c_pre.zip(c2.zip(c3)).map(|(acc, (a, b))| acc + b.saturating_sub(a));
        c_extract = c_extract.zip(c0.zip(c1)).map(|(acc, (a, b))| acc + b.saturating_sub(a));
        c_parse = c_parse.zip(c1.zip(c2)).map(|(acc, (a, b))| acc + b.saturating_sub(a));
    }
    let rate = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    Rates {
        extract_wall: rate(t_extract),
        parse_wall: rate(t_parse),
        pre_wall: rate(t_pre),
        extract_cpu: c_extract.map(rate),
        parse_cpu: c_parse.map(rate),
        pre_cpu: c_pre.map(rate),
        n,
    }
}

/// Runs one stage over all pages for `min`, then prints its rate.
fn loop_one(pages: &[dataset::Page], what: &str, min: Duration) {
    let opts: Vec<newsflow_extract::Options> =
        pages.iter().map(|p| newsflow_extract::Options { url: p.row.url.clone(), ..Default::default() }).collect();
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < min {
        for (p, o) in pages.iter().zip(&opts) {
            match what {
                "parse" => drop(std::hint::black_box(scraper::Html::parse_document(&p.html))),
                "prefiltered" => {
                    drop(std::hint::black_box(scraper::Html::parse_document(&newsflow_extract::prefiltered(&p.html))))
                }
                _ => drop(std::hint::black_box(newsflow_extract::extract(&p.html, o).ok())),
            }
        }
        n += pages.len();
    }
    println!("{what}: {:.0} pages/s wall", n as f64 / start.elapsed().as_secs_f64());
}

fn cpu(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_string(), |r| format!("{r:.0}"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench DATA_DIR [SECONDS]");
        std::process::exit(2);
    };
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    // `--only extract|parse|prefiltered`: loop one stage alone (for `perf record`).
    let only = match (args.next().as_deref(), args.next()) {
        (Some("--only"), Some(what)) => Some(what),
        _ => None,
    };
    let pages = match dataset::load(std::path::Path::new(&dir)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
    if let Some(what) = only {
        loop_one(&pages, &what, Duration::from_secs(secs));
        return;
    }
    let hwm_loaded = vm_hwm_kib().unwrap_or(0);
    println!("{} pages, mean {:.0} KB", pages.len(), bytes as f64 / pages.len().max(1) as f64 / 1000.0);

    // Warm-up pass (also checks nothing panics).
    let mut ok = 0usize;
    for p in &pages {
        let opts = newsflow_extract::Options { url: p.row.url.clone(), ..Default::default() };
        ok += newsflow_extract::extract(&p.html, &opts).is_ok() as usize;
    }

    let all: Vec<&dataset::Page> = pages.iter().collect();
    let r = paired(&all, Duration::from_secs(secs));
    let mb_s = r.extract_wall * bytes as f64 / pages.len().max(1) as f64 / 1e6;
    println!(
        "all pages: extract {:.0} pages/s wall, {} per CPU-second ({mb_s:.1} MB/s, {} extractions, {ok}/{} ok)",
        r.extract_wall,
        cpu(r.extract_cpu),
        r.n,
        pages.len()
    );
    println!(
        "           parse only (html5ever via scraper) {:.0} pages/s wall, {} per CPU-second; extraction costs {:.2}x the parse time",
        r.parse_wall,
        cpu(r.parse_cpu),
        r.parse_wall / r.extract_wall
    );
    println!(
        "           prefilter + parse (what extraction parses) {:.0} pages/s wall, {} per CPU-second: {:.2} ms a page, extraction adds {:.2} ms",
        r.pre_wall,
        cpu(r.pre_cpu),
        1e3 / r.pre_wall,
        1e3 / r.extract_wall - 1e3 / r.pre_wall
    );

    // Pages near the ~170 KB size the throughput target is stated for.
    let mid: Vec<&dataset::Page> = pages.iter().filter(|p| (120_000..=220_000).contains(&p.html.len())).collect();
    let m = paired(&mid, Duration::from_secs(secs.div_ceil(2)));
    let mid_kb = mid.iter().map(|p| p.html.len()).sum::<usize>() as f64 / mid.len().max(1) as f64 / 1000.0;
    println!(
        "pages of 120-220 KB ({} pages, mean {mid_kb:.0} KB): extract {:.0} pages/s wall, {} per CPU-second; parse only {:.0} wall, {} per CPU-second; prefilter + parse {:.0} wall, {} per CPU-second ({:.2} ms a page, extraction adds {:.2} ms)",
        mid.len(),
        m.extract_wall,
        cpu(m.extract_cpu),
        m.parse_wall,
        cpu(m.parse_cpu),
        m.pre_wall,
        cpu(m.pre_cpu),
        1e3 / m.pre_wall,
        1e3 / m.extract_wall - 1e3 / m.pre_wall
    );
    println!("load average during the run: {}", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim());
    if let Some(hwm) = vm_hwm_kib() {
        println!(
            "peak RSS (VmHWM): {:.1} MiB (of which {:.1} MiB is the loaded pages and binary)",
            hwm as f64 / 1024.0,
            hwm_loaded as f64 / 1024.0
        );
    }
}
