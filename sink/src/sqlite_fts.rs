//! SQLite's full-text index, in a database file of its own (`PATH-fts`
//! beside `PATH`) with a thread of its own.
//!
//! Why a second file: indexing an article's words costs several times what
//! the rest of its write does, and SQLite has one writer per file. In a
//! file of its own the index is written by a second thread while the main
//! writer commits the next batch, so the two halves of the work run on two
//! cores. Readers attach the file as `search`; the table keeps its name
//! (`articles_fts`), so queries name it as before.
//!
//! Acknowledgement: a row is acknowledged (its offset may move) only after
//! both commits, the article's and then its index entry's, so a stored
//! article is also a searchable one. Between the two commits a crash
//! leaves an article without its entry; its message is redelivered (it was
//! not acknowledged) and rewritten. Recovery does not rely on that alone:
//! every upsert gives the row the next `search_seq` (in the main
//! transaction, under SQLite's write lock, so sequence order is commit
//! order) and the index records the highest sequence it holds; at start the
//! indexer first indexes every row above that mark, recomputing the search
//! form from the stored title and text. That also builds the index of a
//! store migrated from schema 2, whose index lived in the main file.
//!
//! The tokenizer is FTS5's `ascii`: the search form
//! ([`newsflow_enrich::search::search_form`]) is already the tokenization
//! (letters and digits, words separated by one space, case folded), and
//! `ascii` splits on that space while passing every non-ASCII byte through
//! as part of a word, at half the cost of `unicode61`'s tables on Arabic.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::time::Duration;

use newsflow_enrich::search::search_form;
use rusqlite::Connection;
use tracing::{error, info};

use crate::SinkError;
use crate::batch::{Job, MAX_BATCH, WriteError, reply};

/// The index file of the store at `path`.
pub fn index_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-fts");
    PathBuf::from(name)
}

const SCHEMA: &str = "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
         title, body, content='', contentless_delete=1, tokenize='ascii');
     CREATE TABLE IF NOT EXISTS fts_state (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         indexed_seq INTEGER NOT NULL);
     INSERT OR IGNORE INTO fts_state (id, indexed_seq) VALUES (1, 0);";

const INSERT: &str = "INSERT OR REPLACE INTO articles_fts (rowid, title, body) VALUES (?1, ?2, ?3)";
const MARK: &str = "UPDATE fts_state SET indexed_seq = MAX(indexed_seq, ?1)";

/// Open the index file, creating its tables.
pub(crate) fn open(path: &Path) -> Result<Connection, SinkError> {
    let conn = crate::sqlite::open_conn(&index_path(path))?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Attach the index to a connection on the main file, as `search` (read
/// only when `read_only`). Missing index file: nothing to attach, searches
/// then fail with "no such table" until the sink has created it.
pub fn attach(conn: &Connection, path: &Path, read_only: bool) -> rusqlite::Result<bool> {
    let index = index_path(path);
    if !index.exists() {
        return Ok(false);
    }
    let mode = if read_only { "?mode=ro" } else { "" };
    let uri = format!("file:{}{mode}", uri_path(&index));
    conn.execute("ATTACH DATABASE ?1 AS search", [uri])?;
    Ok(true)
}

/// A path as the path part of an SQLite `file:` URI.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.to_string_lossy().bytes() {
        match b {
            b'?' | b'#' | b'%' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

/// One committed row waiting for its index entry.
pub(crate) struct Entry {
    pub rowid: i64,
    pub seq: i64,
}

/// A committed batch: its jobs (replied to once indexed) and their rows'
/// places in the main file, in the same order.
pub(crate) struct Committed {
    pub jobs: Vec<Job>,
    pub entries: Vec<Entry>,
}

/// The indexer's queue: a few batches, so a slow index holds the main
/// writer back instead of piling up rows.
pub(crate) fn channel() -> (SyncSender<Committed>, Receiver<Committed>) {
    std::sync::mpsc::sync_channel(4)
}

/// The indexer thread: first the rows the index does not hold yet (after
/// a crash, or a store migrated from schema 2), then each committed batch,
/// replying to its jobs once its entries are committed.
pub(crate) fn indexer_loop(mut index: Connection, main: Connection, rx: Receiver<Committed>) {
    if let Err(e) = catch_up(&mut index, &main) {
        error!(error = %e, "sqlite search index: catching up failed; rows stored before now may be unsearchable");
    }
    drop(main);
    while let Ok(first) = rx.recv() {
        let mut batches = vec![first];
        let mut rows = batches[0].entries.len();
        while rows < MAX_BATCH {
            match rx.try_recv() {
                Ok(b) => {
                    rows += b.entries.len();
                    batches.push(b);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let result = write_entries(&mut index, &batches);
        if let Err(e) = &result {
            error!(error = %e, rows, "sqlite search index batch failed");
        }
        for batch in batches {
            batch.jobs.into_iter().for_each(|j| reply(j, result.clone()));
        }
    }
}

fn write_entries(index: &mut Connection, batches: &[Committed]) -> Result<(), WriteError> {
    let fail = |e: rusqlite::Error| WriteError::Unavailable(format!("search index: {e}"));
    let tx = index.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(fail)?;
    let mut top = 0;
    {
        let mut insert = tx.prepare_cached(INSERT).map_err(fail)?;
        for batch in batches {
            for (job, entry) in batch.jobs.iter().zip(&batch.entries) {
                insert
                    .execute(rusqlite::params![entry.rowid, job.row.search_title, job.row.search_body])
                    .map_err(fail)?;
                top = top.max(entry.seq);
            }
        }
    }
    tx.execute(MARK, [top]).map_err(fail)?;
    tx.commit().map_err(fail)
}

/// Rows per catch-up transaction.
const CATCH_UP_BATCH: i64 = 2_000;

/// Index every stored row above the index's mark.
fn catch_up(index: &mut Connection, main: &Connection) -> rusqlite::Result<()> {
    let mut mark: i64 = index.query_row("SELECT indexed_seq FROM fts_state", [], |r| r.get(0))?;
    let pending: i64 = main.query_row("SELECT COUNT(*) FROM articles WHERE search_seq > ?1", [mark], |r| r.get(0))?;
    if pending == 0 {
        return Ok(());
    }
    info!(rows = pending, "sqlite search index: indexing stored rows it does not hold yet");
    let started = std::time::Instant::now();
    let mut done = 0;
    let mut select = main.prepare(
        "SELECT rowid, search_seq, COALESCE(title, ''), text FROM articles
         WHERE search_seq > ?1 ORDER BY search_seq LIMIT ?2",
    )?;
    loop {
        let rows: Vec<(i64, i64, String, String)> = select
            .query_map([mark, CATCH_UP_BATCH], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let Some(last) = rows.last().map(|r| r.1) else { break };
        let tx = index.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(INSERT)?;
            for (rowid, _, title, text) in &rows {
                insert.execute(rusqlite::params![rowid, search_form(title), search_form(text)])?;
            }
        }
        tx.execute(MARK, [last])?;
        tx.commit()?;
        mark = last;
        done += rows.len();
        if started.elapsed() > Duration::from_secs(5) {
            info!(done, of = pending, "sqlite search index: catching up");
        }
    }
    info!(rows = done, took_ms = started.elapsed().as_millis() as u64, "sqlite search index caught up");
    Ok(())
}

/// The highest sequence in the main file (the next upsert takes the next).
pub(crate) fn top_seq(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<i64> {
    tx.query_row("SELECT MAX(search_seq) FROM articles", [], |r| r.get::<_, Option<i64>>(0)).map(|v| v.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArticleRow;
    use crate::schema::MIGRATIONS;
    use crate::sqlite::SqliteStore;

    fn row(id: &str, text: &str) -> ArticleRow {
        ArticleRow {
            id: id.into(),
            url: format!("https://example.com/{id}"),
            canonical_url: format!("https://example.com/{id}"),
            title: Some(format!("title {id}")),
            text: text.into(),
            source: "src".into(),
            content_hash: id.into(),
            trace_id: id.into(),
            search_title: search_form(&format!("title {id}")),
            search_body: search_form(text),
            ..Default::default()
        }
    }

    /// Item ids whose index entry matches `word` (in search form).
    fn hits(path: &Path, word: &str) -> Vec<String> {
        let conn = Connection::open(path).expect("open");
        assert!(attach(&conn, path, true).expect("attach"), "index file exists");
        let mut stmt = conn
            .prepare(
                "SELECT a.id FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
                 WHERE articles_fts MATCH ?1 ORDER BY a.id",
            )
            .expect("prepare");
        let form = search_form(word);
        stmt.query_map([format!("\"{form}\"")], |r| r.get(0)).expect("query").map(Result::unwrap).collect()
    }

    /// `hits` once the indexer has caught up (it runs in the background).
    fn eventually(path: &Path, word: &str, want: &[&str]) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = hits(path, word);
            if got == want || std::time::Instant::now() > deadline {
                assert_eq!(got, want, "hits for {word:?}");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[tokio::test]
    async fn an_acknowledged_row_is_already_searchable_and_a_rewrite_replaces_its_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("news.db");
        let store = SqliteStore::open(&path).unwrap();
        store.batcher.write(row("a", "والاجتماعُ في روما")).await.unwrap();
        store.batcher.write(row("b", "Markets rally in Tokyo")).await.unwrap();
        assert_eq!(hits(&path, "الاجتماع"), ["a"]);
        assert_eq!(hits(&path, "tokyo"), ["b"]);
        store.batcher.write(row("a", "نص جديد عن الطقس")).await.unwrap();
        assert!(hits(&path, "الاجتماع").is_empty(), "the old text of a is no longer indexed");
        assert_eq!(hits(&path, "الطقس"), ["a"]);
    }

    #[tokio::test]
    async fn a_lost_index_is_rebuilt_from_the_stored_articles_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("news.db");
        {
            let store = SqliteStore::open(&path).unwrap();
            for i in 0..5 {
                store.batcher.write(row(&format!("r{i}"), &format!("بيان التحالف رقم {i}"))).await.unwrap();
            }
        }
        // As if the process died between the two commits, for every row.
        std::fs::remove_file(index_path(&path)).unwrap();
        let _store = SqliteStore::open(&path).unwrap();
        eventually(&path, "التحالف", &["r0", "r1", "r2", "r3", "r4"]);
    }

    #[test]
    fn a_schema_2_store_gets_its_index_in_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = crate::sqlite::open_conn(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
            )
            .unwrap();
            for (version, sql, _) in &MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
                conn.execute("INSERT INTO schema_migrations VALUES (?1, 'then')", [version]).unwrap();
            }
            conn.execute(
                "INSERT INTO articles (id, url, canonical_url, title, text, source, stored_at, updated_at, content_hash)
                 VALUES ('old', 'u', 'u', 'عنوان', 'وبالاجتماع الأخير', 's', 'then', 'then', 'h')",
                [],
            )
            .unwrap();
        }
        let _store = SqliteStore::open(&path).unwrap();
        eventually(&path, "الاجتماع", &["old"]);
        let conn = Connection::open(&path).unwrap();
        let in_main: i64 =
            conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'articles_fts'", [], |r| r.get(0)).unwrap();
        assert_eq!(in_main, 0, "the old index left the main file");
    }
}
