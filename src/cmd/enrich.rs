//! `newsflow enrich FILE|-`: offline enrichment of article JSON lines.
//!
//! Input is lenient: the `ArticleMsg` shape, or the output of `newsflow
//! extract` (`published` instead of `published_at`, no `source_id`), or raw
//! feed records (`published_raw` in any form `parse_date` reads). Output per
//! line: `{"article": …, "enrichment": …, "extra": …}` where `extra` holds
//! what the wire `Enrichment` does not carry yet (dedup keys, mentioned
//! dates). A bad line (not JSON, not an object, no text) yields `{"line": N,
//! "error": "…"}` and the rest continues.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, Result};
use newsflow_wire::{ArticleMsg, EnrichedArticle};
use serde_json::{Map, Value};

/// Read article JSON (one object per line), write enriched JSON lines.
pub fn run(input: &Path) -> Result<()> {
    let reader: Box<dyn BufRead> = if input == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(input).with_context(|| input.display().to_string())?))
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        let line = String::from_utf8_lossy(&line);
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(obj)) => match enrich_one(obj) {
                Ok(v) => v,
                Err(e) => serde_json::json!({"line": n + 1, "error": e}),
            },
            Ok(_) => serde_json::json!({"line": n + 1, "error": "expected a JSON object"}),
            Err(e) => serde_json::json!({"line": n + 1, "error": e.to_string()}),
        };
        serde_json::to_writer(&mut out, &value)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn str_field(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| obj.get(*n).and_then(Value::as_str)).filter(|s| !s.trim().is_empty()).map(str::to_owned)
}

/// The article of a JSON object: the wire shape when it fits, else the
/// fields that matter read one by one.
fn article_of(obj: Map<String, Value>) -> ArticleMsg {
    let published = str_field(&obj, &["published_at", "published", "published_raw", "date"]);
    let mut article = serde_json::from_value::<ArticleMsg>(Value::Object(obj.clone())).unwrap_or_else(|_| {
        let url = str_field(&obj, &["url"]).unwrap_or_default();
        ArticleMsg {
            source_id: str_field(&obj, &["source_id", "source"]).unwrap_or_default(),
            canonical_url: str_field(&obj, &["canonical_url"]).unwrap_or_else(|| url.clone()),
            url,
            title: str_field(&obj, &["title"]),
            language: str_field(&obj, &["language"]),
            description: str_field(&obj, &["description", "abstract"]),
            text: str_field(&obj, &["text", "body"]).unwrap_or_default(),
            ..Default::default()
        }
    });
    if article.published_at.is_none() {
        article.published_at = published.as_deref().and_then(newsflow_enrich::keys::published_at);
    }
    article
}

fn enrich_one(obj: Map<String, Value>) -> Result<Value, String> {
    let article = article_of(obj);
    if article.text.trim().is_empty() {
        return Err("article has no text".into());
    }
    let enrichment = newsflow_enrich::enrich(&article);
    let extra = newsflow_enrich::keys::extra(&article);
    let mut value = serde_json::to_value(EnrichedArticle { article, enrichment }).map_err(|e| e.to_string())?;
    if let Value::Object(o) = &mut value {
        o.insert("extra".into(), serde_json::to_value(extra).map_err(|e| e.to_string())?);
    }
    Ok(value)
}
