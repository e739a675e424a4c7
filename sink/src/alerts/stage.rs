//! The alert stage: `enriched` → `alerts`. Each article is matched against
//! the rules in force; each match is recorded (raise, update or suppress,
//! see [`super::log`]) before the stage returns, and raises and updates go
//! out as `Envelope<Alert>` keyed by the alert id. The runner stores the
//! input offset only after those are acknowledged, and a redelivered
//! article gets the same decisions again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use newsflow_kafka::{Incoming, Outgoing, Stage, StageError};
use newsflow_wire::{Alert, EnrichedArticle, Envelope, TopicKind, alert_id};
use tracing::{debug, warn};

use super::engine::{RuleBook, matching};
use super::log::{AlertLog, Decision, LogError, Match};
use super::names;
use super::rule::AlertsConfig;
use crate::Store;

/// A database failure as a stage error: unavailable is worth retrying, a
/// refused statement or a bad rule is not.
pub(crate) fn stage_error(e: LogError) -> StageError {
    match e {
        LogError::Unavailable(m) => StageError::Transient(m),
        other => StageError::Permanent(other.to_string()),
    }
}

pub struct AlertStage {
    log: Arc<AlertLog>,
    book: RuleBook,
}

impl AlertStage {
    /// The stage over `store`'s alert tables, after storing the config
    /// file's rules (origin "config"; config rules no longer in the file are
    /// dropped).
    pub async fn start(store: &Store, cfg: &AlertsConfig) -> Result<Self, LogError> {
        let log = Arc::new(AlertLog::for_store(store));
        log.sync_config_rules(&cfg.rules).await?;
        Ok(Self::new(log, Duration::from_secs(cfg.reload_secs)))
    }

    /// The stage over `log`, reloading rules every `reload`.
    pub fn new(log: Arc<AlertLog>, reload: Duration) -> Self {
        Self { book: RuleBook::new(log.clone(), reload), log }
    }

    /// The alert messages for one enriched article (recording each match).
    pub async fn alerts_for(&self, env: &Envelope<EnrichedArticle>) -> Result<Vec<Envelope<Alert>>, LogError> {
        let rules = self.book.rules().await?;
        let matched = matching(&rules, &env.payload);
        if matched.is_empty() {
            return Ok(Vec::new());
        }
        let (a, e) = (&env.payload.article, &env.payload.enrichment);
        let story = e.story_id.clone().unwrap_or_else(|| env.id.clone());
        let at = Utc::now();
        let mut out = Vec::new();
        for rule in matched {
            let m = Match {
                rule: rule.name().to_owned(),
                max_per_hour: rule.def.max_per_hour,
                alert_id: alert_id(rule.name(), &story),
                story_id: story.clone(),
                item_id: env.id.clone(),
                title: a.title.clone(),
                url: if a.canonical_url.is_empty() { a.url.clone() } else { a.canonical_url.clone() },
                at,
            };
            let (event, articles, raised_at) = match self.log.record(&m).await? {
                Decision::Raised { raised_at } => {
                    metrics::counter!(names::RAISED, "rule" => m.rule.clone()).increment(1);
                    ("raised", 1, raised_at)
                }
                Decision::Updated { articles, raised_at } => ("updated", articles, raised_at),
                Decision::Suppressed { raised_last_hour } => {
                    metrics::counter!(names::SUPPRESSED, "rule" => m.rule.clone()).increment(1);
                    warn!(
                        rule = %m.rule,
                        story_id = %story,
                        item_id = %env.id,
                        raised_last_hour,
                        max_per_hour = rule.def.max_per_hour,
                        "alert suppressed by the rule's hourly limit"
                    );
                    continue;
                }
            };
            debug!(rule = %m.rule, alert_id = %m.alert_id, event, articles, "alert");
            let alert = Alert {
                alert_id: m.alert_id.clone(),
                rule: m.rule,
                event: event.to_owned(),
                item_id: env.id.clone(),
                story_id: Some(story.clone()),
                title: a.title.clone(),
                url: m.url,
                source_id: Some(a.source_id.clone()),
                language: e.language.clone().or_else(|| a.language.clone()),
                articles,
                raised_at,
            };
            // Same trace id as the article; the alert id is the key.
            let mut msg = env.follow(alert);
            msg.id = m.alert_id;
            out.push(msg);
        }
        Ok(out)
    }
}

#[async_trait]
impl Stage for AlertStage {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn input(&self) -> TopicKind {
        TopicKind::Enriched
    }

    async fn process(&self, msg: &Incoming) -> Result<Vec<Outgoing>, StageError> {
        let env: Envelope<EnrichedArticle> = msg.decode()?;
        let alerts = self.alerts_for(&env).await.map_err(stage_error)?;
        Ok(alerts.iter().map(|a| Outgoing::envelope(TopicKind::Alerts, a)).collect())
    }
}
