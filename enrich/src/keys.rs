//! What the enricher computes beyond the wire's `Enrichment` today: dedup
//! keys, the publication date read from any string form, and the dates the
//! text mentions. Candidates for the wire type (see the crate's docs).

use newsflow_wire::ArticleMsg;
use serde::Serialize;

use crate::dates::{MentionedDate, find_dates, parse_date};
use crate::enrichment::content_hash;
use crate::entities::{Kind, find_in, tags_and_mentions, tags_and_mentions_in};
use crate::normalize::normalize;
use crate::shingles::signature;
use crate::text::{Tokens, cut};

/// The keys duplicates are found by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DedupKeys {
    /// The canonical URL (the item id is its hash); `None` when the article
    /// has no http(s) URL.
    pub url_key: Option<String>,
    /// Hex SHA-256 of the normalized text.
    pub content_hash: String,
    /// MinHash LSH band keys of the body shingles (16 × 64-bit, hex):
    /// articles sharing one are near-duplicate candidates. Empty for an
    /// empty text.
    pub minhash_bands: Vec<String>,
}

/// Extra enrichment of one article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extra {
    pub dedup: DedupKeys,
    /// Dates mentioned in the title and text: `YYYY-MM-DD`, or `--MM-DD`
    /// (ISO 8601) when the text gives no year.
    pub dates_mentioned: Vec<String>,
    /// Places and organizations found by the gazetteer, one per key.
    pub entities: Vec<EntityOut>,
    /// Hashtags, underscores read as spaces.
    pub hashtags: Vec<String>,
    /// @mentions.
    pub mentions: Vec<String>,
}

/// One entity of an article: normalized key, kind, surface forms seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityOut {
    pub key: String,
    pub kind: Kind,
    pub surface: Vec<String>,
    pub count: usize,
    /// ISO 3166 alpha-2 country of a place, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Longest text scanned for entities, in bytes (from the start).
const MAX_ENTITY_TEXT: usize = 256 * 1024;

/// The entities of tokenized text, one per key and kind.
pub fn entities_in(t: &Tokens) -> Vec<EntityOut> {
    let mut out: Vec<EntityOut> = Vec::new();
    for m in find_in(t) {
        let surface = t.surface(m.start, m.end);
        let surface = surface.trim_matches(|c: char| !c.is_alphanumeric()).to_owned();
        match out.iter_mut().find(|e| e.key == m.key && e.kind == m.kind) {
            Some(e) => {
                e.count += 1;
                if !e.surface.contains(&surface) {
                    e.surface.push(surface);
                }
            }
            None => {
                out.push(EntityOut { key: m.key, kind: m.kind, surface: vec![surface], count: 1, country: m.country })
            }
        }
    }
    out
}

/// ISO form of a mentioned date.
pub fn mentioned_iso(d: &MentionedDate) -> String {
    match d.year {
        Some(y) => format!("{y:04}-{:02}-{:02}", d.month, d.day),
        None => format!("--{:02}-{:02}", d.month, d.day),
    }
}

/// What the title and text mention: dates, entities, hashtags, @mentions
/// (no dedup keys: the enricher stage gets those from its clusterer).
pub struct Mentioned {
    pub dates: Vec<String>,
    pub entities: Vec<EntityOut>,
    pub hashtags: Vec<String>,
    pub mentions: Vec<String>,
}

/// The mentions of `article`'s title and text.
pub fn mentioned(article: &ArticleMsg) -> Mentioned {
    let text = format!("{}\n{}", article.title.as_deref().unwrap_or(""), article.text);
    let (hashtags, mentions) = tags_and_mentions(&text);
    let tokens = Tokens::new(cut(&text, MAX_ENTITY_TEXT));
    Mentioned {
        dates: find_dates(&text).iter().map(mentioned_iso).collect(),
        entities: entities_in(&tokens),
        hashtags,
        mentions,
    }
}

/// [`mentioned`] of text already tokenized as `t` (`text`, the title and
/// text joined by a line break, cut where the caller reads no further).
pub fn mentioned_in(text: &str, t: &Tokens) -> Mentioned {
    let (hashtags, mentions) = tags_and_mentions_in(t.raws());
    Mentioned {
        dates: find_dates(text).iter().map(mentioned_iso).collect(),
        entities: entities_in(t),
        hashtags,
        mentions,
    }
}

/// Compute the extras of `article`.
pub fn extra(article: &ArticleMsg) -> Extra {
    let url = if article.canonical_url.is_empty() { &article.url } else { &article.canonical_url };
    let sig = signature(&article.text);
    let minhash_bands =
        if sig.is_empty() { Vec::new() } else { sig.band_keys().map(|k| format!("{k:016x}")).collect() };
    let m = mentioned(article);
    Extra {
        dedup: DedupKeys {
            url_key: newsflow_wire::canonicalize_url(url),
            content_hash: content_hash(&normalize(&article.text)),
            minhash_bands,
        },
        dates_mentioned: m.dates,
        entities: m.entities,
        hashtags: m.hashtags,
        mentions: m.mentions,
    }
}

/// Read a publication date given in any form [`parse_date`] knows (RFC
/// 3339, RFC 2822 with any zone style, Arabic month names…) as an instant;
/// `None` when it has no time and zone or does not parse.
pub fn published_at(raw: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    parse_date(raw).ok()?.to_datetime()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_of_an_article() {
        let a = ArticleMsg {
            url: "https://Example.com/a?utm_source=x".into(),
            title: Some("اجتماع ٤ يونيو".into()),
            text: "عقد الاجتماع في روما يوم الخميس 4 حزيران/يونيو وأشار إلى بيان 6 فبراير 2019".into(),
            ..Default::default()
        };
        let e = extra(&a);
        assert_eq!(e.dedup.url_key.as_deref(), Some("https://example.com/a"));
        assert_eq!(e.dedup.minhash_bands.len(), crate::shingles::BANDS);
        assert_eq!(e.dates_mentioned, vec!["--06-04", "2019-02-06"]);
        let keys: Vec<&str> = e.entities.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, vec!["روما"]);
        assert_eq!(e.entities[0].surface, vec!["روما"]);
        let empty = extra(&ArticleMsg::default());
        assert!(empty.dedup.minhash_bands.is_empty() && empty.dedup.url_key.is_none());
    }

    #[test]
    fn publication_dates_in_feed_forms() {
        assert_eq!(
            published_at("Mon, 21 May 2018 10:56:16 +0400").map(|d| d.to_rfc3339()).as_deref(),
            Some("2018-05-21T10:56:16+04:00")
        );
        assert_eq!(published_at("21 May 2018"), None);
    }
}
