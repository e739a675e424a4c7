//! OPML feed lists (the format feed readers export) to sources.

use quick_xml::events::Event;

use crate::SourceConfig;

/// Why an OPML document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("not readable XML: {0}")]
    Xml(String),
    #[error("not an OPML document: {0}")]
    NotOpml(String),
}

/// Every `<outline xmlUrl=…>` of an OPML document, in document order, as
/// sources (id from the outline's title when it has one; the titles of the
/// folders it sits in as tags). Outlines without an http(s) `xmlUrl`
/// (folders) are skipped; duplicates are kept once.
pub fn parse_opml(text: &str) -> Result<Vec<SourceConfig>, OpmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut seen_root = false;
    let mut sources: Vec<SourceConfig> = Vec::new();
    let mut depth = 0usize;
    // One entry per open element: the folder title of an open outline.
    let mut folders: Vec<Option<String>> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| OpmlError::Xml(e.to_string()))?;
        let (e, open) = match event {
            Event::Start(e) => {
                depth += 1;
                (e, true)
            }
            Event::Empty(e) => (e, false),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                folders.pop();
                continue;
            }
            // A truncated file must not import half a list silently.
            Event::Eof if depth > 0 => return Err(OpmlError::Xml("the document ends inside an element".into())),
            Event::Eof => break,
            _ => continue,
        };
        let name = e.local_name().as_ref().to_ascii_lowercase();
        if open {
            folders.push(None);
        }
        if !seen_root {
            if name != "opml" {
                return Err(OpmlError::NotOpml(format!("root element <{name}>")));
            }
            seen_root = true;
            continue;
        }
        if name != "outline" {
            continue;
        }
        let mut url = None;
        let mut title = None;
        for attr in e.attributes().flatten() {
            let key = attr.key.local_name().as_ref().to_ascii_lowercase();
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default();
            match key.as_str() {
                "xmlurl" if !value.is_empty() => url = Some(value),
                "title" if !value.is_empty() => title = Some(value),
                "text" if title.is_none() && !value.is_empty() => title = Some(value),
                _ => {}
            }
        }
        let Some(url) = url.filter(|u: &String| u.starts_with("http://") || u.starts_with("https://")) else {
            if open && let Some(last) = folders.last_mut() {
                *last = title.filter(|t| t.chars().count() <= 64 && !t.chars().any(char::is_control));
            }
            continue;
        };
        if sources.iter().any(|s| s.url == url) {
            continue;
        }
        let mut source = SourceConfig::from_url(&url);
        source.tags = folders.iter().flatten().take(32).cloned().collect();
        source.id = title
            .map(|t| slug(&t))
            .filter(|s| !s.is_empty() && !sources.iter().any(|o| o.id.as_deref() == Some(s.as_str())));
        sources.push(source);
    }
    if !seen_root {
        return Err(OpmlError::NotOpml("empty document".into()));
    }
    Ok(sources)
}

/// A short id from a title: letters and digits (any script) joined by '-'.
fn slug(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_in_folders_with_titles() {
        let opml = r#"<?xml version="1.0"?><opml version="2.0"><head><title>subs</title></head><body>
            <outline text="عربي"><outline type="rss" text="بي بي سي عربي" xmlUrl="https://feeds.bbci.co.uk/arabic/rss.xml"/>
            <outline type="rss" title="Le Monde &amp; Co" xmlUrl="https://www.lemonde.fr/rss/une.xml"/></outline>
            <outline type="rss" text="dup" xmlUrl="https://www.lemonde.fr/rss/une.xml"/>
            <outline type="rss" text="not http" xmlUrl="ftp://example.com/x"/></body></opml>"#;
        let s = parse_opml(opml).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].id.as_deref(), Some("بي-بي-سي-عربي"));
        assert_eq!(s[0].tags, ["عربي"], "the folder becomes a tag");
        assert_eq!(s[1].url, "https://www.lemonde.fr/rss/une.xml");
        assert_eq!(s[1].id.as_deref(), Some("le-monde-co"));
    }

    #[test]
    fn garbage_is_a_clear_error() {
        assert!(matches!(parse_opml("<rss></rss>"), Err(OpmlError::NotOpml(_))));
        assert!(matches!(parse_opml(""), Err(OpmlError::NotOpml(_))));
        assert!(parse_opml("<opml><body><outline xmlUrl='http://a' </body>").is_err());
    }
}
