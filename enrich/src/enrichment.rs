//! The per-article enrichment: everything the enricher adds that needs no
//! memory of other articles.

use newsflow_wire::{Amount, ArticleMsg, Enrichment, Entity, Quote};
use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::language::detect;
use crate::normalize::normalize;
use crate::terms::TokenTerms;
use crate::text::{Tokens, cut};

/// What the enricher adds that needs no memory of other articles (pure,
/// no IO): language, content hash, size, entities, mentioned dates,
/// hashtags. [`EnrichStage`] adds the story and duplicate fields.
pub fn enrich(article: &ArticleMsg) -> Enrichment {
    let detected = detect(&article.text, article.language.as_deref());
    let text = cut(&article.text, MAX_SCAN);
    let title = article.title.as_deref().unwrap_or("");
    // One tokenization and normalization of title and text for all parts.
    let joined = format!("{title}\n{text}");
    let tokens = Tokens::new(&joined);
    let body = tokens.first_at(title.len() + 1);
    let key: Cow<str> = if text.len() == article.text.len() {
        Cow::Borrowed(tokens.key_from(body))
    } else {
        normalize(&article.text).into()
    };
    let terms = TokenTerms::new(&tokens);
    // Mentions only: the dedup keys (MinHash, hash) are the clusterer's.
    let extra = crate::keys::mentioned_in(&joined, &tokens);
    Enrichment {
        language: detected.language.or_else(|| article.language.clone()),
        language_confidence: detected.confidence,
        script: detected.script,
        content_hash: content_hash(&key),
        word_count: key.split(' ').filter(|w| !w.is_empty()).count(),
        entities: extra
            .entities
            .into_iter()
            .map(|e| Entity {
                key: e.key,
                kind: e.kind.as_str().to_owned(),
                surface: e.surface,
                count: e.count,
                country: e.country,
            })
            .collect(),
        dates_mentioned: extra.dates,
        hashtags: extra.hashtags,
        mentions: extra.mentions,
        amounts: crate::amounts::find_amounts_in(&tokens)
            .into_iter()
            .map(|a| Amount { text: a.text, value: a.value, unit: a.unit, kind: a.kind.to_owned() })
            .collect(),
        quotes: crate::quotes::find_quotes(text)
            .into_iter()
            .map(|q| Quote { text: q.text, speaker: q.speaker })
            .collect(),
        keyphrases: crate::keyphrases::keyphrases_in(&tokens, &terms, 0..body, body..tokens.len(), KEYPHRASES),
        summary: crate::summary::summarize_in(&tokens, &terms, text, title.len() + 1, SUMMARY_SENTENCES),
        ..Default::default()
    }
}

/// Keyphrases and summary sentences kept per article.
const KEYPHRASES: usize = 8;
const SUMMARY_SENTENCES: usize = 2;

/// Longest prefix of the text read for amounts, quotes, keyphrases and the
/// summary, in bytes: a 10 MB page costs what 256 KB does.
const MAX_SCAN: usize = 256 * 1024;

/// Hex SHA-256 of already-normalized text: the exact-duplicate key.
pub fn content_hash(normalized: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(64);
    for b in Sha256::digest(normalized.as_bytes()) {
        let _ = write!(out, "{b:02x}");
    }
    out
}
