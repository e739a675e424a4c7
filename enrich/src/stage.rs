//! The enricher stage: `articles` → `enriched`.

use async_trait::async_trait;
use newsflow_kafka::{Incoming, Outgoing, Stage, StageError};
use newsflow_wire::{ArticleMsg, EnrichedArticle, Enrichment, Envelope, TopicKind};
use sha2::{Digest, Sha256};

use crate::language::detect;
use crate::normalize::normalize;

/// What the enricher adds (pure, no IO).
pub fn enrich(article: &ArticleMsg) -> Enrichment {
    let detected = detect(&article.text, article.language.as_deref());
    let key = normalize(&article.text);
    Enrichment {
        language: detected.language.or_else(|| article.language.clone()),
        language_confidence: detected.confidence,
        script: detected.script,
        content_hash: content_hash(&key),
        word_count: key.split(' ').filter(|w| !w.is_empty()).count(),
    }
}

/// Hex SHA-256 of already-normalized text: the exact-duplicate key.
pub fn content_hash(normalized: &str) -> String {
    Sha256::digest(normalized.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub struct EnrichStage;

#[async_trait]
impl Stage for EnrichStage {
    fn name(&self) -> &'static str {
        "enrich"
    }

    fn input(&self) -> TopicKind {
        TopicKind::Articles
    }

    async fn process(&self, msg: &Incoming) -> Result<Vec<Outgoing>, StageError> {
        let env: Envelope<ArticleMsg> = msg.decode()?;
        if env.payload.text.trim().is_empty() {
            return Err(StageError::Permanent("article has no text".into()));
        }
        let enrichment = enrich(&env.payload);
        let out = env.follow(EnrichedArticle { article: env.payload.clone(), enrichment });
        Ok(vec![Outgoing::envelope(TopicKind::Enriched, &out)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_with_different_marks_hashes_equal() {
        let a = ArticleMsg {
            text: "قالَ الوزيرُ إنّ الاجتماعَ مهمٌّ".into(), ..Default::default()
        };
        let b = ArticleMsg { text: "قال الوزير ان الاجتماع مهم".into(), ..Default::default() };
        assert_eq!(enrich(&a).content_hash, enrich(&b).content_hash);
        assert_eq!(enrich(&b).word_count, 5);
    }
}
