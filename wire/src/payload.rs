//! One payload type per topic. All tolerate unknown fields (no
//! `deny_unknown_fields`) so producers can add fields before consumers know
//! them.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// `raw-pages`: one fetched article page with its fetch metadata, so it can be
/// re-extracted later without refetching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawPage {
    /// The source (feed) that announced this URL.
    pub source_id: String,
    /// The URL as announced by the feed.
    pub url: String,
    /// The URL after redirects.
    pub final_url: String,
    /// HTTP status of the final response.
    pub status: u16,
    /// `Content-Type` header of the final response.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The charset the body was decoded from (the body itself is UTF-8).
    #[serde(default)]
    pub charset: Option<String>,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    pub fetched_at: DateTime<Utc>,
    /// What the feed said about the item: a fallback for extraction.
    #[serde(default)]
    pub feed: FeedHint,
    /// The page, decoded to UTF-8.
    pub body: String,
}

/// What a feed entry said about an item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedHint {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub published: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

/// `articles`: the fields extracted from one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArticleMsg {
    pub source_id: String,
    pub url: String,
    pub canonical_url: String,
    pub fetched_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub published_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub modified_at: Option<DateTime<FixedOffset>>,
    /// ISO 639-1 code as detected by the extractor.
    #[serde(default)]
    pub language: Option<String>,
    /// "rtl" or "ltr".
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub site_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Main body text; paragraphs separated by a blank line.
    pub text: String,
    #[serde(default)]
    pub top_image: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
}

/// `enriched`: an article plus what the enricher added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichedArticle {
    pub article: ArticleMsg,
    pub enrichment: Enrichment,
}

/// What the enricher adds to an article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Enrichment {
    /// ISO 639-1 language of the body (the enricher's verdict).
    pub language: Option<String>,
    /// Detection confidence in 0..=1.
    #[serde(default)]
    pub language_confidence: f64,
    /// Dominant script, e.g. "Arabic", "Latin".
    #[serde(default)]
    pub script: Option<String>,
    /// Hex SHA-256 of the normalized body text: equal for exact duplicates.
    pub content_hash: String,
    #[serde(default)]
    pub word_count: usize,
    /// Id of the story: the item id of its first article. Articles on the
    /// same event across sources share it.
    #[serde(default)]
    pub story_id: Option<String>,
    /// Item id of the earlier article this one duplicates, if any.
    #[serde(default)]
    pub duplicate_of: Option<String>,
    /// Why it is a duplicate: "url", "text" (same normalized text) or
    /// "near" (near-identical body).
    #[serde(default)]
    pub duplicate_kind: Option<String>,
    /// Places, organizations and people named in the title and text.
    #[serde(default)]
    pub entities: Vec<Entity>,
    /// Dates the title and text mention: `YYYY-MM-DD`, or `--MM-DD` (ISO
    /// 8601) when no year is given.
    #[serde(default)]
    pub dates_mentioned: Vec<String>,
    /// Hashtags, underscores read as spaces.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// @mentions, as written after the sign.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// Money, percentages and counts the text gives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amounts: Vec<Amount>,
    /// Quotations, with the speaker when the text names one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotes: Vec<Quote>,
    /// Keyphrases, best first, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keyphrases: Vec<String>,
    /// A short extractive summary (sentences of the text, in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// An amount of money, a percentage or a count mentioned in an article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Amount {
    /// As written: "200 مليون دولار".
    pub text: String,
    /// The number with its scale applied (200000000).
    pub value: f64,
    /// ISO 4217 code for money, "%" for a percentage, else the counted
    /// noun as written ("دولة").
    #[serde(default)]
    pub unit: String,
    /// "money", "percent" or "count".
    #[serde(default)]
    pub kind: String,
}

/// A quotation of an article.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The quoted words, as written.
    pub text: String,
    /// Who said it, as written, when the text says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
}

/// One entity of an article.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// Normalized key (the gazetteer's canonical name).
    pub key: String,
    /// "LOC", "ORG" or "PER".
    pub kind: String,
    /// Surface forms as written in the article.
    #[serde(default)]
    pub surface: Vec<String>,
    /// Times mentioned.
    #[serde(default)]
    pub count: usize,
    /// ISO 3166 alpha-2 country of a place (also of a curated organization
    /// or person), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// `alerts`: a rule matched a story. One alert per (rule, story): the
/// first matching article raises it, later ones update it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable id of the (rule, story) alert: the same for its raise and
    /// every update, so receivers can deduplicate.
    #[serde(default)]
    pub alert_id: String,
    pub rule: String,
    /// "raised" (first matching article of the story) or "updated".
    #[serde(default = "raised")]
    pub event: String,
    /// The article that matched.
    pub item_id: String,
    #[serde(default)]
    pub story_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub url: String,
    #[serde(default)]
    pub source_id: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// Matching articles of the story so far, this one included.
    #[serde(default)]
    pub articles: u64,
    pub raised_at: DateTime<Utc>,
}

fn raised() -> String {
    "raised".to_owned()
}

/// `dead-letters`: a message a stage could not process, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The stage that gave up ("scrape", "enrich", "sink", ...).
    pub stage: String,
    /// Human-readable reason.
    pub reason: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    #[serde(default)]
    pub key: Option<String>,
    /// The original value when it was valid UTF-8.
    #[serde(default)]
    pub value: Option<String>,
    /// The original value, base64, when it was not valid UTF-8.
    #[serde(default)]
    pub value_base64: Option<String>,
    pub failed_at: DateTime<Utc>,
}
