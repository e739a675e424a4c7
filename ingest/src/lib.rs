//! Ingest: the fetcher and the scraper.
//!
//! Layout:
//! - [`config`]: `[fetcher]`, `[[sources]]` and `[scraper]` config.
//! - [`http`]: the bounded HTTP client (size, time and redirect caps).
//! - [`charset`]: bytes to UTF-8 (HTTP header, `<meta charset>`, detection).
//! - [`feeds`]: RSS / Atom / JSON Feed entries via feed-rs.
//! - [`state`]: the fetcher's persistent state (seen URLs, feed validators).
//! - [`fetcher`]: the polling service: feeds → new URLs → pages → `raw-pages`.
//! - [`scrape`]: the scraper stage: `raw-pages` → extraction → `articles`.

pub mod charset;
pub mod config;
pub mod feeds;
pub mod fetcher;
pub mod http;
pub mod scrape;
pub mod state;

pub use config::{FetcherConfig, ScraperConfig, SourceConfig};
pub use fetcher::Fetcher;
pub use scrape::ScrapeStage;
