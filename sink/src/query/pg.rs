//! PostgreSQL reads. Timestamps are `TIMESTAMPTZ` with microseconds; the
//! API shows them as RFC 3339 with every digit, so a cursor binds back to
//! the exact instant.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use super::sqlite::collapse;
use super::{
    Article, ArticleSummary, Counts, Cursor, EntityMention, QueryError, STORY_ARTICLES, SearchHit, SourceStats, Story,
    StoryView, pg_time,
};

/// The summary columns (the excerpt is `EXCERPT_CHARS` = 280 characters).
const SUMMARY: &str = "a.id, a.url, a.title, a.language, a.direction, a.source, a.site_name, a.published_at,
     a.stored_at, a.story_id, a.duplicate_of, left(COALESCE(NULLIF(a.description, ''), a.text), 280)";

/// One client for every read: tokio-postgres pipelines concurrent queries
/// on it. Reconnected on the next read after the server went away.
pub(super) struct Shared {
    url: String,
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
}

impl Shared {
    pub fn new(url: String) -> Self {
        Self { url, client: tokio::sync::Mutex::new(None) }
    }

    pub async fn client(&self) -> Result<Arc<Client>, QueryError> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        let client = crate::postgres::connect(&self.url)
            .await
            .map_err(|e| QueryError::Unavailable(format!("postgres {}: {e}", crate::postgres::redact(&self.url))))?;
        let client = Arc::new(client);
        *slot = Some(client.clone());
        Ok(client)
    }
}

fn time(d: Option<DateTime<Utc>>) -> Option<String> {
    d.map(pg_time)
}

fn summary(r: &Row) -> ArticleSummary {
    let id: String = r.get(0);
    let stored_at = pg_time(r.get(8));
    ArticleSummary {
        cursor: Cursor { stored_at: stored_at.clone(), id: id.clone() }.encode(),
        id,
        url: r.get(1),
        title: r.get(2),
        language: r.get(3),
        direction: r.get(4),
        source: r.get(5),
        site_name: r.get(6),
        published_at: time(r.get(7)),
        stored_at,
        story_id: r.get(9),
        duplicate_of: r.get(10),
        excerpt: collapse(r.get::<_, &str>(11)),
    }
}

type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

async fn query_summaries(client: &Client, sql: &str, params: &Params<'_>) -> Result<Vec<ArticleSummary>, QueryError> {
    Ok(client.query(sql, params).await?.iter().map(summary).collect())
}

pub(super) async fn recent(
    client: &Client,
    before: Option<&Cursor>,
    source: Option<&str>,
    limit: usize,
) -> Result<Vec<ArticleSummary>, QueryError> {
    let at = before.map(Cursor::instant).transpose()?;
    let limit = limit as i64;
    let mut clauses = Vec::new();
    let mut params: Params = Vec::new();
    if let (Some(c), Some(at)) = (before, at.as_ref()) {
        clauses.push("a.stored_at <= $1 AND (a.stored_at < $1 OR a.id < $2)".to_owned());
        params.push(at);
        params.push(&c.id);
    }
    if let Some(s) = &source {
        params.push(s);
        clauses.push(format!("a.source = ${}", params.len()));
    }
    params.push(&limit);
    let filter = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    let sql = format!(
        "SELECT {SUMMARY} FROM articles a {filter} ORDER BY a.stored_at DESC, a.id DESC LIMIT ${}",
        params.len()
    );
    query_summaries(client, &sql, &params).await
}

pub(super) async fn newer(
    client: &Client,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Vec<ArticleSummary>, QueryError> {
    let limit = limit as i64;
    match after {
        Some(c) => {
            let at = c.instant()?;
            let sql = format!(
                "SELECT {SUMMARY} FROM articles a WHERE a.stored_at >= $1 AND (a.stored_at > $1 OR a.id > $2)
                 ORDER BY a.stored_at, a.id LIMIT $3"
            );
            query_summaries(client, &sql, &vec![&at, &c.id, &limit]).await
        }
        None => {
            let sql = format!("SELECT {SUMMARY} FROM articles a ORDER BY a.stored_at, a.id LIMIT $1");
            query_summaries(client, &sql, &vec![&limit]).await
        }
    }
}

pub(super) async fn ids_between(
    client: &Client,
    since: DateTime<Utc>,
    upto: &Cursor,
    limit: usize,
) -> Result<Vec<Cursor>, QueryError> {
    let at = upto.instant()?;
    let rows = client
        .query(
            "SELECT stored_at, id FROM articles
             WHERE stored_at > $1 AND stored_at <= $2 AND (stored_at < $2 OR id <= $3)
             ORDER BY stored_at DESC, id DESC LIMIT $4",
            &[&since, &at, &upto.id, &(limit as i64)],
        )
        .await?;
    Ok(rows.iter().map(|r| Cursor { stored_at: pg_time(r.get(0)), id: r.get(1) }).collect())
}

pub(super) async fn summaries(client: &Client, ids: &[String]) -> Result<Vec<ArticleSummary>, QueryError> {
    let sql = format!("SELECT {SUMMARY} FROM articles a WHERE a.id = ANY($1) ORDER BY a.stored_at, a.id");
    query_summaries(client, &sql, &vec![&ids]).await
}

pub(super) async fn article(client: &Client, id: &str) -> Result<Option<Article>, QueryError> {
    let sql = format!(
        "SELECT {SUMMARY}, a.canonical_url, a.text, a.description, a.authors, a.top_image, a.word_count,
                a.duplicate_kind, a.dates_mentioned, a.fetched_at, a.updated_at
         FROM articles a WHERE a.id = $1"
    );
    let Some(r) = client.query_opt(&sql, &[&id]).await? else { return Ok(None) };
    let entities = client
        .query(
            "SELECT kind, key, surface, mentions FROM entities WHERE item_id = $1 ORDER BY mentions DESC, key LIMIT 100",
            &[&id],
        )
        .await?
        .iter()
        .map(|e| EntityMention { kind: e.get(0), key: e.get(1), surface: e.get(2), mentions: e.get(3) })
        .collect();
    Ok(Some(Article {
        summary: summary(&r),
        canonical_url: r.get(12),
        text: r.get(13),
        description: r.get(14),
        authors: r.get(15),
        top_image: r.get(16),
        word_count: r.get(17),
        duplicate_kind: r.get(18),
        dates_mentioned: r.get(19),
        fetched_at: time(r.get(20)),
        updated_at: pg_time(r.get(21)),
        entities,
    }))
}

pub(super) async fn search(
    client: &Client,
    tsquery: &str,
    language: Option<&str>,
    source: Option<&str>,
    limit: usize,
) -> Result<Vec<SearchHit>, QueryError> {
    let limit = limit as i64;
    let mut params: Params = vec![&tsquery];
    let mut filter = String::new();
    let language = language.map(str::to_owned);
    let source = source.map(str::to_owned);
    for (column, value) in [("language", &language), ("source", &source)] {
        if let Some(v) = value {
            params.push(v);
            filter.push_str(&format!(" AND a.{column} = ${}", params.len()));
        }
    }
    params.push(&limit);
    // Title words carry weight A (see the writer), so ts_rank favours them.
    let sql = format!(
        "SELECT {SUMMARY}, ts_rank(a.search, q)::float8 AS score
         FROM articles a, CAST($1::text AS tsquery) q
         WHERE a.search @@ q{filter}
         ORDER BY score DESC, a.stored_at DESC, a.id DESC LIMIT ${}",
        params.len()
    );
    let rows = client.query(&sql, &params).await?;
    Ok(rows.iter().map(|r| SearchHit { article: summary(r), score: r.get(12) }).collect())
}

fn story_row(r: &Row) -> Story {
    Story {
        id: r.get(0),
        title: r.get(1),
        language: r.get(2),
        articles: r.get(3),
        sources: r.get(4),
        first_seen: pg_time(r.get(5)),
        last_seen: pg_time(r.get(6)),
    }
}

pub(super) async fn stories(client: &Client, limit: usize) -> Result<Vec<Story>, QueryError> {
    let rows = client
        .query(
            "SELECT id, title, language, articles, sources, first_seen, last_seen FROM stories
             ORDER BY last_seen DESC, id DESC LIMIT $1",
            &[&(limit as i64)],
        )
        .await?;
    Ok(rows.iter().map(story_row).collect())
}

pub(super) async fn story(client: &Client, id: &str) -> Result<Option<StoryView>, QueryError> {
    let sql = format!(
        "SELECT {SUMMARY} FROM articles a WHERE a.story_id = $1
         ORDER BY COALESCE(a.published_at, a.stored_at), a.stored_at, a.id LIMIT $2"
    );
    let articles = query_summaries(client, &sql, &vec![&id, &(STORY_ARTICLES as i64)]).await?;
    if articles.is_empty() {
        return Ok(None);
    }
    let stored = client
        .query_opt(
            "SELECT id, title, language, articles, sources, first_seen, last_seen FROM stories WHERE id = $1",
            &[&id],
        )
        .await?;
    let story = stored.as_ref().map(story_row).unwrap_or_else(|| super::story_from_articles(id, &articles));
    Ok(Some(StoryView { story, articles }))
}

pub(super) async fn sources(client: &Client) -> Result<Vec<SourceStats>, QueryError> {
    let map = |r: &Row| SourceStats {
        id: r.get(0),
        site_name: r.get(1),
        articles: r.get(2),
        first_article_at: time(r.get(3)),
        last_article_at: time(r.get(4)),
    };
    let listed: Vec<SourceStats> = client
        .query(
            "SELECT id, site_name, articles, first_article_at, last_article_at FROM sources
             ORDER BY last_article_at DESC NULLS LAST, id",
            &[],
        )
        .await?
        .iter()
        .map(map)
        .collect();
    if !listed.is_empty() {
        return Ok(listed);
    }
    let rows = client
        .query(
            "SELECT source, MAX(site_name), COUNT(*), MIN(stored_at), MAX(stored_at) FROM articles
             GROUP BY source ORDER BY MAX(stored_at) DESC, source",
            &[],
        )
        .await?;
    Ok(rows.iter().map(map).collect())
}

pub(super) async fn counts(client: &Client) -> Result<Counts, QueryError> {
    let r = client
        .query_one(
            "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM stories), (SELECT COUNT(*) FROM sources)",
            &[],
        )
        .await?;
    Ok(Counts { articles: r.get(0), stories: r.get(1), sources: r.get(2) })
}
