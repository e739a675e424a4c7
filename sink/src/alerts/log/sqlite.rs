//! The alert tables in SQLite: one connection of their own (WAL lets the
//! sink's writer and readers go on), used from blocking tasks.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use super::{
    AlertRow, Decision, DeleteOutcome, Delivery, LogError, Match, PutOutcome, StoredArticle, StoredRule,
    definition_json, parse_definition,
};
use crate::alerts::rule::{ORIGIN_API, ORIGIN_CONFIG, RuleDef};

/// Timestamps as the rest of the SQLite schema writes them (sortable text).
fn ts(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|d| d.to_utc()).unwrap_or_default()
}

fn classify(e: rusqlite::Error) -> LogError {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(
            ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull
        )
    );
    if busy { LogError::Unavailable(e.to_string()) } else { LogError::Failed(e.to_string()) }
}

pub(super) struct Log {
    path: PathBuf,
    /// Opened on first use (so building a log never fails).
    conn: Arc<Mutex<Option<Connection>>>,
}

impl Log {
    pub(super) fn new(path: &Path) -> Self {
        Self { path: path.to_owned(), conn: Arc::new(Mutex::new(None)) }
    }

    /// Run `f` on the connection in a blocking task.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, LogError> {
        let (conn, path) = (self.conn.clone(), self.path.clone());
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            if guard.is_none() {
                let opened = crate::sqlite::open_conn(&path).map_err(|e| LogError::Unavailable(e.to_string()))?;
                *guard = Some(opened);
            }
            let Some(c) = guard.as_mut() else { return Err(LogError::Unavailable("no connection".into())) };
            f(c).map_err(classify)
        })
        .await
        .map_err(|e| LogError::Unavailable(format!("database task failed: {e}")))?
    }

    pub(super) async fn sync_config_rules(&self, rules: &[RuleDef], now: DateTime<Utc>) -> Result<(), LogError> {
        let rows: Vec<(String, String)> =
            rules.iter().map(|r| (r.name.clone(), definition_json(r).to_string())).collect();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for (name, def) in &rows {
                tx.execute(
                    "INSERT INTO alert_rules (name, definition, origin, updated_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, origin = excluded.origin,
                         updated_at = excluded.updated_at
                     WHERE alert_rules.definition <> excluded.definition OR alert_rules.origin <> excluded.origin",
                    params![name, def, ORIGIN_CONFIG, ts(&now)],
                )?;
            }
            let stored: Vec<String> = tx
                .prepare("SELECT name FROM alert_rules WHERE origin = ?1")?
                .query_map([ORIGIN_CONFIG], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for name in stored.iter().filter(|n| !rows.iter().any(|(r, _)| r == *n)) {
                tx.execute("DELETE FROM alert_rules WHERE name = ?1", [name])?;
            }
            tx.commit()
        })
        .await
    }

    pub(super) async fn rules(&self, name: Option<&str>) -> Result<Vec<StoredRule>, LogError> {
        let name = name.map(str::to_owned);
        let rows: Vec<(String, String, String, String)> = self
            .run(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT name, definition, origin, updated_at FROM alert_rules
                     WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
                )?;
                stmt.query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect()
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, def, origin, at)| {
                let json = serde_json::from_str(&def).unwrap_or(serde_json::Value::Null);
                let def = parse_definition(&name, &json)?;
                Some(StoredRule { origin, def, updated_at: parse_ts(&at) })
            })
            .collect())
    }

    pub(super) async fn put_api_rule(&self, def: &RuleDef, now: DateTime<Utc>) -> Result<PutOutcome, LogError> {
        let (name, json) = (def.name.clone(), definition_json(def).to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let origin: Option<String> =
                tx.query_row("SELECT origin FROM alert_rules WHERE name = ?1", [&name], |r| r.get(0)).optional()?;
            if origin.as_deref() == Some(ORIGIN_CONFIG) {
                return Ok(PutOutcome::ConfigRule);
            }
            tx.execute(
                "INSERT INTO alert_rules (name, definition, origin, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
                params![name, json, ORIGIN_API, ts(&now)],
            )?;
            tx.commit()?;
            Ok(if origin.is_some() { PutOutcome::Updated } else { PutOutcome::Created })
        })
        .await
    }

    pub(super) async fn delete_api_rule(&self, name: &str) -> Result<DeleteOutcome, LogError> {
        let name = name.to_owned();
        self.run(move |conn| {
            let origin: Option<String> =
                conn.query_row("SELECT origin FROM alert_rules WHERE name = ?1", [&name], |r| r.get(0)).optional()?;
            Ok(match origin.as_deref() {
                None => DeleteOutcome::NotFound,
                Some(ORIGIN_CONFIG) => DeleteOutcome::ConfigRule,
                Some(_) => {
                    let n = conn
                        .execute("DELETE FROM alert_rules WHERE name = ?1 AND origin <> ?2", [&name, ORIGIN_CONFIG])?;
                    if n == 0 { DeleteOutcome::NotFound } else { DeleteOutcome::Deleted }
                }
            })
        })
        .await
    }

    pub(super) async fn record(&self, m: Match) -> Result<Decision, LogError> {
        self.run(move |conn| record(conn, &m)).await
    }

    pub(super) async fn alerts(&self, limit: i64, rule: Option<String>) -> Result<Vec<AlertRow>, LogError> {
        self.run(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, rule, story_id, first_item_id, last_item_id, title, url, articles, raised_at, updated_at
                 FROM alerts WHERE ?1 IS NULL OR rule = ?1 ORDER BY raised_at DESC, id LIMIT ?2",
            )?;
            stmt.query_map(params![rule, limit], |r| {
                Ok(AlertRow {
                    id: r.get(0)?,
                    rule: r.get(1)?,
                    story_id: r.get(2)?,
                    first_item_id: r.get(3)?,
                    last_item_id: r.get(4)?,
                    title: r.get(5)?,
                    url: r.get(6)?,
                    articles: r.get::<_, i64>(7)?.max(0) as u64,
                    raised_at: parse_ts(&r.get::<_, String>(8)?),
                    updated_at: parse_ts(&r.get::<_, String>(9)?),
                })
            })?
            .collect()
        })
        .await
    }

    pub(super) async fn delivered(&self, alert_id: String, target: String) -> Result<bool, LogError> {
        self.run(move |conn| {
            conn.query_row(
                "SELECT 1 FROM alert_deliveries WHERE alert_id = ?1 AND target = ?2 AND status = 'delivered'",
                [&alert_id, &target],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
        })
        .await
    }

    pub(super) async fn record_delivery(&self, d: Delivery) -> Result<(), LogError> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO alert_deliveries (alert_id, target, status, attempts, last_error, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (alert_id, target) DO UPDATE SET status = excluded.status,
                     attempts = excluded.attempts, last_error = excluded.last_error, at = excluded.at",
                params![d.alert_id, d.target, d.status, d.attempts, d.last_error, ts(&d.at)],
            )
            .map(|_| ())
        })
        .await
    }

    pub(super) async fn articles_page(
        &self,
        after: Option<(String, String)>,
        n: i64,
    ) -> Result<Vec<StoredArticle>, LogError> {
        let (at, id) = after.unzip();
        self.run(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, url, title, text, language, source, story_id, stored_at FROM articles
                 WHERE ?1 IS NULL OR stored_at < ?1 OR (stored_at = ?1 AND id < ?2)
                 ORDER BY stored_at DESC, id DESC LIMIT ?3",
            )?;
            stmt.query_map(params![at, id, n], |r| {
                let stored: String = r.get(7)?;
                Ok(StoredArticle {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    title: r.get(2)?,
                    text: r.get(3)?,
                    language: r.get(4)?,
                    source: r.get(5)?,
                    story_id: r.get(6)?,
                    stored_at: parse_ts(&stored),
                    cursor: stored,
                })
            })?
            .collect()
        })
        .await
    }

    pub(super) async fn entity_keys(&self, ids: Vec<String>) -> Result<Vec<(String, String)>, LogError> {
        self.run(move |conn| {
            let marks = vec!["?"; ids.len()].join(", ");
            let sql = format!("SELECT item_id, key FROM entities WHERE item_id IN ({marks})");
            let mut stmt = conn.prepare(&sql)?;
            stmt.query_map(rusqlite::params_from_iter(ids.iter()), |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        })
        .await
    }
}

/// The decision of one match, in one transaction (see the module docs).
fn record(conn: &mut Connection, m: &Match) -> rusqlite::Result<Decision> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let head = |alert_id: &str| -> rusqlite::Result<Option<(String, String, String)>> {
        tx.query_row("SELECT first_item_id, raised_at, updated_at FROM alerts WHERE id = ?1", [alert_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
    };
    let rank = |alert_id: &str, matched_at: &str| -> rusqlite::Result<u64> {
        tx.query_row(
            "SELECT COUNT(*) FROM alert_items WHERE rule = ?1 AND alert_id = ?2
             AND (matched_at < ?3 OR (matched_at = ?3 AND item_id <= ?4))",
            params![m.rule, alert_id, matched_at, m.item_id],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n.max(2) as u64)
    };
    // Seen before (redelivery): the same decision as the first time.
    let prior: Option<(String, String)> = tx
        .query_row(
            "SELECT alert_id, matched_at FROM alert_items WHERE rule = ?1 AND item_id = ?2",
            [&m.rule, &m.item_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((alert_id, matched_at)) = prior {
        if let Some((first, raised_at, _)) = head(&alert_id)? {
            let raised_at = parse_ts(&raised_at);
            if first == m.item_id {
                return Ok(Decision::Raised { raised_at });
            }
            return Ok(Decision::Updated { articles: rank(&alert_id, &matched_at)?, raised_at });
        }
        // Its alert was deleted since: match afresh.
        tx.execute("DELETE FROM alert_items WHERE rule = ?1 AND item_id = ?2", [&m.rule, &m.item_id])?;
    }
    let mut now = ts(&m.at);
    let decision = match head(&m.alert_id)? {
        None => {
            let since = ts(&(m.at - chrono::Duration::hours(1)));
            let recent: i64 = tx.query_row(
                "SELECT COUNT(*) FROM alerts WHERE rule = ?1 AND raised_at > ?2",
                [&m.rule, &since],
                |r| r.get(0),
            )?;
            if recent >= i64::from(m.max_per_hour) {
                return Ok(Decision::Suppressed { raised_last_hour: recent as u64 });
            }
            tx.execute(
                "INSERT INTO alerts (id, rule, story_id, first_item_id, last_item_id, title, url, articles,
                     raised_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, 1, ?7, ?7)",
                params![m.alert_id, m.rule, m.story_id, m.item_id, m.title, m.url, now],
            )?;
            Decision::Raised { raised_at: parse_ts(&now) }
        }
        Some((_, raised_at, updated_at)) => {
            // Match times of one alert strictly increase in commit order, so
            // ranks never change once given.
            now = ts(&m.at.max(parse_ts(&updated_at) + chrono::Duration::milliseconds(1)));
            tx.execute(
                "UPDATE alerts SET articles = articles + 1, last_item_id = ?2, updated_at = ?3 WHERE id = ?1",
                params![m.alert_id, m.item_id, now],
            )?;
            Decision::Updated { articles: 0, raised_at: parse_ts(&raised_at) }
        }
    };
    tx.execute(
        "INSERT INTO alert_items (rule, item_id, alert_id, matched_at) VALUES (?1, ?2, ?3, ?4)",
        params![m.rule, m.item_id, m.alert_id, now],
    )?;
    let decision = match decision {
        Decision::Updated { raised_at, .. } => Decision::Updated { articles: rank(&m.alert_id, &now)?, raised_at },
        d => d,
    };
    tx.commit()?;
    Ok(decision)
}
