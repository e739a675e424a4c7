//! dom_smoothie (a Rust port of Mozilla's readability.js) over the Fundus
//! pages, as predictions for the `quality` example and as a throughput
//! figure on the same pages.
//!
//! ```text
//! cargo run --release -p newsflow-extract --example dom_smoothie -- DATA_DIR OUT.jsonl
//! ```
//! Each line: `{"html", "title", "authors", "date", "text", "seconds"}`, like
//! `scripts/trafilatura_eval.py`. Text is dom_smoothie's `Formatted` mode
//! (paragraphs on their own lines). Runs on one thread.

#[allow(dead_code)]
#[path = "common/dataset.rs"]
mod dataset;

use std::io::Write;
use std::time::Instant;

use dom_smoothie::{Config, Readability, TextMode};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: dom_smoothie DATA_DIR OUT.jsonl");
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
    for p in &pages {
        let cfg = Config { text_mode: TextMode::Formatted, ..Default::default() };
        let start = Instant::now();
        let parsed = Readability::new(p.html.as_str(), p.row.url.as_deref(), Some(cfg)).and_then(|mut r| r.parse());
        let took = start.elapsed().as_secs_f64();
        total += took;
        let line = match parsed {
            Ok(a) => serde_json::json!({
                "html": p.row.html,
                "title": a.title,
                "authors": a.byline.into_iter().collect::<Vec<_>>(),
                "date": a.published_time,
                "text": a.text_content.to_string(),
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
    eprintln!("{n} pages ({failed} failed) in {total:.1} s extraction time: {:.1} pages/s", n as f64 / total);
}
