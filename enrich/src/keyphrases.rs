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

use crate::fxhash::FxHashMap;
use crate::terms::TokenTerms;
use crate::text::Tokens;

/// Longest phrase, in words.
const MAX_WORDS: usize = 3;

/// Content-word runs of tokens `range` of `t`, appended to `words` (term
/// id and word as written, per word) with the range of each run in `runs`.
fn runs<'t>(
    t: &Tokens<'t>,
    tt: &TokenTerms,
    range: std::ops::Range<usize>,
    words: &mut Vec<(u32, &'t str)>,
    runs: &mut Vec<std::ops::Range<usize>>,
) {
    let mut start = words.len();
    for i in range {
        let raw = t.raw(i);
        match tt.content(i) {
            Some(id) => words.push((id, raw.trim_matches(|c: char| !word_char(c)))),
            None => {
                if words.len() > start {
                    runs.push(start..words.len());
                }
                start = words.len();
            }
        }
        // Punctuation after a word ends the run too.
        if raw.ends_with(['.', '،', ',', '؛', ';', ':', '؟', '?', '!', '»', '"']) {
            if words.len() > start {
                runs.push(start..words.len());
            }
            start = words.len();
        }
    }
    if words.len() > start {
        runs.push(start..words.len());
    }
}

/// A letter or digit; Arabic letters and ASCII without the Unicode tables.
pub(crate) fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || ('\u{0621}'..='\u{064A}').contains(&c)
        || ('\u{0660}'..='\u{0669}').contains(&c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Up to `n` keyphrases of an article, best first.
pub fn keyphrases(title: Option<&str>, text: &str, n: usize) -> Vec<String> {
    let title = title.unwrap_or("");
    let joined = format!("{title}\n{text}");
    let t = Tokens::new(&joined);
    let body = t.first_at(title.len() + 1);
    keyphrases_in(&t, &TokenTerms::new(&t), 0..body, body..t.len(), n)
}

/// [`keyphrases`] over tokenized text (with `tt` its terms): the title's
/// tokens `title`, the body's `body`.
pub fn keyphrases_in(
    t: &Tokens,
    tt: &TokenTerms,
    title: std::ops::Range<usize>,
    body: std::ops::Range<usize>,
    n: usize,
) -> Vec<String> {
    // Body runs first, then the title's: a phrase shows as first written.
    let (mut words, mut all) = (Vec::new(), Vec::new());
    runs(t, tt, body, &mut words, &mut all);
    let title_from = words.len();
    runs(t, tt, title, &mut words, &mut all);
    let mut in_title = vec![false; tt.terms.len()];
    let mut word_tf = vec![0u32; tt.terms.len()];
    for (k, &(id, _)) in words.iter().enumerate() {
        word_tf[id as usize] += 1;
        if k >= title_from {
            in_title[id as usize] = true;
        }
    }
    // Phrase (up to three term ids) → (count, first word, length).
    let none = u32::MAX;
    let mut seen: FxHashMap<[u32; MAX_WORDS], (usize, usize, usize)> =
        FxHashMap::with_capacity_and_hasher(words.len() * 2, Default::default());
    for run in &all {
        for len in 1..=MAX_WORDS.min(run.len()) {
            for pos in run.start..=run.end - len {
                let mut key = [none; MAX_WORDS];
                for (k, w) in words[pos..pos + len].iter().enumerate() {
                    key[k] = w.0;
                }
                seen.entry(key).or_insert((0, pos, len)).0 += 1;
            }
        }
    }
    let key = |pos: usize, len: usize| {
        words[pos..pos + len].iter().map(|&(id, _)| tt.terms[id as usize]).collect::<Vec<_>>().join(" ")
    };
    // (score, key, first word, length); keys built for kept phrases only.
    let mut scored: Vec<(f64, String, usize, usize)> = seen
        .into_values()
        .filter(|&(count, _, len)| len == 1 || count >= 2)
        .filter_map(|(count, pos, len)| {
            let phrase = &words[pos..pos + len];
            let titled = phrase.iter().filter(|(id, _)| in_title[*id as usize]).count() as f64;
            let mean_tf = phrase.iter().map(|(id, _)| f64::from(word_tf[*id as usize])).sum::<f64>() / len as f64;
            let score = count as f64 * (len as f64).sqrt() * (1.0 + titled / len as f64) + 0.1 * mean_tf;
            (score >= 2.0).then(|| (score, key(pos, len), pos, len))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut keys: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (_, key, pos, len) in scored {
        // A phrase that contains or is contained in a chosen one adds little.
        let padded = format!(" {key} ");
        if keys.iter().any(|k| padded.contains(k.as_str()) || k.contains(padded.as_str())) {
            continue;
        }
        keys.push(padded);
        out.push(words[pos..pos + len].iter().map(|(_, w)| *w).collect::<Vec<_>>().join(" "));
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
