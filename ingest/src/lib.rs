//! Ingest: the fetcher and the scraper.
//!
//! Layout:
//! - [`config`]: `[fetcher]`, `[[sources]]` and `[scraper]` config.
//! - [`http`]: the bounded HTTP client (size, time and redirect caps).
//! - [`ssrf`]: the SSRF guard (refuses internal addresses, after DNS and on
//!   every redirect; allow-list for tests and intranets).
//! - [`charset`]: bytes to UTF-8 (HTTP header, `<meta charset>`, detection).
//! - [`dates`]: feed dates without an offset, in the source's time zone.
//! - [`feeds`]: RSS / Atom / JSON Feed entries via feed-rs.
//! - [`xml_charset`]: XML documents to UTF-8 before parsing (BOM, UTF-16/32,
//!   HTTP charset, XML declaration, detection).
//! - [`sitemap`]: XML sitemaps, indexes, `.xml.gz`, Google News sitemaps.
//! - [`state`]: the fetcher's persistent state (seen URLs, feed validators).
//! - [`politeness`]: robots.txt, per-host pacing (crawl-delay, Retry-After),
//!   concurrency caps, source backoff.
//! - [`fetcher`]: the polling service: feeds → new URLs → pages → `raw-pages`.
//! - [`scaleout`]: several fetcher instances sharing the sources (one owner
//!   per host through a consumer group; a shared seen-record).
//! - [`scrape`]: the scraper stage: `raw-pages` → extraction → `articles`.

pub mod charset;
pub mod config;
pub mod dates;
pub mod feeds;
pub mod fetcher;
pub mod http;
pub mod opml;
pub mod politeness;
pub mod scaleout;
pub mod schedule;
pub mod scrape;
pub mod sitemap;
pub mod ssrf;
pub mod state;
pub mod xml_charset;

pub use config::{FetcherConfig, ScraperConfig, SourceConfig};
pub use fetcher::Fetcher;
pub use scrape::ScrapeStage;
