//! Text normalisation shared by every field: bidi-mark removal, whitespace
//! collapsing, and the short "boilerplate line" patterns dropped from bodies.
//!
//! Letters are never altered: Arabic diacritics, ZWNJ/ZWJ and tatweel pass
//! through untouched; only directional formatting marks are removed.

/// Directional formatting characters removed from all text: LRM, RLM,
/// LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI, and the Arabic letter mark (ALM,
/// U+061C), which is an invisible bidi mark as well.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whitespace for collapsing purposes: Unicode White_Space (which includes
/// NBSP, narrow NBSP, figure space, ideographic space) plus the BOM.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

/// Appends `src` to `out`, dropping bidi marks and collapsing whitespace runs
/// to one ASCII space. `pending_space` carries a space across calls so text
/// split over several DOM text nodes joins correctly.
pub(crate) fn push_normalized(out: &mut String, src: &str, pending_space: &mut bool) {
    for c in src.chars() {
        if is_space(c) {
            *pending_space = true;
        } else if is_bidi_control(c) {
            continue;
        } else {
            if *pending_space && !out.is_empty() && !out.ends_with('\n') {
                out.push(' ');
            }
            *pending_space = false;
            out.push(c);
        }
    }
}

/// Normalises one short field value (title, author, meta content).
pub(crate) fn normalize(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut pending = false;
    push_normalized(&mut out, src, &mut pending);
    out
}

/// Like [`normalize`], returning `None` when nothing is left.
pub(crate) fn normalize_opt(src: &str) -> Option<String> {
    let s = normalize(src);
    (!s.is_empty()).then_some(s)
}

/// Number of non-space, non-bidi characters: the text-length unit used by the
/// scorer (no allocation).
pub(crate) fn visible_len(src: &str) -> usize {
    src.chars().filter(|&c| !is_space(c) && !is_bidi_control(c)).count()
}

/// Fast approximation of [`visible_len`] for scoring: counts UTF-8 lead
/// bytes that are not ASCII whitespace (a no-break space or bidi mark counts
/// as one character, which does not matter for scores).
pub(crate) fn approx_len(src: &str) -> usize {
    src.bytes().filter(|&b| (b & 0xC0) != 0x80 && !b.is_ascii_whitespace()).count()
}

/// Lower-cases ASCII and folds a few typographic variants so that boilerplate
/// matching is robust; non-ASCII letters are left as they are.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '’' | '‘' => '\'',
            _ => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Phrases that make a *short* paragraph boilerplate (share bars, prompts,
/// closed-comment notices, ad labels) in the languages we see most.
const BOILERPLATE_PHRASES: &[&str] = &[
    "advertisement",
    "advertising",
    "anzeige",
    "werbung",
    "read more",
    "read also",
    "see also",
    "also read",
    "related:",
    "related articles",
    "more from",
    "share this",
    "share on",
    "share article",
    "sign up",
    "subscribe",
    "newsletter",
    "follow us",
    "click here",
    "comments are closed",
    "comments closed",
    "leave a comment",
    "all rights reserved",
    "cookie",
    "lesen sie auch",
    "mehr zum thema",
    "auch interessant",
    "jetzt abonnieren",
    "artikel teilen",
    "zum newsletter",
    "lire aussi",
    "lea también",
    "leer más",
    "publicidad",
    "mehr zum thema",
    "schlagwörter",
    "recommended videos",
    "most popular",
    "most read",
    "trending now",
    "التعليقات مغلقة",
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "اقرأ ايضا",
    "شارك",
    "إعلان",
    "تابعونا",
    "اشترك",
];

/// True when a body paragraph is a known boilerplate line. Only short lines
/// are tested so a real paragraph that happens to mention a newsletter stays.
pub(crate) fn is_boilerplate_line(p: &str) -> bool {
    let n = p.chars().count();
    if n == 0 {
        return true;
    }
    if n > 90 {
        return false;
    }
    let f = fold(p);
    if BOILERPLATE_PHRASES.iter().any(|ph| f.contains(ph)) {
        return true;
    }
    // Photo credits ("© Reuters") and date stamps ("Stand: 17.06.2025 18:24").
    if p.contains('©') || (n < 50 && crate::dates::parse_text(p).is_some()) {
        return true;
    }
    // Lines that are only punctuation/symbols/digits (separators, "1 2 3 >").
    !p.chars().any(char::is_alphabetic)
}

/// A short line that is not a sentence: kickers, section labels, widget
/// titles. Kept inside the text (they are headings there) but trimmed from
/// its start and end.
pub(crate) fn is_edge_fragment(p: &str) -> bool {
    let n = p.chars().count();
    let ends_sentence = p
        .trim_end_matches(['"', '\'', '»', '«', '”', '“', ')', ' '])
        .ends_with(['.', '!', '?', '…', '。', '！', '？', '؟', ':']);
    n < 60 && !ends_sentence
}

/// Decodes HTML character references left in a value that was escaped twice
/// (JSON-LD strings and meta content often are: `&quot;`, `&uuml;`,
/// `&#039;`). Runs html5ever's tokenizer, which knows every named
/// reference, and only when a reference is present; `<` is escaped first so
/// that text like "a<b" stays text.
pub(crate) fn unescape_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !has_reference(s) {
        return std::borrow::Cow::Borrowed(s);
    }
    let fragment = scraper::Html::parse_fragment(&s.replace('<', "&lt;"));
    std::borrow::Cow::Owned(fragment.root_element().text().collect())
}

/// Is there an `&name;` or `&#123;` in `s`?
fn has_reference(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'&', b).any(|i| {
        let rest = &b[i + 1..];
        let n = rest.iter().take(40).take_while(|c| c.is_ascii_alphanumeric() || **c == b'#').count();
        n > 0 && rest.get(n) == Some(&b';')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_bidi_marks_and_keeps_diacritics() {
        let s = "\u{200F}مَرْحَبًا\u{202B} بِكُم\u{2069}\u{200E}";
        assert_eq!(normalize(s), "مَرْحَبًا بِكُم");
    }

    #[test]
    fn collapses_all_unicode_spaces() {
        assert_eq!(normalize("  a\u{00A0}\u{00A0}b\u{202F}c\t\n d\u{3000}"), "a b c d");
    }

    #[test]
    fn keeps_zero_width_joiners_used_in_persian() {
        assert_eq!(normalize("می\u{200C}خواهم"), "می\u{200C}خواهم");
    }

    #[test]
    fn flags_closed_comments_in_arabic_and_english() {
        assert!(is_boilerplate_line("التعليقات مغلقة."));
        assert!(is_boilerplate_line("Comments are closed."));
        assert!(is_boilerplate_line("— • —"));
        assert!(!is_boilerplate_line("The minister said the plan would go ahead."));
    }

    #[test]
    fn long_paragraph_mentioning_newsletter_is_kept() {
        let p = "The newsletter, which the company started in 2019 to reach readers directly, now has more subscribers than the print edition ever had.";
        assert!(!is_boilerplate_line(p));
    }

    #[test]
    fn decodes_references_left_by_double_escaping() {
        assert_eq!(unescape_entities("Schubert: &quot;Nicht mehr&quot;"), "Schubert: \"Nicht mehr\"");
        assert_eq!(unescape_entities("R&uuml;ckbau &#8216;x&#8217; T&#xFC;r"), "Rückbau ‘x’ Tür");
        assert_eq!(unescape_entities("AT&T <b> & 3<5; a&b"), "AT&T <b> & 3<5; a&b");
        assert_eq!(unescape_entities("1 &lt; 2 <i>x</i>"), "1 < 2 <i>x</i>");
    }
}
