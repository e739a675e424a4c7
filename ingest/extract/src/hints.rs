//! Class/id/role hints: does an element's naming say "boilerplate" or
//! "article text"? General vocabulary only, nothing site-specific.

use std::collections::HashMap;

/// What an element's `class`, `id` and `role` suggest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Hint {
    /// Named like navigation, share bars, comments, ads, newsletter boxes...
    pub junk: bool,
    /// 0 = nothing, 1 = weak (content, text, story...), 2 = strong
    /// (article-body, entry-content, itemprop=articleBody).
    pub positive: u8,
    /// Named like a byline/author box (used by the author extractor).
    pub byline: bool,
    /// Named like a date/timestamp holder (used by the date extractor).
    pub date: bool,
}

/// Whole-token or token-prefix matches that mark boilerplate. Dispatches
/// on the first byte so the common (non-matching) token costs a few
/// comparisons.
fn junk_token(t: &str) -> bool {
    let exact: &[&str] = match t.as_bytes().first() {
        Some(b'a') => &["ad", "ads", "adv", "advert", "aside", "author", "authors"],
        Some(b'b') => &["byline", "breadcrumb", "breadcrumbs", "banner", "bio"],
        Some(b'c') => &["caption", "credit", "credits"],
        Some(b'd') => &["date", "dateline", "disclaimer", "donate", "donation"],
        Some(b'f') => &["footer"],
        Some(b'k') => &["keywords"],
        Some(b'l') => &["login"],
        Some(b'm') => &["menu", "menus", "masthead", "modal", "meta", "mostread"],
        Some(b'n') => &["nav"],
        Some(b'o') => &["overlay"],
        Some(b'p') => &["popup", "popular", "poll", "pagination", "pager"],
        Some(b'r') => &["readmore", "rating"],
        Some(b's') => &["signup", "skip", "sidebar", "shariff", "sronly", "srlabel", "subnav", "survey"],
        Some(b't') => {
            &["toolbar", "tags", "timestamp", "trending", "topbar", "tooltip", "tagbox", "taglist", "tagcloud"]
        }
        _ => &[],
    };
    if exact.contains(&t) {
        return true;
    }
    let prefixes: &[&str] = match t.as_bytes().first() {
        Some(b'a') => &["advertis", "adslot", "adunit", "adcontainer", "adwrapper"],
        Some(b'b') => &["breakingnews"],
        Some(b'c') => &["comment", "cookie", "consent", "copyright"],
        Some(b'd') => &["disqus"],
        Some(b'f') => &["figcaption", "followus"],
        Some(b'g') => &["gdpr"],
        Some(b'j') => &["jumplink"],
        Some(b'm') => &["morearticles", "moreon"],
        Some(b'n') => &["newsletter", "navbar", "navigation", "newsticker"],
        Some(b'o') => &["outbrain"],
        Some(b'p') => &["promo", "paywallad"],
        Some(b'r') => &["related", "recommend"],
        Some(b's') => &["share", "sharing", "social", "subscri", "sponsor"],
        Some(b't') => &["taboola", "teaserlist"],
        _ => &[],
    };
    prefixes.iter().any(|p| t.starts_with(p))
}

fn positive_token(t: &str) -> bool {
    matches!(
        t,
        "article"
            | "body"
            | "content"
            | "entry"
            | "main"
            | "post"
            | "story"
            | "text"
            | "richtext"
            | "prose"
            | "paragraph"
            | "paragraphs"
            | "copy"
            | "blog"
    )
}

/// Squashed (alphanumeric-only, lower-case) substrings that strongly mark the
/// article text container.
const STRONG: &[&str] = &[
    "articlebody",
    "storybody",
    "entrycontent",
    "postcontent",
    "articlecontent",
    "articletext",
    "storytext",
    "bodytext",
    "articlecopy",
    "postbody",
    "entrybody",
    "storycontent",
    "newstext",
    "articlemain",
    "contentbody",
    "textbody",
    "richtext",
];

/// Scratch buffers reused across [`classify`] calls so the DOM walk allocates
/// nothing per element, and the hints of class lists already seen: pages
/// repeat the same few hundred class lists over thousands of elements.
#[derive(Default)]
pub(crate) struct Scratch<'a> {
    tokens: String,
    squashed: String,
    by_class: HashMap<&'a str, Hint>,
}

/// Past this many distinct class lists the memo stops growing.
const MEMO_MAX: usize = 4096;

/// Classifies one element from its attributes.
pub(crate) fn classify<'a>(
    class: Option<&'a str>,
    id: Option<&str>,
    role: Option<&str>,
    scratch: &mut Scratch<'a>,
) -> Hint {
    // Class lists repeat across a page: their hint is memoised; an id or a
    // role (mostly unique) is classified on its own and combined with it.
    let Some(c) = class else { return classify_uncached(None, id, role, scratch) };
    let ch = match scratch.by_class.get(c) {
        Some(h) => *h,
        None => {
            let h = classify_uncached(Some(c), None, None, scratch);
            if scratch.by_class.len() < MEMO_MAX {
                scratch.by_class.insert(c, h);
            }
            h
        }
    };
    if id.is_none() && role.is_none() {
        return ch;
    }
    let ih = classify_uncached(None, id, role, scratch);
    // As if classified together: a strong class or any positive id clears
    // junk (an id's positive is 1 exactly when it has a positive token).
    Hint {
        junk: (ch.junk || ih.junk) && ch.positive != 2 && ih.positive == 0,
        positive: ch.positive.max(ih.positive),
        byline: ch.byline || ih.byline,
        date: ch.date || ih.date,
    }
}

fn classify_uncached(class: Option<&str>, id: Option<&str>, role: Option<&str>, scratch: &mut Scratch) -> Hint {
    let Scratch { tokens: buf, squashed, .. } = scratch;
    let mut h = Hint::default();
    if let Some(r) = role
        && matches!(
            r.trim(),
            "navigation"
                | "complementary"
                | "contentinfo"
                | "banner"
                | "search"
                | "dialog"
                | "alertdialog"
                | "menu"
                | "menubar"
        )
    {
        h.junk = true;
    }
    let mut id_positive = false;
    // Whole class names that hide an element (Bootstrap, Tailwind, WordPress
    // screen-reader text). Matched whole so "field--label-hidden" stays.
    if let Some(c) = class
        && c.split_ascii_whitespace().any(|k| {
            matches!(
                k,
                "hidden"
                    | "d-none"
                    | "is-hidden"
                    | "visually-hidden"
                    | "visuallyhidden"
                    | "sr-only"
                    | "screen-reader-text"
                    | "invisible"
                    | "u-hidden"
            )
        })
    {
        h.junk = true;
    }
    for (is_id, attr) in [(false, class), (true, id)] {
        let Some(attr) = attr else { continue };
        if attr.is_empty() || attr.len() > 400 {
            continue;
        }
        // Tokens: split on anything not alphanumeric and on camelCase humps.
        buf.clear();
        let mut prev_lower = false;
        for c in attr.chars() {
            if c.is_ascii_alphanumeric() {
                if c.is_ascii_uppercase() && prev_lower {
                    buf.push(' ');
                }
                prev_lower = c.is_ascii_lowercase();
                buf.push(c.to_ascii_lowercase());
            } else if c == ' ' || c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || !c.is_ascii() {
                buf.push(' ');
                prev_lower = false;
            }
        }
        let mut any_pos = false;
        for t in buf.split(' ').filter(|t| !t.is_empty()) {
            if junk_token(t) {
                h.junk = true;
            }
            if matches!(t, "byline" | "author" | "authors" | "autor" | "autoren" | "writer" | "reporter") {
                h.byline = true;
            }
            if matches!(
                t,
                "date"
                    | "time"
                    | "timestamp"
                    | "dateline"
                    | "datetime"
                    | "pubdate"
                    | "published"
                    | "publish"
                    | "posted"
                    | "datum"
                    | "fecha"
                    | "data"
                    | "tarih"
                    | "updated"
            ) || t.starts_with("publish")
            {
                h.date = true;
            }
            any_pos |= positive_token(t);
        }
        // Squashed forms catch "article__body", "articleBody", "story-body".
        if is_id && any_pos {
            id_positive = true;
        }
        // Every strong name contains one of these; skip the squash otherwise.
        let maybe_strong = ["body", "content", "text", "copy", "main"].iter().any(|k| buf.contains(k));
        if maybe_strong {
            squashed.clear();
            squashed.extend(buf.chars().filter(|c| *c != ' '));
        }
        if maybe_strong && STRONG.iter().any(|s| squashed.contains(s)) {
            h.positive = 2;
        } else if any_pos && h.positive == 0 {
            h.positive = 1;
        }
    }
    if h.positive == 2 || id_positive {
        // "article-body", or an id like "article"/"main-content", beats a
        // stray "comments-enabled" or "masthead" class on the same node.
        h.junk = false;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(class: &str) -> Hint {
        classify(Some(class), None, None, &mut Scratch::default())
    }

    #[test]
    fn boilerplate_names_are_junk() {
        for k in [
            "share-bar",
            "c-social-links",
            "related-articles",
            "newsletter-signup",
            "comments",
            "ad-slot",
            "site-nav",
            "cookieBanner",
            "breadcrumb",
        ] {
            assert!(c(k).junk, "{k}");
        }
    }

    #[test]
    fn article_body_names_are_strong() {
        for k in ["article-body", "article__body", "articleBody", "entry-content", "story-body__inner"] {
            let h = c(k);
            assert_eq!(h.positive, 2, "{k}");
            assert!(!h.junk, "{k}");
        }
    }

    #[test]
    fn neutral_names_are_neutral() {
        let h = c("grid col-8 wrapper");
        assert!(!h.junk);
        assert_eq!(h.positive, 0);
        // "header"/"download"/"shadow" must not match "ad"/"share" prefixes.
        assert!(!c("header-download shadowed").junk);
    }

    #[test]
    fn memoised_class_lists_give_the_same_hints() {
        let mut scratch = Scratch::default();
        for k in ["share-bar", "article-body", "grid col-8", "share-bar", "article-body", "grid col-8"] {
            assert_eq!(classify(Some(k), None, None, &mut scratch), c(k), "{k}");
        }
        assert_eq!(scratch.by_class.len(), 3);
        // An id or role is combined with the memoised class hint exactly as
        // if both were classified together.
        let classes = ["share-bar", "article-body", "grid col-8", "hidden", "byline"];
        let ids = ["main-content", "comments", "article", "x1", "story-text", "pubdate"];
        for c in classes {
            for i in ids {
                for r in [None, Some("navigation"), Some("main")] {
                    let memo = classify(Some(c), Some(i), r, &mut scratch);
                    assert_eq!(memo, classify_uncached(Some(c), Some(i), r, &mut Scratch::default()), "{c} {i} {r:?}");
                }
            }
        }
        assert!(!classify(Some("share-bar"), Some("main-content"), None, &mut scratch).junk);
    }

    #[test]
    fn roles_mark_navigation() {
        assert!(classify(None, None, Some("navigation"), &mut Scratch::default()).junk);
        assert!(!classify(None, None, Some("main"), &mut Scratch::default()).junk);
    }
}
