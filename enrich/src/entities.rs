//! Places, organizations and people: the gazetteer ([`crate::gazetteer`],
//! sources and licenses in its data files) with clitic-aware matching
//! (و ف, then ب ل ك, then ال: "وبالعراق", "للبرتغال" find العراق,
//! البرتغال), organizations by rule ([`crate::orgs`]), then the person
//! rules of [`crate::persons`] on the tokens left.

use std::collections::HashMap;

use crate::gazetteer::gazetteer;
use crate::orgs::find_orgs;
use crate::persons::find_persons;
use crate::terms::is_stop;
use crate::text::Tokens;

/// What kind of entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Kind {
    Loc,
    Org,
    Per,
}

impl Kind {
    /// The wire form: "LOC", "ORG" or "PER".
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Loc => "LOC",
            Kind::Org => "ORG",
            Kind::Per => "PER",
        }
    }
}

/// One match: token span `[start, end)` over the whitespace tokens of the
/// input, the kind, the normalized key of the gazetteer entry (or of the
/// name found by rules) and the country of a place, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub key: String,
    pub country: Option<String>,
}

/// Calls `f` with each form of normalized token `tok` with its proclitics
/// removed, the token itself first: "وبالعراق" → وبالعراق, بالعراق,
/// العراق…; "للبرتغال" also gives "البرتغال". Allocates only for that
/// "لل" → "ال" form.
fn each_form(tok: &str, mut f: impl FnMut(&str)) {
    f(tok);
    let mut rest = tok;
    for c in ['و', 'ف'] {
        if let Some(r) = rest.strip_prefix(c)
            && r.chars().count() >= 3
        {
            rest = r;
            f(rest);
            break;
        }
    }
    if let Some(r) = rest.strip_prefix("لل")
        && r.chars().count() >= 2
    {
        f(&format!("ال{r}"));
    }
    for c in ['ب', 'ل', 'ك'] {
        if let Some(r) = rest.strip_prefix(c)
            && r.chars().count() >= 3
        {
            f(r);
        }
    }
}

/// The clitic forms ([`each_form`]) of every token of a text, in one string.
#[derive(Debug, Default)]
pub struct Forms {
    arena: String,
    spans: Vec<(u32, u32)>,
    /// Token `i`'s forms are `spans[first[i]..first[i + 1]]`.
    first: Vec<u32>,
}

impl Forms {
    /// The forms of each token of `t`.
    pub fn new(t: &Tokens) -> Self {
        let mut out = Forms {
            arena: String::with_capacity(t.len() * 24),
            spans: Vec::with_capacity(t.len() * 2),
            first: Vec::with_capacity(t.len() + 1),
        };
        for i in 0..t.len() {
            out.first.push(out.spans.len() as u32);
            each_form(t.norm(i), |f| {
                let s = out.arena.len() as u32;
                out.arena.push_str(f);
                out.spans.push((s, out.arena.len() as u32));
            });
        }
        out.first.push(out.spans.len() as u32);
        out
    }

    /// Forms of token `i`, the token itself first.
    pub fn of(&self, i: usize) -> impl Iterator<Item = &str> + Clone {
        let (a, b) = (self.first[i] as usize, self.first[i + 1] as usize);
        self.spans[a..b].iter().map(|&(s, e)| &self.arena[s as usize..e as usize])
    }
}

/// Whether raw token `raw` is written in capitals (for acronyms).
fn is_capitals(raw: &str) -> bool {
    let letters = raw.trim_matches(|c: char| !c.is_alphanumeric());
    !letters.is_empty() && !letters.chars().any(|c| c.is_lowercase())
}

/// Gazetteer mentions in `tokens` (raw tokens, each kept as one), longest
/// match first, no overlaps; then people by rules on the tokens left.
/// Sorted by position.
pub fn find_in_tokens(tokens: &[&str]) -> Vec<Mention> {
    find_in(&Tokens::from_raw(tokens))
}

/// [`find_in_tokens`] over already tokenized text.
pub fn find_in(t: &Tokens) -> Vec<Mention> {
    let g = gazetteer();
    let fs = Forms::new(t);
    let n_tok = t.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n_tok {
        let mut found = None;
        'forms: for f in fs.of(i) {
            for name in g.starting_with(f) {
                let n = name.tokens.len();
                if i + n <= n_tok
                    && (1..n).all(|k| t.norm(i + k) == name.tokens[k])
                    && (!name.acronym || (i..i + n).all(|k| is_capitals(t.raw(k))))
                {
                    found = Some(Mention {
                        start: i,
                        end: i + n,
                        kind: name.kind,
                        key: name.key.clone(),
                        country: name.country.clone(),
                    });
                    break 'forms;
                }
            }
        }
        match found {
            Some(m) => {
                i = m.end;
                out.push(m);
            }
            None => i += 1,
        }
    }
    // "كأس إسبانيا", "دوري أبطال أوروبا": a place in the name of an event
    // is no mention of the place.
    out.retain(|m| m.kind != Kind::Loc || !in_event_name(t, &fs, m.start));
    let orgs = find_orgs(t, &fs, &out);
    out.retain(|m| !orgs.iter().any(|o| o.start <= m.start && m.end <= o.end));
    out.extend(orgs);
    let mut taken = vec![false; n_tok];
    for m in &out {
        taken[m.start..m.end].iter_mut().for_each(|t| *t = true);
    }
    let persons = find_persons(t, &fs, &taken);
    for m in &persons {
        taken[m.start..m.end].iter_mut().for_each(|t| *t = true);
    }
    let surnames = surname_mentions(t, &fs, &taken, &persons);
    // "جامع ابن طولون", "مسجد عمرو بن العاص": a facility named after a
    // person is a place.
    let persons: Vec<Mention> = persons
        .into_iter()
        .map(|mut m| {
            let facility = |k: usize| fs.of(k).any(|f| FACILITY_HEADS.contains(&f));
            let start = if m.start > 0 && !taken[m.start - 1] && facility(m.start - 1) {
                Some(m.start - 1)
            } else if m.end - m.start >= 2 && facility(m.start) {
                Some(m.start)
            } else {
                None
            };
            if let Some(s) = start {
                m.key = (s..m.end).map(|k| t.norm(k)).collect::<Vec<_>>().join(" ");
                m.start = s;
                m.kind = Kind::Loc;
            }
            m
        })
        .collect();
    out.extend(persons);
    out.extend(surnames);
    out.sort_by_key(|m| m.start);
    out
}

/// Facilities named after people ("جامع", "مسجد"…).
const FACILITY_HEADS: &[&str] = &["جامع", "مسجد", "الجامع", "المسجد", "ضريح", "مقام", "مدرسه", "مستشفي", "ملعب"];

/// Head nouns of event names (competitions, prizes).
const EVENT_HEADS: &[&str] =
    &["كاس", "دوري", "الدوري", "بطوله", "اولمبياد", "الومبياد", "مونديال", "سباق", "جايزه", "طواف", "رالي", "ماراثون"];

/// Whether the name starting at token `start` follows an event head, right
/// before it or with one word between ("كأس ملك إسبانيا").
fn in_event_name(t: &Tokens, fs: &Forms, start: usize) -> bool {
    let head = |k: usize| fs.of(k).any(|f| EVENT_HEADS.contains(&f));
    (start >= 1 && head(start - 1)) || (start >= 2 && head(start - 2) && !is_stop(t.norm(start - 1)))
}

/// Other mentions of a person by the last word of a full name found
/// earlier or later in the same text ("كريستيانو رونالدو" … "رونالدو"), or
/// by its first word when that is a family or foreign name of the lexicon.
fn surname_mentions(t: &Tokens, fs: &Forms, taken: &[bool], persons: &[Mention]) -> Vec<Mention> {
    let mut by_last: HashMap<&str, &str> = HashMap::new();
    for m in persons.iter().filter(|m| m.end - m.start >= 2) {
        let last = t.norm(m.end - 1);
        if last.chars().count() >= 3 && !is_stop(last) && !crate::persons::is_laqab_tail(last) {
            by_last.entry(last).or_insert(m.key.as_str());
        }
        // A first name that is no common given name ("لينوس تورفالدز" …
        // "لينوس") names the person too.
        let first = t.norm(m.start);
        if first.chars().count() >= 3 && !is_stop(first) && crate::persons::is_other_name(first) {
            by_last.entry(first).or_insert(m.key.as_str());
        }
    }
    if by_last.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, &done) in taken.iter().enumerate() {
        if done {
            continue;
        }
        if let Some(key) = fs.of(i).find_map(|f| by_last.get(f)) {
            out.push(Mention { start: i, end: i + 1, kind: Kind::Per, key: (*key).to_owned(), country: None });
        }
    }
    out
}

/// Hashtags and mentions of `text`, as written after the sign, underscores
/// read as spaces: `#أنتوني_بلينكن` → `أنتوني بلينكن`, `@UN` → `UN`.
/// Returns (hashtags, mentions), each without repeats.
pub fn tags_and_mentions(text: &str) -> (Vec<String>, Vec<String>) {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    tags_and_mentions_in(&tokens)
}

/// [`tags_and_mentions`] over whitespace tokens.
pub fn tags_and_mentions_in(tokens: &[&str]) -> (Vec<String>, Vec<String>) {
    let (mut tags, mut mentions) = (Vec::new(), Vec::new());
    for tok in tokens.iter().copied().filter(|t| t.starts_with(['#', '@'])) {
        let (list, rest) = match tok.chars().next() {
            Some('#') => (&mut tags, &tok[1..]),
            Some('@') => (&mut mentions, &tok[1..]),
            _ => continue,
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || ('\u{064B}'..='\u{0670}').contains(c))
            .map(|c| if c == '_' { ' ' } else { c })
            .collect();
        let name = name.trim().to_owned();
        if !name.is_empty() && !list.contains(&name) {
            list.push(name);
        }
    }
    (tags, mentions)
}

/// Gazetteer mentions in free text (whitespace tokens).
pub fn find(text: &str) -> Vec<Mention> {
    find_in(&Tokens::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_places_and_organizations_behind_clitics() {
        let m = find("وصل وفد الأمم المتحدة إلى بغداد وبالعراق ثم للبرتغال وفي الولايات المتحدة الأميركية");
        let got: Vec<(&str, Kind)> = m.iter().map(|m| (m.key.as_str(), m.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("الامم المتحده", Kind::Org),
                ("بغداد", Kind::Loc),
                ("العراق", Kind::Loc),
                ("البرتغال", Kind::Loc),
                ("الولايات المتحده", Kind::Loc),
            ]
        );
        assert_eq!((m[4].start, m[4].end), (10, 13));
    }

    #[test]
    fn clitic_forms_of_each_token() {
        let t = Tokens::new("وبالعراق للبرتغال وزير");
        let fs = Forms::new(&t);
        assert_eq!(fs.of(0).collect::<Vec<_>>(), vec!["وبالعراق", "بالعراق", "العراق"]);
        assert_eq!(fs.of(1).collect::<Vec<_>>(), vec!["للبرتغال", "البرتغال", "لبرتغال"]);
        assert_eq!(fs.of(2).collect::<Vec<_>>(), vec!["وزير", "زير"]);
    }

    #[test]
    fn places_in_event_names_are_not_places() {
        let m = find("فاز بكأس إسبانيا ودوري أبطال أوروبا ثم زار إسبانيا");
        let got: Vec<(&str, usize)> = m.iter().map(|m| (m.key.as_str(), m.start)).collect();
        assert_eq!(got, vec![("اسبانيا", 8)]);
    }

    #[test]
    fn facilities_named_after_people_are_places() {
        let m = find("صلى في جامع أحمد بن طولون ثم قال المتحدث باسم الحكومة");
        let got: Vec<(&str, Kind)> = m.iter().map(|m| (m.key.as_str(), m.kind)).collect();
        assert_eq!(got, vec![("جامع احمد بن طولون", Kind::Loc)]);
    }

    #[test]
    fn a_person_named_in_full_is_found_by_either_name_alone() {
        let m = find("كتب لينوس تورفالدز النواة ثم قال تورفالدز إن لينوس لم يعد");
        let got: Vec<(usize, Kind)> = m.iter().map(|m| (m.start, m.kind)).collect();
        assert_eq!(got, vec![(1, Kind::Per), (6, Kind::Per), (8, Kind::Per)]);
        assert!(m.iter().all(|m| m.key == "لينوس تورفالدز"), "{m:?}");
    }

    #[test]
    fn reads_hashtags_and_mentions() {
        let (tags, mentions) = tags_and_mentions("وزير الخارجية #أنتوني_بلينكن، في #روما مع @UN و#داعش #");
        assert_eq!(tags, vec!["أنتوني بلينكن", "روما"]);
        assert_eq!(mentions, vec!["UN"]);
    }

    #[test]
    fn no_match_in_empty_or_unrelated_text() {
        assert!(find("").is_empty());
        assert!(find("hello world ۱۲۳").is_empty());
    }
}
