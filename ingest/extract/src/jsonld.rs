//! JSON-LD (`<script type="application/ld+json">`): finds the article object
//! among arrays, `@graph`s and nested `mainEntity`s, and reads the fields
//! we use, resolving `{"@id": ...}` author references inside the page.

use serde_json::Value;
use std::collections::HashMap;

/// Fields of the best article-typed object on the page.
#[derive(Debug, Default, Clone)]
pub(crate) struct LdArticle {
    pub headline: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub description: Option<String>,
    pub body: Option<String>,
    pub image: Option<String>,
    pub publisher: Option<String>,
    pub keywords: Vec<String>,
    pub sections: Vec<String>,
    pub url: Option<String>,
    pub language: Option<String>,
}

/// Rank of a schema.org type as "the article" (higher is better).
fn type_rank(t: &str) -> u8 {
    let t = t.rsplit(['/', ':']).next().unwrap_or(t);
    match t {
        "NewsArticle"
        | "ReportageNewsArticle"
        | "AnalysisNewsArticle"
        | "OpinionNewsArticle"
        | "BackgroundNewsArticle"
        | "ReviewNewsArticle"
        | "LiveBlogPosting" => 4,
        "Article" | "BlogPosting" | "Report" | "TechArticle" | "ScholarlyArticle" | "SatiricalArticle"
        | "SocialMediaPosting" | "Review" | "VideoObject" => 3,
        "WebPage" | "ItemPage" | "CollectionPage" => 1,
        _ => 0,
    }
}

fn types(o: &serde_json::Map<String, Value>) -> u8 {
    match o.get("@type") {
        Some(Value::String(s)) => type_rank(s),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(type_rank).max().unwrap_or(0),
        _ => 0,
    }
}

/// Parses one script body, repairing the common breakages (HTML comment or
/// CDATA wrappers, raw newlines inside strings).
fn parse(raw: &str) -> Option<Value> {
    let s = raw.trim();
    let s = s.trim_start_matches("<!--").trim_end_matches("-->");
    let s = s.trim().trim_start_matches("//<![CDATA[").trim_end_matches("//]]>").trim();
    if let Ok(v) = serde_json::from_str(s) {
        return Some(v);
    }
    let fixed: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    serde_json::from_str(&fixed).ok()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => crate::clean::normalize_opt(&crate::clean::unescape_entities(s)),
        Value::Array(a) => a.iter().find_map(text),
        Value::Object(o) => o.get("name").or_else(|| o.get("@value")).and_then(text),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn texts(v: &Value, split_commas: bool) -> Vec<String> {
    let mut out = Vec::new();
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for it in items {
        if let Some(s) = text(it) {
            if split_commas {
                out.extend(s.split([',', '،', ';']).filter_map(crate::clean::normalize_opt));
            } else {
                out.push(s);
            }
        }
    }
    out
}

fn image_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => crate::clean::normalize_opt(s),
        Value::Array(a) => a.iter().find_map(image_url),
        Value::Object(o) => o.get("url").or_else(|| o.get("contentUrl")).and_then(image_url),
        _ => None,
    }
}

/// Author names; `ids` resolves `{"@id": ...}` references to a name.
fn authors(v: &Value, ids: &HashMap<String, String>) -> Vec<String> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for it in items {
        match it {
            Value::Object(o) => {
                if let Some(n) = o.get("name").and_then(text) {
                    out.push(n);
                } else if let Some(n) = o.get("@id").and_then(Value::as_str).and_then(|id| ids.get(id)) {
                    out.push(n.clone());
                }
            }
            other => out.extend(text(other)),
        }
    }
    out
}

/// Reads all JSON-LD blocks (raw script texts) and returns the best article.
pub(crate) fn extract(scripts: &[String]) -> Option<LdArticle> {
    let mut objects: Vec<&serde_json::Map<String, Value>> = Vec::new();
    let values: Vec<Value> = scripts.iter().filter_map(|s| parse(s)).collect();
    // Iterative walk over every object in every block.
    let mut stack: Vec<&Value> = values.iter().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(o) => {
                objects.push(o);
                for (k, child) in o {
                    if matches!(
                        k.as_str(),
                        "@graph" | "mainEntity" | "mainEntityOfPage" | "itemListElement" | "hasPart" | "subjectOf"
                    ) {
                        stack.push(child);
                    }
                }
            }
            _ => {}
        }
        if objects.len() > 10_000 {
            break;
        }
    }
    let ids: HashMap<String, String> = objects
        .iter()
        .filter_map(|o| Some((o.get("@id")?.as_str()?.to_string(), o.get("name").and_then(text)?)))
        .collect();
    // Best: highest type rank, then has a headline, then has a body.
    let best = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| types(o) > 0)
        .max_by_key(|(i, o)| {
            (types(o), o.contains_key("headline"), o.contains_key("articleBody"), std::cmp::Reverse(*i))
        })
        .map(|(_, o)| *o)?;
    let get = |k: &str| best.get(k);
    let mut a = LdArticle {
        headline: get("headline").or_else(|| get("name")).and_then(text),
        authors: get("author").or_else(|| get("creator")).map(|v| authors(v, &ids)).unwrap_or_default(),
        published: get("datePublished").or_else(|| get("dateCreated")).and_then(text),
        modified: get("dateModified").and_then(text),
        description: get("description").and_then(text),
        body: get("articleBody").and_then(|v| v.as_str()).map(str::to_string),
        image: get("image").or_else(|| get("thumbnailUrl")).and_then(image_url),
        publisher: get("publisher").and_then(|p| match p {
            Value::Object(o) if o.get("name").is_none() => {
                o.get("@id").and_then(Value::as_str).and_then(|id| ids.get(id)).cloned()
            }
            other => text(other),
        }),
        keywords: get("keywords").map(|v| texts(v, true)).unwrap_or_default(),
        sections: get("articleSection").map(|v| texts(v, false)).unwrap_or_default(),
        url: get("url").and_then(text),
        language: get("inLanguage").and_then(text),
    };
    if types(best) < 3 {
        // A WebPage object: keep only what a page-level object means.
        a.body = None;
    }
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> LdArticle {
        extract(&[s.to_string()]).unwrap()
    }

    #[test]
    fn graph_with_author_reference() {
        let a = one(r##"{"@context":"https://schema.org","@graph":[
            {"@type":"WebSite","@id":"#site","name":"Example"},
            {"@type":"Person","@id":"#p1","name":"Jane Roe"},
            {"@type":["NewsArticle"],"headline":"Big  news","author":[{"@id":"#p1"},{"@type":"Person","name":"John Doe"}],
             "datePublished":"2024-05-17T10:30:00+02:00","publisher":{"@id":"#site"},"keywords":"a, b","articleSection":["World"]}]}"##);
        assert_eq!(a.headline.as_deref(), Some("Big news"));
        assert_eq!(a.authors, ["Jane Roe", "John Doe"]);
        assert_eq!(a.published.as_deref(), Some("2024-05-17T10:30:00+02:00"));
        assert_eq!(a.publisher.as_deref(), Some("Example"));
        assert_eq!(a.keywords, ["a", "b"]);
        assert_eq!(a.sections, ["World"]);
    }

    #[test]
    fn array_of_blocks_prefers_news_article_and_strings_work() {
        let a = one(
            r##"[{"@type":"BreadcrumbList"},{"@type":"ReportageNewsArticle","headline":"H","author":"Agency X","image":["https://x/i.jpg"]}]"##,
        );
        assert_eq!(a.authors, ["Agency X"]);
        assert_eq!(a.image.as_deref(), Some("https://x/i.jpg"));
    }

    #[test]
    fn repairs_raw_newlines_and_comment_wrappers() {
        let a = one("<!--{\"@type\":\"BlogPosting\",\"headline\":\"Line\none\"}-->");
        assert_eq!(a.headline.as_deref(), Some("Line one"));
    }

    #[test]
    fn garbage_and_deep_nesting_do_not_panic() {
        assert!(extract(&["{not json".into()]).is_none());
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(extract(&[deep]).is_none());
    }
}
