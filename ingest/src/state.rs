//! The fetcher's persistent state in a local SQLite file: which items were
//! already handed to the pipeline ("seen") and each source's validators and
//! health.
//!
//! An item is marked seen only after the broker acknowledged its raw page,
//! so a crash in between refetches it (at-least-once; storage is idempotent
//! on the item id).

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::http::Conditional;

/// A state-store failure.
#[derive(Debug, thiserror::Error)]
#[error("fetcher state: {0}")]
pub struct StateError(#[from] rusqlite::Error);

/// One source's health, for `sources status`-style reporting.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SourceHealth {
    pub source_id: String,
    pub last_polled: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub new_items: u64,
}

pub struct FetchState {
    conn: Mutex<Connection>,
}

impl FetchState {
    pub fn open(path: &Path) -> Result<Self, StateError> {
        Self::init(Connection::open(path)?)
    }

    pub fn in_memory() -> Result<Self, StateError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StateError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS seen (
                 item_id TEXT PRIMARY KEY,
                 url TEXT NOT NULL,
                 source_id TEXT NOT NULL,
                 outcome TEXT NOT NULL,
                 seen_at TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS sources (
                 source_id TEXT PRIMARY KEY,
                 etag TEXT,
                 last_modified TEXT,
                 last_polled TEXT,
                 last_success TEXT,
                 last_error TEXT,
                 new_items INTEGER NOT NULL DEFAULT 0);",
        )?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_seen(&self, item_id: &str) -> Result<bool, StateError> {
        Ok(self.conn().query_row("SELECT 1 FROM seen WHERE item_id = ?1", [item_id], |_| Ok(())).optional()?.is_some())
    }

    /// Record an item as handled (`outcome` is "sent" or why it was given up).
    pub fn mark_seen(&self, item_id: &str, url: &str, source_id: &str, outcome: &str) -> Result<(), StateError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO seen (item_id, url, source_id, outcome, seen_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![item_id, url, source_id, outcome, Utc::now().to_rfc3339()],
        )?;
        Ok(())
    }

    pub fn conditional(&self, source_id: &str) -> Result<Conditional, StateError> {
        Ok(self
            .conn()
            .query_row("SELECT etag, last_modified FROM sources WHERE source_id = ?1", [source_id], |r| {
                Ok(Conditional { etag: r.get(0)?, last_modified: r.get(1)? })
            })
            .optional()?
            .unwrap_or_default())
    }

    /// Record a successful poll.
    pub fn poll_ok(&self, source_id: &str, cond: &Conditional, new_items: u64) -> Result<(), StateError> {
        let now = Utc::now().to_rfc3339();
        self.conn().execute(
            "INSERT INTO sources (source_id, etag, last_modified, last_polled, last_success, last_error, new_items)
             VALUES (?1, ?2, ?3, ?4, ?4, NULL, ?5)
             ON CONFLICT(source_id) DO UPDATE SET etag = ?2, last_modified = ?3, last_polled = ?4,
                 last_success = ?4, last_error = NULL, new_items = new_items + ?5",
            params![source_id, cond.etag, cond.last_modified, now, new_items as i64],
        )?;
        Ok(())
    }

    /// Record a failed poll.
    pub fn poll_failed(&self, source_id: &str, error: &str) -> Result<(), StateError> {
        self.conn().execute(
            "INSERT INTO sources (source_id, last_polled, last_error) VALUES (?1, ?2, ?3)
             ON CONFLICT(source_id) DO UPDATE SET last_polled = ?2, last_error = ?3",
            params![source_id, Utc::now().to_rfc3339(), error],
        )?;
        Ok(())
    }

    pub fn health(&self) -> Result<Vec<SourceHealth>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT source_id, last_polled, last_success, last_error, new_items FROM sources ORDER BY source_id",
        )?;
        let parse = |s: Option<String>| s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|d| d.to_utc());
        let rows = stmt.query_map([], |r| {
            Ok(SourceHealth {
                source_id: r.get(0)?,
                last_polled: parse(r.get(1)?),
                last_success: parse(r.get(2)?),
                last_error: r.get(3)?,
                new_items: r.get::<_, i64>(4)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_survives_reopen_and_validators_round_trip() {
        let dir = std::env::temp_dir().join(format!("nf-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let st = FetchState::open(&path).unwrap();
            st.mark_seen("id1", "https://e.com/1", "src", "sent").unwrap();
            let cond = Conditional { etag: Some("\"v1\"".into()), last_modified: None };
            st.poll_ok("src", &cond, 1).unwrap();
        }
        let st = FetchState::open(&path).unwrap();
        assert!(st.is_seen("id1").unwrap());
        assert!(!st.is_seen("id2").unwrap());
        assert_eq!(st.conditional("src").unwrap().etag.as_deref(), Some("\"v1\""));
        st.poll_failed("src", "HTTP status 500").unwrap();
        let h = st.health().unwrap();
        assert_eq!((h[0].new_items, h[0].last_error.as_deref()), (1, Some("HTTP status 500")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
