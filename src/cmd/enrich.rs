//! `newsflow enrich FILE|-`: offline enrichment of article JSON lines.
//!
//! Input is lenient: the `ArticleMsg` shape, or the output of `newsflow
//! extract` (`published` instead of `published_at`, no `source_id`), or raw
//! feed records (`published_raw` in any form `parse_date` reads). Output per
//! line: `{"article": …, "enrichment": …, "extra": …}` where `extra` holds
//! what the wire `Enrichment` does not carry (dedup keys, @mentions). Story
//! and duplicate fields need the other articles: see `newsflow cluster`. A bad line (not JSON, not an object, no text) yields `{"line": N,
//! "error": "…"}` and the rest continues.

use std::path::Path;

use anyhow::Result;
use newsflow_wire::{ArticleMsg, EnrichedArticle};
use serde_json::{Map, Value};

/// Read article JSON (one object per line), write enriched JSON lines.
pub fn run(input: &Path) -> Result<()> {
    super::map_json_lines(input, |obj, _| enrich_one(obj))
}

/// The first of `names` that holds a non-blank string, owned.
fn str_field(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    super::str_field(obj, names).map(str::to_owned)
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
        let extra = serde_json::json!({ "dedup": extra.dedup, "mentions": extra.mentions });
        o.insert("extra".into(), extra);
    }
    Ok(value)
}
