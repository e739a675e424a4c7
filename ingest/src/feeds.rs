//! Feed entries: RSS 0.9x–2.0, RDF, Atom and JSON Feed through feed-rs.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset};
use newsflow_wire::FeedHint;

use crate::xml_charset::xml_to_utf8;

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
    parse_feed_with_type(bytes, base, None)
}

/// Parse a feed document served with `content_type` (its `charset` wins over
/// the XML declaration, as RFC 7303 says). `base` resolves relative links.
///
/// XML is decoded to UTF-8 first ([`crate::xml_charset`]): feed-rs's own
/// encoding handling panics on some documents. A panic inside feed-rs is
/// still caught and reported as an error: no input may crash the fetcher.
pub fn parse_feed_with_type(
    bytes: &[u8],
    base: Option<&str>,
    content_type: Option<&str>,
) -> Result<Vec<FeedEntry>, FeedError> {
    parse_feed_in(bytes, base, content_type, None)
}

/// [`parse_feed_with_type`] for a source whose dates without an offset are
/// local time in `tz` (see [`crate::dates`]): entries feed-rs found no date
/// for are read again with the zone-aware parser.
pub fn parse_feed_in(
    bytes: &[u8],
    base: Option<&str>,
    content_type: Option<&str>,
    tz: Option<chrono_tz::Tz>,
) -> Result<Vec<FeedEntry>, FeedError> {
    let is_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let bytes = if is_json { Cow::Borrowed(bytes) } else { fix_rss_version(xml_to_utf8(bytes, content_type).0) };
    let parse = |tz: Option<chrono_tz::Tz>| {
        std::panic::catch_unwind(|| {
            let mut builder = feed_rs::parser::Builder::new().base_uri(base);
            if let Some(tz) = tz {
                builder = builder.timestamp_parser(move |t| crate::dates::parse_in_zone(t, tz));
            }
            builder.build().parse(&bytes[..])
        })
    };
    let mut feed = match parse(None) {
        // An `<rss>` without a `<channel>` (or a similar shell) is an empty
        // feed, not an unreadable one.
        Ok(Err(feed_rs::parser::ParseFeedError::ParseError(feed_rs::parser::ParseErrorKind::NoFeedRoot)))
            if is_feed_root(&bytes) =>
        {
            return Ok(Vec::new());
        }
        Ok(r) => r.map_err(|e| FeedError(e.to_string()))?,
        Err(_) => return Err(FeedError("the feed parser failed on this document".into())),
    };
    if tz.is_some()
        && feed.entries.iter().any(|e| e.published.is_none() && e.updated.is_none())
        && let Ok(Ok(zoned)) = parse(tz)
        && zoned.entries.len() == feed.entries.len()
    {
        for (e, z) in feed.entries.iter_mut().zip(zoned.entries) {
            if e.published.is_none() && e.updated.is_none() {
                e.published = z.published.or(z.updated);
            }
        }
    }
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

/// Feed autodiscovery: the feeds a homepage announces with
/// `<link rel="alternate" type="application/rss+xml|atom+xml|feed+json" href>`,
/// resolved against `base`, in page order, without duplicates (at most 16).
/// A small tag scanner: only `<link>` tags are of interest, and it must not
/// fail on any input.
pub fn discover_feeds(html: &str, base: &str) -> Vec<String> {
    const FEED_TYPES: [&str; 5] = [
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
    ];
    let Ok(base) = url::Url::parse(base) else { return Vec::new() };
    let lower = html.to_ascii_lowercase();
    let mut found: Vec<String> = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("<link") {
        let start = from + pos;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        from = end;
        let tag = &html[start..end];
        let rel = attr(tag, "rel").unwrap_or_default().to_ascii_lowercase();
        let kind = attr(tag, "type").unwrap_or_default().to_ascii_lowercase();
        if !rel.split_ascii_whitespace().any(|r| r == "alternate") || !FEED_TYPES.contains(&kind.trim()) {
            continue;
        }
        let Some(href) = attr(tag, "href") else { continue };
        let Ok(u) = base.join(href.trim()) else { continue };
        if matches!(u.scheme(), "http" | "https") && !found.contains(&u.to_string()) {
            found.push(u.to_string());
        }
        if found.len() >= 16 || from >= lower.len() {
            break;
        }
    }
    found
}

/// The value of attribute `name` in a start tag (quoted or bare).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(name) {
        let at = from + pos;
        from = at + name.len();
        let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_at = lower.len() - rest[1..].trim_start().len();
        let value = &tag[value_at..];
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or_default(),
            _ => value.split(|c: char| c.is_ascii_whitespace()).next().unwrap_or_default(),
        });
    }
    None
}

/// feed-rs recognizes `<rss>` only with version 2.0, 0.91 or 0.92; feeds in
/// the wild also say nothing, 0.93, 0.94 or 2.01. Those are read as RSS 2.0
/// (a superset of the others) by rewriting the root's version.
fn fix_rss_version(doc: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let Some((start, end)) = root_tag(&doc) else { return doc };
    let tag = &doc[start..end];
    let is_rss = tag.len() >= 4
        && tag[1..4].eq_ignore_ascii_case(b"rss")
        && tag.get(4).is_none_or(|c| c.is_ascii_whitespace() || *c == b'/');
    if !is_rss {
        return doc;
    }
    let version = find(tag, b"version").and_then(|at| {
        let rest = &tag[at + 7..];
        let eq = rest.iter().position(|c| !c.is_ascii_whitespace())?;
        (rest[eq] == b'=').then_some(())?;
        let q_at = eq + 1 + rest[eq + 1..].iter().position(|c| !c.is_ascii_whitespace())?;
        let q = rest[q_at];
        if q != b'"' && q != b'\'' {
            return None;
        }
        let len = rest[q_at + 1..].iter().position(|c| *c == q)?;
        Some((at + 7 + q_at + 1, len))
    });
    match version {
        Some((v_start, len)) => {
            let v = &tag[v_start..v_start + len];
            if matches!(v, b"2.0" | b"0.91" | b"0.92" | b"") {
                return doc;
            }
            let mut out = doc[..start + v_start].to_vec();
            out.extend_from_slice(b"2.0");
            out.extend_from_slice(&doc[start + v_start + len..]);
            Cow::Owned(out)
        }
        None => {
            let mut out = doc[..start + 4].to_vec();
            out.extend_from_slice(b" version=\"2.0\"");
            out.extend_from_slice(&doc[start + 4..]);
            Cow::Owned(out)
        }
    }
}

/// Whether the root element is `rss`, `feed` or `RDF` (any prefix).
fn is_feed_root(doc: &[u8]) -> bool {
    let Some((start, end)) = root_tag(doc) else { return false };
    let name_end =
        doc[start + 1..end].iter().position(|c| c.is_ascii_whitespace() || *c == b'/').map_or(end, |p| start + 1 + p);
    let name = &doc[start + 1..name_end];
    let local = name.rsplit(|c| *c == b':').next().unwrap_or(name);
    matches!(local, b"rss" | b"feed" | b"RDF")
}

/// Byte range of the root element's start tag (`<name …>`), skipping the
/// declaration, comments, processing instructions and a DOCTYPE.
fn root_tag(doc: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < doc.len() {
        let lt = i + doc[i..].iter().position(|c| *c == b'<')?;
        let rest = &doc[lt..];
        if rest.starts_with(b"<!--") {
            i = lt + 4 + find(&rest[4..], b"-->")? + 3;
        } else if rest.starts_with(b"<?") {
            i = lt + 2 + find(&rest[2..], b"?>")? + 2;
        } else if rest.starts_with(b"<!") {
            // A DOCTYPE may hold an internal subset in brackets.
            let close = match (find(rest, b"["), find(rest, b">")) {
                (Some(b), Some(g)) if b < g => {
                    b + find(&rest[b..], b"]")? + find(&rest[b..][find(&rest[b..], b"]")?..], b">")?
                }
                (_, Some(g)) => g,
                _ => return None,
            };
            i = lt + close + 1;
        } else {
            let end = lt + rest.iter().position(|c| *c == b'>')?;
            return Some((lt, end));
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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
    fn rss_without_or_with_odd_version_is_read_as_rss2() {
        for root in ["<rss>", "<rss version=\"0.94\">", "<rss version='2.01' xmlns:dc=\"x\">"] {
            let doc = format!(
                "<?xml version=\"1.0\"?>\n<!-- c > -->\n<!DOCTYPE rss [<!ENTITY x \"y\">]>{root}<channel><item><link>http://e.com/1</link></item></channel></rss>"
            );
            let entries = parse_feed(doc.as_bytes(), None).unwrap_or_else(|e| panic!("{root}: {e}"));
            assert_eq!(entries[0].url, "http://e.com/1", "{root}");
        }
        // A shell without a channel is an empty feed.
        assert_eq!(parse_feed(b"<rss version=\"2.0\">\n</rss>", None).unwrap(), vec![]);
        // Not an rss root: untouched.
        assert_eq!(root_tag(b"<!-- x --><rssx a='1'>"), Some((10, 21)));
        assert!(matches!(fix_rss_version(Cow::Borrowed(b"<rssx>")), Cow::Borrowed(_)));
    }

    #[test]
    fn feeds_are_discovered_from_a_homepage() {
        let html = r#"<html><head>
            <link rel="stylesheet" href="/s.css">
            <LINK REL="alternate" TYPE="application/rss+xml" title="الأخبار" HREF="/rss.xml">
            <link rel=alternate type=application/atom+xml href=https://cdn.example/atom>
            <link rel="alternate" type="text/html" hreflang="en" href="/en/">
            <link rel="alternate" type="application/rss+xml" href="/rss.xml">
            <link rel="alternate" type="application/feed+json" href='feed.json'/>
            <link rel="alternate" type="application/rss+xml" href="javascript:x">
            <link rel="alternate" type="application/rss+xml"
            </head></html>"#;
        assert_eq!(
            discover_feeds(html, "https://news.example/ar/"),
            vec!["https://news.example/rss.xml", "https://cdn.example/atom", "https://news.example/ar/feed.json"]
        );
        assert!(discover_feeds("<link", "https://e.com/").is_empty());
        assert!(discover_feeds("<link rel=alternate type=application/rss+xml href=", "https://e.com/").len() <= 1);
        assert!(discover_feeds("no links", "not a url").is_empty());
    }

    #[test]
    fn dates_without_offset_take_the_source_s_time_zone() {
        let rss = br#"<rss version="2.0"><channel><title>t</title>
            <item><title>A</title><link>https://e.com/a</link><pubDate>2024-03-10 09:30:00</pubDate></item>
            <item><title>B</title><link>https://e.com/b</link><pubDate>Sun, 10 Mar 2024 09:30:00 +0000</pubDate></item>
            </channel></rss>"#;
        let plain = parse_feed(rss, None).unwrap();
        assert_eq!(plain[0].hint.published, None, "no zone known: no date");
        let tz: chrono_tz::Tz = "Asia/Riyadh".parse().unwrap();
        let zoned = parse_feed_in(rss, None, None, Some(tz)).unwrap();
        let want = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap());
        assert_eq!(zoned[0].hint.published, want("2024-03-10T06:30:00Z"));
        assert_eq!(zoned[1].hint.published, want("2024-03-10T09:30:00Z"), "an offset is kept");
        assert_eq!(plain[1].hint.published, zoned[1].hint.published);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = parse_feed(b"<html><body>not a feed</body></html>", None).unwrap_err();
        assert!(err.to_string().starts_with("not a readable feed"), "{err}");
        assert!(parse_feed(b"", None).is_err());
    }
}
