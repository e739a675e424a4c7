//! Feeds and sitemaps: any bytes give entries or an error, never a panic,
//! a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = newsflow_ingest::feeds::parse_feed(data, Some("https://example.com/news/"));
    let _ = newsflow_ingest::sitemap::parse_sitemap(data, Some("https://example.com/"), 1 << 20);
    let _ = newsflow_ingest::feeds::discover_feeds(&String::from_utf8_lossy(data), "https://example.com/");
});
