//! Headline selection and site-name suffix stripping.

use crate::clean::{normalize, unescape_entities};

const SEPARATORS: &[&str] =
    &[" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " « ", " » ", " / ", " ‹ ", " › ", " ｜ ", "｜", " │ "];

/// Lower-cased alphanumerics only, German umlauts spelled out so that
/// "Börsen-Zeitung" matches the host label "boersen-zeitung".
fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// Same letters and digits, ignoring case, spaces and punctuation.
pub(crate) fn same_words(a: &str, b: &str) -> bool {
    let p = squash(a);
    !p.is_empty() && p == squash(b)
}

/// Does `part` name the site (site name, or the host's main label)?
fn is_site(part: &str, sites: &[String]) -> bool {
    let p = squash(part);
    !p.is_empty()
        && sites.iter().any(|s| {
            let s = squash(s);
            !s.is_empty() && (s == p || (s.len() >= 4 && (p.contains(&s) || s.contains(&p))))
        })
}

/// How freely [`strip_site`] drops a short trailing segment that is not a
/// known site name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strip {
    /// Only after " | " (meta titles: a pipe there is nearly always a suffix).
    Pipes,
    /// After any separator (`<title>`, which nearly always carries the site).
    Any,
}

/// Removes leading or trailing site-name segments ("Title | Site",
/// "Site - Title", "Title | Site | by Author"). A trailing segment of at most
/// three words that is not a known site name goes too, per `mode`.
pub(crate) fn strip_site(title: &str, sites: &[String], mode: Strip) -> String {
    let mut t = normalize(title);
    // Cut at the first separator followed by a site name segment.
    for sep in SEPARATORS {
        let mut start = 0;
        while let Some(pos) = t[start..].find(sep).map(|p| p + start) {
            let seg_end = SEPARATORS
                .iter()
                .filter_map(|s| t[pos + sep.len()..].find(s))
                .min()
                .map_or(t.len(), |e| pos + sep.len() + e);
            if pos > 0 && is_site(&t[pos + sep.len()..seg_end], sites) {
                t.truncate(pos);
                break;
            }
            start = pos + sep.len();
        }
    }
    for _ in 0..3 {
        let mut changed = false;
        for sep in SEPARATORS {
            if let Some(pos) = t.rfind(sep) {
                let (head, tail) = (&t[..pos], &t[pos + sep.len()..]);
                if !head.trim().is_empty()
                    && (is_site(tail, sites)
                        || ((mode == Strip::Any || *sep == " | ")
                            && tail.split_whitespace().count() <= 3
                            && head.chars().count() > tail.chars().count() * 2))
                {
                    t = head.trim().to_string();
                    changed = true;
                    break;
                }
            }
            if let Some(pos) = t.find(sep) {
                let (head, tail) = (&t[..pos], &t[pos + sep.len()..]);
                if !tail.trim().is_empty() && is_site(head, sites) {
                    t = tail.trim().to_string();
                    changed = true;
                    break;
                }
            }
        }
        if !changed {
            break;
        }
    }
    t
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Share of `a`'s words found in `b` (0..=1).
fn overlap(a: &str, b: &str) -> f32 {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() {
        return 0.0;
    }
    wa.iter().filter(|w| wb.contains(w)).count() as f32 / wa.len() as f32
}

/// Declared titles often differ only in punctuation (straight or curly
/// quotes, ": " or " - " after a kicker). Among the variants with the same
/// letters as `chosen`, the one the page's `<title>` repeats is the text the
/// publisher itself shows (the tab title); otherwise `chosen` stays.
fn spelled_as_document_title<'a>(chosen: &'a str, metas: &'a [String], doc_title: Option<&str>) -> &'a str {
    let Some(reference) = doc_title else { return chosen };
    let key = squash(chosen);
    metas.iter().find(|m| m.as_str() == reference && squash(m) == key).map_or(chosen, String::as_str)
}

/// A visible headline candidate.
pub(crate) struct Heading {
    pub text: String,
    /// Inside `<article>`/`<main>`/articleBody.
    pub in_article: bool,
}

/// Picks the headline. Meta titles (og:title, JSON-LD headline,
/// twitter:title, in that order) are what publishers declare as the
/// headline; when a visible `<h1>` says the same thing its text (with the
/// page's own punctuation) is used. Without meta titles the `<h1>` that looks
/// like the article's wins, `<title>` comes last.
pub(crate) fn pick(
    metas: &[Option<String>],
    h1s: &[Heading],
    doc_title: Option<&str>,
    sites: &[String],
) -> Option<String> {
    let metas: Vec<String> = metas
        .iter()
        .flatten()
        .map(|m| strip_site(&unescape_entities(m), sites, Strip::Pipes))
        .filter(|m| !m.is_empty())
        .collect();
    let reference = doc_title.map(|t| strip_site(t, sites, Strip::Any));
    let chosen = metas.iter().find(|m| h1s.iter().any(|h| squash(&h.text) == squash(m))).or_else(|| metas.first());
    if let Some(m) = chosen {
        return Some(spelled_as_document_title(m, &metas, reference.as_deref()).to_string());
    }
    let plausible = |h: &&Heading| {
        let n = h.text.chars().count();
        (3..=300).contains(&n) && !is_site(&h.text, sites)
    };
    let best = h1s
        .iter()
        .filter(plausible)
        .map(|h| {
            let sim = reference.as_deref().map_or(0.0, |r| overlap(&h.text, r).max(overlap(r, &h.text)));
            (h, sim + if h.in_article { 0.3 } else { 0.0 })
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((h, score)) = best
        && (score >= 0.3 || reference.is_none())
    {
        return Some(h.text.clone());
    }
    reference.filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> Vec<String> {
        vec!["Example News".into(), "example".into()]
    }

    #[test]
    fn strips_known_site_suffix_and_prefix() {
        assert_eq!(strip_site("Big thing happened | Example News", &sites(), Strip::Pipes), "Big thing happened");
        assert_eq!(strip_site("Example News - Big thing happened", &sites(), Strip::Pipes), "Big thing happened");
        assert_eq!(
            strip_site("Big thing - and more | Example News | by Jo Roe", &sites(), Strip::Pipes),
            "Big thing - and more"
        );
        assert_eq!(strip_site("Left - right talks collapse", &sites(), Strip::Pipes), "Left - right talks collapse");
    }

    #[test]
    fn aggressive_only_for_document_title() {
        assert_eq!(
            strip_site("A long headline about something - Daily Planet", &[], Strip::Any),
            "A long headline about something"
        );
    }

    #[test]
    fn prefers_heading_that_matches_meta() {
        let h = |t: &str| Heading { text: t.into(), in_article: false };
        let t =
            pick(&[Some("Big thing | Example News".into())], &[h("Example News"), h("Big thing")], Some("x"), &sites());
        assert_eq!(t.as_deref(), Some("Big thing"));
        let t = pick(&[Some("SEO title".into())], &[h("Cookie settings")], None, &sites());
        assert_eq!(t.as_deref(), Some("SEO title"));
        let t = pick(
            &[None],
            &[h("Example News"), h("A story headline")],
            Some("A story headline - Example News"),
            &sites(),
        );
        assert_eq!(t.as_deref(), Some("A story headline"));
        let t = pick(
            &[Some("It\u{2019}s \u{2018}big\u{2019}".into()), Some("It's 'big' | Example News".into())],
            &[h("It\u{2019}s \u{2018}big\u{2019}")],
            Some("It's 'big' | Example News"),
            &sites(),
        );
        assert_eq!(t.as_deref(), Some("It's 'big'"), "the variant the <title> repeats");
        let t = pick(&[Some("A: b".into()), Some("A - b".into())], &[], Some("Other | Example News"), &sites());
        assert_eq!(t.as_deref(), Some("A: b"), "no <title> agreement: the first stays");
        let t = pick(&[None], &[], Some("Headline here for a story - Example News"), &sites());
        assert_eq!(t.as_deref(), Some("Headline here for a story"));
    }
}
