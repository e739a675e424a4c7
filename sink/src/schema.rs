//! The storage schema, shared by SQLite and PostgreSQL (types differ only
//! where the engines do: timestamps are RFC 3339 UTC text in SQLite and
//! `TIMESTAMPTZ` in PostgreSQL; authors are JSON text / `JSONB`).
//!
//! Migrations are applied in order at start and recorded in
//! `schema_migrations`; never edit one that has shipped, add the next.

/// `(version, sqlite sql, postgres sql)`.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
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
    ),
    (
        2,
        // Stories, entities, sources, alerts and full-text search. The FTS
        // table is contentless (the text lives in `articles`) and keyed by
        // the article's rowid; it holds the search form of title and text
        // (newsflow_enrich::search::search_form: Arabic-aware).
        "ALTER TABLE articles ADD COLUMN story_id TEXT;
         ALTER TABLE articles ADD COLUMN duplicate_of TEXT;
         ALTER TABLE articles ADD COLUMN duplicate_kind TEXT;
         ALTER TABLE articles ADD COLUMN direction TEXT;
         ALTER TABLE articles ADD COLUMN dates_mentioned TEXT NOT NULL DEFAULT '[]';
         CREATE INDEX articles_story ON articles (story_id);
         CREATE VIRTUAL TABLE articles_fts USING fts5(
             title, body, content='', contentless_delete=1,
             tokenize='unicode61 remove_diacritics 0');
         CREATE TABLE stories (
             id TEXT PRIMARY KEY,
             title TEXT,
             language TEXT,
             articles INTEGER NOT NULL,
             sources INTEGER NOT NULL,
             first_seen TEXT NOT NULL,
             last_seen TEXT NOT NULL);
         CREATE INDEX stories_last_seen ON stories (last_seen);
         CREATE TABLE entities (
             item_id TEXT NOT NULL,
             kind TEXT NOT NULL,
             key TEXT NOT NULL,
             surface TEXT NOT NULL,
             mentions INTEGER NOT NULL,
             PRIMARY KEY (item_id, kind, key));
         CREATE INDEX entities_key ON entities (key, kind);
         CREATE TABLE sources (
             id TEXT PRIMARY KEY,
             site_name TEXT,
             articles INTEGER NOT NULL DEFAULT 0,
             first_article_at TEXT,
             last_article_at TEXT);
         CREATE TABLE alert_rules (
             name TEXT PRIMARY KEY,
             definition TEXT NOT NULL,
             origin TEXT NOT NULL,
             updated_at TEXT NOT NULL);
         CREATE TABLE alerts (
             id TEXT PRIMARY KEY,
             rule TEXT NOT NULL,
             story_id TEXT NOT NULL,
             first_item_id TEXT NOT NULL,
             last_item_id TEXT NOT NULL,
             title TEXT,
             url TEXT NOT NULL,
             articles INTEGER NOT NULL DEFAULT 1,
             raised_at TEXT NOT NULL,
             updated_at TEXT NOT NULL,
             UNIQUE (rule, story_id));
         CREATE INDEX alerts_raised_at ON alerts (raised_at);
         CREATE TABLE alert_items (
             rule TEXT NOT NULL,
             item_id TEXT NOT NULL,
             alert_id TEXT NOT NULL,
             matched_at TEXT NOT NULL,
             PRIMARY KEY (rule, item_id));
         CREATE TABLE alert_deliveries (
             alert_id TEXT NOT NULL,
             target TEXT NOT NULL,
             status TEXT NOT NULL,
             attempts INTEGER NOT NULL,
             last_error TEXT,
             at TEXT NOT NULL,
             PRIMARY KEY (alert_id, target));",
        "ALTER TABLE articles ADD COLUMN story_id TEXT;
         ALTER TABLE articles ADD COLUMN duplicate_of TEXT;
         ALTER TABLE articles ADD COLUMN duplicate_kind TEXT;
         ALTER TABLE articles ADD COLUMN direction TEXT;
         ALTER TABLE articles ADD COLUMN dates_mentioned JSONB NOT NULL DEFAULT '[]';
         ALTER TABLE articles ADD COLUMN search tsvector;
         CREATE INDEX articles_story ON articles (story_id);
         CREATE INDEX articles_search ON articles USING GIN (search);
         CREATE TABLE stories (
             id TEXT PRIMARY KEY,
             title TEXT,
             language TEXT,
             articles BIGINT NOT NULL,
             sources BIGINT NOT NULL,
             first_seen TIMESTAMPTZ NOT NULL,
             last_seen TIMESTAMPTZ NOT NULL);
         CREATE INDEX stories_last_seen ON stories (last_seen);
         CREATE TABLE entities (
             item_id TEXT NOT NULL,
             kind TEXT NOT NULL,
             key TEXT NOT NULL,
             surface TEXT NOT NULL,
             mentions BIGINT NOT NULL,
             PRIMARY KEY (item_id, kind, key));
         CREATE INDEX entities_key ON entities (key, kind);
         CREATE TABLE sources (
             id TEXT PRIMARY KEY,
             site_name TEXT,
             articles BIGINT NOT NULL DEFAULT 0,
             first_article_at TIMESTAMPTZ,
             last_article_at TIMESTAMPTZ);
         CREATE TABLE alert_rules (
             name TEXT PRIMARY KEY,
             definition JSONB NOT NULL,
             origin TEXT NOT NULL,
             updated_at TIMESTAMPTZ NOT NULL);
         CREATE TABLE alerts (
             id TEXT PRIMARY KEY,
             rule TEXT NOT NULL,
             story_id TEXT NOT NULL,
             first_item_id TEXT NOT NULL,
             last_item_id TEXT NOT NULL,
             title TEXT,
             url TEXT NOT NULL,
             articles BIGINT NOT NULL DEFAULT 1,
             raised_at TIMESTAMPTZ NOT NULL,
             updated_at TIMESTAMPTZ NOT NULL,
             UNIQUE (rule, story_id));
         CREATE INDEX alerts_raised_at ON alerts (raised_at);
         CREATE TABLE alert_items (
             rule TEXT NOT NULL,
             item_id TEXT NOT NULL,
             alert_id TEXT NOT NULL,
             matched_at TIMESTAMPTZ NOT NULL,
             PRIMARY KEY (rule, item_id));
         CREATE TABLE alert_deliveries (
             alert_id TEXT NOT NULL,
             target TEXT NOT NULL,
             status TEXT NOT NULL,
             attempts BIGINT NOT NULL,
             last_error TEXT,
             at TIMESTAMPTZ NOT NULL,
             PRIMARY KEY (alert_id, target));",
    ),
    (
        3,
        // SQLite: the full-text index moves to a file of its own, written by
        // its own thread (sqlite_fts.rs); `search_seq` orders the rows for
        // it. Every existing row gets a sequence, so the new index is built
        // from them at the next start. PostgreSQL: the article text and its
        // tsvector are compressed with lz4 rather than pglz (pglz was the
        // server's largest cost per row); servers before 14, or built
        // without lz4, keep pglz.
        "ALTER TABLE articles ADD COLUMN search_seq INTEGER;
         UPDATE articles SET search_seq = rowid;
         CREATE INDEX articles_search_seq ON articles (search_seq);
         DROP TABLE articles_fts;",
        "DO $$ BEGIN
             EXECUTE 'ALTER TABLE articles ALTER COLUMN text SET COMPRESSION lz4,
                                           ALTER COLUMN search SET COMPRESSION lz4';
         EXCEPTION WHEN OTHERS THEN
             RAISE NOTICE 'articles keep pglz compression: %', SQLERRM;
         END $$",
    ),
    (
        4,
        // No query reads articles by content hash (copies are linked by
        // `duplicate_of`, and the enricher finds them): the index only cost
        // every insert a random B-tree write.
        "DROP INDEX IF EXISTS articles_content_hash;",
        "DROP INDEX IF EXISTS articles_content_hash;",
    ),
    (
        5,
        // SQLite: entities are always read by their key (an article's, or
        // an entity's through `entities_key`), so the table is clustered on
        // it (WITHOUT ROWID): one B-tree write per entity fewer. PostgreSQL
        // tables are heaps either way: nothing to do.
        "CREATE TABLE entities_clustered (
             item_id TEXT NOT NULL,
             kind TEXT NOT NULL,
             key TEXT NOT NULL,
             surface TEXT NOT NULL,
             mentions INTEGER NOT NULL,
             PRIMARY KEY (item_id, kind, key)) WITHOUT ROWID;
         INSERT INTO entities_clustered SELECT item_id, kind, key, surface, mentions FROM entities;
         DROP TABLE entities;
         ALTER TABLE entities_clustered RENAME TO entities;
         CREATE INDEX entities_key ON entities (key, kind);",
        "SELECT 1",
    ),
];

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
    "story_id",
    "duplicate_of",
    "duplicate_kind",
    "direction",
    "dates_mentioned",
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
