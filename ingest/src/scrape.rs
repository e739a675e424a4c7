//! The scraper stage: `raw-pages` → extraction → `articles`.

use std::sync::Arc;

use async_trait::async_trait;
use newsflow_extract::{ExtractError, Options, extract};
use newsflow_kafka::{Incoming, Outgoing, Stage, StageError};
use newsflow_wire::{ArticleMsg, Envelope, RawPage, TopicKind, canonicalize_url};

use crate::ScraperConfig;

pub struct ScrapeStage {
    cfg: Arc<ScraperConfig>,
}

impl ScrapeStage {
    pub fn new(cfg: ScraperConfig) -> Self {
        Self { cfg: Arc::new(cfg) }
    }
}

/// Extract one raw page into an article message (pure, no IO).
pub fn scrape(cfg: &ScraperConfig, raw: &RawPage) -> Result<ArticleMsg, ExtractError> {
    let host = url::Url::parse(&raw.final_url).ok().and_then(|u| u.host_str().map(str::to_owned));
    let opts = Options {
        url: Some(raw.final_url.clone()),
        selectors: host.and_then(|h| cfg.sites.get(&h).cloned()),
        ..Options::default()
    };
    let a = extract(&raw.body, &opts)?;
    let canonical = a
        .canonical_url
        .as_deref()
        .and_then(canonicalize_url)
        .or_else(|| canonicalize_url(&raw.final_url))
        .unwrap_or_else(|| raw.final_url.clone());
    Ok(ArticleMsg {
        source_id: raw.source_id.clone(),
        url: raw.url.clone(),
        canonical_url: canonical,
        fetched_at: Some(raw.fetched_at),
        title: a.title.or_else(|| raw.feed.title.clone()),
        authors: a.authors,
        published_at: a.published.or(raw.feed.published),
        modified_at: a.modified,
        language: a.language.or_else(|| raw.feed.language.clone()),
        direction: a.direction,
        site_name: a.site_name,
        description: a.description.or_else(|| raw.feed.summary.clone()),
        text: a.text,
        top_image: a.top_image,
        tags: a.tags,
        categories: a.categories,
    })
}

#[async_trait]
impl Stage for ScrapeStage {
    fn name(&self) -> &'static str {
        "scrape"
    }

    fn input(&self) -> TopicKind {
        TopicKind::RawPages
    }

    async fn process(&self, msg: &Incoming) -> Result<Vec<Outgoing>, StageError> {
        let env: Envelope<RawPage> = msg.decode()?;
        // Extraction is CPU work: keep it off the async workers.
        let cfg = self.cfg.clone();
        let (env, article) = tokio::task::spawn_blocking(move || {
            let article = scrape(&cfg, &env.payload);
            (env, article)
        })
        .await
        .map_err(|e| StageError::Permanent(format!("extraction crashed: {e}")))?;
        let article = article
            .map_err(|e| StageError::Permanent(format!("extraction failed for {}: {e}", env.payload.final_url)))?;
        Ok(vec![Outgoing::envelope(TopicKind::Articles, &env.follow(article))])
    }
}
