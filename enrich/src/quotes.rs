//! Quotations and their speakers: text between « », “ ” or straight
//! double quotes, of at least three words, with the person (or body) named
//! next to a verb of saying around it: "وقال بلينكن: «…»", "«…»، أكد
//! المتحدث باسم الخارجية نيد برايس", "“…,” said Antony Blinken".

use serde::Serialize;

use crate::entities::{Kind, find};
use crate::normalize::normalize;

/// One quotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    /// The quoted words, as written.
    pub text: String,
    /// The speaker as written, when the text names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
}

/// Verbs of saying (normalized, with و / ف stripped by the caller).
const SAY: &[&str] = &[
    "قال",
    "قالت",
    "اكد",
    "اكدت",
    "اوضح",
    "اوضحت",
    "اضاف",
    "اضافت",
    "صرح",
    "صرحت",
    "تابع",
    "تابعت",
    "ذكر",
    "ذكرت",
    "شدد",
    "شددت",
    "said",
    "says",
    "added",
    "told",
    "stated",
];

/// Longest quotation kept, in characters; context searched for a speaker.
const MAX_QUOTE: usize = 2000;
const CONTEXT: usize = 160;

fn is_say(tok: &str) -> bool {
    let t = tok.strip_prefix('و').or_else(|| tok.strip_prefix('ف')).filter(|r| SAY.contains(r)).unwrap_or(tok);
    SAY.contains(&t)
}

/// The quotations of `text` with their speakers.
pub fn find_quotes(text: &str) -> Vec<Quote> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some((open_at, close)) = next_open(rest) {
        let body_start = offset + open_at + rest[open_at..].chars().next().map_or(1, char::len_utf8);
        let Some(len) = text[body_start..].find(close) else { break };
        let body = text[body_start..body_start + len].trim();
        let after = body_start + len + close.len_utf8();
        if body.split_whitespace().count() >= 3 && body.len() <= MAX_QUOTE {
            let before = tail(&text[..offset + open_at], CONTEXT);
            let following = head(&text[after..], CONTEXT);
            out.push(Quote { text: body.to_owned(), speaker: speaker(before, following) });
        }
        offset = after;
        rest = &text[after..];
    }
    out
}

/// The next opening quote mark and its closing mark.
fn next_open(s: &str) -> Option<(usize, char)> {
    s.char_indices().find_map(|(i, c)| match c {
        '«' => Some((i, '»')),
        '“' => Some((i, '”')),
        '"' => Some((i, '"')),
        _ => None,
    })
}

fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    // Only the sentence the quotation is in.
    let s = &s[start..];
    match s.char_indices().rev().find(|(_, c)| matches!(c, '.' | '\n' | '؟' | '!')) {
        Some((i, c)) => &s[i + c.len_utf8()..],
        None => s,
    }
}

fn head(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let s = &s[..end];
    match s.find(['.', '\n', '؟', '!', '«', '“']) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// The speaker: the first person or organization after a verb of saying,
/// in the words just before the quotation, else just after it.
fn speaker(before: &str, after: &str) -> Option<String> {
    for part in [before, after] {
        let tokens: Vec<&str> = part.split_whitespace().collect();
        let Some(verb) = tokens.iter().rposition(|t| is_say(&normalize(t))) else { continue };
        let mentions = find(part);
        let named = mentions.iter().find(|m| m.start > verb && matches!(m.kind, Kind::Per | Kind::Org));
        if let Some(m) = named {
            let surface = tokens[m.start..m.end].join(" ");
            return Some(surface.trim_matches(|c: char| !c.is_alphanumeric()).to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_quotes_with_the_speaker_before_or_after() {
        let q = find_quotes("وقال وزير الخارجية الأميركي أنتوني بلينكن: «سنواصل دعم الحلفاء في المنطقة». ثم غادر.");
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].text, "سنواصل دعم الحلفاء في المنطقة");
        assert_eq!(q[0].speaker.as_deref(), Some("أنتوني بلينكن"));
        let q = find_quotes("«الوضع الإنساني في غزة كارثي»، أكد أنطونيو غوتيريش أمس");
        assert_eq!(q[0].speaker.as_deref(), Some("أنطونيو غوتيريش"));
    }

    #[test]
    fn english_quotes_and_unattributed_ones() {
        let q = find_quotes("“We will not back down,” said Antony Blinken on Monday.");
        assert_eq!(q[0].speaker.as_deref(), Some("Antony Blinken"));
        let q = find_quotes("رفع المتظاهرون شعار «الشعب يريد التغيير» في الساحة");
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].speaker, None);
    }

    #[test]
    fn short_or_unclosed_quotes_are_skipped() {
        assert!(find_quotes("سمّي «داعش» بذلك").is_empty());
        assert!(find_quotes("قال «بلا نهاية").is_empty());
        assert!(find_quotes("").is_empty());
        // A multi-byte sentence mark right before the quotation.
        let q = find_quotes("لماذا؟\"دعي الأمر بيد الله وسيحصل لك حقوقك\"");
        assert_eq!(q.len(), 1);
    }
}
