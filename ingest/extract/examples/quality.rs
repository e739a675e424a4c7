//! Extraction quality on the Fundus test pages.
//!
//! ```text
//! cargo run --release -p newsflow-extract --example quality -- DATA_DIR \
//!     [--out report.md] [--compare NAME=preds.jsonl ...] [--worst N] [--dump ours.jsonl]
//! ```
//! Scores newsflow-extract and, side by side, any other extractor whose
//! predictions are given as JSON lines `{"html", "title", "authors", "date",
//! "text"}` (see `scripts/trafilatura_eval.py`).

#[path = "common/dataset.rs"]
mod dataset;
#[path = "common/score.rs"]
mod score;

use score::{Pred, Scores};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut out = None;
    let mut compare: Vec<(String, PathBuf)> = Vec::new();
    let mut worst = 0usize;
    let mut dump: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            "--dump" => dump = args.next().map(PathBuf::from),
            "--worst" => worst = args.next().and_then(|n| n.parse().ok()).unwrap_or(10),
            "--compare" => {
                let v = args.next().ok_or("--compare needs NAME=PATH")?;
                let (n, p) = v.split_once('=').ok_or("--compare needs NAME=PATH")?;
                compare.push((n.to_string(), PathBuf::from(p)));
            }
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.ok_or("usage: quality DATA_DIR [--out FILE] [--compare NAME=PATH]")?;
    let pages = dataset::load(&dir)?;

    let mut systems: Vec<(String, HashMap<String, Pred>)> = Vec::new();
    let mut ours = HashMap::new();
    // Whole articles for `--dump` (to diff two builds field by field).
    let mut full: HashMap<String, serde_json::Value> = HashMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for p in &pages {
        let opts = newsflow_extract::Options { url: p.row.url.clone(), ..Default::default() };
        match newsflow_extract::extract(&p.html, &opts) {
            Ok(a) => {
                if dump.is_some() {
                    full.insert(p.row.html.clone(), serde_json::to_value(&a).unwrap_or_default());
                }
                ours.insert(p.row.html.clone(), Pred::from_article(&a));
            }
            Err(e) => {
                let kind = format!("{e}");
                *errors.entry(kind.chars().take(60).collect()).or_default() += 1;
            }
        }
    }
    if let Some(path) = &dump {
        let lines: Vec<String> = pages
            .iter()
            .filter_map(|p| ours.get(&p.row.html).map(|pred| (p, pred)))
            .map(|(p, pred)| {
                serde_json::json!({"html": p.row.html, "title": pred.title, "authors": pred.authors, "date": pred.date, "text": pred.text, "article": full.get(&p.row.html)}).to_string()
            })
            .collect();
        std::fs::write(path, lines.join("\n") + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    systems.push(("newsflow-extract".into(), ours));
    for (name, path) in &compare {
        systems.push((name.clone(), score::load_preds(path)?));
    }

    let mut md = String::new();
    md.push_str(&format!("# Extraction quality on {} Fundus pages\n\n", pages.len()));
    md.push_str("Title: exact match after whitespace normalisation. Authors: exact set match (case-insensitive), on pages whose ground truth lists authors; author F1 is name-level. Date: published date correct to the day (pages with a GT date). Body: token overlap with the GT body (multiset; CJK counted per character), macro-averaged over pages; a failed page scores 0.\n\n");
    md.push_str("## Overall\n\n");
    md.push_str(&Scores::header());
    for (name, preds) in &systems {
        let s = Scores::compute(pages.iter().map(|p| (&p.row, preds.get(&p.row.html))));
        md.push_str(&s.row(name));
    }
    md.push_str("\n## Body F1 and title accuracy per language\n\n");
    let mut langs: BTreeMap<String, Vec<&dataset::Page>> = BTreeMap::new();
    for p in &pages {
        langs.entry(p.row.language.clone()).or_default().push(p);
    }
    let mut head = String::from("| language | pages |");
    let mut sep = String::from("|---|---:|");
    for (name, _) in &systems {
        head.push_str(&format!(" {name} body F1 | {name} title |"));
        sep.push_str("---:|---:|");
    }
    md.push_str(&format!("{head}\n{sep}\n"));
    let mut by_size: Vec<_> = langs.iter().collect();
    by_size.sort_by_key(|(l, v)| (std::cmp::Reverse(v.len()), (*l).clone()));
    for (lang, ps) in by_size {
        md.push_str(&format!("| {lang} | {} |", ps.len()));
        for (_, preds) in &systems {
            let s = Scores::compute(ps.iter().map(|p| (&p.row, preds.get(&p.row.html))));
            md.push_str(&format!(" {:.3} | {:.1}% |", s.body_f1, s.title_pct()));
        }
        md.push('\n');
    }
    if !errors.is_empty() {
        md.push_str("\n## newsflow-extract errors\n\n");
        for (e, n) in &errors {
            md.push_str(&format!("- {n} × {e}\n"));
        }
    }
    print!("{md}");
    if let Some(out) = out {
        std::fs::write(&out, &md).map_err(|e| format!("{}: {e}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    if worst > 0 {
        score::print_worst(&pages, &systems[0].1, worst);
    }
    Ok(())
}
