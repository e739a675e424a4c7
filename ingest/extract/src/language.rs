//! Language and text direction.
//!
//! The page's own declaration (`<html lang>`, `og:locale`,
//! `content-language`, JSON-LD `inLanguage`) is a hint; whatlang on the
//! extracted text decides when it is confident and disagrees (pages that
//! declare `en` site-wide but carry isiZulu text, for instance). Closely
//! related languages whatlang mixes up (Scandinavian, BCS, Malay/Indonesian)
//! never override the hint.

const ISO: &[(&str, &str)] = &[
    ("epo", "eo"),
    ("eng", "en"),
    ("rus", "ru"),
    ("cmn", "zh"),
    ("spa", "es"),
    ("por", "pt"),
    ("ita", "it"),
    ("ben", "bn"),
    ("fra", "fr"),
    ("deu", "de"),
    ("ukr", "uk"),
    ("kat", "ka"),
    ("ara", "ar"),
    ("hin", "hi"),
    ("jpn", "ja"),
    ("heb", "he"),
    ("yid", "yi"),
    ("pol", "pl"),
    ("amh", "am"),
    ("jav", "jv"),
    ("kor", "ko"),
    ("nob", "nb"),
    ("dan", "da"),
    ("swe", "sv"),
    ("fin", "fi"),
    ("tur", "tr"),
    ("nld", "nl"),
    ("hun", "hu"),
    ("ces", "cs"),
    ("ell", "el"),
    ("bul", "bg"),
    ("bel", "be"),
    ("mar", "mr"),
    ("kan", "kn"),
    ("ron", "ro"),
    ("slv", "sl"),
    ("hrv", "hr"),
    ("srp", "sr"),
    ("mkd", "mk"),
    ("lit", "lt"),
    ("lav", "lv"),
    ("est", "et"),
    ("tam", "ta"),
    ("vie", "vi"),
    ("urd", "ur"),
    ("tha", "th"),
    ("guj", "gu"),
    ("uzb", "uz"),
    ("pan", "pa"),
    ("aze", "az"),
    ("ind", "id"),
    ("tel", "te"),
    ("pes", "fa"),
    ("mal", "ml"),
    ("ori", "or"),
    ("mya", "my"),
    ("nep", "ne"),
    ("sin", "si"),
    ("khm", "km"),
    ("tuk", "tk"),
    ("aka", "ak"),
    ("zul", "zu"),
    ("sna", "sn"),
    ("afr", "af"),
    ("lat", "la"),
    ("slk", "sk"),
    ("cat", "ca"),
    ("tgl", "tl"),
    ("hye", "hy"),
    ("cym", "cy"),
];

const RTL: &[&str] = &["ar", "fa", "ur", "he", "yi", "ps", "sd", "ug", "ckb", "dv", "iw"];

/// Primary subtag of a language tag or locale, lower-cased and checked:
/// `"ar-EG"`, `"ar_AR"`, `"AR"` → `"ar"`; `"x-default"`, `"*"` → `None`.
pub(crate) fn primary(tag: &str) -> Option<String> {
    let p = tag.trim().split(['-', '_', ',', ';', ' ']).next()?.to_ascii_lowercase();
    let ok = (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase());
    if !ok {
        return None;
    }
    // Old or 3-letter codes for languages that have a 2-letter one.
    Some(match p.as_str() {
        "iw" => "he".into(),
        "in" => "id".into(),
        "ji" => "yi".into(),
        "ara" => "ar".into(),
        "eng" => "en".into(),
        "deu" | "ger" => "de".into(),
        _ => ISO.iter().find(|(three, _)| *three == p).map_or(p, |(_, two)| (*two).to_string()),
    })
}

fn family(code: &str) -> &str {
    match code {
        "no" | "nb" | "nn" | "da" | "sv" => "scandinavian",
        "hr" | "sr" | "bs" | "sh" => "bcs",
        "ms" | "id" => "malay",
        "zu" | "xh" | "nr" | "ss" => "nguni",
        other => other,
    }
}

/// Characters of the text whatlang looks at.
const SAMPLE_CHARS: usize = 400;

/// Decides the language from the page hint and the extracted text.
pub(crate) fn detect(hint: Option<&str>, text: &str) -> Option<String> {
    let hint = hint.and_then(primary);
    // whatlang's cost grows with its input (it was 5 % of the extraction
    // time on 1,200 bytes); 400 characters decide as well.
    let end = text.char_indices().nth(SAMPLE_CHARS).map_or(text.len(), |(i, _)| i);
    let sample = &text[..end];
    let info = if sample.chars().count() >= 40 { whatlang::detect(sample) } else { None };
    let detected = info.as_ref().and_then(|i| {
        let three = i.lang().code();
        ISO.iter().find(|(t, _)| *t == three).map(|(_, two)| ((*two).to_string(), i.is_reliable(), i.confidence()))
    });
    match (hint, detected) {
        (Some(h), Some((d, reliable, conf))) => {
            if h == d || family(&h) == family(&d) {
                Some(h)
            } else if reliable && conf >= 0.9 && sample.chars().count() >= 300 {
                Some(d)
            } else {
                Some(h)
            }
        }
        (Some(h), None) => Some(h),
        (None, Some((d, _, _))) => Some(d),
        (None, None) => None,
    }
}

/// `dir` attribute when given, otherwise from the language.
pub(crate) fn direction(dir_attr: Option<&str>, lang: Option<&str>) -> Option<String> {
    if let Some(d) = dir_attr.map(|d| d.trim().to_ascii_lowercase())
        && (d == "rtl" || d == "ltr")
    {
        return Some(d);
    }
    let lang = lang?;
    Some(if RTL.contains(&lang) { "rtl" } else { "ltr" }.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_subtags() {
        assert_eq!(primary("ar-EG").as_deref(), Some("ar"));
        assert_eq!(primary("ar_AR").as_deref(), Some("ar"));
        assert_eq!(primary("iw").as_deref(), Some("he"));
        assert_eq!(primary("x-default"), None);
    }

    #[test]
    fn arabic_text_without_hint() {
        let t = "قالت وزارة الصحة إن عدد المصابين ارتفع خلال الأسبوع الماضي في عدة مدن بسبب موجة الحر الشديدة التي تضرب البلاد.";
        assert_eq!(detect(None, t).as_deref(), Some("ar"));
        assert_eq!(direction(None, Some("ar")).as_deref(), Some("rtl"));
        assert_eq!(direction(Some("RTL"), None).as_deref(), Some("rtl"));
    }

    #[test]
    fn hint_wins_for_related_languages_and_short_text() {
        let da = "Regeringen har i dag fremlagt et nyt forslag om skat, som skal give flere penge til kommunerne.";
        assert_eq!(detect(Some("nb-NO"), da).as_deref(), Some("nb"));
        assert_eq!(detect(Some("de"), "Hello").as_deref(), Some("de"));
    }

    #[test]
    fn confident_text_overrides_a_wrong_site_wide_hint() {
        let de = "Die Bundesregierung hat am Mittwoch einen neuen Gesetzentwurf beschlossen, der die Förderung von erneuerbaren Energien deutlich ausweiten soll. Kritiker aus der Opposition bemängeln jedoch, dass die geplanten Maßnahmen nicht ausreichen würden, um die Klimaziele zu erreichen. Die Länder fordern mehr Geld vom Bund.";
        assert_eq!(detect(Some("en"), de).as_deref(), Some("de"));
    }
}
