//! People named in text, by rules over the person-name lexicon
//! ([`crate::gazetteer::person_names`]):
//!
//! - after a title or role: "الرئيس محمد مرسي", "وزير الخارجية الأميركي
//!   أنتوني بلينكن" (role modifiers and places are skipped), "المتحدث باسم
//!   الحكومة …";
//! - after a verb of saying: "وقال خالد المصري", "وأكد …";
//! - a given name followed by at least one more name token or a connector
//!   (بن, ابن, أبو, عبد, آل): "يوسف بن تاشفين", "إسحاق نيوتن".
//!
//! Leaders of the curated gazetteer are found by the gazetteer itself.

use std::sync::OnceLock;

use crate::entities::{Forms, Kind, Mention};
use crate::fxhash::{FxHashMap, FxHashSet as HashSet};
use crate::gazetteer::{NameToken, person_names};
use crate::terms::is_stop;
use crate::text::Tokens;

/// Titles and roles before a name (normalized, without clitics).
const TITLES: &[&str] = &[
    "الرئيس",
    "الرئيسه",
    "رئيس",
    "رئيسه",
    "الملك",
    "الملكه",
    "الامير",
    "الاميره",
    "الشيخ",
    "الشيخه",
    "السيد",
    "السيده",
    "الدكتور",
    "الدكتوره",
    "المهندس",
    "الوزير",
    "الوزيره",
    "وزير",
    "وزيره",
    "السلطان",
    "الامام",
    "البابا",
    "الجنرال",
    "العقيد",
    "اللواء",
    "العميد",
    "المشير",
    "النائب",
    "نائب",
    "السفير",
    "القاضي",
    "المستشار",
    "الخليفه",
    "الحاج",
    "الاستاذ",
    "الكاتب",
    "الكاتبه",
    "الشاعر",
    "الشاعره",
    "الروائي",
    "الفنان",
    "الفنانه",
    "المخرج",
    "الممثل",
    "الممثله",
    "المغني",
    "المغنيه",
    "اللاعب",
    "اللاعبه",
    "المدرب",
    "الفيلسوف",
    "المؤرخ",
    "الصحفي",
    "الصحفيه",
    "المتحدث",
    "الناطق",
    "المبعوث",
    "المفكر",
    "القائد",
    "الزعيم",
    "زعيم",
    "قائد",
    "مدير",
    "الامين",
    "امين",
    "الباحث",
    "الاديب",
    "القس",
    "الاب",
    "المطران",
    "الحاكم",
    "حاكم",
    "محافظ",
    "المحافظ",
    "الجنرال",
    "الاميرال",
    "الامبراطور",
    "الامبراطوره",
    "القيصر",
    "الفرعون",
    "مستشار",
    "الداعيه",
    "المرشح",
    "المرشحه",
    "سفير",
    "مبعوث",
    "متحدث",
    "الناشط",
    "الناشطه",
    "المعارض",
    "المعارضه",
];

/// Words between a role and the name ("وزير الخارجية الأميركي X").
const ROLE_WORDS: &[&str] = &[
    "باسم",
    "الوزراء",
    "وزراء",
    "خارجيه",
    "دفاع",
    "داخليه",
    "ماليه",
    "الخارجيه",
    "الدفاع",
    "الداخليه",
    "الماليه",
    "مجلس",
    "حكومه",
    "الحكومه",
    "العام",
    "السابق",
    "الاسبق",
    "الحالي",
    "الجديد",
    "المنتخب",
    "الدولي",
    "الاعلي",
    "الاول",
    "الثاني",
    "المتحده",
    "الامم",
    "العامه",
    "جمهوريه",
    "الجمهوريه",
    "الاعلام",
    "النواب",
    "الشوري",
];

/// Verbs of saying and announcing before a speaker (without و / ف).
const SAY: &[&str] = &[
    "قال",
    "قالت",
    "اكد",
    "اكدت",
    "اوضح",
    "اوضحت",
    "اضاف",
    "اضافت",
    "صرح",
    "صرحت",
    "اعلن",
    "اعلنت",
    "اشار",
    "اشارت",
    "ذكر",
    "ذكرت",
    "شدد",
    "شددت",
    "لفت",
    "لفتت",
    "نفي",
    "نفت",
    "دعا",
    "دعت",
    "طالب",
    "طالبت",
    "حذر",
    "حذرت",
    "كشف",
    "كشفت",
    "تابع",
    "تابعت",
    "اعتبر",
    "اعتبرت",
    "راي",
    "رات",
    "كتب",
    "كتبت",
    "يقول",
    "تقول",
];

/// Ordinals after a ruler's or pope's name.
const ORDINALS: &[&str] = &[
    "الاول",
    "الثاني",
    "الثالث",
    "الرابع",
    "الخامس",
    "السادس",
    "السابع",
    "الثامن",
    "التاسع",
    "العاشر",
    "الحادي",
    "الثاني عشر",
];

/// Tokens inside a name.
const CONNECTORS: &[&str] = &["بن", "ابن", "بنت", "ابو", "ابي", "ابا", "ال", "عبد", "ولد"];

/// Whether two or more non-given name tokens in a row make a person.
const OTHER_PAIRS: bool = true;

/// Longest name kept, in tokens.
const MAX_NAME: usize = 5;

fn titles() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| TITLES.iter().copied().collect())
}

fn say() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| SAY.iter().copied().collect())
}

/// The name lexicon without stop words, titles, verbs of saying and
/// connectors: one lookup per token.
fn lexicon(tok: &str) -> Option<NameToken> {
    static L: OnceLock<FxHashMap<&'static str, NameToken>> = OnceLock::new();
    L.get_or_init(|| {
        person_names()
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .filter(|(k, _)| !(is_stop(k) || titles().contains(k) || say().contains(k) || CONNECTORS.contains(k)))
            .collect()
    })
    .get(tok)
    .copied()
}

/// Nouns of a person's relations and fate before a name: "في عهد X",
/// "مقتل X", "نجل X".
const RELATIONS: &[&str] = &[
    "عهد",
    "وفاه",
    "مقتل",
    "اغتيال",
    "اعتقال",
    "نجل",
    "ابنه",
    "ابنته",
    "زوجه",
    "زوجته",
    "شقيق",
    "شقيقه",
    "والد",
    "والده",
    "حفيد",
    "خليفه",
    "خلفه",
    "عائله",
    "اسره",
    "جنازه",
    "قبر",
    "ضريح",
];

fn relations() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| RELATIONS.iter().copied().collect())
}

/// Titles and verbs of saying together: what a name may follow.
fn triggers() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| TITLES.iter().chain(SAY).copied().collect())
}

/// The lexicon reading of the first token of a name, behind clitics.
fn first_name<'a>(mut forms: impl Iterator<Item = &'a str>) -> Option<NameToken> {
    forms.find_map(lexicon)
}

fn any_form_in<'a>(mut forms: impl Iterator<Item = &'a str>, set: &HashSet<&str>) -> bool {
    forms.any(|f| set.contains(f))
}

/// End of the name starting at `i` (exclusive), or `None` when `norm[i]`
/// starts no name. `trailing_unknown` lets one last token outside the
/// lexicon close a name after a title or verb of saying ("الرئيس جوزيف X").
fn name_run(t: &Tokens, fs: &Forms, taken: &[bool], i: usize, trailing_unknown: bool) -> Option<(usize, NameToken)> {
    if *taken.get(i)? {
        return None;
    }
    let n = t.len();
    // "باسم" is a given name but mostly "in the name of" ("المتحدث باسم");
    // "الله", "الدين" only close names (عبد الله, نصر الله, صلاح الدين).
    if t.norm(i) == "باسم" || is_laqab_tail(t.norm(i)) {
        return None;
    }
    // "عبد الرحمن", "أبو بكر", "ابن سينا" open a name as a given name does.
    // أبو in its three cases (أبو, أبا, أبي).
    let opens = fs.of(i).any(|f| ["عبد", "ابو", "ابي", "ابا", "ابن"].contains(&f));
    let (first, mut end) = if opens && i + 1 < n && !taken[i + 1] && lexicon(t.norm(i + 1)).is_some() {
        (NameToken::Given, i + 2)
    } else {
        (first_name(fs.of(i))?, i + 1)
    };
    // "صلاح الدين", "نور الدين", "عضد الدولة": a compound given name.
    if end < n && !taken[end] && LAQAB_TAILS.contains(&t.norm(end)) {
        end += 1;
    }
    while end < n && end - i < MAX_NAME && !taken[end] {
        let tok = t.norm(end);
        if CONNECTORS.contains(&tok) && end + 1 < n && !taken[end + 1] {
            // "عبد الرحمن", "بن تاشفين": the connector and what follows.
            end += 2;
        } else if lexicon(tok).is_some() {
            end += 1;
            if end < n && !taken[end] && LAQAB_TAILS.contains(&t.norm(end)) {
                end += 1;
            }
        } else {
            break;
        }
    }
    // "عبد" + what follows, but never a name ending in a connector.
    while end > i + 1 && CONNECTORS.contains(&t.norm(end - 1)) {
        end -= 1;
    }
    if trailing_unknown && end == i + 1 && end < n && !taken[end] && plausible_unknown(t.norm(end), fs.of(end)) {
        end += 1;
    }
    // A regnal or dynastic ordinal: "لويس التاسع", "عبد الله الثاني".
    if end < n && !taken[end] && ORDINALS.contains(&t.norm(end)) {
        end += 1;
    } else if end < n && !taken[end] && end - i >= 2 && is_nisba(t.norm(end)) {
        // A nisba closes a name of two tokens or more: "صلاح الدين
        // الأيوبي", "أبو موسى الأشعري" (one given name and an adjective
        // is too often a name and a nationality).
        end += 1;
    }
    Some((end, first))
}

/// Second words of compound given names (alqab): "صلاح الدين", "سيف
/// الدولة", "سيف الإسلام".
const LAQAB_TAILS: &[&str] = &["الدين", "الدوله", "الاسلام"];

/// Tokens that close a name but never open one or stand for it alone.
const CLOSING_ONLY: &[&str] = &["الدين", "الدوله", "الاسلام", "الله"];

/// Whether `t` only closes names (الدين, الله): it neither opens one nor
/// names a person alone.
pub(crate) fn is_laqab_tail(t: &str) -> bool {
    CLOSING_ONLY.contains(&t)
}

/// Whether `t` is a name token of the lexicon that is not a given name
/// (a family or foreign name: تورفالدز, لينوس).
pub(crate) fn is_other_name(t: &str) -> bool {
    lexicon(t) == Some(NameToken::Other)
}

/// A nisba adjective ("الأيوبي", "المصري"): ال + at least three letters + ي,
/// not an ordinal's or a role's word.
fn is_nisba(t: &str) -> bool {
    t.starts_with("ال")
        && t.ends_with('ي')
        && t.chars().count() >= 6
        && t.chars().all(|c| ('\u{0621}'..='\u{064A}').contains(&c))
        && !ROLE_WORDS.contains(&t)
        && !titles().contains(t)
        && !is_stop(t)
}

/// A token outside the lexicon that may still end a name: a word, not a
/// stop word, not a number, not a definite-article adjective or role.
fn plausible_unknown<'a>(t: &str, mut forms: impl Iterator<Item = &'a str>) -> bool {
    t.chars().count() >= 3
        && t.chars().all(|c| ('\u{0621}'..='\u{064A}').contains(&c))
        && !forms.any(is_stop)
        && !t.starts_with("ال")
        && !say().contains(t)
        && !titles().contains(t)
}

/// Person mentions over tokens `t` (with `fs` their clitic forms);
/// `taken[k]` marks tokens already in another mention (they are never part
/// of a person).
pub fn find_persons(t: &Tokens, fs: &Forms, taken: &[bool]) -> Vec<Mention> {
    let n = t.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let mut found = None;
        // A title, a verb of saying, a nationality ("الألماني ماكس
        // بلانك") or a relation ("في عهد X", "مقتل X") before the name.
        if !taken[i] && (any_form_in(fs.of(i), triggers()) || is_nisba(t.norm(i)) || any_form_in(fs.of(i), relations()))
        {
            // Skip role words, nationalities and places between the title
            // and the name.
            let mut j = i + 1;
            while j < n && j - i <= 4 && (taken[j] || ROLE_WORDS.contains(&t.norm(j)) || is_nisba(t.norm(j))) {
                j += 1;
            }
            found = name_run(t, fs, taken, j, true).map(|(end, _)| (j, end));
            // A foreign given name outside the lexicon before a family name
            // in it: "اللاعب الإنجليزي واين روني".
            if found.is_none()
                && j + 1 < n
                && !taken[j]
                && lexicon(t.norm(j)).is_none()
                && plausible_unknown(t.norm(j), fs.of(j))
                && fs.of(j + 1).next().and_then(lexicon) == Some(NameToken::Other)
                && let Some((end, _)) = name_run(t, fs, taken, j + 1, false)
            {
                found = Some((j, end));
            }
        }
        if found.is_none()
            && let Some((end, first)) = name_run(t, fs, taken, i, false)
            && end - i >= 2
            && (first == NameToken::Given || OTHER_PAIRS)
        {
            found = Some((i, end));
        }
        match found {
            Some((start, end)) => {
                let mut key_tokens: Vec<&str> = (start..end).map(|k| t.norm(k)).collect();
                if let Some(f) = fs.of(start).find(|f| lexicon(f).is_some() || CONNECTORS.contains(f)) {
                    key_tokens[0] = f;
                }
                out.push(Mention { start, end, kind: Kind::Per, key: key_tokens.join(" "), country: None });
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persons(text: &str) -> Vec<(String, usize, usize)> {
        let t = Tokens::new(text);
        let taken = vec![false; t.len()];
        find_persons(&t, &Forms::new(&t), &taken).into_iter().map(|m| (m.key, m.start, m.end)).collect()
    }

    #[test]
    fn names_after_titles_and_verbs_of_saying() {
        let got = persons("وقال الرئيس أحمد سعيد إن الاجتماع مهم");
        assert_eq!(got, vec![("احمد سعيد".to_owned(), 2, 4)]);
        let got = persons("وأكد خالد يوسف أن");
        assert_eq!(got[0].1..got[0].2, 1..3);
    }

    #[test]
    fn regnal_ordinals_belong_to_the_name() {
        let got = persons("وتوّج فيليب الرابع ملكا");
        assert_eq!(got, vec![("فيليب الرابع".to_owned(), 1, 3)]);
    }

    #[test]
    fn given_name_with_connector_or_second_name() {
        let got = persons("قال عمر بن أبي ربيعة");
        assert_eq!(got, vec![("عمر بن ابي ربيعه".to_owned(), 1, 5)]);
        let got = persons("دخل يوسف بن تاشفين المدينة");
        assert_eq!(got, vec![("يوسف بن تاشفين".to_owned(), 1, 4)]);
        let got = persons("ولعبد الرحمن حسن دور");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.split(' ').next(), Some("عبد"));
    }

    #[test]
    fn compound_given_names_and_nisbas_belong_to_the_name() {
        let got = persons("وحرر صلاح الدين القدس");
        assert_eq!(got, vec![("صلاح الدين".to_owned(), 1, 3)]);
        let got = persons("وصل أبو موسى الأشعري إلى المدينة");
        assert_eq!(got, vec![("ابو موسي الاشعري".to_owned(), 1, 4)]);
        // One given name and an adjective: no nisba.
        let got = persons("قال أحمد الإنجليزي");
        assert_eq!(got, vec![("احمد".to_owned(), 1, 2)]);
    }

    #[test]
    fn names_after_nationalities_and_relations() {
        let got = persons("وصاغ الفيزيائي الألماني ماكس بلانك نظريته");
        assert_eq!(got, vec![("ماكس بلانك".to_owned(), 3, 5)]);
        let got = persons("وبعد مقتل يوسف سعيد اندلعت");
        assert_eq!(got, vec![("يوسف سعيد".to_owned(), 2, 4)]);
    }

    #[test]
    fn no_person_in_plain_text_or_taken_tokens() {
        assert!(persons("ارتفعت أسعار النفط في الأسواق اليوم").is_empty());
        let t = Tokens::new("الرئيس محمد مرسي");
        assert!(find_persons(&t, &Forms::new(&t), &[false, true, true]).is_empty());
        let empty = Tokens::new("");
        assert!(find_persons(&empty, &Forms::new(&empty), &[]).is_empty());
    }
}
