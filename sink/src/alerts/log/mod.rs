//! The alert tables (schema migration 2): `alert_rules`, `alerts`,
//! `alert_items`, `alert_deliveries`, for SQLite and PostgreSQL.
//!
//! One alert per (rule, story). [`AlertLog::record`] is the heart of it and
//! is idempotent under redelivery (Kafka is at-least-once):
//! - `alert_items (rule, item_id)` records each matched article once, with
//!   the alert it went to;
//! - an article seen before gets the decision it got the first time: it is
//!   the raise iff it is the alert's `first_item_id` (a redelivered first
//!   article re-emits "raised" with the same alert id, receivers dedupe),
//!   otherwise an update whose `articles` is its rank among the story's
//!   matched articles (by match time, then item id), so the event and its
//!   CloudEvents id come out the same each time;
//! - a new alert is subject to the rule's hourly limit (alerts raised in the
//!   last hour, counted in the database so it holds across instances and
//!   restarts); a suppressed raise writes nothing, so a later article of the
//!   story may raise it once the hour has room.
//!
//! Each decision is one transaction (SQLite `BEGIN IMMEDIATE`; PostgreSQL a
//! transaction-scoped advisory lock on the alert id), so two articles of one
//! story handled at once cannot both raise.
//!
//! Deliveries are keyed by (alert id, target) where the target names the
//! webhook and the event (`ops:updated:3`), so a redelivered alert message
//! skips the webhooks it already reached.

mod postgres;
mod sqlite;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

use super::rule::{RuleDef, RuleError};
use crate::Store;

/// Why a database operation on the alert tables failed, with a retry hint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogError {
    /// Connection lost, locked, busy: worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database refused the operation: retrying will not help.
    #[error("database error: {0}")]
    Failed(String),
    #[error(transparent)]
    Rule(#[from] RuleError),
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    /// "config" or "api".
    pub origin: String,
    pub def: RuleDef,
    pub updated_at: DateTime<Utc>,
}

/// What `put_api_rule` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Updated,
    /// A rule of the config file has that name: not modifiable here.
    ConfigRule,
}

/// What `delete_api_rule` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    NotFound,
    ConfigRule,
}

/// One article matching one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub rule: String,
    pub max_per_hour: u32,
    pub alert_id: String,
    pub story_id: String,
    pub item_id: String,
    pub title: Option<String>,
    pub url: String,
    pub at: DateTime<Utc>,
}

/// What a match does to its alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The story's first matching article: the alert is raised.
    Raised { raised_at: DateTime<Utc> },
    /// A later article: the alert is updated; `articles` is this article's
    /// rank among the story's matched articles (2 for the second).
    Updated { articles: u64, raised_at: DateTime<Utc> },
    /// Over the rule's hourly limit: nothing recorded.
    Suppressed { raised_last_hour: u64 },
}

/// A row of `alerts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRow {
    pub id: String,
    pub rule: String,
    pub story_id: String,
    pub first_item_id: String,
    pub last_item_id: String,
    pub title: Option<String>,
    pub url: String,
    /// Distinct matched articles of the story.
    pub articles: u64,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One delivery outcome for `alert_deliveries`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub alert_id: String,
    /// `webhook:event:articles`.
    pub target: String,
    /// "delivered" or "failed".
    pub status: &'static str,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub at: DateTime<Utc>,
}

/// A stored article, as rules are tested against it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredArticle {
    pub id: String,
    pub url: String,
    pub title: Option<String>,
    #[serde(skip)]
    pub text: String,
    pub language: Option<String>,
    pub source: String,
    pub story_id: Option<String>,
    pub stored_at: DateTime<Utc>,
    /// Where the next page starts (the engine's own form of `stored_at`).
    #[serde(skip)]
    pub(crate) cursor: String,
}

/// The alert tables of a store.
pub struct AlertLog {
    inner: Inner,
}

enum Inner {
    Sqlite(sqlite::Log),
    Postgres(postgres::Log),
}

/// The target key of a delivery: the webhook and the event instance.
pub fn delivery_target(webhook: &str, event: &str, articles: u64) -> String {
    format!("{webhook}:{event}:{articles}")
}

impl AlertLog {
    /// The alert tables of `store` (migrated when it was opened), on a
    /// connection of their own.
    /// Connections are opened on first use.
    pub fn for_store(store: &Store) -> Self {
        Self {
            inner: match store {
                Store::Sqlite(s) => Inner::Sqlite(sqlite::Log::new(&s.path)),
                Store::Postgres(s) => Inner::Postgres(postgres::Log::new(s.url())),
            },
        }
    }

    /// Make the config file's rules the stored "config" rules: upsert each
    /// (overriding an API rule of the same name) and drop config rules no
    /// longer in the file. Run by the alert stage at start.
    pub async fn sync_config_rules(&self, rules: &[RuleDef]) -> Result<(), LogError> {
        for r in rules {
            r.validate(None)?;
        }
        let now = Utc::now();
        match &self.inner {
            Inner::Sqlite(l) => l.sync_config_rules(rules, now).await,
            Inner::Postgres(l) => l.sync_config_rules(rules, now).await,
        }
    }

    /// Every stored rule, by name. Rows that no longer parse are skipped
    /// with a warning.
    pub async fn rules(&self) -> Result<Vec<StoredRule>, LogError> {
        match &self.inner {
            Inner::Sqlite(l) => l.rules(None).await,
            Inner::Postgres(l) => l.rules(None).await,
        }
    }

    pub async fn rule(&self, name: &str) -> Result<Option<StoredRule>, LogError> {
        let found = match &self.inner {
            Inner::Sqlite(l) => l.rules(Some(name)).await?,
            Inner::Postgres(l) => l.rules(Some(name)).await?,
        };
        Ok(found.into_iter().next())
    }

    /// Create or replace an API rule (validated first). Config rules are
    /// left alone.
    pub async fn put_api_rule(&self, def: &RuleDef) -> Result<PutOutcome, LogError> {
        def.validate(None)?;
        let now = Utc::now();
        match &self.inner {
            Inner::Sqlite(l) => l.put_api_rule(def, now).await,
            Inner::Postgres(l) => l.put_api_rule(def, now).await,
        }
    }

    pub async fn delete_api_rule(&self, name: &str) -> Result<DeleteOutcome, LogError> {
        match &self.inner {
            Inner::Sqlite(l) => l.delete_api_rule(name).await,
            Inner::Postgres(l) => l.delete_api_rule(name).await,
        }
    }

    /// Record one match and decide raise, update or suppress (see the
    /// module docs).
    pub async fn record(&self, m: &Match) -> Result<Decision, LogError> {
        // Milliseconds, as SQLite keeps them: a redelivery reports the very
        // same timestamps as the first decision.
        let m = Match { at: m.at.trunc_subsecs(3), ..m.clone() };
        match &self.inner {
            Inner::Sqlite(l) => l.record(m).await,
            Inner::Postgres(l) => l.record(&m).await,
        }
    }

    /// The newest alerts first, optionally of one rule.
    pub async fn alerts(&self, limit: usize, rule: Option<&str>) -> Result<Vec<AlertRow>, LogError> {
        let limit = limit as i64;
        match &self.inner {
            Inner::Sqlite(l) => l.alerts(limit, rule.map(str::to_owned)).await,
            Inner::Postgres(l) => l.alerts(limit, rule).await,
        }
    }

    /// Whether `target` already received this alert event.
    pub async fn delivered(&self, alert_id: &str, target: &str) -> Result<bool, LogError> {
        match &self.inner {
            Inner::Sqlite(l) => l.delivered(alert_id.to_owned(), target.to_owned()).await,
            Inner::Postgres(l) => l.delivered(alert_id, target).await,
        }
    }

    pub async fn record_delivery(&self, d: &Delivery) -> Result<(), LogError> {
        match &self.inner {
            Inner::Sqlite(l) => l.record_delivery(d.clone()).await,
            Inner::Postgres(l) => l.record_delivery(d).await,
        }
    }

    /// Up to `n` stored articles, newest first, after `after` (the last one
    /// of the previous page).
    pub async fn articles_page(&self, after: Option<&StoredArticle>, n: usize) -> Result<Vec<StoredArticle>, LogError> {
        match &self.inner {
            Inner::Sqlite(l) => l.articles_page(after.map(|a| (a.cursor.clone(), a.id.clone())), n as i64).await,
            Inner::Postgres(l) => l.articles_page(after.map(|a| (a.stored_at, a.id.as_str())), n as i64).await,
        }
    }

    /// The entity keys of each of `ids` (for rules with an entity filter).
    pub async fn entity_keys(&self, ids: &[String]) -> Result<Vec<(String, String)>, LogError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        match &self.inner {
            Inner::Sqlite(l) => l.entity_keys(ids.to_vec()).await,
            Inner::Postgres(l) => l.entity_keys(ids).await,
        }
    }
}

/// Parse a stored definition; `None` (with a warning) when it no longer
/// reads as a rule.
fn parse_definition(name: &str, json: &serde_json::Value) -> Option<RuleDef> {
    match serde_json::from_value::<RuleDef>(json.clone()) {
        Ok(mut def) => {
            def.name = name.to_owned();
            Some(def)
        }
        Err(e) => {
            tracing::warn!(rule = name, error = %e, "stored alert rule is unreadable; skipped");
            None
        }
    }
}

fn definition_json(def: &RuleDef) -> serde_json::Value {
    serde_json::to_value(def).unwrap_or_default()
}
