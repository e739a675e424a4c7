//! An article's text tokenized and normalized once, shared by the parts of
//! the enrichment that read words (entities, keyphrases, summary, amounts,
//! hashtags) so that none of them splits or normalizes the text again.
//!
//! [`Tokens::new`] makes one pass over the text: it splits it at whitespace
//! (as `str::split_whitespace` does) and writes [`normalize`] of the whole
//! text into one string, recording where each token's normalized form lies
//! in it. The normalized forms are therefore exactly `normalize(token)`, and
//! the normalized text from any token on is a slice of the same string, with
//! no allocation per token.
//!
//! [`normalize`]: crate::normalize::normalize

use std::ops::Range;

use crate::normalize::{fold, push_folded};

/// Whitespace tokens of a text, as written and normalized.
#[derive(Debug, Clone, Default)]
pub struct Tokens<'a> {
    /// Each token as written.
    raw: Vec<&'a str>,
    /// Byte offset of each token in the text ([`Tokens::new`] only).
    starts: Vec<usize>,
    /// Byte range of each token's normalized form in `key`.
    norm: Vec<(u32, u32)>,
    /// The normalized text: the tokens' normalized forms, non-empty ones
    /// joined by single spaces.
    key: String,
}

/// Whitespace as `char::is_whitespace`, with the common cases first.
fn is_space(c: char) -> bool {
    match c {
        ' ' | '\t'..='\r' => true,
        c if c.is_ascii() => false,
        '\u{0600}'..='\u{06FF}' => false,
        c => c.is_whitespace(),
    }
}

impl<'a> Tokens<'a> {
    /// Tokenize and normalize `text` in one pass.
    pub fn new(text: &'a str) -> Self {
        // Offsets are u32 in the normalized text: larger inputs are cut
        // (callers read at most a few hundred KB).
        let text = cut(text, u32::MAX as usize / 2);
        let mut t = Tokens {
            raw: Vec::with_capacity(text.len() / 6),
            starts: Vec::with_capacity(text.len() / 6),
            norm: Vec::with_capacity(text.len() / 6),
            key: String::with_capacity(text.len()),
        };
        let mut start: Option<usize> = None;
        let mut norm_start: Option<usize> = None;
        let mut pending_space = false;
        for (i, c) in text.char_indices() {
            if is_space(c) {
                if let Some(s) = start.take() {
                    t.push_token(&text[s..i], s, norm_start.take());
                }
                pending_space = !t.key.is_empty();
                continue;
            }
            if start.is_none() {
                start = Some(i);
            }
            match fold(c) {
                None => {}
                Some(' ') => pending_space = !t.key.is_empty(),
                Some(f) => {
                    if pending_space {
                        t.key.push(' ');
                        pending_space = false;
                    }
                    norm_start.get_or_insert(t.key.len());
                    push_folded(&mut t.key, f);
                }
            }
        }
        if let Some(s) = start {
            t.push_token(&text[s..], s, norm_start);
        }
        t
    }

    /// Tokens given one by one (each kept as one token, whatever it holds),
    /// for callers that have their own tokenization (an annotated corpus).
    pub fn from_raw(raw: &[&'a str]) -> Self {
        let mut t = Tokens::default();
        for tok in raw {
            let mut norm_start = None;
            let mut pending_space = false;
            for c in tok.chars() {
                match fold(c) {
                    None => {}
                    Some(' ') => pending_space = !t.key.is_empty(),
                    Some(f) => {
                        if pending_space || (norm_start.is_none() && !t.key.is_empty()) {
                            t.key.push(' ');
                            pending_space = false;
                        }
                        norm_start.get_or_insert(t.key.len());
                        push_folded(&mut t.key, f);
                    }
                }
            }
            let end = t.key.len() as u32;
            let s = norm_start.map_or(end, |s| s as u32);
            t.raw.push(tok);
            t.norm.push((s, end));
        }
        t
    }

    fn push_token(&mut self, raw: &'a str, start: usize, norm_start: Option<usize>) {
        let end = self.key.len() as u32;
        self.raw.push(raw);
        self.starts.push(start);
        self.norm.push((norm_start.map_or(end, |s| s as u32), end));
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Token `i` as written.
    pub fn raw(&self, i: usize) -> &'a str {
        self.raw[i]
    }

    /// All tokens as written.
    pub fn raws(&self) -> &[&'a str] {
        &self.raw
    }

    /// `normalize(token i)`: may be empty (punctuation) or hold spaces
    /// (`بـ"ذا` → `ب ذا`).
    pub fn norm(&self, i: usize) -> &str {
        let (s, e) = self.norm[i];
        &self.key[s as usize..e as usize]
    }

    /// The normalized text of tokens `i..`: `normalize` of the text from
    /// token `i` on.
    pub fn key_from(&self, i: usize) -> &str {
        match (i..self.len()).find(|&j| self.norm[j].0 < self.norm[j].1) {
            Some(j) => &self.key[self.norm[j].0 as usize..],
            None => "",
        }
    }

    /// Byte range of token `i` in the text ([`Tokens::new`] only; empty
    /// otherwise).
    pub fn byte_range(&self, i: usize) -> Range<usize> {
        match self.starts.get(i) {
            Some(&s) => s..s + self.raw[i].len(),
            None => 0..0,
        }
    }

    /// Index of the first token starting at or after byte `offset` of the
    /// text ([`Tokens::new`] only).
    pub fn first_at(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s < offset)
    }

    /// Tokens `start..end` as written, joined by spaces.
    pub fn surface(&self, start: usize, end: usize) -> String {
        self.raw[start..end].join(" ")
    }
}

/// The longest prefix of `text` of at most `max` bytes, on a character
/// boundary.
pub fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    #[test]
    fn tokens_and_normalized_forms_match_split_and_normalize() {
        let text = "  قالَ «الوزيرُ»، بـ\"ذا فويس\"  \u{200F}#داعش\n\u{00A0}Hello, WORLD! ٢٠٢٠ ، ";
        let t = Tokens::new(text);
        let raw: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(t.raws(), raw.as_slice());
        for (i, r) in raw.iter().enumerate() {
            assert_eq!(t.norm(i), normalize(r), "{r}");
            assert_eq!(&text[t.byte_range(i)], *r);
        }
        assert_eq!(t.key_from(0), normalize(text));
        // From the token after the quote: the text from there on.
        let from = t.first_at(text.find("بـ").unwrap());
        assert_eq!(t.key_from(from), normalize(&text[text.find("بـ").unwrap()..]));
        assert_eq!(t.key_from(raw.len() - 1), "");
    }

    #[test]
    fn given_tokens_stay_tokens() {
        let t = Tokens::from_raw(&["وبالعراق", "،", "a b", "أحمد"]);
        assert_eq!(t.len(), 4);
        assert_eq!((t.norm(0), t.norm(1), t.norm(2), t.norm(3)), ("وبالعراق", "", "a b", "احمد"));
        assert_eq!(t.key_from(1), "a b احمد");
        assert!(Tokens::new("").is_empty() && Tokens::new(" \n ").is_empty());
    }
}
