//! Index terms for story matching: normalized words, stop words removed, a
//! light clitic stripper (و ف ب ك ل + ال, bare و; not a stemmer):
//! "الاجتماع", "والاجتماع", "بالاجتماع" and "اجتماعاً" (whose tanwin
//! normalization dropped, leaving an alef) all become "اجتماع".

use crate::normalize::normalize;

/// Function words and reporting verbs that say nothing about the story
/// (normalized forms). Written for this project.
const STOP: &[&str] = &[
    // Arabic particles, pronouns, prepositions, conjunctions.
    "في",
    "من",
    "الي",
    "علي",
    "عن",
    "ان",
    "او",
    "ثم",
    "مع",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "التي",
    "الذي",
    "الذين",
    "اللذين",
    "كان",
    "كانت",
    "يكون",
    "تكون",
    "قد",
    "لقد",
    "لا",
    "ما",
    "لم",
    "لن",
    "هو",
    "هي",
    "هم",
    "هما",
    "نحن",
    "انا",
    "انه",
    "انها",
    "كما",
    "بعد",
    "قبل",
    "بين",
    "عند",
    "حتي",
    "اذا",
    "اذ",
    "كل",
    "اي",
    "غير",
    "منذ",
    "خلال",
    "حيث",
    "الا",
    "ايضا",
    "تم",
    "يتم",
    "اليوم",
    "امس",
    "له",
    "لها",
    "لهم",
    "به",
    "بها",
    "فيه",
    "فيها",
    "عليه",
    "عليها",
    "منه",
    "منها",
    "وقد",
    "ولا",
    "وما",
    "وهو",
    "وهي",
    "الى",
    "او",
    "ام",
    "بل",
    "لكن",
    "لكنه",
    "ولكن",
    "سوف",
    "هناك",
    "هنا",
    "اما",
    "اين",
    "كيف",
    "متي",
    "لماذا",
    "ماذا",
    "عبر",
    "نحو",
    "ضد",
    "دون",
    "حول",
    "مثل",
    "وفق",
    "وفقا",
    "اكثر",
    "اقل",
    "بعض",
    "جميع",
    "عام",
    "يوم",
    "شهر",
    "سنه",
    "عاما",
    "الماضي",
    "المقبل",
    "الحالي",
    "الجاري",
    "ذات",
    "ذو",
    "وذلك",
    "كذلك",
    "بان",
    "بانه",
    "فان",
    "وان",
    "لان",
    "لانه",
    "عدد",
    "عده",
    "احد",
    "اخر",
    "اخري",
    "الاول",
    "الاولي",
    "الثاني",
    "الثانيه",
    "يمكن",
    "ليس",
    "ليست",
    "جدا",
    "فقط",
    "حاليا",
    "امام",
    "وراء",
    "تحت",
    "فوق",
    "لدي",
    "لدى",
    "اثناء",
    "عقب",
    "ضمن",
    // Reporting and attribution verbs.
    "قال",
    "قالت",
    "وقال",
    "وقالت",
    "يقول",
    "تقول",
    "اضاف",
    "واضاف",
    "اضافت",
    "واضافت",
    "اكد",
    "واكد",
    "اكدت",
    "واكدت",
    "تابع",
    "وتابع",
    "اوضح",
    "واوضح",
    "اشار",
    "واشار",
    "اشارت",
    "ذكر",
    "وذكر",
    "ذكرت",
    "اعلن",
    "واعلن",
    "اعلنت",
    "بحسب",
    "حسب",
    "وفقا",
    "نقلا",
    "مصدر",
    "مصادر",
    "بيان",
    "تصريح",
    "تصريحات",
    "الصحفيه",
    "صحيفه",
    // English.
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "on",
    "and",
    "or",
    "for",
    "with",
    "by",
    "at",
    "from",
    "as",
    "is",
    "was",
    "are",
    "were",
    "be",
    "been",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "they",
    "his",
    "her",
    "their",
    "said",
    "says",
    "has",
    "have",
    "had",
    "not",
    "but",
    "will",
    "would",
    "after",
    "before",
    "over",
    "about",
    "into",
];

/// Is `w` (normalized) a stop word?
pub fn is_stop(w: &str) -> bool {
    static SET: std::sync::OnceLock<crate::fxhash::FxHashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOP.iter().copied().collect()).contains(w)
}

/// Strip one leading clitic group (و ف ب ك ل + ال, لل) and a trailing
/// accusative alef, keeping at least three letters.
pub fn strip_clitics(w: &str) -> &str {
    let letters = |s: &str| s.chars().count();
    let mut w = w;
    let mut stripped = false;
    for p in ["وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "ال"] {
        if let Some(rest) = w.strip_prefix(p)
            && letters(rest) >= 3
        {
            w = rest;
            stripped = true;
            break;
        }
    }
    if !stripped {
        // Bare "و" only: "ف" and "ب" begin too many names (بريطانيا, فرنسا).
        if let Some(rest) = w.strip_prefix('و')
            && letters(rest) >= 4
        {
            w = rest;
        }
    }
    // Accusative tanwin leaves an alef: "اجتماعا" → "اجتماع".
    if let Some(rest) = w.strip_suffix('ا')
        && letters(rest) >= 4
    {
        w = rest;
    }
    w
}

/// The index terms of already-normalized text.
pub fn terms(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(' ').filter(|w| !is_stop(w)).map(strip_clitics).filter(|w| {
        let n = w.chars().count();
        // Single letters and long digit runs (ids, phone numbers) are noise;
        // short numbers (days, counts) stay.
        n >= 2 && !(w.chars().all(|c| c.is_ascii_digit()) && n > 4) && !is_stop(w)
    })
}

/// Index terms of raw text (normalizes first).
pub fn terms_of(text: &str) -> Vec<String> {
    terms(&normalize(text)).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clitics_and_articles_meet() {
        assert_eq!(terms_of("الاجتماع والاجتماع بالاجتماع اجتماعاً"), vec!["اجتماع"; 4]);
        assert_eq!(strip_clitics("للتحالف"), "تحالف");
        assert_eq!(strip_clitics("وزير"), "وزير");
        assert_eq!(strip_clitics("بغداد"), "بغداد");
    }

    #[test]
    fn drops_stop_words_and_noise() {
        assert_eq!(terms_of("قال الوزير في بيان إن 4 حزيران 123456789"), vec!["وزير", "حزيران"]);
        assert!(terms_of("").is_empty());
    }
}
