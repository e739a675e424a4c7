//! A short extractive summary: the lead sentence (news puts the gist
//! first), then the sentences that carry most of the article's repeated
//! content words ([`crate::terms`]), kept in their order, at
//! most [`MAX_CHARS`].

use crate::fxhash::FxHashMap;
use crate::normalize::normalize;
use crate::terms::terms;

/// Longest summary, in characters.
pub const MAX_CHARS: usize = 400;

/// Sentences of `text`: split after . ! ? ؟ and at line breaks.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?' | '؟' | '\n') {
            let end = i + c.len_utf8();
            // "1.25": a point between digits ends no sentence.
            let digit_around = c == '.'
                && text[..i].chars().next_back().is_some_and(|p| p.is_ascii_digit())
                && text[end..].chars().next().is_some_and(|n| n.is_ascii_digit());
            if !digit_around {
                let s = text[start..end].trim();
                if !s.is_empty() {
                    out.push(s);
                }
                start = end;
            }
        }
    }
    let s = text[start..].trim();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// Up to `n` sentences of `text` as one string; `None` for a text with no
/// sentence of four words or more.
pub fn summarize(text: &str, n: usize) -> Option<String> {
    let sents: Vec<&str> = sentences(text).into_iter().filter(|s| s.split_whitespace().count() >= 4).collect();
    if sents.is_empty() {
        return None;
    }
    let normalized: Vec<String> = sents.iter().map(|s| normalize(s)).collect();
    let per_sentence: Vec<Vec<&str>> =
        normalized.iter().map(|s| terms(s).filter(|t| t.chars().count() >= 3).collect()).collect();
    let mut tf: FxHashMap<&str, usize> = FxHashMap::default();
    for terms in &per_sentence {
        for t in terms {
            *tf.entry(t).or_default() += 1;
        }
    }
    let mut scored: Vec<(f64, usize)> = per_sentence
        .iter()
        .enumerate()
        .map(|(i, terms)| {
            let weight: f64 = terms.iter().map(|t| (tf[t] as f64 - 1.0).max(0.0)).sum();
            let lead = if i == 0 { f64::INFINITY } else { 1.0 };
            (lead * (1.0 + weight) / (terms.len().max(1) as f64).sqrt(), i)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = Vec::new();
    let mut len = 0;
    for (_, i) in scored {
        let l = sents[i].chars().count();
        if chosen.len() == n || (!chosen.is_empty() && len + l > MAX_CHARS) {
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
    }
}
