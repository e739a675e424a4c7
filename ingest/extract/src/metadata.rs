//! Metadata from every source the page offers: JSON-LD, OpenGraph and
//! `article:*`, Twitter cards, Dublin Core, plain `<meta name>`, `itemprop`,
//! `<time datetime>`, byline elements, visible dates and the URL.
//!
//! Sources are tried in a fixed order of reliability per field; the first
//! one that yields a parseable value wins.

use crate::clean::{normalize, normalize_opt};
use crate::dates;
use crate::dom::{Doc, IN_ARTICLE, IN_JUNK, Tag};
use crate::jsonld::{self, LdArticle};
use chrono::{DateTime, FixedOffset};
use std::collections::HashMap;

/// `<meta>` contents keyed by lower-cased name/property/itemprop/http-equiv.
pub(crate) struct Metas<'a> {
    map: HashMap<String, Vec<&'a str>>,
}

impl<'a> Metas<'a> {
    pub(crate) fn collect(doc: &Doc<'a>) -> Self {
        let mut map: HashMap<String, Vec<&'a str>> = HashMap::new();
        for &i in &doc.metas {
            let e = &doc.els[i as usize];
            let Some(content) = e.attr("content").or_else(|| e.attr("value")) else { continue };
            for key_attr in ["property", "name", "itemprop", "http-equiv"] {
                if let Some(k) = e.attr(key_attr) {
                    // "og:title" and "og:title twitter:title" (RDFa lists).
                    for k in k.split_whitespace().take(4) {
                        map.entry(k.to_ascii_lowercase()).or_default().push(content);
                    }
                }
            }
        }
        Metas { map }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a str> {
        self.map.get(key).and_then(|v| v.iter().copied().find(|s| !s.trim().is_empty()))
    }

    pub(crate) fn first(&self, keys: &[&str]) -> Option<&'a str> {
        keys.iter().find_map(|k| self.get(k))
    }

    pub(crate) fn all(&self, key: &str) -> &[&'a str] {
        self.map.get(key).map_or(&[], Vec::as_slice)
    }
}

const PUBLISHED_KEYS: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "og:published_time",
    "published_time",
    "publishdate",
    "publish-date",
    "pubdate",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "date",
    "datecreated",
    "original-publish-date",
    "cxenseparse:recs:publishtime",
    "date.available",
];

const MODIFIED_KEYS: &[&str] = &[
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "article.updated",
    "last-modified",
    "lastmod",
];

const AUTHOR_KEYS: &[&str] = &[
    "author",
    "article:author",
    "og:article:author",
    "dc.creator",
    "dcterms.creator",
    "sailthru.author",
    "parsely-author",
    "byl",
    "cxenseparse:author",
    "twitter:creator",
];

/// Raw JSON-LD script texts.
pub(crate) fn json_ld(doc: &Doc) -> Option<LdArticle> {
    let scripts: Vec<String> = doc.json_ld.iter().map(|&i| doc.text_of_raw(i)).collect();
    jsonld::extract(&scripts)
}

/// Value of an `itemprop` element: `content`, `datetime`, or its text.
fn itemprop_value(doc: &Doc, i: u32) -> Option<String> {
    let e = &doc.els[i as usize];
    e.attr("content").or_else(|| e.attr("datetime")).map(normalize).or_else(|| normalize_opt(&doc.text_of(i, 200)))
}

fn itemprops<'d>(doc: &'d Doc, name: &'d str) -> impl Iterator<Item = u32> + 'd {
    doc.itemprops.iter().copied().filter(move |&i| {
        doc.els[i as usize].attr("itemprop").is_some_and(|p| p.split_whitespace().any(|p| p.eq_ignore_ascii_case(name)))
    })
}

pub(crate) fn published(
    doc: &Doc,
    m: &Metas,
    ld: Option<&LdArticle>,
    url: Option<&str>,
) -> Option<DateTime<FixedOffset>> {
    if let Some(d) = ld.and_then(|l| l.published.as_deref()).and_then(dates::parse_machine) {
        return Some(d);
    }
    if let Some(d) = PUBLISHED_KEYS.iter().filter_map(|k| m.get(k)).find_map(dates::parse_machine) {
        return Some(d);
    }
    if let Some(d) =
        itemprops(doc, "datePublished").find_map(|i| itemprop_value(doc, i).as_deref().and_then(dates::parse_machine))
    {
        return Some(d);
    }
    // <time>: one marked pubdate, else the first inside the article, else the first.
    let time_date = |i: &u32| {
        let e = &doc.els[*i as usize];
        e.attr("datetime").and_then(dates::parse_machine).or_else(|| dates::parse_text(&doc.text_of(*i, 200)))
    };
    let times = &doc.times;
    let marked = times.iter().filter(|&&i| doc.els[i as usize].attr("pubdate").is_some()).find_map(time_date);
    let in_article = || times.iter().filter(|&&i| doc.els[i as usize].flags & IN_ARTICLE != 0).find_map(time_date);
    if let Some(d) = marked.or_else(in_article).or_else(|| times.iter().take(3).find_map(time_date)) {
        return Some(d);
    }
    // Visible dates in elements named like dates or bylines.
    let visible = doc.dateish.iter().chain(doc.bylines.iter()).take(40).find_map(|&i| {
        let e = &doc.els[i as usize];
        if e.text > 400 || e.tag == Tag::Script {
            return None;
        }
        dates::parse_text(&doc.text_of(i, 300))
    });
    if visible.is_some() {
        return visible;
    }
    url.and_then(dates::from_url)
}

pub(crate) fn modified(doc: &Doc, m: &Metas, ld: Option<&LdArticle>) -> Option<DateTime<FixedOffset>> {
    ld.and_then(|l| l.modified.as_deref())
        .and_then(dates::parse_machine)
        .or_else(|| MODIFIED_KEYS.iter().filter_map(|k| m.get(k)).find_map(dates::parse_machine))
        .or_else(|| {
            itemprops(doc, "dateModified")
                .find_map(|i| itemprop_value(doc, i).as_deref().and_then(dates::parse_machine))
        })
}

pub(crate) fn authors(doc: &Doc, m: &Metas, ld: Option<&LdArticle>) -> Vec<String> {
    if let Some(l) = ld {
        let a = crate::authors::clean(&l.authors);
        if !a.is_empty() {
            return a;
        }
    }
    for k in AUTHOR_KEYS {
        let raw: Vec<String> = m
            .all(k)
            .iter()
            .filter(|v| !v.contains("://") && !v.trim_start().starts_with('@'))
            .map(|v| v.to_string())
            .collect();
        let a = crate::authors::clean(&raw);
        if !a.is_empty() {
            return a;
        }
    }
    let raw: Vec<String> = itemprops(doc, "author")
        .filter_map(|i| {
            // Prefer a nested itemprop=name.
            let name = itemprops(doc, "name").find(|&j| doc.contains(i, j));
            itemprop_value(doc, name.unwrap_or(i))
        })
        .collect();
    let a = crate::authors::clean(&raw);
    if !a.is_empty() {
        return a;
    }
    let mut raw: Vec<String> = doc
        .links
        .iter()
        .chain(doc.bylines.iter())
        .filter(|&&i| {
            let e = &doc.els[i as usize];
            e.text > 0
                && e.text < 120
                && (e.tag != Tag::Link)
                && (e.flags & IN_JUNK == 0 || e.flags & IN_ARTICLE != 0 || e.tag == Tag::A)
        })
        .take(5)
        .map(|&i| doc.text_of(i, 200))
        .collect();
    raw.extend(
        doc.els
            .iter()
            .enumerate()
            .filter(|(_, e)| e.tag == Tag::A && e.attr("rel").is_some_and(|r| r.contains("author")))
            .take(5)
            .map(|(i, _)| doc.text_of(i as u32, 120)),
    );
    crate::authors::clean(&raw)
}

/// Resolves `href` against the page URL when it is relative.
pub(crate) fn absolutize(href: &str, base: Option<&str>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    if let Ok(u) = url::Url::parse(href) {
        return Some(u.to_string());
    }
    let base = url::Url::parse(base?).ok()?;
    base.join(href).ok().map(|u| u.to_string())
}

pub(crate) fn canonical(doc: &Doc, m: &Metas, base: Option<&str>) -> Option<String> {
    let link = doc.links.iter().find_map(|&i| {
        let e = &doc.els[i as usize];
        let rel = e.attr("rel")?;
        rel.split_whitespace().any(|r| r.eq_ignore_ascii_case("canonical")).then(|| e.attr("href")).flatten()
    });
    link.or_else(|| m.get("og:url")).and_then(|h| absolutize(h, base))
}

/// Splits comma lists and de-duplicates, keeping order.
pub(crate) fn list(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        for part in v.split([',', '،', ';']) {
            if let Some(p) = normalize_opt(part)
                && p.chars().count() <= 100
                && !out.iter().any(|o| o.eq_ignore_ascii_case(&p))
            {
                out.push(p);
            }
        }
    }
    out
}
