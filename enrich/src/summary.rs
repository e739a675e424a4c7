//! A short extractive summary: the lead sentence (news puts the gist
//! first), then the sentences that carry most of the article's repeated
//! content words ([`crate::terms`]), kept in their order, at
//! most [`MAX_CHARS`].

use std::ops::Range;

use crate::fxhash::FxHashMap;
use crate::normalize::normalize;
use crate::terms::{TokenTerms, terms};
use crate::text::Tokens;

/// Longest summary, in characters.
pub const MAX_CHARS: usize = 400;

/// Sentences of `text`: split after . ! ? ؟ and at line breaks; each as
/// its trimmed byte range.
fn sentence_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut push = |a: usize, b: usize| {
        let s = &text[a..b];
        let lead = s.len() - s.trim_start().len();
        let trimmed = s.trim();
        if !trimmed.is_empty() {
            out.push(a + lead..a + lead + trimmed.len());
        }
    };
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?' | '؟' | '\n') {
            let end = i + c.len_utf8();
            // "1.25": a point between digits ends no sentence.
            let digit_around = c == '.'
                && text[..i].chars().next_back().is_some_and(|p| p.is_ascii_digit())
                && text[end..].chars().next().is_some_and(|n| n.is_ascii_digit());
            if !digit_around {
                push(start, end);
                start = end;
            }
        }
    }
    push(start, text.len());
    out
}

#[cfg(test)]
fn sentences(text: &str) -> Vec<&str> {
    sentence_ranges(text).into_iter().map(|r| &text[r]).collect()
}

/// Up to `n` sentences of `text` as one string; `None` for a text with no
/// sentence of four words or more.
pub fn summarize(text: &str, n: usize) -> Option<String> {
    let t = Tokens::new(text);
    summarize_in(&t, &TokenTerms::new(&t), text, 0, n)
}

/// [`summarize`] of `text`, the part of the text tokenized as `t` (with
/// `tt` its terms) that starts at byte `base`: sentences whose words are
/// whole tokens of `t` reuse their terms.
pub fn summarize_in(t: &Tokens, tt: &TokenTerms, text: &str, base: usize, n: usize) -> Option<String> {
    // Sentences of four words or more, with their term ids; a sentence
    // that splits a token is normalized alone, its new terms numbered on.
    let mut own: Vec<String> = Vec::new();
    let mut sents: Vec<(Range<usize>, Option<Range<usize>>)> = Vec::new();
    for r in sentence_ranges(text) {
        let (a, b) = (t.first_at(base + r.start), t.first_at(base + r.end));
        let aligned = b > a && t.byte_range(a).start == base + r.start && t.byte_range(b - 1).end == base + r.end;
        if aligned {
            if b - a >= 4 {
                sents.push((r, Some(a..b)));
            }
        } else if text[r.clone()].split_whitespace().count() >= 4 {
            own.push(normalize(&text[r.clone()]));
            sents.push((r, None));
        }
    }
    if sents.is_empty() {
        return None;
    }
    let mut extra: FxHashMap<&str, u32> = FxHashMap::default();
    let mut own_iter = own.iter();
    let per_sentence: Vec<Vec<u32>> = sents
        .iter()
        .map(|(_, toks)| match toks {
            Some(toks) => toks.clone().flat_map(|k| tt.of(k).iter().copied()).collect(),
            None => own_iter
                .next()
                .map(|s| {
                    terms(s)
                        .filter(|w| w.chars().count() >= 3)
                        .map(|w| {
                            tt.id(w).unwrap_or_else(|| {
                                let next = (tt.terms.len() + extra.len()) as u32;
                                *extra.entry(w).or_insert(next)
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let sents: Vec<&str> = sents.iter().map(|(r, _)| &text[r.clone()]).collect();
    let mut tf = vec![0u32; tt.terms.len() + extra.len()];
    for terms in &per_sentence {
        for &id in terms {
            tf[id as usize] += 1;
        }
    }
    let mut scored: Vec<(f64, usize)> = per_sentence
        .iter()
        .enumerate()
        .map(|(i, terms)| {
            let weight: f64 = terms.iter().map(|&id| (f64::from(tf[id as usize]) - 1.0).max(0.0)).sum();
            let lead = if i == 0 { f64::INFINITY } else { 1.0 };
            (lead * (1.0 + weight) / (terms.len().max(1) as f64).sqrt(), i)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = Vec::new();
    let mut len = 0;
    for (_, i) in scored {
        if chosen.len() == n {
            break;
        }
        let l = sents[i].chars().count();
        if !chosen.is_empty() && len + l > MAX_CHARS {
            continue;
        }
        chosen.push(i);
        len += l + 1;
    }
    chosen.sort_unstable();
    let summary = chosen.iter().map(|&i| sents[i]).collect::<Vec<_>>().join(" ");
    Some(match summary.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &summary[..cut]),
        None => summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_central_sentences_in_order() {
        let text = "اجتمع وزراء خارجية التحالف الدولي في روما لبحث الحرب على داعش. \
                    وكان الطقس معتدلا في المدينة طوال اليوم. \
                    وأكد وزراء التحالف الدولي مواصلة الحرب على داعش حتى هزيمته. \
                    وزار بعضهم متحفا قديما بعد الظهر.";
        let s = summarize(text, 2).unwrap();
        assert!(s.starts_with("اجتمع وزراء"), "{s}");
        assert!(s.contains("مواصلة الحرب"), "{s}");
        assert!(!s.contains("الطقس"), "{s}");
    }

    #[test]
    fn bounded_and_empty_inputs() {
        assert_eq!(summarize("", 2), None);
        assert_eq!(summarize("كلمة واحدة.", 2), None);
        let long = "كلمة ".repeat(5000);
        assert!(summarize(&long, 3).unwrap().chars().count() <= MAX_CHARS + 1);
        assert_eq!(sentences("ارتفع 1.25 مليار. ثم"), vec!["ارتفع 1.25 مليار.", "ثم"]);
        // A sentence mark inside a token: the sentence is normalized alone.
        let s = summarize("اجتمع الوزراء في روما اليوم.وقال الوزير إن الاجتماع مهم جدا", 2).unwrap();
        assert!(s.contains("وقال الوزير"), "{s}");
    }
}
