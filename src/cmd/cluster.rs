//! `newsflow cluster FILE|-`: duplicates and story clusters over article
//! JSON lines, in one pass, as the stream would see them.
//!
//! Input is lenient: the `ArticleMsg` shape (`url`, `canonical_url`, `title`,
//! `text`, `published_at`), the output of `newsflow extract` (`published`),
//! or raw feed records (`published_raw`, any format [`parse_date`] reads).
//! Each input object is written back with `id`, `duplicate_of`,
//! `duplicate_kind`, `story_id` added (other fields untouched). A line that
//! is not a JSON object yields `{"line": N, "error": "…"}` and the rest
//! continues.

use std::path::PathBuf;

use anyhow::Result;
use chrono::{DateTime, FixedOffset};
use clap::Args;
use newsflow_enrich::cluster::{ArticleRef, ClusterConfig, Clusterer};
use newsflow_enrich::dates::parse_date;
use serde_json::{Map, Value};

use super::str_field;

#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Article JSON lines, or - for stdin.
    pub input: PathBuf,
}

pub fn run(args: ClusterArgs) -> Result<()> {
    let mut clusterer = Clusterer::new(ClusterConfig::default());
    super::map_json_lines(&args.input, |obj, line| Ok(cluster_one(&mut clusterer, obj, line)))
}

fn published(obj: &Map<String, Value>) -> Option<DateTime<FixedOffset>> {
    let raw = str_field(obj, &["published_at", "published", "published_raw", "date"])?;
    DateTime::parse_from_rfc3339(raw).ok().or_else(|| parse_date(raw).ok()?.to_datetime())
}

/// Joins an item id and its line number in the ids the clusterer sees.
const LINE_SEP: char = '\u{1f}';

fn cluster_one(clusterer: &mut Clusterer, mut obj: Map<String, Value>, line: usize) -> Value {
    let url = str_field(&obj, &["canonical_url", "url"]).map(str::trim);
    let url_key = url.map(|u| newsflow_wire::canonicalize_url(u).unwrap_or_else(|| u.to_owned())).unwrap_or_default();
    let id = match (str_field(&obj, &["id", "item_id"]), url) {
        (Some(id), _) => id.to_owned(),
        (None, Some(u)) => newsflow_wire::item_id(u),
        (None, None) => format!("line-{line}"),
    };
    // Lines are distinct records even when they share an id (the stream
    // treats the same id as a redelivery): the clusterer sees the line too.
    let record = format!("{id}{LINE_SEP}{line}");
    let article = ArticleRef {
        id: &record,
        url_key: &url_key,
        title: str_field(&obj, &["title"]),
        text: str_field(&obj, &["text", "body"]).unwrap_or(""),
        published: published(&obj),
    };
    let a = clusterer.push(&article);
    obj.insert("id".into(), Value::String(id));
    let item = |r: String| Value::String(r.rsplit_once(LINE_SEP).map_or(r.clone(), |(id, _)| id.to_owned()));
    obj.insert("duplicate_of".into(), a.duplicate_of.map_or(Value::Null, item));
    obj.insert("duplicate_kind".into(), serde_json::to_value(a.duplicate_kind).unwrap_or(Value::Null));
    obj.insert("story_id".into(), item(a.story_id));
    Value::Object(obj)
}
