//! The enricher stage: `articles` → `enriched`.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use newsflow_kafka::{Incoming, Outgoing, Stage, StageError};
use newsflow_wire::{ArticleMsg, EnrichedArticle, Enrichment, Envelope, TopicKind};
use serde::Deserialize;

use crate::cluster::{ArticleRef, ClusterConfig, Clusterer};
use crate::enrichment::enrich;
use crate::follow::Follower;

/// `[enricher]`: the dedup and story index of the enricher service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnricherConfig {
    /// Hours of articles (by fetch time) the index keeps, and how far back
    /// a starting instance reads the `enriched` topic to rebuild it.
    /// Default 72: wire copy and republications come within hours, and a
    /// story's follow-ups within days.
    pub window_hours: u64,
    /// Articles the index keeps at most, whatever the window. Default
    /// 1,000,000 (about 0.7 GB; see `cargo bench -p newsflow-enrich
    /// --bench index`).
    pub max_articles: usize,
    /// Read every partition of the `enriched` topic into the index, so that
    /// several instances and a restarted one see every decision. Default
    /// true; false keeps a per-process index of this instance's articles.
    pub follow: bool,
}

impl Default for EnricherConfig {
    fn default() -> Self {
        Self { window_hours: 72, max_articles: 1_000_000, follow: true }
    }
}

impl EnricherConfig {
    /// Cross-field checks.
    pub fn validate(&self) -> Result<(), String> {
        if self.window_hours == 0 || self.max_articles == 0 {
            return Err("enricher.window_hours and enricher.max_articles must be positive".into());
        }
        Ok(())
    }

    /// The clusterer's settings for the service.
    pub fn cluster_config(&self) -> ClusterConfig {
        ClusterConfig { max_articles: self.max_articles, retention: Some(self.window()), ..Default::default() }
    }

    /// The window as a duration.
    pub fn window(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::try_from(self.window_hours).unwrap_or(i64::MAX / 3_600_000))
    }
}

/// Story and duplicate fields of `enrichment`, from the clusterer.
fn place(clusterer: &Mutex<Clusterer>, id: &str, article: &ArticleMsg, enrichment: &mut Enrichment) {
    let url_key = if article.canonical_url.is_empty() { &article.url } else { &article.canonical_url };
    // A fetcher's clock far ahead must not push everything out of the window.
    let now = article.fetched_at.map_or_else(Utc::now, |f| f.min(Utc::now()));
    // The article's features are computed before taking the lock, which
    // is held only for the lookups and the insert.
    let prepared = Clusterer::prepare(&ArticleRef {
        id,
        url_key,
        title: article.title.as_deref(),
        text: &article.text,
        published: article.published_at,
    });
    let assignment = clusterer.lock().unwrap_or_else(|p| p.into_inner()).push_prepared(prepared, Some(now));
    enrichment.story_id = Some(assignment.story_id);
    enrichment.duplicate_of = assignment.duplicate_of;
    enrichment.duplicate_kind = assignment.duplicate_kind.map(|k| k.as_str().to_owned());
}

/// The enricher stage. Its index holds this instance's decisions, and with
/// a [`Follower`] every instance's (see [`crate::follow`]).
#[derive(Default)]
pub struct EnrichStage {
    clusterer: Arc<Mutex<Clusterer>>,
    follower: Option<Arc<Follower>>,
}

impl EnrichStage {
    pub fn new(cfg: ClusterConfig) -> Self {
        Self { clusterer: Arc::new(Mutex::new(Clusterer::new(cfg))), follower: None }
    }

    /// The index, to hand to a [`Follower`].
    pub fn clusterer(&self) -> Arc<Mutex<Clusterer>> {
        self.clusterer.clone()
    }

    /// Decide only once `follower` has caught up (see [`Follower::ensure`]).
    pub fn with_follower(mut self, follower: Arc<Follower>) -> Self {
        self.follower = Some(follower);
        self
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
        if let Some(f) = &self.follower {
            f.ensure(msg.partition).await?;
        }
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
