//! SQLite reads. Timestamps are RFC 3339 UTC text with milliseconds (as the
//! writer stores them), so they compare correctly as text; cursors carry
//! that text unchanged.

use std::path::PathBuf;
use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params_from_iter};

use super::{
    Article, ArticleSummary, Counts, Cursor, EntityMention, Idle, QueryError, STORY_ARTICLES, SearchHit, SourceStats,
    Story, StoryView,
};

/// Read-only connections kept open between requests.
const IDLE_CONNECTIONS: usize = 4;

/// The summary columns (the excerpt is `EXCERPT_CHARS` = 280 characters).
const SUMMARY: &str = "a.id, a.url, a.title, a.language, a.direction, a.source, a.site_name, a.published_at,
     a.stored_at, a.story_id, a.duplicate_of, substr(COALESCE(NULLIF(a.description, ''), a.text), 1, 280)";

#[derive(Clone)]
pub(super) struct Pool {
    path: Arc<PathBuf>,
    idle: Idle<Connection>,
}

impl Pool {
    pub fn new(path: PathBuf) -> Self {
        Self { path: Arc::new(path), idle: Idle::new() }
    }

    fn open(&self) -> Result<Connection, QueryError> {
        if !self.path.exists() {
            return Err(QueryError::Unavailable(format!("no database at {}", self.path.display())));
        }
        // Read-only: the web server can never write the store by mistake.
        // The file is in WAL mode (the writer set it), so these reads never
        // block the writer nor wait for it.
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&*self.path, flags)
            .map_err(|e| QueryError::Unavailable(format!("{}: {e}", self.path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The full-text index (its own file, see sqlite_fts.rs), created by
        // the sink when it opens the store.
        let attached = crate::sqlite_fts::attach(&conn, &self.path, true)
            .map_err(|e| QueryError::Unavailable(format!("search index of {}: {e}", self.path.display())))?;
        if !attached {
            return Err(QueryError::Unavailable(format!(
                "no search index beside {} yet: start the sink (newsflow run or newsflow sink) once",
                self.path.display()
            )));
        }
        Ok(conn)
    }

    /// Run `f` on an idle connection (or a new one); the connection goes
    /// back to the pool unless the database failed.
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T, QueryError>) -> Result<T, QueryError> {
        let conn = match self.idle.take() {
            Some(c) => c,
            None => self.open()?,
        };
        let result = f(&conn);
        if matches!(result, Ok(_) | Err(QueryError::BadRequest(_))) {
            self.idle.put(conn, IDLE_CONNECTIONS);
        }
        result
    }
}

/// Whitespace collapsed to single spaces (excerpts come from body text).
pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn summary(r: &Row) -> rusqlite::Result<ArticleSummary> {
    let id: String = r.get(0)?;
    let stored_at: String = r.get(8)?;
    Ok(ArticleSummary {
        cursor: Cursor { stored_at: stored_at.clone(), id: id.clone() }.encode(),
        id,
        url: r.get(1)?,
        title: r.get(2)?,
        language: r.get(3)?,
        direction: r.get(4)?,
        source: r.get(5)?,
        site_name: r.get(6)?,
        published_at: r.get(7)?,
        stored_at,
        story_id: r.get(9)?,
        duplicate_of: r.get(10)?,
        excerpt: collapse(&r.get::<_, String>(11)?),
    })
}

fn query_summaries(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<Vec<ArticleSummary>, QueryError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params_from_iter(params), summary)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn recent(
    conn: &Connection,
    before: Option<&Cursor>,
    source: Option<&str>,
    limit: usize,
) -> Result<Vec<ArticleSummary>, QueryError> {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(c) = before {
        // `stored_at <= ?` lets the index bound the scan; the OR breaks ties.
        clauses.push("a.stored_at <= ?1 AND (a.stored_at < ?1 OR a.id < ?2)");
        params.extend([Value::Text(c.stored_at.clone()), Value::Text(c.id.clone())]);
    }
    if let Some(s) = source {
        clauses.push(if before.is_some() { "a.source = ?3" } else { "a.source = ?1" });
        params.push(Value::Text(s.to_owned()));
    }
    let filter = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    params.push(Value::Integer(limit as i64));
    let n = params.len();
    let sql = format!("SELECT {SUMMARY} FROM articles a {filter} ORDER BY a.stored_at DESC, a.id DESC LIMIT ?{n}");
    query_summaries(conn, &sql, params)
}

pub(super) fn newer(
    conn: &Connection,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Vec<ArticleSummary>, QueryError> {
    match after {
        Some(c) => query_summaries(
            conn,
            &format!(
                "SELECT {SUMMARY} FROM articles a WHERE a.stored_at >= ?1 AND (a.stored_at > ?1 OR a.id > ?2)
                 ORDER BY a.stored_at, a.id LIMIT ?3"
            ),
            vec![Value::Text(c.stored_at.clone()), Value::Text(c.id.clone()), Value::Integer(limit as i64)],
        ),
        None => query_summaries(
            conn,
            &format!("SELECT {SUMMARY} FROM articles a ORDER BY a.stored_at, a.id LIMIT ?1"),
            vec![Value::Integer(limit as i64)],
        ),
    }
}

pub(super) fn ids_between(
    conn: &Connection,
    since: &str,
    upto: &Cursor,
    limit: usize,
) -> Result<Vec<Cursor>, QueryError> {
    let mut stmt = conn.prepare_cached(
        "SELECT stored_at, id FROM articles
         WHERE stored_at > ?1 AND stored_at <= ?2 AND (stored_at < ?2 OR id <= ?3)
         ORDER BY stored_at DESC, id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(rusqlite::params![since, upto.stored_at, upto.id, limit as i64], |r| {
        Ok(Cursor { stored_at: r.get(0)?, id: r.get(1)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn summaries(conn: &Connection, ids: &[String]) -> Result<Vec<ArticleSummary>, QueryError> {
    let marks = (1..=ids.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT {SUMMARY} FROM articles a WHERE a.id IN ({marks}) ORDER BY a.stored_at, a.id");
    query_summaries(conn, &sql, ids.iter().map(|i| Value::Text(i.clone())).collect())
}

fn json(text: Option<String>) -> serde_json::Value {
    text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_else(|| serde_json::Value::Array(Vec::new()))
}

pub(super) fn article(conn: &Connection, id: &str) -> Result<Option<Article>, QueryError> {
    let sql = format!(
        "SELECT {SUMMARY}, a.canonical_url, a.text, a.description, a.authors, a.top_image, a.word_count,
                a.duplicate_kind, a.dates_mentioned, a.fetched_at, a.updated_at
         FROM articles a WHERE a.id = ?1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let found = stmt
        .query_row([id], |r| {
            Ok(Article {
                summary: summary(r)?,
                canonical_url: r.get(12)?,
                text: r.get(13)?,
                description: r.get(14)?,
                authors: json(r.get(15)?),
                top_image: r.get(16)?,
                word_count: r.get(17)?,
                duplicate_kind: r.get(18)?,
                dates_mentioned: json(r.get(19)?),
                fetched_at: r.get(20)?,
                updated_at: r.get(21)?,
                entities: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut article) = found else { return Ok(None) };
    let mut stmt = conn.prepare_cached(
        "SELECT kind, key, surface, mentions FROM entities WHERE item_id = ?1 ORDER BY mentions DESC, key LIMIT 100",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(EntityMention { kind: r.get(0)?, key: r.get(1)?, surface: r.get(2)?, mentions: r.get(3)? })
    })?;
    article.entities = rows.collect::<Result<_, _>>()?;
    Ok(Some(article))
}

pub(super) fn search(
    conn: &Connection,
    expr: &str,
    language: Option<&str>,
    source: Option<&str>,
    limit: usize,
) -> Result<Vec<SearchHit>, QueryError> {
    let mut params = vec![Value::Text(expr.to_owned())];
    let mut filter = String::new();
    for (column, value) in [("language", language), ("source", source)] {
        if let Some(v) = value {
            params.push(Value::Text(v.to_owned()));
            filter.push_str(&format!(" AND a.{column} = ?{}", params.len()));
        }
    }
    params.push(Value::Integer(limit as i64));
    let n = params.len();
    // bm25 is lower-is-better; a title match weighs five body matches
    // (PostgreSQL ranks title words with weight A likewise).
    let sql = if filter.is_empty() {
        // Rank inside the index alone and read only the winners' rows: a
        // common word matches most of the store, and joining every match
        // to `articles` would read it all. Ties go to the newer rowid
        // (rows are appended as they are stored).
        format!(
            "WITH hits AS (
                 SELECT rowid AS hit, bm25(articles_fts, 5.0, 1.0) AS score FROM articles_fts
                 WHERE articles_fts MATCH ?1 ORDER BY score, rowid DESC LIMIT ?{n})
             SELECT {SUMMARY}, hits.score FROM hits JOIN articles a ON a.rowid = hits.hit
             ORDER BY hits.score, a.stored_at DESC, a.id DESC"
        )
    } else {
        format!(
            "SELECT {SUMMARY}, bm25(articles_fts, 5.0, 1.0) AS score
             FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
             WHERE articles_fts MATCH ?1{filter}
             ORDER BY score, a.stored_at DESC, a.id DESC LIMIT ?{n}"
        )
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params), |r| {
        Ok(SearchHit { article: summary(r)?, score: -r.get::<_, f64>(12)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn story_row(r: &Row) -> rusqlite::Result<Story> {
    Ok(Story {
        id: r.get(0)?,
        title: r.get(1)?,
        language: r.get(2)?,
        articles: r.get(3)?,
        sources: r.get(4)?,
        first_seen: r.get(5)?,
        last_seen: r.get(6)?,
    })
}

pub(super) fn stories(conn: &Connection, limit: usize) -> Result<Vec<Story>, QueryError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, language, articles, sources, first_seen, last_seen FROM stories
         ORDER BY last_seen DESC, id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], story_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn story(conn: &Connection, id: &str) -> Result<Option<StoryView>, QueryError> {
    let articles = query_summaries(
        conn,
        &format!(
            "SELECT {SUMMARY} FROM articles a WHERE a.story_id = ?1
             ORDER BY COALESCE(a.published_at, a.stored_at), a.stored_at, a.id LIMIT ?2"
        ),
        vec![Value::Text(id.to_owned()), Value::Integer(STORY_ARTICLES as i64)],
    )?;
    if articles.is_empty() {
        return Ok(None);
    }
    let stored = conn
        .prepare_cached(
            "SELECT id, title, language, articles, sources, first_seen, last_seen FROM stories WHERE id = ?1",
        )?
        .query_row([id], story_row)
        .optional()?;
    let story = stored.unwrap_or_else(|| super::story_from_articles(id, &articles));
    Ok(Some(StoryView { story, articles }))
}

pub(super) fn sources(conn: &Connection) -> Result<Vec<SourceStats>, QueryError> {
    let map = |r: &Row| {
        Ok(SourceStats {
            id: r.get(0)?,
            site_name: r.get(1)?,
            articles: r.get(2)?,
            first_article_at: r.get(3)?,
            last_article_at: r.get(4)?,
        })
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, site_name, articles, first_article_at, last_article_at FROM sources
         ORDER BY last_article_at DESC, id",
    )?;
    let listed: Vec<SourceStats> = stmt.query_map([], map)?.collect::<Result<_, _>>()?;
    if !listed.is_empty() {
        return Ok(listed);
    }
    // A store written before the sources table was kept: count directly.
    let mut stmt = conn.prepare_cached(
        "SELECT source, MAX(site_name), COUNT(*), MIN(stored_at), MAX(stored_at) FROM articles
         GROUP BY source ORDER BY MAX(stored_at) DESC, source",
    )?;
    let counted = stmt.query_map([], map)?.collect::<Result<_, _>>()?;
    Ok(counted)
}

pub(super) fn counts(conn: &Connection) -> Result<Counts, QueryError> {
    Ok(conn.query_row(
        "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM stories), (SELECT COUNT(*) FROM sources)",
        [],
        |r| Ok(Counts { articles: r.get(0)?, stories: r.get(1)?, sources: r.get(2)? }),
    )?)
}
