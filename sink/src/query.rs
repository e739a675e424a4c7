//! The read side of the store: what the dashboard and the JSON API show.
//!
//! A [`Reader`] opens its own connections from the database URL, so it
//! works whether the sink writes in this process or in another one:
//! SQLite reads run on read-only connections (WAL lets them proceed while
//! the writer commits) inside `spawn_blocking`, PostgreSQL reads share one
//! pipelined client that is reconnected when the server went away.
//!
//! Lists are keyset-paginated on `(stored_at, id)`, newest first: a
//! [`Cursor`] is the last row's pair, and the next page is everything
//! strictly before it. Unlike OFFSET this costs the same on page 1 and
//! page 1,000 and never repeats or skips a row when new ones arrive.
//!
//! Search ([`search`]) translates the search box into FTS5 (SQLite) or a
//! tsquery (PostgreSQL) over the search form of title and text, ranked by
//! relevance, then recency.

mod pg;
pub mod search;
mod sqlite;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::store::DbUrl;

/// Largest page any list returns.
pub const MAX_LIMIT: usize = 200;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 50;
/// Longest excerpt of an article in lists (characters).
pub const EXCERPT_CHARS: usize = 280;
/// Most articles a story view lists.
pub const STORY_ARTICLES: usize = 500;

/// A requested page size, clamped to `1..=MAX_LIMIT`.
pub fn clamp_limit(limit: Option<usize>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The request itself is wrong (a bad cursor or query): a 400.
    #[error("{0}")]
    BadRequest(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
}

/// A position in the `(stored_at, id)` order; as text `STORED_AT~ID`
/// (opaque to clients: they hand back what they were given).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub stored_at: String,
    pub id: String,
}

impl Cursor {
    pub fn parse(s: &str) -> Result<Self, QueryError> {
        let bad = || QueryError::BadRequest(format!("invalid cursor {s:?}"));
        let (stored_at, id) = s.rsplit_once('~').ok_or_else(bad)?;
        if id.is_empty() || id.len() > 200 || DateTime::parse_from_rfc3339(stored_at).is_err() {
            return Err(bad());
        }
        Ok(Self { stored_at: stored_at.to_owned(), id: id.to_owned() })
    }

    pub fn encode(&self) -> String {
        format!("{}~{}", self.stored_at, self.id)
    }

    /// The stored time as an instant (PostgreSQL binds it as one).
    pub(crate) fn instant(&self) -> Result<DateTime<Utc>, QueryError> {
        DateTime::parse_from_rfc3339(&self.stored_at)
            .map(|d| d.to_utc())
            .map_err(|_| QueryError::BadRequest(format!("invalid cursor time {:?}", self.stored_at)))
    }
}

/// A PostgreSQL timestamp as the API shows it: RFC 3339 UTC with all six
/// fractional digits, so a cursor round-trips exactly and the strings of
/// one store compare in time order.
pub(crate) fn pg_time(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// An article in a list or the live stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleSummary {
    pub id: String,
    pub url: String,
    pub title: Option<String>,
    pub language: Option<String>,
    /// "rtl" or "ltr" when the extractor knew.
    pub direction: Option<String>,
    pub source: String,
    pub site_name: Option<String>,
    pub published_at: Option<String>,
    pub stored_at: String,
    pub story_id: Option<String>,
    pub duplicate_of: Option<String>,
    /// The description, or the start of the text.
    pub excerpt: String,
    /// This row's position, for `before=` / `after=`.
    pub cursor: String,
}

/// One article with everything stored about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    pub canonical_url: String,
    pub text: String,
    pub description: Option<String>,
    pub authors: serde_json::Value,
    pub top_image: Option<String>,
    pub word_count: i64,
    pub duplicate_kind: Option<String>,
    pub dates_mentioned: serde_json::Value,
    pub fetched_at: Option<String>,
    pub updated_at: String,
    pub entities: Vec<EntityMention>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityMention {
    pub kind: String,
    pub key: String,
    pub surface: String,
    pub mentions: i64,
}

/// A page of a list and the cursor of the next one (absent on the last).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// A search result: the article and its relevance (higher is better; only
/// comparable within one search).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    #[serde(flatten)]
    pub article: ArticleSummary,
    pub score: f64,
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    pub language: Option<String>,
    pub source: Option<String>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Story {
    pub id: String,
    pub title: Option<String>,
    pub language: Option<String>,
    pub articles: i64,
    pub sources: i64,
    pub first_seen: String,
    pub last_seen: String,
}

/// A story with its articles across sources, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryView {
    pub story: Story,
    pub articles: Vec<ArticleSummary>,
}

/// A source as the store sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceStats {
    pub id: String,
    pub site_name: Option<String>,
    pub articles: i64,
    pub first_article_at: Option<String>,
    pub last_article_at: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub articles: i64,
    pub stories: i64,
    pub sources: i64,
}

/// Reads the store at a database URL.
pub struct Reader {
    engine: Engine,
}

enum Engine {
    Sqlite(sqlite::Pool),
    Postgres(pg::Shared),
}

impl Reader {
    /// A reader for `url` (`sqlite:PATH` or `postgres://…`). Connects
    /// lazily: opening never fails on an unreachable server.
    pub fn open(url: &str) -> Result<Self, QueryError> {
        let engine = match DbUrl::parse(url).map_err(|e| QueryError::BadRequest(e.to_string()))? {
            DbUrl::Sqlite(path) => Engine::Sqlite(sqlite::Pool::new(path)),
            DbUrl::Postgres(url) => Engine::Postgres(pg::Shared::new(url)),
        };
        Ok(Self { engine })
    }

    /// Run `f` on a pooled SQLite connection on the blocking pool.
    async fn sqlite<T, F>(pool: &sqlite::Pool, f: F) -> Result<T, QueryError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, QueryError> + Send + 'static,
    {
        let pool = pool.clone();
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .map_err(|e| QueryError::Unavailable(format!("read task failed: {e}")))?
    }

    /// The newest articles, strictly before `before` when given.
    pub async fn recent(
        &self,
        before: Option<Cursor>,
        source: Option<String>,
        limit: usize,
    ) -> Result<Page<ArticleSummary>, QueryError> {
        let limit = limit.clamp(1, MAX_LIMIT);
        let items = match &self.engine {
            Engine::Sqlite(p) => {
                Self::sqlite(p, move |c| sqlite::recent(c, before.as_ref(), source.as_deref(), limit)).await?
            }
            Engine::Postgres(s) => pg::recent(&*s.client().await?, before.as_ref(), source.as_deref(), limit).await?,
        };
        let next = (items.len() == limit).then(|| items.last().map(|a| a.cursor.clone())).flatten();
        Ok(Page { items, next })
    }

    /// Articles strictly after `after` (all when `None`), oldest first: the
    /// live stream's poll.
    pub async fn newer(&self, after: Option<Cursor>, limit: usize) -> Result<Vec<ArticleSummary>, QueryError> {
        match &self.engine {
            Engine::Sqlite(p) => Self::sqlite(p, move |c| sqlite::newer(c, after.as_ref(), limit)).await,
            Engine::Postgres(s) => pg::newer(&*s.client().await?, after.as_ref(), limit).await,
        }
    }

    /// Ids (with their cursors) stored after `since` and at or before
    /// `upto`, newest first: what the live stream checks for rows that
    /// committed late.
    pub async fn ids_between(
        &self,
        since: DateTime<Utc>,
        upto: Cursor,
        limit: usize,
    ) -> Result<Vec<Cursor>, QueryError> {
        match &self.engine {
            Engine::Sqlite(p) => {
                let since = since.to_rfc3339_opts(SecondsFormat::Millis, true);
                Self::sqlite(p, move |c| sqlite::ids_between(c, &since, &upto, limit)).await
            }
            Engine::Postgres(s) => pg::ids_between(&*s.client().await?, since, &upto, limit).await,
        }
    }

    /// Summaries of the given articles (missing ids are left out).
    pub async fn summaries(&self, ids: Vec<String>) -> Result<Vec<ArticleSummary>, QueryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        match &self.engine {
            Engine::Sqlite(p) => Self::sqlite(p, move |c| sqlite::summaries(c, &ids)).await,
            Engine::Postgres(s) => pg::summaries(&*s.client().await?, &ids).await,
        }
    }

    /// The newest row's cursor (`None` when the store is empty).
    pub async fn latest(&self) -> Result<Option<Cursor>, QueryError> {
        let page = self.recent(None, None, 1).await?;
        page.items.first().map(|a| Cursor::parse(&a.cursor)).transpose()
    }

    /// One article, `None` when unknown.
    pub async fn article(&self, id: String) -> Result<Option<Article>, QueryError> {
        match &self.engine {
            Engine::Sqlite(p) => Self::sqlite(p, move |c| sqlite::article(c, &id)).await,
            Engine::Postgres(s) => pg::article(&*s.client().await?, &id).await,
        }
    }

    /// Full-text search: relevance, then recency.
    pub async fn search(&self, req: SearchRequest) -> Result<Vec<SearchHit>, QueryError> {
        let parsed = search::parse_query(&req.q)?;
        let limit = req.limit.clamp(1, MAX_LIMIT);
        match &self.engine {
            Engine::Sqlite(p) => {
                let expr = parsed.fts5();
                Self::sqlite(p, move |c| {
                    sqlite::search(c, &expr, req.language.as_deref(), req.source.as_deref(), limit)
                })
                .await
            }
            Engine::Postgres(s) => {
                let client = s.client().await?;
                pg::search(&client, &parsed.tsquery(), req.language.as_deref(), req.source.as_deref(), limit).await
            }
        }
    }

    /// The most recently active stories.
    pub async fn stories(&self, limit: usize) -> Result<Vec<Story>, QueryError> {
        let limit = limit.clamp(1, MAX_LIMIT);
        match &self.engine {
            Engine::Sqlite(p) => Self::sqlite(p, move |c| sqlite::stories(c, limit)).await,
            Engine::Postgres(s) => pg::stories(&*s.client().await?, limit).await,
        }
    }

    /// A story and its articles; `None` when no article belongs to it.
    pub async fn story(&self, id: String) -> Result<Option<StoryView>, QueryError> {
        match &self.engine {
            Engine::Sqlite(p) => Self::sqlite(p, move |c| sqlite::story(c, &id)).await,
            Engine::Postgres(s) => pg::story(&*s.client().await?, &id).await,
        }
    }

    /// Every source with stored articles, most recently active first.
    pub async fn sources(&self) -> Result<Vec<SourceStats>, QueryError> {
        match &self.engine {
            Engine::Sqlite(p) => Self::sqlite(p, sqlite::sources).await,
            Engine::Postgres(s) => pg::sources(&*s.client().await?).await,
        }
    }

    /// How many articles, stories and sources are stored.
    pub async fn counts(&self) -> Result<Counts, QueryError> {
        match &self.engine {
            Engine::Sqlite(p) => Self::sqlite(p, sqlite::counts).await,
            Engine::Postgres(s) => pg::counts(&*s.client().await?).await,
        }
    }
}

/// A story's row when the `stories` table has none (a store written before
/// stories were kept): from its articles.
fn story_from_articles(id: &str, articles: &[ArticleSummary]) -> Story {
    let first = articles.iter().find(|a| a.id == id).or(articles.first());
    let mut sources: Vec<&str> = articles.iter().map(|a| a.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let seen = |pick: fn(&str, &str) -> bool| {
        articles.iter().map(|a| a.stored_at.as_str()).reduce(|x, y| if pick(x, y) { x } else { y })
    };
    Story {
        id: id.to_owned(),
        title: first.and_then(|a| a.title.clone()),
        language: first.and_then(|a| a.language.clone()),
        articles: articles.len() as i64,
        sources: sources.len() as i64,
        first_seen: seen(|x, y| x <= y).unwrap_or_default().to_owned(),
        last_seen: seen(|x, y| x >= y).unwrap_or_default().to_owned(),
    }
}

/// A small pool of idle values, shared between blocking tasks.
pub(crate) struct Idle<T>(Arc<Mutex<Vec<T>>>);

impl<T> Clone for Idle<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Idle<T> {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(Vec::new())))
    }

    pub fn take(&self) -> Option<T> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    /// Keep `v` for reuse unless `keep` are already idle.
    pub fn put(&self, v: T, keep: usize) {
        let mut idle = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < keep {
            idle.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor::parse("2026-01-02T03:04:05.678Z~abc123").unwrap();
        assert_eq!(c.stored_at, "2026-01-02T03:04:05.678Z");
        assert_eq!(c.id, "abc123");
        assert_eq!(Cursor::parse(&c.encode()).unwrap(), c);
        for bad in ["", "abc", "yesterday~x", "2026-01-02T03:04:05Z~", "~x"] {
            assert!(matches!(Cursor::parse(bad), Err(QueryError::BadRequest(_))), "{bad:?} accepted");
        }
        let pg = Cursor { stored_at: pg_time(c.instant().unwrap()), id: "x".into() };
        assert_eq!(pg.instant().unwrap(), c.instant().unwrap());
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(clamp_limit(None), DEFAULT_LIMIT);
        assert_eq!(clamp_limit(Some(0)), 1);
        assert_eq!(clamp_limit(Some(10_000)), MAX_LIMIT);
    }
}
