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
    /// Failed polls in a row (0 after a success).
    pub failures: u32,
    /// When a backed-off source is polled next.
    pub next_poll: Option<DateTime<Utc>>,
}

/// A source's schedule as last recorded (see [`FetchState::schedule`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schedule {
    pub interval: Option<std::time::Duration>,
    pub last_polled: Option<DateTime<Utc>>,
    pub next_poll: Option<DateTime<Utc>>,
    pub failures: u32,
}

/// A seen record as every fetcher instance shares it (the value of a
/// `fetch-state` record, keyed by the item id).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SharedSeen {
    pub item_id: String,
    pub url: String,
    pub source_id: String,
    pub outcome: String,
    pub seen_at: String,
}

/// What the state knows about a source's feed body (see
/// [`FetchState::feed_meta`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedMeta {
    pub cond: Conditional,
    pub body_hash: Option<String>,
    pub not_modified_streak: u32,
}

/// A stable 64-bit FNV-1a hash of a body, in hex: enough to notice that a
/// body changed (not a security boundary).
pub fn body_hash(body: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
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
        // Every statement below is prepared once and reused.
        conn.set_prepared_statement_cache_capacity(32);
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
        // Columns added after the first release: add them to old files.
        for (column, decl) in [
            ("failures", "INTEGER NOT NULL DEFAULT 0"),
            ("next_poll", "TEXT"),
            ("body_hash", "TEXT"),
            ("not_modified_streak", "INTEGER NOT NULL DEFAULT 0"),
            ("interval_secs", "INTEGER"),
        ] {
            let exists =
                conn.prepare("SELECT 1 FROM pragma_table_info('sources') WHERE name = ?1")?.exists([column])?;
            if !exists {
                conn.execute_batch(&format!("ALTER TABLE sources ADD COLUMN {column} {decl};"))?;
            }
        }
        // Hosts whose validators were caught lying: no conditional GET there.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS hosts (
                 host TEXT PRIMARY KEY,
                 conditional_off_at TEXT NOT NULL,
                 reason TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS shared_offsets (
                 topic TEXT NOT NULL,
                 partition INTEGER NOT NULL,
                 next_offset INTEGER NOT NULL,
                 PRIMARY KEY (topic, partition));",
        )?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_seen(&self, item_id: &str) -> Result<bool, StateError> {
        Ok(self.conn().prepare_cached("SELECT 1 FROM seen WHERE item_id = ?1")?.exists([item_id])?)
    }

    /// Record an item as handled (`outcome` is "sent" or why it was given up).
    pub fn mark_seen(&self, item_id: &str, url: &str, source_id: &str, outcome: &str) -> Result<(), StateError> {
        self.conn()
            .prepare_cached(
                "INSERT OR IGNORE INTO seen (item_id, url, source_id, outcome, seen_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![item_id, url, source_id, outcome, Utc::now().to_rfc3339()])?;
        Ok(())
    }

    pub fn conditional(&self, source_id: &str) -> Result<Conditional, StateError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT etag, last_modified FROM sources WHERE source_id = ?1")?
            .query_row([source_id], |r| Ok(Conditional { etag: r.get(0)?, last_modified: r.get(1)? }))
            .optional()?
            .unwrap_or_default())
    }

    /// A source's validators, the hash of its last full body and how many
    /// 304s it answered since.
    pub fn feed_meta(&self, source_id: &str) -> Result<FeedMeta, StateError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT etag, last_modified, body_hash, not_modified_streak FROM sources WHERE source_id = ?1",
            )?
            .query_row([source_id], |r| {
                Ok(FeedMeta {
                    cond: Conditional { etag: r.get(0)?, last_modified: r.get(1)? },
                    body_hash: r.get(2)?,
                    not_modified_streak: r.get::<_, i64>(3)?.clamp(0, u32::MAX as i64) as u32,
                })
            })
            .optional()?
            .unwrap_or_default())
    }

    /// Record a full (200) body's hash; resets the 304 streak.
    pub fn body_seen(&self, source_id: &str, body_hash: &str) -> Result<(), StateError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO sources (source_id, body_hash) VALUES (?1, ?2)
             ON CONFLICT(source_id) DO UPDATE SET body_hash = ?2, not_modified_streak = 0",
            )?
            .execute(params![source_id, body_hash])?;
        Ok(())
    }

    /// Count one more 304 for the source.
    pub fn not_modified(&self, source_id: &str) -> Result<(), StateError> {
        self.conn()
            .prepare_cached("UPDATE sources SET not_modified_streak = not_modified_streak + 1 WHERE source_id = ?1")?
            .execute([source_id])?;
        Ok(())
    }

    /// Turn conditional requests off for `host` (its validators lied).
    pub fn disable_conditional(&self, host: &str, reason: &str) -> Result<(), StateError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO hosts (host, conditional_off_at, reason) VALUES (?1, ?2, ?3)
             ON CONFLICT(host) DO UPDATE SET conditional_off_at = ?2, reason = ?3",
            )?
            .execute(params![host, Utc::now().to_rfc3339(), reason])?;
        Ok(())
    }

    /// Whether conditional requests are off for `host`.
    pub fn conditional_disabled(&self, host: &str) -> Result<bool, StateError> {
        Ok(self.conn().prepare_cached("SELECT 1 FROM hosts WHERE host = ?1")?.exists([host])?)
    }

    /// Record a successful poll.
    pub fn poll_ok(&self, source_id: &str, cond: &Conditional, new_items: u64) -> Result<(), StateError> {
        let now = Utc::now().to_rfc3339();
        self.conn()
            .prepare_cached(
                "INSERT INTO sources (source_id, etag, last_modified, last_polled, last_success, last_error, new_items)
             VALUES (?1, ?2, ?3, ?4, ?4, NULL, ?5)
             ON CONFLICT(source_id) DO UPDATE SET etag = ?2, last_modified = ?3, last_polled = ?4,
                 last_success = ?4, last_error = NULL, new_items = new_items + ?5, failures = 0, next_poll = NULL",
            )?
            .execute(params![source_id, cond.etag, cond.last_modified, now, new_items as i64])?;
        Ok(())
    }

    /// Record a failed poll.
    pub fn poll_failed(&self, source_id: &str, error: &str) -> Result<(), StateError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO sources (source_id, last_polled, last_error) VALUES (?1, ?2, ?3)
             ON CONFLICT(source_id) DO UPDATE SET last_polled = ?2, last_error = ?3",
            )?
            .execute(params![source_id, Utc::now().to_rfc3339(), error])?;
        Ok(())
    }

    /// Record that a failing source was backed off: `failures` in a row,
    /// next poll at `next_poll`.
    pub fn backed_off(&self, source_id: &str, failures: u32, next_poll: DateTime<Utc>) -> Result<(), StateError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO sources (source_id, failures, next_poll) VALUES (?1, ?2, ?3)
             ON CONFLICT(source_id) DO UPDATE SET failures = ?2, next_poll = ?3",
            )?
            .execute(params![source_id, failures, next_poll.to_rfc3339()])?;
        Ok(())
    }

    /// Remember a source's adaptive interval (it survives restarts).
    pub fn set_interval(&self, source_id: &str, interval: std::time::Duration) -> Result<(), StateError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO sources (source_id, interval_secs) VALUES (?1, ?2)
             ON CONFLICT(source_id) DO UPDATE SET interval_secs = ?2",
            )?
            .execute(params![source_id, interval.as_secs().max(1) as i64])?;
        Ok(())
    }

    /// Where a source's schedule stood: its last interval, last poll and,
    /// when backed off, the next poll.
    pub fn schedule(&self, source_id: &str) -> Result<Schedule, StateError> {
        let parse = |s: Option<String>| s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|d| d.to_utc());
        Ok(self
            .conn()
            .prepare_cached("SELECT interval_secs, last_polled, next_poll, failures FROM sources WHERE source_id = ?1")?
            .query_row([source_id], |r| {
                Ok(Schedule {
                    interval: r.get::<_, Option<i64>>(0)?.map(|s| std::time::Duration::from_secs(s.max(1) as u64)),
                    last_polled: parse(r.get(1)?),
                    next_poll: parse(r.get(2)?),
                    failures: r.get::<_, i64>(3)?.clamp(0, u32::MAX as i64) as u32,
                })
            })
            .optional()?
            .unwrap_or_default())
    }

    /// Apply seen records read from the shared state topic, with the next
    /// offset of each partition they came from, in one transaction.
    pub fn apply_shared(
        &self,
        topic: &str,
        records: &[SharedSeen],
        next_offsets: &[(i32, i64)],
    ) -> Result<(), StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut seen = tx.prepare_cached(
                "INSERT OR IGNORE INTO seen (item_id, url, source_id, outcome, seen_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for r in records {
                seen.execute(params![r.item_id, r.url, r.source_id, r.outcome, r.seen_at])?;
            }
            let mut off = tx.prepare_cached(
                "INSERT INTO shared_offsets (topic, partition, next_offset) VALUES (?1, ?2, ?3)
                 ON CONFLICT(topic, partition) DO UPDATE SET next_offset = MAX(next_offset, ?3)",
            )?;
            for (p, o) in next_offsets {
                off.execute(params![topic, p, o])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The next offset to read of each partition of the shared state topic.
    pub fn shared_offsets(&self, topic: &str) -> Result<std::collections::HashMap<i32, i64>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT partition, next_offset FROM shared_offsets WHERE topic = ?1")?;
        let rows = stmt.query_map([topic], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn health(&self) -> Result<Vec<SourceHealth>, StateError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT source_id, last_polled, last_success, last_error, new_items, failures, next_poll
             FROM sources ORDER BY source_id",
        )?;
        let parse = |s: Option<String>| s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|d| d.to_utc());
        let rows = stmt.query_map([], |r| {
            Ok(SourceHealth {
                source_id: r.get(0)?,
                last_polled: parse(r.get(1)?),
                last_success: parse(r.get(2)?),
                last_error: r.get(3)?,
                new_items: r.get::<_, i64>(4)? as u64,
                failures: r.get::<_, i64>(5)?.clamp(0, u32::MAX as i64) as u32,
                next_poll: parse(r.get(6)?),
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
        let next = Utc::now() + chrono::Duration::seconds(600);
        st.backed_off("src", 3, next).unwrap();
        let h = st.health().unwrap();
        assert_eq!((h[0].failures, h[0].next_poll.map(|t| t.timestamp())), (3, Some(next.timestamp())));
        st.poll_ok("src", &Conditional::default(), 0).unwrap();
        assert_eq!((st.health().unwrap()[0].failures, st.health().unwrap()[0].next_poll), (0, None));
        st.body_seen("src", &body_hash(b"v1")).unwrap();
        st.not_modified("src").unwrap();
        st.not_modified("src").unwrap();
        let meta = st.feed_meta("src").unwrap();
        assert_eq!((meta.body_hash.as_deref(), meta.not_modified_streak), (Some(body_hash(b"v1").as_str()), 2));
        assert!(!st.conditional_disabled("e.com:80").unwrap());
        st.disable_conditional("e.com:80", "304 but the body changed").unwrap();
        assert!(st.conditional_disabled("e.com:80").unwrap());
        assert_ne!(body_hash(b"a"), body_hash(b"b"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn schedule_and_shared_records_persist() {
        let st = FetchState::in_memory().unwrap();
        assert_eq!(st.schedule("src").unwrap(), Schedule::default());
        st.set_interval("src", std::time::Duration::from_secs(420)).unwrap();
        st.poll_ok("src", &Conditional::default(), 0).unwrap();
        let s = st.schedule("src").unwrap();
        assert_eq!(s.interval, Some(std::time::Duration::from_secs(420)));
        assert!(s.last_polled.is_some() && s.next_poll.is_none() && s.failures == 0);
        let rec = |id: &str| SharedSeen {
            item_id: id.into(),
            url: format!("https://e.com/{id}"),
            source_id: "other".into(),
            outcome: "sent".into(),
            seen_at: Utc::now().to_rfc3339(),
        };
        st.apply_shared("t", &[rec("a"), rec("b")], &[(0, 5), (2, 1)]).unwrap();
        // Offsets only move forward; records already seen stay as they were.
        st.apply_shared("t", &[rec("a")], &[(0, 3)]).unwrap();
        assert!(st.is_seen("a").unwrap() && st.is_seen("b").unwrap());
        let offsets = st.shared_offsets("t").unwrap();
        assert_eq!((offsets[&0], offsets[&2], offsets.len()), (5, 1, 2));
        assert!(st.shared_offsets("other-topic").unwrap().is_empty());
    }
}
