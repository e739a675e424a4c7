//! The storage schema, shared by SQLite and PostgreSQL (types differ only
//! where the engines do: timestamps are RFC 3339 UTC text in SQLite and
//! `TIMESTAMPTZ` in PostgreSQL; authors are JSON text / `JSONB`).
//!
//! Migrations are applied in order at start and recorded in
//! `schema_migrations`; never edit one that has shipped, add the next.

/// `(version, sqlite sql, postgres sql)`.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "CREATE TABLE articles (
         id TEXT PRIMARY KEY,
         url TEXT NOT NULL,
         canonical_url TEXT NOT NULL,
         title TEXT,
         text TEXT NOT NULL,
         language TEXT,
         published_at TEXT,
         source TEXT NOT NULL,
         stored_at TEXT NOT NULL,
         updated_at TEXT NOT NULL,
         authors TEXT NOT NULL DEFAULT '[]',
         description TEXT,
         site_name TEXT,
         top_image TEXT,
         content_hash TEXT NOT NULL,
         word_count INTEGER NOT NULL DEFAULT 0,
         trace_id TEXT,
         fetched_at TEXT);
     CREATE INDEX articles_stored_at ON articles (stored_at);
     CREATE INDEX articles_content_hash ON articles (content_hash);
     CREATE INDEX articles_source ON articles (source);",
    "CREATE TABLE articles (
         id TEXT PRIMARY KEY,
         url TEXT NOT NULL,
         canonical_url TEXT NOT NULL,
         title TEXT,
         text TEXT NOT NULL,
         language TEXT,
         published_at TIMESTAMPTZ,
         source TEXT NOT NULL,
         stored_at TIMESTAMPTZ NOT NULL,
         updated_at TIMESTAMPTZ NOT NULL,
         authors JSONB NOT NULL DEFAULT '[]',
         description TEXT,
         site_name TEXT,
         top_image TEXT,
         content_hash TEXT NOT NULL,
         word_count BIGINT NOT NULL DEFAULT 0,
         trace_id TEXT,
         fetched_at TIMESTAMPTZ);
     CREATE INDEX articles_stored_at ON articles (stored_at);
     CREATE INDEX articles_content_hash ON articles (content_hash);
     CREATE INDEX articles_source ON articles (source);",
)];

/// Columns written by an upsert, in order (`stored_at` is set on insert only).
pub const UPSERT_COLUMNS: &[&str] = &[
    "id",
    "url",
    "canonical_url",
    "title",
    "text",
    "language",
    "published_at",
    "source",
    "authors",
    "description",
    "site_name",
    "top_image",
    "content_hash",
    "word_count",
    "trace_id",
    "fetched_at",
];

/// The `DO UPDATE SET` list: every written column but the key.
pub fn update_set() -> String {
    UPSERT_COLUMNS[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .chain(std::iter::once("updated_at = excluded.updated_at".to_owned()))
        .collect::<Vec<_>>()
        .join(", ")
}
