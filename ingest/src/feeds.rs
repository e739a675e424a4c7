//! Feed entries: RSS 0.9x–2.0, RDF, Atom and JSON Feed through feed-rs.

use chrono::{DateTime, FixedOffset};
use newsflow_wire::FeedHint;

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not a readable feed: {0}")]
pub struct FeedError(String);

/// One entry of a feed that links to an article.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FeedEntry {
    /// Absolute URL of the article.
    pub url: String,
    #[serde(flatten)]
    pub hint: FeedHint,
}

/// Parse a feed document. `base` resolves relative links.
pub fn parse_feed(bytes: &[u8], base: Option<&str>) -> Result<Vec<FeedEntry>, FeedError> {
    let feed =
        feed_rs::parser::Builder::new().base_uri(base).build().parse(bytes).map_err(|e| FeedError(e.to_string()))?;
    let base_url = base.and_then(|b| url::Url::parse(b).ok());
    let feed_language = feed.language.clone();
    let entries = feed
        .entries
        .into_iter()
        .filter_map(|e| {
            let href = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or_else(|| e.links.first())
                .map(|l| l.href.clone())
                .or_else(|| e.id.starts_with("http").then(|| e.id.clone()))?;
            let url = match &base_url {
                Some(b) => b.join(href.trim()).ok()?.to_string(),
                None => url::Url::parse(href.trim()).ok()?.to_string(),
            };
            let published: Option<DateTime<FixedOffset>> = e.published.or(e.updated).map(|d| d.fixed_offset());
            Some(FeedEntry {
                url,
                hint: FeedHint {
                    title: e.title.map(|t| t.content.trim().to_owned()).filter(|t| !t.is_empty()),
                    published,
                    summary: e.summary.map(|t| t.content).filter(|t| !t.trim().is_empty()),
                    language: feed_language.clone(),
                },
            })
        })
        .collect();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_with_relative_links() {
        let rss = r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><language>ar</language>
            <item><title> خبر </title><link>/news/1</link><pubDate>Thu, 04 Jun 2020 18:00:00 +0300</pubDate></item>
            <item><title>no link</title></item></channel></rss>"#;
        let entries = parse_feed(rss.as_bytes(), Some("http://127.0.0.1:8080/feed.xml")).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].url, "http://127.0.0.1:8080/news/1");
        assert_eq!(entries[0].hint.title.as_deref(), Some("خبر"));
        assert_eq!(entries[0].hint.language.as_deref(), Some("ar"));
        // feed-rs normalizes to UTC: the instant is what matters.
        let want = chrono::DateTime::parse_from_rfc3339("2020-06-04T18:00:00+03:00").unwrap();
        assert_eq!(entries[0].hint.published.unwrap(), want);
    }

    #[test]
    fn atom_and_json_feed() {
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title><id>x</id><updated>2024-01-01T00:00:00Z</updated>
            <entry><title>A</title><id>urn:1</id><link href="https://example.com/a"/><updated>2024-01-01T00:00:00Z</updated></entry></feed>"#;
        assert_eq!(parse_feed(atom, None).unwrap()[0].url, "https://example.com/a");
        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1","url":"https://example.com/j","title":"J"}]}"#;
        assert_eq!(parse_feed(json, None).unwrap()[0].url, "https://example.com/j");
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = parse_feed(b"<html><body>not a feed</body></html>", None).unwrap_err();
        assert!(err.to_string().starts_with("not a readable feed"), "{err}");
        assert!(parse_feed(b"", None).is_err());
    }
}
