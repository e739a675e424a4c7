//! Cheap checks before parsing: size, emptiness, "is this HTML at all", and
//! block nesting depth.
//!
//! Design note: html5ever's tree builder scans its stack of open elements
//! for many start tags, so N nested `<div>`s cost O(N²) (100,000 took 50 s
//! here). A byte scan counting open/close tags of the block elements that
//! really nest refuses such input in linear time. Inline elements (`<span>`,
//! `<b>`) nest cheaply in html5ever and are handled by the iterative walks.

use crate::error::ExtractError;

/// No real page comes near this; html5ever parses this deep in ~50 ms.
pub(crate) const MAX_BLOCK_DEPTH: usize = 4096;

/// Best effort for inputs over `max_bytes`: the longest prefix of at most
/// `max_bytes` that ends before a tag (so no tag is cut in half) and on a
/// char boundary; html5ever closes whatever is left open. `None` when the
/// input fits.
pub(crate) fn truncate(html: &str, max_bytes: usize) -> Option<&str> {
    if html.len() <= max_bytes {
        return None;
    }
    let head = prefix(html, max_bytes);
    // A '<' within the last 64 KiB; beyond that (one giant text node) cut anywhere.
    let window = head.len().saturating_sub(1 << 16);
    let end =
        memchr::memrchr(b'<', &head.as_bytes()[window..]).map(|p| window + p).filter(|&e| e > 0).unwrap_or(head.len());
    Some(&html[..end])
}

pub(crate) fn check(html: &str) -> Result<(), ExtractError> {
    if html.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    let head = prefix(html, 8192);
    let controls = head.chars().filter(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{0C}')).count();
    if head.contains('\0') || controls * 20 > head.chars().count() {
        return Err(ExtractError::NotHtml { reason: "binary data (control characters)".into() });
    }
    if !has_markup(prefix(html, 1 << 16)) {
        return Err(ExtractError::NotHtml { reason: "no HTML tags in the first 64 KiB".into() });
    }
    Ok(())
}

/// Refuses block nesting deeper than [`MAX_BLOCK_DEPTH`]; the depth is
/// counted by the pre-parse filter's scan (`prefilter::Stripped`).
pub(crate) fn check_depth(depth: usize) -> Result<(), ExtractError> {
    if depth > MAX_BLOCK_DEPTH {
        return Err(ExtractError::TooDeep { depth, limit: MAX_BLOCK_DEPTH });
    }
    Ok(())
}

/// The longest prefix of at most `n` bytes ending on a char boundary.
fn prefix(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn has_markup(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'!' || w[1] == b'/'))
}

pub(crate) const NESTING: &[&[u8]] = &[
    b"div",
    b"section",
    b"article",
    b"aside",
    b"nav",
    b"header",
    b"footer",
    b"main",
    b"blockquote",
    b"ul",
    b"ol",
    b"dl",
    b"fieldset",
    b"figure",
    b"form",
    b"table",
    b"center",
    b"details",
    b"address",
    b"menu",
    b"dir",
    b"summary",
    b"hgroup",
    b"search",
    b"dialog",
];

/// Maximum open-minus-closed count of nesting block tags, skipping comments
/// and script/style contents. Stops counting once `stop` is passed. Used for
/// the part of a page that the pre-parse filter leaves unscanned.
pub(crate) fn max_block_depth(b: &[u8], stop: usize) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        i += off + 1;
        if b[i..].starts_with(b"!--") {
            i = memchr::memmem::find(&b[i..], b"-->").map_or(b.len(), |p| i + p + 3);
            continue;
        }
        let close = b.get(i) == Some(&b'/');
        let start = if close { i + 1 } else { i };
        let mut end = start;
        while end < b.len() && b[end].is_ascii_alphanumeric() && end - start < 16 {
            end += 1;
        }
        let name = &b[start..end];
        if !close && (eq(name, b"script") || eq(name, b"style") || eq(name, b"textarea")) {
            i = skip_raw_text(b, end, name);
            continue;
        }
        if (2..=10).contains(&name.len()) && NESTING.iter().any(|t| eq(name, t)) {
            if close {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                max = max.max(depth);
                if max > stop {
                    return max;
                }
            }
        }
        i = end;
    }
    max
}

fn eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Index just past `</name` (case-insensitive) at or after `from`.
fn skip_raw_text(b: &[u8], from: usize, name: &[u8]) -> usize {
    let mut i = from;
    while let Some(p) = memchr::memmem::find(&b[i..], b"</") {
        let at = i + p + 2;
        if b.get(at..at + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            return at + name.len();
        }
        i = at;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_real_nesting() {
        assert_eq!(max_block_depth(b"<div><div></div><DIV></div></div>", 100), 2);
        assert_eq!(max_block_depth(b"<!-- <div><div> --><script>'<div><div>'</script><div>", 100), 1);
        assert_eq!(max_block_depth(b"<span><span><p><p>", 100), 0);
    }

    #[test]
    fn refuses_deep_divs_quickly() {
        let s = "<div>".repeat(100_000);
        let depth = crate::prefilter::strip(&s, true).block_depth;
        assert!(matches!(check_depth(depth), Err(ExtractError::TooDeep { .. })));
        assert!(check_depth(max_block_depth(s.as_bytes(), MAX_BLOCK_DEPTH)).is_err());
    }

    #[test]
    fn classifies_non_html() {
        assert_eq!(check("   \n"), Err(ExtractError::Empty));
        assert!(matches!(check("just text, no tags"), Err(ExtractError::NotHtml { .. })));
        assert!(matches!(check("\u{0}\u{1}\u{2}PNG\u{3}\u{4}"), Err(ExtractError::NotHtml { .. })));
        assert!(check("<p>ok</p>").is_ok());
    }

    #[test]
    fn truncates_before_a_tag_on_a_char_boundary() {
        assert_eq!(truncate("<p>ok</p>", 100), None);
        assert_eq!(truncate("<p>one</p><p>two</p>", 15), Some("<p>one</p>"));
        // No '<' to cut at but the first: the char boundary at or below the limit.
        assert_eq!(truncate("<p>\u{627}\u{628}\u{629}", 6), Some("<p>\u{627}"));
    }
}
