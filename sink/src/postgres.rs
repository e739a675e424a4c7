//! The PostgreSQL store (production): two writer tasks with group commit,
//! each batch a single `INSERT … SELECT FROM UNNEST(…) ON CONFLICT (id) DO
//! UPDATE`. Reconnects with the next batch after the server went away;
//! the rows of a failed batch are reported unavailable and retried by the
//! stage, so nothing is lost while the database is down.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, mpsc};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};
use tracing::{error, info, warn};

use crate::batch::{Batcher, Job, WriteError, fill, isolate, reply};
use crate::pg_tsvector::TsVector;
use crate::schema::{MIGRATIONS, UPSERT_COLUMNS, update_set};
use crate::{ArticleRow, SinkError, StoredSummary};

/// Connect, spawning the connection driver.
pub(crate) async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    // A server that silently drops packets must fail the write (and be
    // retried), not hang it.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    config.keepalives_idle(std::time::Duration::from_secs(30));
    if config.get_options().is_none() {
        config.options("-c statement_timeout=60000");
    }
    let (client, conn) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            warn!(error = %e, "postgres connection closed");
        }
    });
    Ok(client)
}

/// Apply pending migrations under an advisory lock, so several sink
/// instances starting together migrate once.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), SinkError> {
    const LOCK: i64 = 0x6e65_7773_666c_6f77; // "newsflow"
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK]).await?;
    let result = async {
        client
            .batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
            .await?;
        let current: i64 = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])
            .await?
            .get(0);
        for (version, _, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            let tx = client.transaction().await?;
            tx.batch_execute(sql).await?;
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", &[version]).await?;
            tx.commit().await?;
            info!(version, "postgres migration applied");
        }
        Ok::<_, tokio_postgres::Error>(())
    }
    .await;
    client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK]).await?;
    Ok(result?)
}

fn upsert_sql() -> String {
    let cols = UPSERT_COLUMNS.join(", ");
    // Array type of each column, derived from the column so the two lists
    // cannot drift apart.
    let pg_type = |c: &str| match c {
        "published_at" | "fetched_at" => "timestamptz",
        "word_count" => "int8",
        _ => "text",
    };
    let n = UPSERT_COLUMNS.len();
    let arrays = UPSERT_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}[]", i + 1, pg_type(c)))
        .chain([format!("${}::tsvector[]", n + 1)])
        .collect::<Vec<_>>()
        .join(", ");
    let select = UPSERT_COLUMNS
        .iter()
        .map(|c| match *c {
            "authors" | "dates_mentioned" => format!("u.{c}::jsonb"),
            _ => format!("u.{c}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO articles ({cols}, search, stored_at, updated_at)
         SELECT {select}, u.search, now(), now()
         FROM UNNEST({arrays}) AS u({cols}, search)
         ON CONFLICT (id) DO UPDATE SET {}, search = excluded.search
         RETURNING id, (xmax = 0) AS inserted",
        update_set()
    )
}

/// Recompute the rows of the stories in `$1` from their articles.
const STORIES_SQL: &str = "INSERT INTO stories (id, title, language, articles, sources, first_seen, last_seen)
     SELECT a.story_id,
            (array_agg(a.title ORDER BY a.id = a.story_id DESC, a.stored_at, a.id))[1],
            (array_agg(a.language ORDER BY a.id = a.story_id DESC, a.stored_at, a.id))[1],
            COUNT(*), COUNT(DISTINCT a.source), MIN(a.stored_at), MAX(a.stored_at)
     FROM articles a WHERE a.story_id = ANY($1) GROUP BY a.story_id ORDER BY a.story_id
     ON CONFLICT (id) DO UPDATE SET title = excluded.title, language = excluded.language,
         articles = excluded.articles, sources = excluded.sources,
         first_seen = excluded.first_seen, last_seen = excluded.last_seen";

/// Count newly stored articles per source (`$1` sources, `$2` site names).
const SOURCES_SQL: &str = "INSERT INTO sources (id, site_name, articles, first_article_at, last_article_at)
     SELECT u.id, MAX(u.site_name), COUNT(*), now(), now() FROM UNNEST($1::text[], $2::text[]) AS u(id, site_name)
     GROUP BY u.id ORDER BY u.id
     ON CONFLICT (id) DO UPDATE SET articles = sources.articles + excluded.articles,
         last_article_at = excluded.last_article_at,
         site_name = COALESCE(excluded.site_name, sources.site_name)";

const ENTITIES_SQL: &str = "INSERT INTO entities (item_id, kind, key, surface, mentions)
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[])
     ON CONFLICT DO NOTHING";

/// Whether a PostgreSQL error is worth retrying (connection, resources,
/// shutdown, serialization, deadlock) or final, with the server's words.
pub(crate) fn classify(e: &tokio_postgres::Error) -> WriteError {
    let unavailable = e.is_closed()
        || e.code().is_none()
        || e.code().is_some_and(|c| {
            let s = c.code();
            s.starts_with("08")
                || s.starts_with("53")
                || s.starts_with("57")
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
        });
    // tokio-postgres displays a server error as just "db error": say what
    // the server said.
    let text = match e.as_db_error() {
        Some(db) => format!(
            "{} ({}){}",
            db.message(),
            db.code().code(),
            db.detail().map(|d| format!(": {d}")).unwrap_or_default()
        ),
        None => e.to_string(),
    };
    if unavailable { WriteError::Unavailable(text) } else { WriteError::Rejected(text) }
}

async fn write_rows(client: &mut Client, sql: &str, rows: &[&ArticleRow]) -> Result<(), WriteError> {
    // One statement cannot update the same row twice: keep the last copy.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        last.insert(&r.id, i);
    }
    let mut rows: Vec<&ArticleRow> =
        rows.iter().enumerate().filter(|(i, r)| last[r.id.as_str()] == *i).map(|(_, r)| *r).collect();
    // Rows locked in one order by every writer: concurrent batches wait for
    // each other instead of deadlocking (a deadlock would still only retry).
    rows.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let text = |f: &dyn Fn(&ArticleRow) -> Option<String>| rows.iter().map(|r| f(r)).collect::<Vec<Option<String>>>();
    let json = |v: &[String]| Some(serde_json::to_string(v).unwrap_or_else(|_| "[]".into()));
    let ids = text(&|r| Some(r.id.clone()));
    let urls = text(&|r| Some(r.url.clone()));
    let canon = text(&|r| Some(r.canonical_url.clone()));
    let titles = text(&|r| r.title.clone());
    let texts = text(&|r| Some(r.text.clone()));
    let langs = text(&|r| r.language.clone());
    let published: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.published_at).collect();
    let sources = text(&|r| Some(r.source.clone()));
    let authors = text(&|r| json(&r.authors));
    let descs = text(&|r| r.description.clone());
    let sites = text(&|r| r.site_name.clone());
    let images = text(&|r| r.top_image.clone());
    let hashes = text(&|r| Some(r.content_hash.clone()));
    let words: Vec<i64> = rows.iter().map(|r| r.word_count).collect();
    let traces = text(&|r| Some(r.trace_id.clone()));
    let fetched: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.fetched_at).collect();
    let story_ids = text(&|r| r.story_id.clone());
    let dup_of = text(&|r| r.duplicate_of.clone());
    let dup_kind = text(&|r| r.duplicate_kind.clone());
    let dirs = text(&|r| r.direction.clone());
    let dates = text(&|r| json(&r.dates_mentioned));
    let searches: Vec<TsVector> = rows.iter().map(|r| TsVector::new(&r.search_title, &r.search_body)).collect();
    let fail = |e: tokio_postgres::Error| classify(&e);

    let tx = client.transaction().await.map_err(fail)?;
    // Every statement below looks rows up by key. The planner can only pick
    // the index once the tables have been analyzed: on a new database (no
    // statistics yet, autovacuum has not run) it takes a table that grows by
    // thousands of rows a second for empty and scans it, once per
    // statement, and the sink slows down as the table grows (the sink bench:
    // 3,400 articles/s over 20,000 rows, 1,000/s over 40,000).
    tx.batch_execute("SET LOCAL enable_seqscan = off").await.map_err(fail)?;
    // Story ids before this write, so a story an article leaves is recounted.
    let mut stories: BTreeSet<String> = tx
        .query("SELECT story_id FROM articles WHERE id = ANY($1) AND story_id IS NOT NULL", &[&ids])
        .await
        .map_err(fail)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    stories.extend(rows.iter().filter_map(|r| r.story_id.clone()));
    let upserted = tx
        .query(
            sql,
            &[
                &ids, &urls, &canon, &titles, &texts, &langs, &published, &sources, &authors, &descs, &sites, &images,
                &hashes, &words, &traces, &fetched, &story_ids, &dup_of, &dup_kind, &dirs, &dates, &searches,
            ],
        )
        .await
        .map_err(fail)?;
    let inserted: HashSet<String> =
        upserted.iter().filter(|r| r.get::<_, bool>(1)).map(|r| r.get::<_, String>(0)).collect();

    tx.execute("DELETE FROM entities WHERE item_id = ANY($1)", &[&ids]).await.map_err(fail)?;
    let mut e_ids = Vec::new();
    let mut e_kinds = Vec::new();
    let mut e_keys = Vec::new();
    let mut e_surfaces = Vec::new();
    let mut e_mentions: Vec<i64> = Vec::new();
    for r in &rows {
        for e in &r.entities {
            e_ids.push(r.id.clone());
            e_kinds.push(e.kind.clone());
            e_keys.push(e.key.clone());
            e_surfaces.push(e.surface.clone());
            e_mentions.push(e.mentions);
        }
    }
    if !e_ids.is_empty() {
        tx.execute(ENTITIES_SQL, &[&e_ids, &e_kinds, &e_keys, &e_surfaces, &e_mentions]).await.map_err(fail)?;
    }
    let new_rows: Vec<&&ArticleRow> = rows.iter().filter(|r| inserted.contains(&r.id)).collect();
    if !new_rows.is_empty() {
        let src: Vec<String> = new_rows.iter().map(|r| r.source.clone()).collect();
        let site: Vec<Option<String>> = new_rows.iter().map(|r| r.site_name.clone()).collect();
        tx.execute(SOURCES_SQL, &[&src, &site]).await.map_err(fail)?;
    }
    if !stories.is_empty() {
        let stories: Vec<String> = stories.into_iter().collect();
        tx.execute(STORIES_SQL, &[&stories]).await.map_err(fail)?;
        tx.execute(
            "DELETE FROM stories s WHERE s.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id)",
            &[&stories],
        )
        .await
        .map_err(fail)?;
    }
    tx.commit().await.map_err(fail)
}

/// Writers per store: each its own connection and transaction, taking
/// turns at the queue, so the server works on two batches at once (one
/// backend is one core).
const WRITERS: usize = 2;

async fn writer_loop(url: String, rx: Arc<Mutex<mpsc::Receiver<Job>>>, mut client: Option<Client>) {
    let sql = upsert_sql();
    loop {
        let jobs = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { break };
            fill(first, &mut rx)
        };
        if client.as_ref().is_none_or(Client::is_closed) {
            client = match connect(&url).await {
                Ok(c) => Some(c),
                Err(e) => {
                    warn!(error = %e, "postgres unreachable");
                    let err = WriteError::Unavailable(e.to_string());
                    jobs.into_iter().for_each(|j| reply(j, Err(err.clone())));
                    continue;
                }
            };
        }
        let Some(c) = client.as_mut() else { continue };
        let rows: Vec<&ArticleRow> = jobs.iter().map(|j| &j.row).collect();
        let started = std::time::Instant::now();
        let result = write_rows(c, &sql, &rows).await;
        crate::store::record_batch("postgres", rows.len(), started.elapsed());
        if isolate(&jobs, &result) {
            for job in jobs {
                let r = write_rows(c, &sql, &[&job.row]).await;
                reply(job, r);
            }
            continue;
        }
        if let Err(e) = &result {
            error!(error = %e, rows = jobs.len(), "postgres batch failed");
            if matches!(e, WriteError::Unavailable(_)) {
                client = None;
            }
        }
        jobs.into_iter().for_each(|j| reply(j, result.clone()));
    }
}

/// Opened PostgreSQL store.
pub struct PgStore {
    pub(crate) batcher: Batcher,
    url: String,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, SinkError> {
        let mut client = connect(url).await.map_err(|e| SinkError::Open(format!("postgres {}: {e}", redact(url))))?;
        migrate(&mut client).await?;
        let (batcher, rx) = Batcher::channel();
        let rx = Arc::new(Mutex::new(rx));
        let mut first = Some(client);
        for _ in 0..WRITERS {
            tokio::spawn(writer_loop(url.to_owned(), rx.clone(), first.take()));
        }
        Ok(Self { batcher, url: url.to_owned() })
    }

    /// The database URL (other parts of the sink open their own connections).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub async fn summary(&self, latest: usize) -> Result<StoredSummary, SinkError> {
        let client = connect(&self.url).await?;
        let count: i64 = client.query_one("SELECT COUNT(*) FROM articles", &[]).await?.get(0);
        let titles = client
            .query(
                "SELECT COALESCE(title, url) FROM articles ORDER BY stored_at DESC, id LIMIT $1",
                &[&(latest as i64)],
            )
            .await?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        Ok(StoredSummary { count: count as u64, latest_titles: titles })
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
