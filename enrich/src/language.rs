//! Language and script detection (whatlang: fast, no model download).

/// What was detected.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// ISO 639-1 where one exists, else ISO 639-3.
    pub language: Option<String>,
    pub confidence: f64,
    pub script: Option<String>,
}

/// Detect the language of `text`; `hint` (from the page or feed) wins when
/// detection is unreliable.
pub fn detect(text: &str, hint: Option<&str>) -> Detected {
    // A prefix is plenty and keeps the cost flat on huge texts.
    let sample = prefix_chars(text, 2000);
    let script = whatlang::detect_script(sample).map(|s| s.name().to_owned());
    match whatlang::detect(sample) {
        Some(info) if info.is_reliable() || hint.is_none() => {
            Detected { language: Some(iso639_1(info.lang()).to_owned()), confidence: info.confidence(), script }
        }
        _ => Detected { language: hint.map(str::to_owned), confidence: 0.0, script },
    }
}

fn prefix_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// ISO 639-1 code of a whatlang language (639-3 when there is none).
pub fn iso639_1(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Ara => "ar",
        Pes => "fa",
        Urd => "ur",
        Heb => "he",
        Eng => "en",
        Fra => "fr",
        Deu => "de",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Nld => "nl",
        Rus => "ru",
        Ukr => "uk",
        Pol => "pl",
        Tur => "tr",
        Cmn => "zh",
        Jpn => "ja",
        Kor => "ko",
        Hin => "hi",
        Ben => "bn",
        Ind => "id",
        Vie => "vi",
        Tha => "th",
        Swe => "sv",
        Dan => "da",
        Nob => "no",
        Fin => "fi",
        Ces => "cs",
        Slk => "sk",
        Hun => "hu",
        Ron => "ro",
        Bul => "bg",
        Ell => "el",
        Srp => "sr",
        Hrv => "hr",
        Slv => "sl",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Cat => "ca",
        Epo => "eo",
        Afr => "af",
        Tgl => "tl",
        Mal => "ml",
        Tam => "ta",
        Tel => "te",
        Kan => "kn",
        Mar => "mr",
        Guj => "gu",
        Pan => "pa",
        Amh => "am",
        Kat => "ka",
        Hye => "hy",
        Aze => "az",
        Uzb => "uz",
        Bel => "be",
        Mkd => "mk",
        Yid => "yi",
        Zul => "zu",
        Jav => "jv",
        Sna => "sn",
        Aka => "ak",
        Tuk => "tk",
        Ori => "or",
        Sin => "si",
        Mya => "my",
        Khm => "km",
        Nep => "ne",
        Lat => "la",
        _ => lang.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_and_english() {
        let ar = detect(
            "اجتمع وزراء التحالف الدولي لمحاربة داعش أمس في مدينة مراكش المغربية للتأكيد على مواصلة القتال",
            None,
        );
        assert_eq!(ar.language.as_deref(), Some("ar"));
        assert_eq!(ar.script.as_deref(), Some("Arabic"));
        let en =
            detect("The ministers of the global coalition met in Marrakech to discuss the fight against ISIS.", None);
        assert_eq!(en.language.as_deref(), Some("en"));
    }

    #[test]
    fn unreliable_short_text_uses_the_hint() {
        assert_eq!(detect("ok", Some("ar")).language.as_deref(), Some("ar"));
        assert_eq!(detect("", None).language, None);
    }
}
