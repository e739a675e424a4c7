//! The SQLite store (the embedded default): WAL mode, one writer thread with
//! group commit, and the full-text index in a file and a thread of its own
//! (sqlite_fts.rs); a row is acknowledged once both have committed. A
//! transaction is durable against a process crash when it commits (WAL +
//! `synchronous=NORMAL` can lose the last commits only on a power loss).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use std::sync::mpsc::{SendError, SyncSender};

use tokio::sync::mpsc;
use tracing::{error, info};

use crate::batch::{Batcher, Job, WriteError, fill, isolate, reply};
use crate::schema::{MIGRATIONS, UPSERT_COLUMNS, update_set};
use crate::sqlite_fts::{self, Committed, Entry};
use crate::{ArticleRow, SinkError, StoredSummary};

fn ts(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn open_conn(path: &Path) -> Result<Connection, SinkError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| SinkError::Open(format!("{}: {e}", dir.display())))?;
    }
    let conn = Connection::open(path).map_err(|e| SinkError::Open(format!("{}: {e}", path.display())))?;
    // The busy timeout first: switching to WAL needs a moment of exclusive
    // access when another process opens the same new file.
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The writer touches index pages all over the file (item ids are
    // hashes): keep them in memory rather than reading them back with a
    // system call each (64 MiB page cache, the file mapped), and checkpoint
    // the WAL every 32 MiB rather than 4 MiB, so a hot page is written back
    // once per checkpoint instead of eight times.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "mmap_size", 268_435_456)?;
    conn.pragma_update(None, "wal_autocheckpoint", 8_192)?;
    Ok(conn)
}

/// Apply pending migrations. Each runs in an IMMEDIATE transaction that
/// re-reads the version, so two processes opening a new file together
/// migrate once.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), SinkError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    for (version, sql, _) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
        if *version <= current {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, ts(&Utc::now())],
        )?;
        tx.commit()?;
        info!(version, "sqlite migration applied");
    }
    Ok(())
}

/// Open and migrate. Two processes creating one new file together can get
/// SQLITE_BUSY without the busy handler (switching to WAL, or a read
/// snapshot that cannot become a write): retry for a few seconds, since
/// migrations re-read the version and apply once.
fn open_migrated(path: &Path) -> Result<Connection, SinkError> {
    let mut attempt = 0;
    loop {
        let result = open_conn(path).and_then(|mut conn| migrate(&mut conn).map(|()| conn));
        match result {
            Err(SinkError::Sqlite(e))
                if attempt < 50 && e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) =>
            {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

fn upsert_sql() -> String {
    let cols = UPSERT_COLUMNS.join(", ");
    let marks = (1..=UPSERT_COLUMNS.len() + 3).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    format!(
        "INSERT INTO articles ({cols}, stored_at, updated_at, search_seq) VALUES ({marks})
         ON CONFLICT(id) DO UPDATE SET {}, search_seq = excluded.search_seq RETURNING rowid",
        update_set()
    )
}

fn classify(e: rusqlite::Error) -> WriteError {
    match e.sqlite_error_code() {
        Some(
            rusqlite::ErrorCode::DatabaseBusy
            | rusqlite::ErrorCode::DatabaseLocked
            | rusqlite::ErrorCode::DiskFull
            | rusqlite::ErrorCode::CannotOpen
            | rusqlite::ErrorCode::SystemIoFailure,
        ) => WriteError::Unavailable(e.to_string()),
        _ => WriteError::Rejected(e.to_string()),
    }
}

/// Recompute a story's row from its articles (idempotent).
const STORY_SQL: &str = "INSERT INTO stories (id, title, language, articles, sources, first_seen, last_seen)
     SELECT ?1,
            (SELECT title FROM articles WHERE story_id = ?1 ORDER BY id = ?1 DESC, stored_at, id LIMIT 1),
            (SELECT language FROM articles WHERE story_id = ?1 ORDER BY id = ?1 DESC, stored_at, id LIMIT 1),
            COUNT(*), COUNT(DISTINCT source), MIN(stored_at), MAX(stored_at)
     FROM articles WHERE story_id = ?1 HAVING COUNT(*) > 0
     ON CONFLICT(id) DO UPDATE SET title = excluded.title, language = excluded.language,
         articles = excluded.articles, sources = excluded.sources,
         first_seen = excluded.first_seen, last_seen = excluded.last_seen";

/// Count a newly stored article for its source.
const SOURCE_SQL: &str = "INSERT INTO sources (id, site_name, articles, first_article_at, last_article_at)
     VALUES (?1, ?2, 1, ?3, ?3)
     ON CONFLICT(id) DO UPDATE SET articles = articles + 1, last_article_at = excluded.last_article_at,
         site_name = COALESCE(excluded.site_name, sources.site_name)";

fn row_values(r: &ArticleRow, now: &str, seq: i64) -> Vec<Option<String>> {
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    vec![
        Some(r.id.clone()),
        Some(r.url.clone()),
        Some(r.canonical_url.clone()),
        r.title.clone(),
        Some(r.text.clone()),
        r.language.clone(),
        r.published_at.as_ref().map(ts),
        Some(r.source.clone()),
        Some(json(&r.authors)),
        r.description.clone(),
        r.site_name.clone(),
        r.top_image.clone(),
        Some(r.content_hash.clone()),
        Some(r.word_count.to_string()),
        Some(r.trace_id.clone()),
        r.fetched_at.as_ref().map(ts),
        r.story_id.clone(),
        r.duplicate_of.clone(),
        r.duplicate_kind.clone(),
        r.direction.clone(),
        Some(json(&r.dates_mentioned)),
        Some(now.to_owned()),
        Some(now.to_owned()),
        Some(seq.to_string()),
    ]
}

/// Upsert `rows` with their entities, story and source counts, in one
/// transaction; returns where each row is, for its search entry (written
/// by the indexer, sqlite_fts.rs).
fn write_rows(conn: &mut Connection, sql: &str, rows: &[&ArticleRow]) -> Result<Vec<Entry>, WriteError> {
    let now = ts(&Utc::now());
    // IMMEDIATE: the transaction reads before it writes, and a deferred one
    // could not wait for the write lock (SQLITE_BUSY at once).
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(classify)?;
    let mut stories: BTreeSet<String> = BTreeSet::new();
    let mut entries = Vec::with_capacity(rows.len());
    let mut seq = sqlite_fts::top_seq(&tx).map_err(classify)?;
    {
        let mut before = tx.prepare_cached("SELECT story_id FROM articles WHERE id = ?1").map_err(classify)?;
        let mut upsert = tx.prepare_cached(sql).map_err(classify)?;
        let mut drop_entities = tx.prepare_cached("DELETE FROM entities WHERE item_id = ?1").map_err(classify)?;
        let mut entity = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO entities (item_id, kind, key, surface, mentions) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(classify)?;
        let mut source = tx.prepare_cached(SOURCE_SQL).map_err(classify)?;
        for r in rows {
            let earlier: Option<Option<String>> =
                before.query_row([&r.id], |row| row.get(0)).optional().map_err(classify)?;
            seq += 1;
            let rowid: i64 =
                upsert.query_row(params_from_iter(row_values(r, &now, seq)), |row| row.get(0)).map_err(classify)?;
            entries.push(Entry { rowid, seq });
            drop_entities.execute([&r.id]).map_err(classify)?;
            for e in &r.entities {
                entity.execute(rusqlite::params![r.id, e.kind, e.key, e.surface, e.mentions]).map_err(classify)?;
            }
            match earlier {
                None => {
                    source.execute(rusqlite::params![r.source, r.site_name, now]).map_err(classify)?;
                }
                Some(old) => stories.extend(old),
            }
            stories.extend(r.story_id.clone());
        }
        let mut story = tx.prepare_cached(STORY_SQL).map_err(classify)?;
        let mut drop_story = tx
            .prepare_cached(
                "DELETE FROM stories WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM articles WHERE story_id = ?1)",
            )
            .map_err(classify)?;
        for id in &stories {
            story.execute([id]).map_err(classify)?;
            drop_story.execute([id]).map_err(classify)?;
        }
    }
    tx.commit().map_err(classify)?;
    Ok(entries)
}

/// Hand committed rows to the indexer, which replies to their jobs.
fn forward(index: &SyncSender<Committed>, committed: Committed) {
    if let Err(SendError(committed)) = index.send(committed) {
        let err = WriteError::Unavailable("the search indexer stopped".into());
        committed.jobs.into_iter().for_each(|j| reply(j, Err(err.clone())));
    }
}

fn writer_loop(mut conn: Connection, mut rx: mpsc::Receiver<Job>, index: SyncSender<Committed>) {
    let sql = upsert_sql();
    while let Some(first) = rx.blocking_recv() {
        let jobs = fill(first, &mut rx);
        let rows: Vec<&ArticleRow> = jobs.iter().map(|j| &j.row).collect();
        let started = std::time::Instant::now();
        let result = write_rows(&mut conn, &sql, &rows);
        crate::store::record_batch("sqlite", rows.len(), started.elapsed());
        let failed = result.as_ref().map(|_| ()).map_err(Clone::clone);
        if isolate(&jobs, &failed) {
            let mut committed = Committed { jobs: Vec::new(), entries: Vec::new() };
            for job in jobs {
                match write_rows(&mut conn, &sql, &[&job.row]) {
                    Ok(entries) => {
                        committed.entries.extend(entries);
                        committed.jobs.push(job);
                    }
                    Err(e) => reply(job, Err(e)),
                }
            }
            forward(&index, committed);
            continue;
        }
        match result {
            Ok(entries) => forward(&index, Committed { jobs, entries }),
            Err(e) => {
                error!(error = %e, rows = jobs.len(), "sqlite batch failed");
                jobs.into_iter().for_each(|j| reply(j, Err(e.clone())));
            }
        }
    }
}

/// Opened SQLite store: a writer thread plus the path for readers.
pub struct SqliteStore {
    pub(crate) batcher: Batcher,
    pub(crate) path: PathBuf,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, SinkError> {
        let conn = open_migrated(path)?;
        let index = sqlite_fts::open(path)?;
        let reader = open_conn(path)?;
        let (batcher, rx) = Batcher::channel();
        let (index_tx, index_rx) = sqlite_fts::channel();
        let spawn_err = |e: std::io::Error| SinkError::Open(e.to_string());
        std::thread::Builder::new()
            .name("sqlite-indexer".into())
            .spawn(move || sqlite_fts::indexer_loop(index, reader, index_rx))
            .map_err(spawn_err)?;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, index_tx))
            .map_err(spawn_err)?;
        Ok(Self { batcher, path: path.to_owned() })
    }

    /// Row count and the latest titles (for progress output and tests).
    pub fn summary(&self, latest: usize) -> Result<StoredSummary, SinkError> {
        let conn = open_conn(&self.path)?;
        summary(&conn, latest)
    }
}

pub(crate) fn summary(conn: &Connection, latest: usize) -> Result<StoredSummary, SinkError> {
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))?;
    let mut stmt = conn.prepare("SELECT COALESCE(title, url) FROM articles ORDER BY stored_at DESC, id LIMIT ?1")?;
    let titles = stmt.query_map([latest as i64], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(StoredSummary { count: count as u64, latest_titles: titles })
}
