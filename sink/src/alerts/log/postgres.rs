//! The alert tables in PostgreSQL: one client of their own, reconnected
//! when the server went away.

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, GenericClient};

use super::{
    AlertRow, Decision, DeleteOutcome, Delivery, LogError, Match, PutOutcome, StoredArticle, StoredRule,
    definition_json, parse_definition,
};
use crate::alerts::rule::{ORIGIN_API, ORIGIN_CONFIG, RuleDef};

fn classify(e: tokio_postgres::Error) -> LogError {
    match crate::postgres::classify(&e) {
        crate::batch::WriteError::Unavailable(text) => LogError::Unavailable(text),
        crate::batch::WriteError::Rejected(text) => LogError::Failed(text),
    }
}

pub(super) struct Log {
    url: String,
    client: Mutex<Option<Client>>,
}

type Guard<'a> = MutexGuard<'a, Option<Client>>;

impl Log {
    pub(super) fn new(url: &str) -> Self {
        Self { url: url.to_owned(), client: Mutex::new(None) }
    }

    /// The client, connecting first when there is none (or it closed).
    async fn conn(&self) -> Result<Guard<'_>, LogError> {
        let mut guard = self.client.lock().await;
        if guard.as_ref().is_none_or(Client::is_closed) {
            let client = crate::postgres::connect(&self.url)
                .await
                .map_err(|e| LogError::Unavailable(format!("postgres {}: {e}", crate::postgres::redact(&self.url))))?;
            *guard = Some(client);
        }
        Ok(guard)
    }

    /// Map an error, dropping the client when the server is away.
    fn fail(guard: &mut Guard<'_>, e: tokio_postgres::Error) -> LogError {
        let err = classify(e);
        if matches!(err, LogError::Unavailable(_)) {
            **guard = None;
        }
        err
    }

    pub(super) async fn sync_config_rules(&self, rules: &[RuleDef], now: DateTime<Utc>) -> Result<(), LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_mut() else { return Err(LogError::Unavailable("no connection".into())) };
        let names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
        let result = async {
            let tx = c.transaction().await?;
            for r in rules {
                tx.execute(
                    "INSERT INTO alert_rules (name, definition, origin, updated_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, origin = excluded.origin,
                         updated_at = excluded.updated_at
                     WHERE alert_rules.definition <> excluded.definition OR alert_rules.origin <> excluded.origin",
                    &[&r.name, &definition_json(r), &ORIGIN_CONFIG, &now],
                )
                .await?;
            }
            tx.execute("DELETE FROM alert_rules WHERE origin = $1 AND NOT (name = ANY($2))", &[&ORIGIN_CONFIG, &names])
                .await?;
            tx.commit().await
        }
        .await;
        result.map_err(|e| Self::fail(&mut g, e))
    }

    pub(super) async fn rules(&self, name: Option<&str>) -> Result<Vec<StoredRule>, LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_ref() else { return Err(LogError::Unavailable("no connection".into())) };
        let rows = c
            .query(
                "SELECT name, definition, origin, updated_at FROM alert_rules
                 WHERE $1::text IS NULL OR name = $1 ORDER BY name",
                &[&name],
            )
            .await;
        let rows = rows.map_err(|e| Self::fail(&mut g, e))?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let name: String = r.get(0);
                let def = parse_definition(&name, &r.get::<_, serde_json::Value>(1))?;
                Some(StoredRule { origin: r.get(2), def, updated_at: r.get(3) })
            })
            .collect())
    }

    pub(super) async fn put_api_rule(&self, def: &RuleDef, now: DateTime<Utc>) -> Result<PutOutcome, LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_mut() else { return Err(LogError::Unavailable("no connection".into())) };
        let result = async {
            let tx = c.transaction().await?;
            let origin: Option<String> = tx
                .query_opt("SELECT origin FROM alert_rules WHERE name = $1 FOR UPDATE", &[&def.name])
                .await?
                .map(|r| r.get(0));
            if origin.as_deref() == Some(ORIGIN_CONFIG) {
                return Ok(PutOutcome::ConfigRule);
            }
            tx.execute(
                "INSERT INTO alert_rules (name, definition, origin, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
                 WHERE alert_rules.origin = $3",
                &[&def.name, &definition_json(def), &ORIGIN_API, &now],
            )
            .await?;
            tx.commit().await?;
            Ok(if origin.is_some() { PutOutcome::Updated } else { PutOutcome::Created })
        }
        .await;
        result.map_err(|e| Self::fail(&mut g, e))
    }

    pub(super) async fn delete_api_rule(&self, name: &str) -> Result<DeleteOutcome, LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_ref() else { return Err(LogError::Unavailable("no connection".into())) };
        let result = async {
            let deleted =
                c.execute("DELETE FROM alert_rules WHERE name = $1 AND origin <> $2", &[&name, &ORIGIN_CONFIG]).await?;
            if deleted > 0 {
                return Ok(DeleteOutcome::Deleted);
            }
            let exists = c.query_opt("SELECT 1 FROM alert_rules WHERE name = $1", &[&name]).await?.is_some();
            Ok(if exists { DeleteOutcome::ConfigRule } else { DeleteOutcome::NotFound })
        }
        .await;
        result.map_err(|e| Self::fail(&mut g, e))
    }

    pub(super) async fn record(&self, m: &Match) -> Result<Decision, LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_mut() else { return Err(LogError::Unavailable("no connection".into())) };
        let result = record(c, m).await;
        result.map_err(|e| Self::fail(&mut g, e))
    }

    pub(super) async fn alerts(&self, limit: i64, rule: Option<&str>) -> Result<Vec<AlertRow>, LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_ref() else { return Err(LogError::Unavailable("no connection".into())) };
        let rows = c
            .query(
                "SELECT id, rule, story_id, first_item_id, last_item_id, title, url, articles, raised_at, updated_at
                 FROM alerts WHERE $1::text IS NULL OR rule = $1 ORDER BY raised_at DESC, id LIMIT $2",
                &[&rule, &limit],
            )
            .await;
        let rows = rows.map_err(|e| Self::fail(&mut g, e))?;
        Ok(rows
            .iter()
            .map(|r| AlertRow {
                id: r.get(0),
                rule: r.get(1),
                story_id: r.get(2),
                first_item_id: r.get(3),
                last_item_id: r.get(4),
                title: r.get(5),
                url: r.get(6),
                articles: r.get::<_, i64>(7).max(0) as u64,
                raised_at: r.get(8),
                updated_at: r.get(9),
            })
            .collect())
    }

    pub(super) async fn delivered(&self, alert_id: &str, target: &str) -> Result<bool, LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_ref() else { return Err(LogError::Unavailable("no connection".into())) };
        let sql = "SELECT 1 FROM alert_deliveries WHERE alert_id = $1 AND target = $2 AND status = 'delivered'";
        let found = c.query_opt(sql, &[&alert_id, &target]).await;
        found.map(|r| r.is_some()).map_err(|e| Self::fail(&mut g, e))
    }

    pub(super) async fn record_delivery(&self, d: &Delivery) -> Result<(), LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_ref() else { return Err(LogError::Unavailable("no connection".into())) };
        let done = c
            .execute(
                "INSERT INTO alert_deliveries (alert_id, target, status, attempts, last_error, at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (alert_id, target) DO UPDATE SET status = excluded.status,
                     attempts = excluded.attempts, last_error = excluded.last_error, at = excluded.at",
                &[&d.alert_id, &d.target, &d.status, &i64::from(d.attempts), &d.last_error, &d.at],
            )
            .await;
        done.map(|_| ()).map_err(|e| Self::fail(&mut g, e))
    }

    pub(super) async fn articles_page(
        &self,
        after: Option<(DateTime<Utc>, &str)>,
        n: i64,
    ) -> Result<Vec<StoredArticle>, LogError> {
        let (at, id) = after.unzip();
        let mut g = self.conn().await?;
        let Some(c) = g.as_ref() else { return Err(LogError::Unavailable("no connection".into())) };
        let rows = c
            .query(
                "SELECT id, url, title, text, language, source, story_id, stored_at FROM articles
                 WHERE $1::timestamptz IS NULL OR (stored_at, id) < ($1, $2::text)
                 ORDER BY stored_at DESC, id DESC LIMIT $3",
                &[&at, &id, &n],
            )
            .await;
        let rows = rows.map_err(|e| Self::fail(&mut g, e))?;
        Ok(rows
            .iter()
            .map(|r| StoredArticle {
                id: r.get(0),
                url: r.get(1),
                title: r.get(2),
                text: r.get(3),
                language: r.get(4),
                source: r.get(5),
                story_id: r.get(6),
                stored_at: r.get(7),
                cursor: String::new(),
            })
            .collect())
    }

    pub(super) async fn entity_keys(&self, ids: &[String]) -> Result<Vec<(String, String)>, LogError> {
        let mut g = self.conn().await?;
        let Some(c) = g.as_ref() else { return Err(LogError::Unavailable("no connection".into())) };
        let rows = c.query("SELECT item_id, key FROM entities WHERE item_id = ANY($1)", &[&ids]).await;
        let rows = rows.map_err(|e| Self::fail(&mut g, e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

/// The decision of one match, in one transaction serialized per alert by
/// an advisory lock (see the module docs).
async fn record(c: &mut Client, m: &Match) -> Result<Decision, tokio_postgres::Error> {
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&m.alert_id]).await?;
    // Seen before (redelivery): the same decision as the first time.
    let prior = tx
        .query_opt(
            "SELECT alert_id, matched_at FROM alert_items WHERE rule = $1 AND item_id = $2",
            &[&m.rule, &m.item_id],
        )
        .await?
        .map(|r| (r.get::<_, String>(0), r.get::<_, DateTime<Utc>>(1)));
    if let Some((alert_id, matched_at)) = prior {
        if let Some((first, raised_at, _)) = head(&tx, &alert_id).await? {
            if first == m.item_id {
                return Ok(Decision::Raised { raised_at });
            }
            let articles = rank(&tx, m, &alert_id, matched_at).await?;
            return Ok(Decision::Updated { articles, raised_at });
        }
        // Its alert was deleted since: match afresh.
        tx.execute("DELETE FROM alert_items WHERE rule = $1 AND item_id = $2", &[&m.rule, &m.item_id]).await?;
    }
    let existing = head(&tx, &m.alert_id).await?;
    let mut at = m.at;
    let raised_at = match existing {
        None => {
            let since = m.at - chrono::Duration::hours(1);
            let recent: i64 = tx
                .query_one("SELECT COUNT(*) FROM alerts WHERE rule = $1 AND raised_at > $2", &[&m.rule, &since])
                .await?
                .get(0);
            if recent >= i64::from(m.max_per_hour) {
                return Ok(Decision::Suppressed { raised_last_hour: recent as u64 });
            }
            tx.execute(
                "INSERT INTO alerts (id, rule, story_id, first_item_id, last_item_id, title, url, articles,
                     raised_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4, $5, $6, 1, $7, $7)",
                &[&m.alert_id, &m.rule, &m.story_id, &m.item_id, &m.title, &m.url, &m.at],
            )
            .await?;
            None
        }
        Some((_, raised_at, updated_at)) => {
            // Match times of one alert strictly increase in commit order, so
            // ranks never change once given.
            at = m.at.max(updated_at + chrono::Duration::milliseconds(1));
            tx.execute(
                "UPDATE alerts SET articles = articles + 1, last_item_id = $2, updated_at = $3 WHERE id = $1",
                &[&m.alert_id, &m.item_id, &at],
            )
            .await?;
            Some(raised_at)
        }
    };
    tx.execute(
        "INSERT INTO alert_items (rule, item_id, alert_id, matched_at) VALUES ($1, $2, $3, $4)",
        &[&m.rule, &m.item_id, &m.alert_id, &at],
    )
    .await?;
    let decision = match raised_at {
        None => Decision::Raised { raised_at: m.at },
        Some(raised_at) => Decision::Updated { articles: rank(&tx, m, &m.alert_id, at).await?, raised_at },
    };
    tx.commit().await?;
    Ok(decision)
}

/// The alert's first item, raise time and last update.
async fn head(
    tx: &impl GenericClient,
    alert_id: &str,
) -> Result<Option<(String, DateTime<Utc>, DateTime<Utc>)>, tokio_postgres::Error> {
    Ok(tx
        .query_opt("SELECT first_item_id, raised_at, updated_at FROM alerts WHERE id = $1", &[&alert_id])
        .await?
        .map(|r| (r.get(0), r.get(1), r.get(2))))
}

/// The rank of `m`'s article among its alert's matched articles.
async fn rank(
    tx: &impl GenericClient,
    m: &Match,
    alert_id: &str,
    matched_at: DateTime<Utc>,
) -> Result<u64, tokio_postgres::Error> {
    let n: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM alert_items WHERE rule = $1 AND alert_id = $2
             AND (matched_at < $3 OR (matched_at = $3 AND item_id <= $4))",
            &[&m.rule, &alert_id, &matched_at, &m.item_id],
        )
        .await?
        .get(0);
    Ok(n.max(2) as u64)
}
