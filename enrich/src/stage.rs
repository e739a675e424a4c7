//! The enricher stage: `articles` → `enriched`.

use async_trait::async_trait;
use newsflow_kafka::{Incoming, Outgoing, Stage, StageError};
use std::sync::Mutex;

use newsflow_wire::{ArticleMsg, EnrichedArticle, Enrichment, Envelope, TopicKind};

use crate::cluster::{ArticleRef, ClusterConfig, Clusterer};
use crate::enrichment::enrich;

/// Story and duplicate fields of `enrichment`, from the clusterer.
fn place(clusterer: &Mutex<Clusterer>, id: &str, article: &ArticleMsg, enrichment: &mut Enrichment) {
    let url_key = if article.canonical_url.is_empty() { &article.url } else { &article.canonical_url };
    let assignment = clusterer.lock().unwrap_or_else(|p| p.into_inner()).push(&ArticleRef {
        id,
        url_key,
        title: article.title.as_deref(),
        text: &article.text,
        published: article.published_at,
    });
    enrichment.story_id = Some(assignment.story_id);
    enrichment.duplicate_of = assignment.duplicate_of;
    enrichment.duplicate_kind = assignment.duplicate_kind.map(|k| k.as_str().to_owned());
}

/// The enricher stage. One clusterer per process: an instance sees the
/// articles of the partitions it owns (see ARCHITECTURE.md).
#[derive(Default)]
pub struct EnrichStage {
    clusterer: Mutex<Clusterer>,
}

impl EnrichStage {
    pub fn new(cfg: ClusterConfig) -> Self {
        Self { clusterer: Mutex::new(Clusterer::new(cfg)) }
    }
}

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
        let mut enrichment = enrich(&env.payload);
        place(&self.clusterer, &env.id, &env.payload, &mut enrichment);
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

    #[test]
    fn fills_amounts_quotes_keyphrases_and_summary() {
        let a = ArticleMsg {
            title: Some("واشنطن تقدم 200 مليون دولار".into()),
            text: "أعلنت واشنطن تقديم 200 مليون دولار لدعم 79 دولة في مواجهة الجفاف. \
                   وقال أنتوني بلينكن: «سنواصل دعم الدول المتضررة من الجفاف». \
                   وتشمل المساعدات الدول المتضررة في أفريقيا وآسيا."
                .into(),
            ..Default::default()
        };
        let e = enrich(&a);
        let amounts: Vec<(&str, f64)> = e.amounts.iter().map(|a| (a.unit.as_str(), a.value)).collect();
        assert_eq!(amounts, vec![("USD", 200e6), ("USD", 200e6), ("دولة", 79.0)]);
        assert_eq!(e.quotes[0].speaker.as_deref(), Some("أنتوني بلينكن"));
        assert!(e.keyphrases.iter().any(|k| k == "الدول المتضررة"), "{:?}", e.keyphrases);
        assert!(e.summary.as_deref().unwrap().starts_with("أعلنت واشنطن"));
        assert!(e.entities.iter().any(|x| x.kind == "LOC" && x.country.as_deref() == Some("US")));
        let huge = ArticleMsg { text: "كلمة ".repeat(2_000_000), ..Default::default() };
        assert!(enrich(&huge).quotes.is_empty());
    }
}
