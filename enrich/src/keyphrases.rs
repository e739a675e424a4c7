//! Keyphrases: the most repeated words and phrases of an article (runs of
//! up to three content words between stop words and punctuation), title
//! words weighted up. Words meet through [`crate::terms`] (normalized,
//! clitics stripped), so "الاتفاق" and "والاتفاق" count together; each
//! phrase is shown as first written.
//!
//! Own code rather than `yake-rust`: it reuses the enricher's one
//! normalization, stop words and clitic stripper (YAKE's Arabic stop list
//! does not fold alef/hamza/ta marbuta and needs `،` normalized first), and
//! costs a few microseconds per article.

use std::collections::HashMap;

use crate::normalize::normalize;
use crate::terms::{is_stop, strip_clitics};

/// Longest phrase, in words.
const MAX_WORDS: usize = 3;

/// Content-word runs of `text`: (term, raw word) per word.
pub(crate) fn runs(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut run: Vec<(String, String)> = Vec::new();
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let norm = normalize(word);
        let term = strip_clitics(&norm).to_owned();
        let content = !norm.is_empty()
            && !norm.contains(' ')
            && !is_stop(&norm)
            && !is_stop(&term)
            && term.chars().count() >= 3
            && !term.chars().all(|c| c.is_ascii_digit());
        if content {
            run.push((term, word.to_owned()));
        } else if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
        // Punctuation after a word ends the run too.
        let ends = raw.ends_with(['.', '،', ',', '؛', ';', ':', '؟', '?', '!', '»', '"']);
        if ends && !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// Up to `n` keyphrases of an article, best first.
pub fn keyphrases(title: Option<&str>, text: &str, n: usize) -> Vec<String> {
    let title_terms: Vec<String> = title.map(runs).unwrap_or_default().into_iter().flatten().map(|(t, _)| t).collect();
    // Phrase key → (count, first surface, words).
    let mut seen: HashMap<String, (usize, String, usize)> = HashMap::new();
    let mut word_tf: HashMap<String, usize> = HashMap::new();
    let both = format!("{}\n{}", title.unwrap_or(""), text);
    for run in runs(&both) {
        for (t, _) in &run {
            *word_tf.entry(t.clone()).or_default() += 1;
        }
        for len in 1..=MAX_WORDS.min(run.len()) {
            for w in run.windows(len) {
                let key = w.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(" ");
                let surface = w.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>().join(" ");
                seen.entry(key).or_insert((0, surface, len)).0 += 1;
            }
        }
    }
    let mut scored: Vec<(f64, String, String)> = seen
        .into_iter()
        .filter(|(_, (count, _, len))| *len == 1 || *count >= 2)
        .map(|(key, (count, surface, len))| {
            let words: Vec<&str> = key.split(' ').collect();
            let in_title = words.iter().filter(|w| title_terms.iter().any(|t| t == *w)).count() as f64;
            let mean_tf = words.iter().map(|w| word_tf.get(*w).copied().unwrap_or(0) as f64).sum::<f64>() / len as f64;
            let score = count as f64 * (len as f64).sqrt() * (1.0 + in_title / len as f64) + 0.1 * mean_tf;
            (score, key, surface)
        })
        .filter(|(score, _, _)| *score >= 2.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut keys: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (_, key, surface) in scored {
        // A phrase that contains or is contained in a chosen one adds little.
        let padded = format!(" {key} ");
        if keys.iter().any(|k| padded.contains(&format!(" {k} ")) || format!(" {k} ").contains(&padded)) {
            continue;
        }
        keys.push(key);
        out.push(surface);
        if out.len() == n {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_arabic_phrases_rank_first_and_clitics_meet() {
        let text = "أعلن التحالف الدولي بدء الخطة الأمنية. وقال إن التحالف الدولي سيواصل عملياته، \
                    وأكد قادة التحالف الدولي أن الخطة الأمنية تبدأ اليوم في الموصل وبالموصل.";
        let k = keyphrases(Some("التحالف الدولي يبدأ الخطة الأمنية"), text, 3);
        assert_eq!(k[0], "التحالف الدولي");
        assert!(k.contains(&"الخطة الأمنية".to_owned()), "{k:?}");
        assert!(k.iter().any(|p| p == "الموصل"), "{k:?}");
    }

    #[test]
    fn english_and_degenerate_inputs() {
        let k = keyphrases(None, "The oil price rose. Oil price rises hit markets; the oil price fell later.", 2);
        assert_eq!(k[0], "oil price");
        assert!(keyphrases(None, "", 5).is_empty());
        assert!(keyphrases(None, "في من على", 5).is_empty());
    }
}
