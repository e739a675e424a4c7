//! Alerts: rules matched against the enriched stream, one alert per
//! (rule, story), delivered to the `alerts` topic and to webhooks.
//!
//! Layout:
//! - [`query`]: the rule query language (words, `AND`/`OR`/`NOT`/`-`,
//!   parentheses, "phrases", `prefix*`) and its matcher over the
//!   Arabic-aware search form of title and text.
//! - [`rule`]: rule and webhook config (`[alerts]`), validation, a rule
//!   compiled for matching (query plus language, source and entity filters).
//! - [`engine`]: which rules an article matches; the rule book reloaded from
//!   the database; trying a rule against stored articles.
//! - [`log`]: the alert tables (rules, alerts, matched items, deliveries) in
//!   SQLite and PostgreSQL; the raise / update / suppress decision.
//! - [`stage`]: [`AlertStage`], `enriched` → `alerts`.
//! - [`webhook`]: CloudEvents and Slack payloads, delivery with retries.
//! - [`notify`]: [`NotifyStage`], `alerts` → webhooks (dead letter on
//!   permanent failure).
//! - [`api`]: the rules and alerts HTTP API (axum router; no auth here).
//!
//! The flow: the alert stage (its own consumer group, "alerts") matches each
//! enriched article, records the match and emits an `Envelope<Alert>` keyed
//! by the alert id (the raise, or an update of the story's alert); the
//! notify stage (group "notify") posts raises, and updates when the rule
//! asks for them, to the rule's webhooks.

pub mod api;
pub mod engine;
pub mod log;
pub mod notify;
pub mod query;
pub mod rule;
pub mod stage;
pub mod webhook;

pub use api::router;
pub use engine::{RuleBook, TestReport, matching, test_rule};
pub use log::{AlertLog, AlertRow, Decision, LogError};
pub use notify::NotifyStage;
pub use query::{Doc, Query, QueryError};
pub use rule::{AlertsConfig, Rule, RuleDef, RuleError, WebhookDef, WebhookFormat};
pub use stage::AlertStage;

/// Metric names of alerting, declared in one place.
pub mod names {
    /// Alerts raised, by rule.
    pub const RAISED: &str = "newsflow_alerts_raised_total";
    /// Raises suppressed by a rule's hourly limit, by rule.
    pub const SUPPRESSED: &str = "newsflow_alerts_suppressed_total";
    /// Webhook deliveries, by format and outcome ("delivered", "failed",
    /// "unknown_webhook").
    pub const WEBHOOK_DELIVERIES: &str = "newsflow_webhook_deliveries_total";
}
