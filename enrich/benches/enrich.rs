//! Single-core enrichment rate on typical 4 KB Arabic articles:
//! `cargo bench -p newsflow-enrich --bench enrich [-- DATA_DIR [SECONDS [only]]]`
//! (defaults `../shared/data`, 5 s; `only` skips the time per part, for
//! profiling).
//!
//! Articles are built as in the quality report's speed section: the texts
//! of `arabic/ant-sample.jsonl`, joined in file order and cut at 4,096 bytes
//! (on a character boundary), each with the title of its last source line.
//! One thread runs [`newsflow_enrich::enrich`] over them for the given
//! time; then each part of the enrichment is timed alone, in µs per article.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use newsflow_wire::ArticleMsg;
use serde_json::Value;

/// One part of the enrichment, run on one article.
type Part = Box<dyn FnMut(&ArticleMsg)>;

fn four_kb_articles(data: &std::path::Path) -> Vec<ArticleMsg> {
    let sample = std::fs::read_to_string(data.join("arabic/ant-sample.jsonl")).expect("read ant-sample.jsonl");
    let mut out = Vec::new();
    let mut buf = String::new();
    for line in sample.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        buf.push_str(&field("text"));
        buf.push('\n');
        if buf.len() >= 4096 {
            let mut end = 4096;
            while !buf.is_char_boundary(end) {
                end -= 1;
            }
            out.push(ArticleMsg { title: Some(field("title")), text: buf[..end].to_owned(), ..Default::default() });
            buf.clear();
        }
    }
    out
}

/// Runs `f` over all articles for about `budget`; µs per article.
fn time_per_article(articles: &[ArticleMsg], budget: Duration, mut f: impl FnMut(&ArticleMsg)) -> f64 {
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < budget || n == 0 {
        for a in articles {
            f(a);
        }
        n += articles.len();
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

/// CPU time this process has used (user + system), from /proc/self/stat;
/// `None` where that file is missing.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces): state is 3rd,
    // utime 14th and stime 15th of the whole line.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() {
    // `cargo bench` passes `--bench`; skip flags.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    // Default: the workspace's `../shared/data` (cargo runs benches from
    // the crate's directory).
    let data = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let articles = four_kb_articles(&data);
    assert!(!articles.is_empty(), "no articles built from {}", data.display());
    // Warm up: the gazetteer and tables load once per process.
    black_box(newsflow_enrich::enrich(&articles[0]));
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let mut done = 0usize;
    let us = time_per_article(&articles, Duration::from_secs_f64(secs), |a| {
        black_box(newsflow_enrich::enrich(a));
        done += 1;
    });
    let wall = wall0.elapsed().as_secs_f64();
    println!("{} articles of 4,096 bytes, one thread, {secs} s", articles.len());
    println!("enrich(): {:.0} articles/s wall clock ({us:.1} µs per article)", 1e6 / us);
    // On a shared machine the thread does not always have its core: the rate
    // per second of CPU time the thread got is the per-core figure.
    if let (Some(c0), Some(c1)) = (cpu0, cpu_seconds()) {
        let cpu = c1 - c0;
        println!(
            "enrich(): {:.0} articles per CPU second (CPU {cpu:.2} s of {wall:.2} s wall)",
            done as f64 / cpu.max(1e-9)
        );
    }
    if args.get(2).is_some_and(|a| a == "only") {
        return;
    }
    let part = Duration::from_secs_f64((secs / 5.0).max(0.2));
    let parts: Vec<(&str, Part)> = vec![
        ("language", Box::new(|a| drop(black_box(newsflow_enrich::language::detect(&a.text, None))))),
        (
            "normalize + hash",
            Box::new(|a| {
                drop(black_box(newsflow_enrich::content_hash(&newsflow_enrich::normalize::normalize(&a.text))))
            }),
        ),
        ("entities", Box::new(|a| drop(black_box(newsflow_enrich::entities::find(&a.text))))),
        ("dates", Box::new(|a| drop(black_box(newsflow_enrich::dates::find_dates(&a.text))))),
        ("amounts", Box::new(|a| drop(black_box(newsflow_enrich::amounts::find_amounts(&a.text))))),
        ("quotes", Box::new(|a| drop(black_box(newsflow_enrich::quotes::find_quotes(&a.text))))),
        (
            "keyphrases",
            Box::new(|a| drop(black_box(newsflow_enrich::keyphrases::keyphrases(a.title.as_deref(), &a.text, 8)))),
        ),
        ("summary", Box::new(|a| drop(black_box(newsflow_enrich::summary::summarize(&a.text, 2))))),
    ];
    for (name, mut f) in parts {
        println!("  {name:<18} {:>7.1} µs", time_per_article(&articles, part, &mut f));
    }
}
