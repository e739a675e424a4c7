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

use std::collections::HashSet;

use crate::fxhash::FxHashMap;

use crate::terms::{is_stop, strip_clitics};
use crate::text::Tokens;

/// Longest phrase, in words.
const MAX_WORDS: usize = 3;

/// Content-word runs of tokens `range` of `t`: (term, raw word) per word.
pub(crate) fn runs<'t>(t: &'t Tokens, range: std::ops::Range<usize>) -> Vec<Vec<(&'t str, &'t str)>> {
    let mut out = Vec::new();
    let mut run: Vec<(&str, &str)> = Vec::new();
    for i in range {
        let raw = t.raw(i);
        // `normalize(raw)`: punctuation around the word normalizes away.
        let norm = t.norm(i);
        let term = strip_clitics(norm);
        let content = !norm.is_empty()
            && !norm.contains(' ')
            && term.chars().count() >= 3
            && !term.bytes().all(|b| b.is_ascii_digit())
            && !is_stop(norm)
            && !is_stop(term);
        if content {
            run.push((term, raw.trim_matches(|c: char| !word_char(c))));
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

/// A letter or digit; Arabic letters and ASCII without the Unicode tables.
pub(crate) fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || ('\u{0621}'..='\u{064A}').contains(&c)
        || ('\u{0660}'..='\u{0669}').contains(&c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

fn phrase_hash(words: &[(&str, &str)]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fxhash::FxHasher::default();
    for (t, _) in words {
        t.hash(&mut h);
    }
    h.finish()
}

/// Up to `n` keyphrases of an article, best first.
pub fn keyphrases(title: Option<&str>, text: &str, n: usize) -> Vec<String> {
    let title = title.unwrap_or("");
    let joined = format!("{title}\n{text}");
    let t = Tokens::new(&joined);
    let body = t.first_at(title.len() + 1);
    keyphrases_in(&t, 0..body, body..t.len(), n)
}

/// [`keyphrases`] over tokenized text: the title's tokens `title`, the
/// body's `body`.
pub fn keyphrases_in(t: &Tokens, title: std::ops::Range<usize>, body: std::ops::Range<usize>, n: usize) -> Vec<String> {
    let title_runs = runs(t, title);
    let title_terms: HashSet<&str> = title_runs.iter().flatten().map(|(t, _)| *t).collect();
    let mut all = runs(t, body);
    all.extend(title_runs.iter().cloned());
    let mut word_tf: FxHashMap<&str, usize> = FxHashMap::default();
    // Phrase hash → (count, run, position, words).
    let mut seen: FxHashMap<u64, (usize, usize, usize, usize)> = FxHashMap::default();
    for (r, run) in all.iter().enumerate() {
        for (t, _) in run {
            *word_tf.entry(t).or_default() += 1;
        }
        for len in 1..=MAX_WORDS.min(run.len()) {
            for pos in 0..=run.len() - len {
                seen.entry(phrase_hash(&run[pos..pos + len])).or_insert((0, r, pos, len)).0 += 1;
            }
        }
    }
    let key =
        |r: usize, pos: usize, len: usize| all[r][pos..pos + len].iter().map(|(t, _)| *t).collect::<Vec<_>>().join(" ");
    // (score, key, run, position, words); the key is built once per phrase.
    let mut scored: Vec<(f64, String, usize, usize, usize)> = seen
        .into_values()
        .filter(|&(count, _, _, len)| len == 1 || count >= 2)
        .filter_map(|(count, r, pos, len)| {
            let words = &all[r][pos..pos + len];
            let in_title = words.iter().filter(|(t, _)| title_terms.contains(t)).count() as f64;
            let mean_tf = words.iter().map(|(t, _)| word_tf[t] as f64).sum::<f64>() / len as f64;
            let score = count as f64 * (len as f64).sqrt() * (1.0 + in_title / len as f64) + 0.1 * mean_tf;
            (score >= 2.0).then(|| (score, key(r, pos, len), r, pos, len))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut keys: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (_, key, r, pos, len) in scored {
        // A phrase that contains or is contained in a chosen one adds little.
        let padded = format!(" {key} ");
        if keys.iter().any(|k| padded.contains(k.as_str()) || k.contains(padded.as_str())) {
            continue;
        }
        keys.push(padded);
        out.push(all[r][pos..pos + len].iter().map(|(_, w)| *w).collect::<Vec<_>>().join(" "));
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
