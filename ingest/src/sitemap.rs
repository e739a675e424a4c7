//! XML sitemaps as sources: `<urlset>` (with the Google News extension:
//! `news:title`, `news:publication_date`, `news:publication/news:language`),
//! `<sitemapindex>`, and either gzipped (`.xml.gz`).
//!
//! A small streaming reader on quick-xml: sitemaps are simple, can be large
//! (50,000 URLs), and feed-rs does not read them. Bounded: gzip output is
//! capped like any body, and at most [`MAX_URLS`] entries are kept.

use std::io::Read;

use chrono::{DateTime, FixedOffset, NaiveDate};
use newsflow_wire::FeedHint;
use quick_xml::events::Event;

use crate::feeds::FeedEntry;
use crate::xml_charset::xml_to_utf8;

/// The sitemap protocol's own limit on URLs per file.
pub const MAX_URLS: usize = 50_000;

/// Why a sitemap could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    #[error("not a sitemap: {0}")]
    NotASitemap(String),
    #[error("sitemap XML: {0}")]
    Xml(String),
    #[error("gzipped sitemap: {0}")]
    Gzip(String),
    #[error("gzipped sitemap larger than {0} bytes once decompressed")]
    TooLarge(usize),
}

/// A parsed sitemap file.
#[derive(Debug, Clone, PartialEq)]
pub enum Sitemap {
    /// `<urlset>`: pages, newest information from `lastmod` or `news:*`.
    Urls(Vec<FeedEntry>),
    /// `<sitemapindex>`: more sitemaps to read.
    Index(Vec<String>),
}

/// Whether `bytes` look like a sitemap (gzip, or an XML root of `urlset` /
/// `sitemapindex`), to tell sitemap sources from feeds without config.
pub fn looks_like_sitemap(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return true;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    head.contains("<urlset")
        || head.contains("<sitemapindex")
        || head.contains(":urlset")
        || head.contains(":sitemapindex")
}

/// Parse a sitemap (gzipped or not). `base` resolves relative `loc`s
/// (not allowed by the protocol, seen in the wild); `max_bytes` caps the
/// decompressed size.
pub fn parse_sitemap(bytes: &[u8], base: Option<&str>, max_bytes: usize) -> Result<Sitemap, SitemapError> {
    let inflated;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        inflated = gunzip(bytes, max_bytes)?;
        &inflated[..]
    } else {
        bytes
    };
    let (utf8, _) = xml_to_utf8(bytes, None);
    let text = std::str::from_utf8(&utf8).map_err(|e| SitemapError::Xml(e.to_string()))?;
    parse_xml(text, base.and_then(|b| url::Url::parse(b).ok()).as_ref())
}

fn gunzip(bytes: &[u8], max_bytes: usize) -> Result<Vec<u8>, SitemapError> {
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(max_bytes as u64 + 1);
    dec.read_to_end(&mut out).map_err(|e| SitemapError::Gzip(e.to_string()))?;
    if out.len() > max_bytes {
        return Err(SitemapError::TooLarge(max_bytes));
    }
    Ok(out)
}

#[derive(Default)]
struct Item {
    loc: String,
    lastmod: String,
    news_title: String,
    news_date: String,
    news_language: String,
}

fn parse_xml(text: &str, base: Option<&url::Url>) -> Result<Sitemap, SitemapError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut root: Option<String> = None;
    let mut path: Vec<String> = Vec::new();
    let mut item = Item::default();
    let mut urls = Vec::new();
    let mut sitemaps = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| SitemapError::Xml(e.to_string()))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                if root.is_none() {
                    if name != "urlset" && name != "sitemapindex" {
                        return Err(SitemapError::NotASitemap(format!("root element <{name}>")));
                    }
                    root = Some(name.clone());
                }
                if path.len() == 1 && (name == "url" || name == "sitemap") {
                    item = Item::default();
                }
                if path.len() < 16 {
                    path.push(name);
                }
            }
            Event::Empty(e) if root.is_none() => {
                let name = e.local_name().as_ref().to_owned();
                return match name.as_str() {
                    "urlset" => Ok(Sitemap::Urls(Vec::new())),
                    "sitemapindex" => Ok(Sitemap::Index(Vec::new())),
                    _ => Err(SitemapError::NotASitemap(format!("root element <{name}>"))),
                };
            }
            Event::End(_) => {
                let closed = path.pop();
                if path.len() == 1 {
                    let loc = item.loc.trim();
                    let resolved = match base {
                        _ if loc.is_empty() => None,
                        Some(b) => b.join(loc).ok(),
                        None => url::Url::parse(loc).ok(),
                    }
                    .filter(|u| matches!(u.scheme(), "http" | "https"));
                    match (closed.as_deref(), resolved) {
                        (Some("url"), Some(u)) if urls.len() < MAX_URLS => urls.push(entry(u.to_string(), &item)),
                        (Some("sitemap"), Some(u)) if sitemaps.len() < MAX_URLS => sitemaps.push(u.to_string()),
                        _ => {}
                    }
                    item = Item::default();
                }
                if path.is_empty() && root.is_some() {
                    break;
                }
            }
            Event::Text(t) => push_text(&mut item, &path, &t),
            Event::CData(t) => push_text(&mut item, &path, &t),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&r).unwrap_or_default().to_owned(),
                };
                push_text(&mut item, &path, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match root.as_deref() {
        Some("urlset") => Ok(Sitemap::Urls(urls)),
        Some(_) => Ok(Sitemap::Index(sitemaps)),
        None => Err(SitemapError::NotASitemap("no root element".into())),
    }
}

/// Append text to the field the current element path names (bounded).
fn push_text(item: &mut Item, path: &[String], text: &str) {
    let leaf = path.last().map(String::as_str);
    let parent = path.len().checked_sub(2).map(|i| path[i].as_str());
    let field = match (parent, leaf) {
        (Some("url" | "sitemap"), Some("loc")) => &mut item.loc,
        (Some("url" | "sitemap"), Some("lastmod")) => &mut item.lastmod,
        (Some("news"), Some("title")) => &mut item.news_title,
        (Some("news"), Some("publication_date")) => &mut item.news_date,
        (Some("publication"), Some("language")) => &mut item.news_language,
        _ => return,
    };
    if field.len() + text.len() <= 4096 {
        field.push_str(text);
    }
}

fn entry(url: String, item: &Item) -> FeedEntry {
    let published = parse_w3c_date(item.news_date.trim()).or_else(|| parse_w3c_date(item.lastmod.trim()));
    let title = item.news_title.trim();
    let language = item.news_language.trim();
    FeedEntry {
        url,
        hint: FeedHint {
            title: (!title.is_empty()).then(|| title.to_owned()),
            published,
            summary: None,
            language: (!language.is_empty()).then(|| language.to_owned()),
        },
    }
}

/// W3C datetime as sitemaps use it: a date, or a date and time with offset.
fn parse_w3c_date(s: &str) -> Option<DateTime<FixedOffset>> {
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    // "2024-05-01T10:00+03:00" (no seconds) is valid W3C-DTF.
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
        return Some(d);
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const NEWS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example/ar/2024/05/01/story?a=1&amp;b=2</loc>
    <news:news>
      <news:publication><news:name>Example</news:name><news:language>ar</news:language></news:publication>
      <news:publication_date>2024-05-01T10:00:00+03:00</news:publication_date>
      <news:title><![CDATA[خبر عاجل]]></news:title>
    </news:news>
  </url>
  <url><loc>/relative</loc><lastmod>2024-04-30</lastmod></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><lastmod>2024-04-30</lastmod></url>
</urlset>"#;

    #[test]
    fn google_news_sitemap() {
        let Sitemap::Urls(urls) =
            parse_sitemap(NEWS.as_bytes(), Some("https://news.example/sitemap.xml"), 1 << 20).unwrap()
        else {
            panic!("not a urlset")
        };
        assert_eq!(urls.len(), 2);
        assert_eq!(urls[0].url, "https://news.example/ar/2024/05/01/story?a=1&b=2");
        assert_eq!(urls[0].hint.title.as_deref(), Some("خبر عاجل"));
        assert_eq!(urls[0].hint.language.as_deref(), Some("ar"));
        assert_eq!(urls[0].hint.published, DateTime::parse_from_rfc3339("2024-05-01T10:00:00+03:00").ok());
        assert_eq!(urls[1].url, "https://news.example/relative");
        assert_eq!(urls[1].hint.published, DateTime::parse_from_rfc3339("2024-04-30T00:00:00Z").ok());
    }

    #[test]
    fn index_and_gzip() {
        let index = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://e.com/s1.xml.gz</loc><lastmod>2024-01-01</lastmod></sitemap>
            <sitemap><loc>https://e.com/s2.xml</loc></sitemap></sitemapindex>"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(index.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        assert!(looks_like_sitemap(&gz));
        let want = Sitemap::Index(vec!["https://e.com/s1.xml.gz".into(), "https://e.com/s2.xml".into()]);
        assert_eq!(parse_sitemap(&gz, None, 1 << 20).unwrap(), want);
        assert_eq!(parse_sitemap(index.as_bytes(), None, 1 << 20).unwrap(), want);
        assert!(matches!(parse_sitemap(&gz, None, 100), Err(SitemapError::TooLarge(100))));
    }

    #[test]
    fn not_sitemaps_and_garbage_are_clear_errors() {
        assert!(matches!(parse_sitemap(b"<rss><channel/></rss>", None, 1024), Err(SitemapError::NotASitemap(_))));
        assert!(parse_sitemap(b"", None, 1024).is_err());
        assert!(parse_sitemap(b"\x1f\x8b\x08garbage", None, 1024).is_err());
        // Truncated: whatever was read, never a panic.
        let _ = parse_sitemap(b"<urlset><url><loc>http://e.com/</loc>", None, 1024);
        assert_eq!(parse_sitemap(b"<urlset/>", None, 1024).unwrap(), Sitemap::Urls(vec![]));
        assert!(!looks_like_sitemap(b"<rss version=\"2.0\">"));
    }
}
