//! The stored shape of an article.

use chrono::{DateTime, Utc};
use newsflow_enrich::search::search_form;
use newsflow_wire::{EnrichedArticle, Envelope};

/// One row of the `articles` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleRow {
    pub id: String,
    pub url: String,
    pub canonical_url: String,
    pub title: Option<String>,
    pub text: String,
    pub language: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub source: String,
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub site_name: Option<String>,
    pub top_image: Option<String>,
    pub content_hash: String,
    pub word_count: i64,
    pub trace_id: String,
    pub fetched_at: Option<DateTime<Utc>>,
    /// Item id of the story's first article.
    pub story_id: Option<String>,
    pub duplicate_of: Option<String>,
    pub duplicate_kind: Option<String>,
    /// "rtl" or "ltr", as the extractor found it.
    pub direction: Option<String>,
    pub dates_mentioned: Vec<String>,
    pub entities: Vec<EntityRow>,
    /// The search form (newsflow_enrich::search::search_form) of the title
    /// and of the text: what full-text search indexes.
    pub search_title: String,
    pub search_body: String,
}

/// One row of the `entities` table (the item id is the article's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityRow {
    /// "LOC", "ORG" or "PER".
    pub kind: String,
    pub key: String,
    /// Surface forms, joined by " | ".
    pub surface: String,
    pub mentions: i64,
}

/// PostgreSQL rejects NUL in text; no reader misses it.
fn clean(s: &str) -> String {
    s.replace('\0', "")
}

fn clean_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(clean)
}

impl From<&Envelope<EnrichedArticle>> for ArticleRow {
    fn from(env: &Envelope<EnrichedArticle>) -> Self {
        let a = &env.payload.article;
        let e = &env.payload.enrichment;
        Self {
            id: env.id.clone(),
            url: clean(&a.url),
            canonical_url: clean(&a.canonical_url),
            title: clean_opt(&a.title),
            text: clean(&a.text),
            language: e.language.clone().or_else(|| a.language.clone()),
            published_at: a.published_at.map(|d| d.to_utc()),
            source: clean(&a.source_id),
            authors: a.authors.iter().map(|s| clean(s)).collect(),
            description: clean_opt(&a.description),
            site_name: clean_opt(&a.site_name),
            top_image: clean_opt(&a.top_image),
            content_hash: e.content_hash.clone(),
            word_count: e.word_count as i64,
            trace_id: env.trace_id.clone(),
            fetched_at: a.fetched_at,
            story_id: e.story_id.as_deref().map(clean),
            duplicate_of: e.duplicate_of.as_deref().map(clean),
            duplicate_kind: e.duplicate_kind.as_deref().map(clean),
            direction: clean_opt(&a.direction),
            dates_mentioned: e.dates_mentioned.iter().map(|d| clean(d)).collect(),
            entities: e
                .entities
                .iter()
                .map(|x| EntityRow {
                    kind: clean(&x.kind),
                    key: clean(&x.key),
                    surface: clean(&x.surface.join(" | ")),
                    mentions: x.count as i64,
                })
                .collect(),
            search_title: search_form(a.title.as_deref().unwrap_or("")),
            search_body: search_form(&a.text),
        }
    }
}
