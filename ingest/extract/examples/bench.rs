//! Single-core throughput of `extract` on the Fundus pages.
//!
//! ```text
//! cargo run --release -p newsflow-extract --example bench -- DATA_DIR [SECONDS]
//! ```
//! Runs on the calling thread only. Full extraction and html5ever parsing
//! alone are timed alternately on each page, so both see the same machine
//! load; reports pages/s for each, for all pages and for pages of 120-220 KB,
//! plus peak RSS (VmHWM from /proc/self/status).

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

/// Alternates full extraction and parse-only on each page for at least
/// `min`; returns (extract pages/s, parse pages/s, extractions).
fn paired(pages: &[&dataset::Page], min: Duration) -> (f64, f64, usize) {
    let opts: Vec<newsflow_extract::Options> =
        pages.iter().map(|p| newsflow_extract::Options { url: p.row.url.clone(), ..Default::default() }).collect();
    let (mut t_extract, mut t_parse, mut n) = (Duration::ZERO, Duration::ZERO, 0usize);
    let start = Instant::now();
    while start.elapsed() < min && !pages.is_empty() {
        for (p, o) in pages.iter().zip(&opts) {
            let t = Instant::now();
            std::hint::black_box(newsflow_extract::extract(&p.html, o).ok());
            t_extract += t.elapsed();
            let t = Instant::now();
            std::hint::black_box(scraper::Html::parse_document(&p.html));
            t_parse += t.elapsed();
            n += 1;
        }
    }
    (n as f64 / t_extract.as_secs_f64(), n as f64 / t_parse.as_secs_f64(), n)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench DATA_DIR [SECONDS]");
        std::process::exit(2);
    };
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let pages = match dataset::load(std::path::Path::new(&dir)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
    let hwm_loaded = vm_hwm_kib().unwrap_or(0);
    println!("{} pages, mean {:.0} KB", pages.len(), bytes as f64 / pages.len().max(1) as f64 / 1000.0);

    // Warm-up pass (also checks nothing panics).
    let mut ok = 0usize;
    for p in &pages {
        let opts = newsflow_extract::Options { url: p.row.url.clone(), ..Default::default() };
        ok += newsflow_extract::extract(&p.html, &opts).is_ok() as usize;
    }

    let all: Vec<&dataset::Page> = pages.iter().collect();
    let (extract_rate, parse_rate, n) = paired(&all, Duration::from_secs(secs));
    let mb_s = extract_rate * bytes as f64 / pages.len().max(1) as f64 / 1e6;
    println!(
        "all pages: extract {extract_rate:.0} pages/s on one core ({mb_s:.1} MB/s, {n} extractions, {ok}/{} ok)",
        pages.len()
    );
    println!(
        "           parse only (html5ever via scraper) {parse_rate:.0} pages/s; extraction logic adds {:.0}% to the parse time",
        100.0 * (parse_rate / extract_rate - 1.0)
    );

    // Pages near the ~170 KB size the throughput target is stated for.
    let mid: Vec<&dataset::Page> = pages.iter().filter(|p| (120_000..=220_000).contains(&p.html.len())).collect();
    let (mid_rate, mid_parse, _) = paired(&mid, Duration::from_secs(secs.div_ceil(2)));
    let mid_kb = mid.iter().map(|p| p.html.len()).sum::<usize>() as f64 / mid.len().max(1) as f64 / 1000.0;
    println!(
        "pages of 120-220 KB ({} pages, mean {mid_kb:.0} KB): extract {mid_rate:.0} pages/s, parse only {mid_parse:.0} pages/s",
        mid.len()
    );
    if let Some(hwm) = vm_hwm_kib() {
        println!(
            "peak RSS (VmHWM): {:.1} MiB (of which {:.1} MiB is the loaded pages and binary)",
            hwm as f64 / 1024.0,
            hwm_loaded as f64 / 1024.0
        );
    }
}
