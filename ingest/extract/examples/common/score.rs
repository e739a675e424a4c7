//! Scoring predictions against the Fundus ground truth.

use super::dataset::{Page, Row};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

/// What any extractor predicted for one page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pred {
    #[serde(default)]
    pub html: String,
    pub title: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    pub date: Option<String>,
    #[serde(default)]
    pub text: String,
}

impl Pred {
    pub fn from_article(a: &newsflow_extract::Article) -> Pred {
        Pred {
            html: String::new(),
            title: a.title.clone(),
            authors: a.authors.clone(),
            date: a.published.map(|d| d.to_rfc3339()),
            text: a.text.clone(),
        }
    }
}

pub fn load_preds(path: &Path) -> Result<HashMap<String, Pred>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = HashMap::new();
    for line in std::io::BufReader::new(f).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let p: Pred = serde_json::from_str(&line).map_err(|e| format!("{}: {e}", path.display()))?;
        out.insert(p.html.clone(), p);
    }
    Ok(out)
}

fn ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// Lower-cased word tokens; CJK characters are tokens of their own.
pub fn tokens(s: &str) -> HashMap<String, u32> {
    let mut out: HashMap<String, u32> = HashMap::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut HashMap<String, u32>| {
        if !cur.is_empty() {
            *out.entry(std::mem::take(cur)).or_default() += 1;
        }
    };
    for c in s.chars() {
        if is_cjk(c) {
            flush(&mut cur, &mut out);
            *out.entry(c.to_string()).or_default() += 1;
        } else if c.is_alphanumeric() || matches!(c as u32, 0x0300..=0x036F | 0x064B..=0x065F) {
            cur.extend(c.to_lowercase());
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// (precision, recall, f1) of multiset token overlap.
pub fn prf(pred: &str, gt: &str) -> (f64, f64, f64) {
    let (p, g) = (tokens(pred), tokens(gt));
    let np: u32 = p.values().sum();
    let ng: u32 = g.values().sum();
    let common: u32 = p.iter().map(|(t, n)| (*n).min(*g.get(t).unwrap_or(&0))).sum();
    if np == 0 || ng == 0 || common == 0 {
        return (0.0, 0.0, 0.0);
    }
    let (pr, rc) = (common as f64 / np as f64, common as f64 / ng as f64);
    (pr, rc, 2.0 * pr * rc / (pr + rc))
}

fn parse_gt_date(s: &str) -> Option<(NaiveDate, Option<FixedOffset>)> {
    let s = s.trim();
    for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%:z"] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some((d.date_naive(), Some(*d.offset())));
        }
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some((d.date(), None));
        }
    }
    None
}

fn parse_pred_date(s: &str) -> Option<(NaiveDate, Option<DateTime<FixedOffset>>)> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some((d.date_naive(), Some(d)));
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return Some((d.date(), None));
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok().map(|d| (d, None))
}

/// Published date correct to the day, compared in the GT's offset when both
/// sides carry one.
pub fn date_ok(pred: Option<&str>, gt: &str) -> bool {
    let (Some((gd, goff)), Some((pd, pdt))) = (parse_gt_date(gt), pred.and_then(parse_pred_date)) else {
        return false;
    };
    match (goff, pdt) {
        (Some(off), Some(p)) => p.with_timezone(&off).date_naive() == gd,
        _ => pd == gd,
    }
}

fn norm_name(s: &str) -> String {
    ws(s).to_lowercase()
}

/// (exact set match, name-level F1)
pub fn authors(pred: &[String], gt: &[String]) -> (bool, f64) {
    let p: Vec<String> = pred.iter().map(|s| norm_name(s)).collect();
    let g: Vec<String> = gt.iter().map(|s| norm_name(s)).collect();
    let common = g.iter().filter(|n| p.contains(n)).count();
    let exact = common == g.len() && p.iter().all(|n| g.contains(n));
    let f1 = if common == 0 { 0.0 } else { 2.0 * common as f64 / (p.len() + g.len()) as f64 };
    (exact, f1)
}

#[derive(Default)]
pub struct Scores {
    pub n: usize,
    pub title_ok: usize,
    pub authors_n: usize,
    pub authors_ok: usize,
    pub authors_f1: f64,
    pub date_n: usize,
    pub date_ok: usize,
    pub body_p: f64,
    pub body_r: f64,
    pub body_f1: f64,
}

impl Scores {
    pub fn compute<'a>(items: impl Iterator<Item = (&'a Row, Option<&'a Pred>)>) -> Scores {
        let mut s = Scores::default();
        let empty = Pred::default();
        for (row, pred) in items {
            let pred = pred.unwrap_or(&empty);
            s.n += 1;
            if pred.title.as_deref().map(ws) == Some(ws(&row.title)) {
                s.title_ok += 1;
            }
            if !row.authors.is_empty() {
                s.authors_n += 1;
                let (ok, f1) = authors(&pred.authors, &row.authors);
                s.authors_ok += ok as usize;
                s.authors_f1 += f1;
            }
            if let Some(gt) = row.published.as_deref() {
                s.date_n += 1;
                s.date_ok += date_ok(pred.date.as_deref(), gt) as usize;
            }
            let (p, r, f) = prf(&pred.text, &row.body);
            s.body_p += p;
            s.body_r += r;
            s.body_f1 += f;
        }
        let n = s.n.max(1) as f64;
        s.body_p /= n;
        s.body_r /= n;
        s.body_f1 /= n;
        s.authors_f1 /= s.authors_n.max(1) as f64;
        s
    }

    pub fn title_pct(&self) -> f64 {
        100.0 * self.title_ok as f64 / self.n.max(1) as f64
    }

    pub fn header() -> String {
        "| system | title exact | authors exact | author F1 | date (day) | body P | body R | body F1 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n".into()
    }

    pub fn row(&self, name: &str) -> String {
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        format!(
            "| {name} | {:.1}% ({}/{}) | {:.1}% ({}/{}) | {:.3} | {:.1}% ({}/{}) | {:.3} | {:.3} | {:.3} |\n",
            self.title_pct(),
            self.title_ok,
            self.n,
            pct(self.authors_ok, self.authors_n),
            self.authors_ok,
            self.authors_n,
            self.authors_f1,
            pct(self.date_ok, self.date_n),
            self.date_ok,
            self.date_n,
            self.body_p,
            self.body_r,
            self.body_f1
        )
    }
}

/// Debug aid: the pages with the lowest body F1, with their field results.
pub fn print_worst(pages: &[Page], preds: &HashMap<String, Pred>, n: usize) {
    let empty = Pred::default();
    let mut rows: Vec<(f64, f64, f64, &Page, &Pred)> = pages
        .iter()
        .map(|p| {
            let pred = preds.get(&p.row.html).unwrap_or(&empty);
            let (pr, rc, f) = prf(&pred.text, &p.row.body);
            (f, pr, rc, p, pred)
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    eprintln!("\nworst {n} by body F1:");
    for (f, pr, rc, p, _) in rows.iter().take(n) {
        eprintln!("  {f:.2} (P {pr:.2} R {rc:.2})  {}", p.row.html);
    }
    eprintln!("\ntitle misses:");
    for (_, _, _, p, pred) in &rows {
        if pred.title.as_deref().map(ws) != Some(ws(&p.row.title)) {
            eprintln!("  {}\n    gt:  {}\n    got: {:?}", p.row.html, p.row.title, pred.title);
        }
    }
    eprintln!("\ndate misses:");
    for (_, _, _, p, pred) in &rows {
        if let Some(gt) = p.row.published.as_deref()
            && !date_ok(pred.date.as_deref(), gt)
        {
            eprintln!("  {}  gt {gt}  got {:?}", p.row.html, pred.date);
        }
    }
    eprintln!("\nauthor misses:");
    for (_, _, _, p, pred) in &rows {
        if !p.row.authors.is_empty() && !authors(&pred.authors, &p.row.authors).0 {
            eprintln!("  {}  gt {:?}  got {:?}", p.row.html, p.row.authors, pred.authors);
        }
    }
}
