//! rs-trafilatura (a Rust port of trafilatura) over the Fundus pages, as
//! predictions for the `quality` example and as a throughput figure on the
//! same pages.
//!
//! ```text
//! cargo run --release -p newsflow-extract --example rs_trafilatura -- DATA_DIR OUT.jsonl
//! ```
//! Each line: `{"html", "title", "authors", "date", "text", "seconds"}`, like
//! `scripts/trafilatura_eval.py`. Default options with the page URL; the
//! author field is split on ";" as trafilatura joins names. Runs on one
//! thread.

#[allow(dead_code)]
#[path = "common/dataset.rs"]
mod dataset;

use std::io::Write;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: rs_trafilatura DATA_DIR OUT.jsonl");
        std::process::exit(2);
    };
    let pages = match dataset::load(std::path::Path::new(&dir)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let mut file = match std::fs::File::create(&out) {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => {
            eprintln!("error: {out}: {e}");
            std::process::exit(1);
        }
    };
    let (mut total, mut failed) = (0.0f64, 0usize);
    let mut times: Vec<(f64, &str)> = Vec::new();
    for p in &pages {
        let opts = rs_trafilatura::Options { url: p.row.url.clone(), ..Default::default() };
        let start = Instant::now();
        let parsed = rs_trafilatura::extract_with_options(&p.html, &opts);
        let took = start.elapsed().as_secs_f64();
        total += took;
        times.push((took, p.row.html.as_str()));
        let line = match parsed {
            Ok(r) => serde_json::json!({
                "html": p.row.html,
                "title": r.metadata.title,
                "authors": r.metadata.author.iter().flat_map(|a| a.split(';')).map(str::trim)
                    .filter(|a| !a.is_empty()).collect::<Vec<_>>(),
                "date": r.metadata.date.map(|d| d.to_rfc3339()),
                "text": r.content_text,
                "seconds": took,
            }),
            Err(_) => {
                failed += 1;
                continue;
            }
        };
        if let Err(e) = writeln!(file, "{line}") {
            eprintln!("error: {out}: {e}");
            std::process::exit(1);
        }
    }
    if let Err(e) = file.flush() {
        eprintln!("error: {out}: {e}");
        std::process::exit(1);
    }
    let n = pages.len() - failed;
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median = times.get(times.len() / 2).map_or(0.0, |t| t.0);
    let (slowest, slowest_page) = times.last().copied().unwrap_or((0.0, ""));
    eprintln!(
        "{n} pages ({failed} failed) in {total:.1} s extraction time: {:.1} pages/s (median page {:.1} ms; slowest {slowest_page} {slowest:.1} s; without it {:.1} pages/s)",
        n as f64 / total,
        median * 1000.0,
        (times.len().saturating_sub(1)) as f64 / (total - slowest).max(1e-9)
    );
}
