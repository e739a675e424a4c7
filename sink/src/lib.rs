//! Sink: where articles land.
//!
//! Layout:
//! - [`row`]: [`ArticleRow`], the stored shape of an enriched article.
//! - [`schema`]: the migrations of the shared SQLite / PostgreSQL schema.
//! - [`batch`]: group commit: concurrent writers share one transaction.
//! - [`sqlite`] and [`postgres`]: the two stores; [`pg_tsvector`]: the
//!   binary `tsvector` the PostgreSQL store sends; [`sqlite_fts`]: SQLite's
//!   full-text index, a file and a writer thread of its own.
//! - [`store`]: [`Store`], chosen by URL (`sqlite:PATH`, `postgres://…`).
//! - [`stage`]: the sink stage: `enriched` → store.
//! - [`query`]: the read side (recent articles, search, stories, sources)
//!   for the dashboard and the API.
//! - [`web`]: the dashboard and its JSON API (axum; live stream over SSE).
//! - [`alerts`]: alert rules over the enriched stream, the alert and notify
//!   stages, webhooks and the rules API.
//! - [`archive`]: the optional JSONL archive: `enriched` → hourly files
//!   (`DIR/YYYY/MM/DD/HH.jsonl`) for analytics.
//!
//! Every write is an upsert on the item id, so a message delivered twice
//! (at-least-once) still gives one row.

pub mod alerts;
pub mod archive;
pub mod batch;
pub mod pg_tsvector;
pub mod postgres;
pub mod query;
pub mod row;
pub mod schema;
pub mod sqlite;
pub mod sqlite_fts;
pub mod stage;
pub mod store;
pub mod web;

pub use row::{ArticleRow, EntityRow};
pub use stage::SinkStage;
pub use store::{SinkError, Store, StoredSummary};
