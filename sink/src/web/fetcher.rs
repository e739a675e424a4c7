//! The fetcher's per-source health, read from its state file
//! (`<data_dir>/fetcher-state.sqlite`, kept by `newsflow_ingest::state`).
//! Opened read-only on each request: the fetcher owns the file, and a
//! missing or older file just means no health to show.

use std::path::PathBuf;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use tracing::debug;

/// One source's polling health, as the fetcher recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FetcherHealth {
    #[serde(skip)]
    pub source_id: String,
    pub last_polled: Option<String>,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub new_items: i64,
    /// Failed polls in a row.
    pub failures: i64,
    /// When a backed-off source is polled next.
    pub next_poll: Option<String>,
}

fn read(path: &PathBuf) -> rusqlite::Result<Vec<FetcherHealth>> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(2))?;
    // `failures` and `next_poll` came in a later release of the fetcher.
    let full = "SELECT source_id, last_polled, last_success, last_error, new_items, failures, next_poll
                FROM sources ORDER BY source_id";
    let old = "SELECT source_id, last_polled, last_success, last_error, new_items, 0, NULL
               FROM sources ORDER BY source_id";
    let mut stmt = conn.prepare(full).or_else(|_| conn.prepare(old))?;
    let rows = stmt.query_map([], |r| {
        Ok(FetcherHealth {
            source_id: r.get(0)?,
            last_polled: r.get(1)?,
            last_success: r.get(2)?,
            last_error: r.get(3)?,
            new_items: r.get(4)?,
            failures: r.get(5)?,
            next_poll: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// Every source the fetcher knows; empty when the file is missing or
/// unreadable.
pub(crate) async fn health(path: PathBuf) -> Vec<FetcherHealth> {
    if !path.exists() {
        return Vec::new();
    }
    let shown = path.display().to_string();
    match tokio::task::spawn_blocking(move || read(&path)).await {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => {
            debug!(path = %shown, error = %e, "fetcher state unreadable");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_the_fetchers_file_and_tolerates_its_absence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fetcher-state.sqlite");
        assert!(health(path.clone()).await.is_empty());
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE sources (source_id TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, last_polled TEXT,
                 last_success TEXT, last_error TEXT, new_items INTEGER NOT NULL DEFAULT 0);
             INSERT INTO sources (source_id, last_polled, last_error, new_items)
                 VALUES ('feed-a', '2026-01-01T00:00:00Z', 'HTTP status 500', 3);",
        )
        .unwrap();
        let h = health(path.clone()).await;
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].source_id.as_str(), h[0].failures, h[0].new_items), ("feed-a", 0, 3));
        conn.execute_batch(
            "ALTER TABLE sources ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE sources ADD COLUMN next_poll TEXT;
             UPDATE sources SET failures = 4, next_poll = '2026-01-01T01:00:00Z';",
        )
        .unwrap();
        let h = health(path).await;
        assert_eq!((h[0].failures, h[0].next_poll.as_deref()), (4, Some("2026-01-01T01:00:00Z")));
    }
}
