//! The store, chosen by URL.

use std::path::PathBuf;
use std::time::Duration;

use crate::ArticleRow;
use crate::batch::{Batcher, WriteError};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;

/// Metric names of the sink, declared in one place.
pub mod names {
    pub const BATCH_SECONDS: &str = "newsflow_sink_batch_seconds";
    pub const BATCH_ROWS: &str = "newsflow_sink_batch_rows";
}

pub(crate) fn record_batch(engine: &'static str, rows: usize, took: Duration) {
    metrics::histogram!(names::BATCH_SECONDS, "engine" => engine).record(took.as_secs_f64());
    metrics::histogram!(names::BATCH_ROWS, "engine" => engine).record(rows as f64);
}

/// Errors opening or reading a store.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("invalid database URL {0:?}: use sqlite:PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// How many articles are stored and the latest titles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredSummary {
    pub count: u64,
    pub latest_titles: Vec<String>,
}

/// Where a database URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    /// `sqlite:PATH`, `sqlite://PATH` or `postgres://…` / `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self, SinkError> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(SinkError::BadUrl(url.to_owned()));
            }
            return Ok(DbUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        Err(SinkError::BadUrl(url.to_owned()))
    }
}

/// An open store.
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    /// Open (and migrate) the store at `url`.
    pub async fn open(url: &str) -> Result<Self, SinkError> {
        match DbUrl::parse(url)? {
            DbUrl::Sqlite(path) => {
                let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
                    .await
                    .map_err(|e| SinkError::Open(e.to_string()))??;
                Ok(Store::Sqlite(store))
            }
            DbUrl::Postgres(url) => Ok(Store::Postgres(PgStore::open(&url).await?)),
        }
    }

    fn batcher(&self) -> &Batcher {
        match self {
            Store::Sqlite(s) => &s.batcher,
            Store::Postgres(s) => &s.batcher,
        }
    }

    /// Upsert one article; returns once it is durable.
    pub async fn write(&self, row: ArticleRow) -> Result<(), WriteError> {
        self.batcher().write(row).await
    }

    /// Count and latest titles.
    pub async fn summary(&self, latest: usize) -> Result<StoredSummary, SinkError> {
        match self {
            Store::Sqlite(s) => {
                let path = s.path.clone();
                tokio::task::spawn_blocking(move || {
                    let conn = crate::sqlite::open_conn(&path)?;
                    crate::sqlite::summary(&conn, latest)
                })
                .await
                .map_err(|e| SinkError::Open(e.to_string()))?
            }
            Store::Postgres(s) => s.summary(latest).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(DbUrl::parse("sqlite:data/a.db").unwrap(), DbUrl::Sqlite("data/a.db".into()));
        assert_eq!(DbUrl::parse("sqlite:///tmp/a.db").unwrap(), DbUrl::Sqlite("/tmp/a.db".into()));
        assert!(matches!(DbUrl::parse("postgres://u@h/db").unwrap(), DbUrl::Postgres(_)));
        let err = DbUrl::parse("mysql://x").unwrap_err().to_string();
        assert!(err.contains("sqlite:PATH"), "{err}");
    }
}
