//! The search form of text: what full-text indexes store and what queries
//! and alert rules are matched against, so search and alerts agree.
//!
//! It is [`normalize`] (Arabic letter forms, diacritics, digits, case)
//! followed by light stemming of each word ([`strip_clitics`]: the article
//! and attached conjunctions/prepositions, "والاجتماع" → "اجتماع"), the
//! usual first step of Arabic information retrieval. Stop words are kept so
//! that phrases still match word for word.

use crate::normalize::normalize;
use crate::terms::strip_clitics;

/// The search form of `text`: normalized, light-stemmed words separated by
/// one space.
pub fn search_form(text: &str) -> String {
    let normalized = normalize(text);
    let mut out = String::with_capacity(normalized.len());
    for w in normalized.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(strip_clitics(w));
    }
    out
}

/// The search form of one query word (a word of a rule or a search box).
/// `None` when nothing searchable is left (punctuation only).
pub fn search_word(word: &str) -> Option<String> {
    let form = search_form(word);
    (!form.is_empty()).then_some(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_variants_meet() {
        assert_eq!(search_form("والاجتماعُ في بغداد"), search_form("الاجتماع في بغداد"));
        assert_eq!(search_form("إعلان"), search_form("اعلان"));
        assert_eq!(search_form("Paris, FRANCE!"), "paris france");
        assert_eq!(search_word("،"), None);
        assert_eq!(search_word("بالاجتماع").as_deref(), Some("اجتماع"));
    }
}
