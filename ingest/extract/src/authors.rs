//! Author names: splitting bylines and cleaning prefixes, roles and dates.

/// Prefixes that introduce a byline, compared case-insensitively.
const PREFIXES: &[&str] = &[
    "by ",
    "by:",
    "von ",
    "von:",
    "par ",
    "por ",
    "di ",
    "door ",
    "av ",
    "af ",
    "autor:",
    "autor ",
    "autorin:",
    "author:",
    "authors:",
    "text:",
    "text ",
    "texto:",
    "written by ",
    "reporting by ",
    "posted by ",
    "bericht:",
    "بقلم:",
    "بقلم ",
    "كتب:",
    "كتب ",
    "كتبت ",
    "تأليف ",
    "- ",
    "yazan:",
    "yazar:",
];

/// Words that join two names.
const JOINERS: &[&str] =
    &[" and ", " und ", " & ", " y ", " e ", " et ", " og ", " och ", " en ", " ve ", " i ", " with "];

/// Byte position of an ASCII `needle` in `hay`, ignoring ASCII case. Matches
/// are all-ASCII, so the positions are char boundaries.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn split_joiner(p: &str, j: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut rest = p;
    while let Some(pos) = find_ci(rest, j) {
        v.push(rest[..pos].to_string());
        rest = &rest[pos + j.len()..];
    }
    v.push(rest.to_string());
    v
}

fn strip_prefixes(mut s: &str) -> &str {
    loop {
        let before = s.len();
        for p in PREFIXES {
            let matches = s.get(..p.len()).is_some_and(|head| head.eq_ignore_ascii_case(p) || head == *p);
            if matches {
                s = s[p.len()..].trim_start();
                break;
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

fn plausible(name: &str) -> bool {
    let words = name.split_whitespace().count();
    let chars = name.chars().count();
    (2..=60).contains(&chars)
        && words <= 6
        && name.chars().any(char::is_alphabetic)
        && !name.contains("://")
        && !name.contains('@')
        && !name.starts_with("www.")
        && crate::dates::parse_text(name).is_none()
}

/// Splits and cleans raw author strings; keeps order, drops duplicates.
pub(crate) fn clean(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let r = crate::clean::normalize(r);
        if r.contains("://") || r.starts_with("www.") {
            continue;
        }
        // Cut trailing "| 17.05.2024" or " - Reuters" style appendages only
        // when they are dates.
        let mut parts: Vec<String> = vec![r];
        for sep in [",", ";", "|", "/", "،", " · ", " • "] {
            parts = parts.iter().flat_map(|p| p.split(sep).map(str::to_string).collect::<Vec<_>>()).collect();
        }
        for j in JOINERS {
            parts = parts.iter().flat_map(|p| split_joiner(p, j)).collect();
        }
        for p in parts {
            let name =
                strip_prefixes(p.trim()).trim().trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != ')');
            if plausible(name) && !out.iter().any(|o| o.to_lowercase() == name.to_lowercase()) {
                out.push(name.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &[&str]) -> Vec<String> {
        clean(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn splits_bylines() {
        assert_eq!(c(&["By Jane Roe and John Doe"]), ["Jane Roe", "John Doe"]);
        assert_eq!(
            c(&["Von Anna Müller, Max Mustermann und Eva Braun"]),
            ["Anna Müller", "Max Mustermann", "Eva Braun"]
        );
        assert_eq!(c(&["بقلم: محمد علي"]), ["محمد علي"]);
    }

    #[test]
    fn drops_urls_dates_and_duplicates() {
        assert_eq!(c(&["https://example.com/author/x", "Jane Roe", "jane roe", "17.05.2024"]), ["Jane Roe"]);
    }
}
