//! The notify stage: `alerts` → webhooks. A "raised" alert goes to every
//! webhook of its rule; an "updated" one only when the rule has
//! `notify_updates`. Each outcome is recorded in `alert_deliveries`;
//! webhooks that already took this event (a redelivery after a partial
//! success) are skipped. When a webhook gives up, the stage returns a
//! permanent error naming it, so the runner dead-letters the alert message
//! with the reason.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use newsflow_kafka::{Incoming, Outgoing, Stage, StageError};
use newsflow_wire::{Alert, Envelope, TopicKind};
use tracing::{debug, info, warn};

use super::engine::RuleBook;
use super::log::{AlertLog, Delivery, delivery_target};
use super::names;
use super::rule::{AlertsConfig, WebhookDef};
use super::stage::stage_error;
use super::webhook::{Outcome, Sender, redact};
use crate::Store;

pub struct NotifyStage {
    log: Arc<AlertLog>,
    book: RuleBook,
    webhooks: BTreeMap<String, WebhookDef>,
    sender: Sender,
}

impl NotifyStage {
    /// The stage for `store`'s rules and the configured webhooks.
    pub fn new(store: &Store, cfg: &AlertsConfig) -> Self {
        let log = Arc::new(AlertLog::for_store(store));
        Self::with_sender(log, cfg, Sender::new())
    }

    /// With a given sender (tests use short backoffs).
    pub fn with_sender(log: Arc<AlertLog>, cfg: &AlertsConfig, sender: Sender) -> Self {
        let book = RuleBook::new(log.clone(), Duration::from_secs(cfg.reload_secs));
        Self { log, book, webhooks: cfg.webhooks.clone(), sender }
    }

    /// Deliver one alert message to its rule's webhooks.
    pub async fn notify(&self, env: &Envelope<Alert>) -> Result<(), StageError> {
        let alert = &env.payload;
        let Some(rule) = self.book.rule(&alert.rule).await.map_err(stage_error)? else {
            debug!(rule = %alert.rule, alert_id = %alert.alert_id, "rule gone; alert not delivered");
            return Ok(());
        };
        if alert.event != "raised" && !rule.def.notify_updates {
            return Ok(());
        }
        // When it happened: the raise, or the update's message.
        let time = if alert.event == "raised" { alert.raised_at } else { env.produced_at };
        let mut pending = Vec::new();
        for name in &rule.def.webhooks {
            let Some(hook) = self.webhooks.get(name) else {
                warn!(rule = %alert.rule, webhook = %name, "the rule names a webhook that is not configured; skipped");
                metrics::counter!(names::WEBHOOK_DELIVERIES, "format" => "unknown", "outcome" => "unknown_webhook")
                    .increment(1);
                continue;
            };
            let target = delivery_target(name, &alert.event, alert.articles);
            if self.log.delivered(&alert.alert_id, &target).await.map_err(stage_error)? {
                debug!(alert_id = %alert.alert_id, %target, "already delivered");
                continue;
            }
            pending.push(async move {
                let outcome = self.sender.deliver(hook, alert, time).await;
                (name, hook, target, outcome)
            });
        }
        let mut failures = Vec::new();
        for (name, hook, target, outcome) in futures::future::join_all(pending).await {
            let format = hook.format.as_str();
            let (status, attempts, error) = match outcome {
                Outcome::Delivered { attempts } => {
                    info!(alert_id = %alert.alert_id, webhook = %name, attempts, "alert delivered");
                    ("delivered", attempts, None)
                }
                Outcome::Failed { attempts, reason } => {
                    warn!(alert_id = %alert.alert_id, webhook = %name, url = %redact(&hook.url), %reason, "alert delivery failed");
                    failures.push(format!("webhook {name}: {reason}"));
                    ("failed", attempts, Some(reason))
                }
            };
            metrics::counter!(names::WEBHOOK_DELIVERIES, "format" => format, "outcome" => status).increment(1);
            let d = Delivery {
                alert_id: alert.alert_id.clone(),
                target,
                status,
                attempts,
                last_error: error,
                at: Utc::now(),
            };
            if let Err(e) = self.log.record_delivery(&d).await {
                // The delivery happened; only its record is missing (a
                // redelivery may send it again).
                warn!(alert_id = %alert.alert_id, webhook = %name, error = %e, "cannot record the delivery");
            }
        }
        if failures.is_empty() { Ok(()) } else { Err(StageError::Permanent(failures.join("; "))) }
    }
}

#[async_trait]
impl Stage for NotifyStage {
    fn name(&self) -> &'static str {
        "notify"
    }

    fn input(&self) -> TopicKind {
        TopicKind::Alerts
    }

    async fn process(&self, msg: &Incoming) -> Result<Vec<Outgoing>, StageError> {
        let env: Envelope<Alert> = msg.decode()?;
        self.notify(&env).await?;
        Ok(Vec::new())
    }
}
