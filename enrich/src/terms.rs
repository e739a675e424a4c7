//! Index terms for story matching: normalized words, stop words removed, a
//! light clitic stripper (و ف ب ك ل + ال, bare و; not a stemmer):
//! "الاجتماع", "والاجتماع", "بالاجتماع" and "اجتماعاً" (whose tanwin
//! normalization dropped, leaving an alef) all become "اجتماع".

use crate::fxhash::FxHashMap;
use crate::normalize::normalize;
use crate::text::Tokens;

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
    // Nothing to strip from words that begin with none of و ف ب ك ل ا and
    // do not end in ا (most words): skip the prefix tests.
    if !w.starts_with(['و', 'ف', 'ب', 'ك', 'ل', 'ا']) && !w.ends_with('ا') {
        return w;
    }
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

/// At least `n` characters in `s`, counting no further than needed.
fn at_least_chars(s: &str, n: usize) -> bool {
    s.len() >= 4 * n || (s.len() >= n && s.chars().nth(n - 1).is_some())
}

/// The terms of every token of a tokenized text, interned once and shared
/// by the keyphrases and the summary.
#[derive(Debug, Default)]
pub struct TokenTerms<'t> {
    /// Term id → term.
    pub terms: Vec<&'t str>,
    ids: FxHashMap<&'t str, u32>,
    /// The [`terms`] of token `i` of three letters or more:
    /// `flat[first[i]..first[i + 1]]`.
    flat: Vec<u32>,
    first: Vec<u32>,
    /// Per token: its term when the token is one content word (no stop
    /// word, three letters or more, not a number).
    content: Vec<Option<u32>>,
}

impl<'t> TokenTerms<'t> {
    pub fn new(t: &'t Tokens) -> Self {
        let mut out = TokenTerms {
            terms: Vec::with_capacity(t.len() / 2),
            ids: FxHashMap::with_capacity_and_hasher(t.len() / 2, Default::default()),
            flat: Vec::with_capacity(t.len()),
            first: Vec::with_capacity(t.len() + 1),
            content: Vec::with_capacity(t.len()),
        };
        for i in 0..t.len() {
            out.first.push(out.flat.len() as u32);
            let norm = t.norm(i);
            if norm.contains(' ') {
                // Several words in one token (`بـ"ذا`): no content word.
                for w in terms(norm).filter(|w| at_least_chars(w, 3)) {
                    let id = out.intern(w);
                    out.flat.push(id);
                }
                out.content.push(None);
                continue;
            }
            let term = strip_clitics(norm);
            let ok = !norm.is_empty() && at_least_chars(term, 3) && !is_stop(norm) && !is_stop(term);
            let digits = term.bytes().all(|b| b.is_ascii_digit());
            // `terms` keeps numbers of up to four digits; content words none.
            let id = (ok && !(digits && term.len() > 4)).then(|| out.intern(term));
            out.flat.extend(id);
            out.content.push(id.filter(|_| !digits));
        }
        out.first.push(out.flat.len() as u32);
        out
    }

    fn intern(&mut self, w: &'t str) -> u32 {
        let next = self.terms.len() as u32;
        let id = *self.ids.entry(w).or_insert(next);
        if id == next {
            self.terms.push(w);
        }
        id
    }

    /// The id of term `w`, when some token has it.
    pub fn id(&self, w: &str) -> Option<u32> {
        self.ids.get(w).copied()
    }

    /// The terms (ids) of token `i`, of three letters or more.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.flat[self.first[i] as usize..self.first[i + 1] as usize]
    }

    /// The term of token `i` when it is one content word.
    pub fn content(&self, i: usize) -> Option<u32> {
        self.content[i]
    }
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
    fn token_terms_agree_with_terms() {
        let text = "قال الوزير في بيان إن 4 حزيران 123456789 2020 والاجتماعُ بـ\"ذا فويس\" اجتماعاً";
        let t = Tokens::new(text);
        let tt = TokenTerms::new(&t);
        for i in 0..t.len() {
            let want: Vec<&str> = terms(t.norm(i)).filter(|w| w.chars().count() >= 3).collect();
            let got: Vec<&str> = tt.of(i).iter().map(|&id| tt.terms[id as usize]).collect();
            assert_eq!(got, want, "{}", t.raw(i));
        }
        let content: Vec<&str> = (0..t.len()).filter_map(|i| tt.content(i)).map(|id| tt.terms[id as usize]).collect();
        assert_eq!(content, vec!["وزير", "حزيران", "اجتماع", "فويس", "اجتماع"]);
        assert_eq!(tt.id("اجتماع"), tt.content(t.len() - 1));
    }

    #[test]
    fn drops_stop_words_and_noise() {
        assert_eq!(terms_of("قال الوزير في بيان إن 4 حزيران 123456789"), vec!["وزير", "حزيران"]);
        assert!(terms_of("").is_empty());
    }
}
