//! Language and script detection (whatlang: fast, no model download),
//! with a letter rule for Arabic-script text: Arabic, Persian and Urdu
//! each write letters the others do not (ة ى ي ك for Arabic; ی ک پ چ ژ گ
//! for Persian; ے ں ٹ ڈ ڑ ھ for Urdu), which decides short headlines and
//! fully diacritized text where trigram statistics waver.

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
    let counts = LetterCounts::of(sample);
    // Mostly Arabic script: whatlang's script detection would say so too
    // (it counts the same characters, see `LetterCounts`); skip it.
    let script = if counts.arabic_script > counts.other {
        Some("Arabic".to_owned())
    } else {
        whatlang::detect_script(sample).map(|s| s.name().to_owned())
    };
    if script.as_deref() == Some("Arabic")
        && let Some(lang) = counts.language()
    {
        return Detected { language: Some(lang.to_owned()), confidence: 1.0, script };
    }
    match whatlang::detect(sample) {
        Some(info) if info.is_reliable() || hint.is_none() => {
            Detected { language: Some(iso639_1(info.lang()).to_owned()), confidence: info.confidence(), script }
        }
        _ => Detected { language: hint.map(str::to_owned), confidence: 0.0, script },
    }
}

/// Letter counts of a text, in one pass.
#[derive(Debug, Default)]
struct LetterCounts {
    /// Characters of the Arabic blocks as whatlang counts them.
    arabic_script: usize,
    /// Other characters whatlang counts (it skips ASCII punctuation,
    /// digits and controls).
    other: usize,
    /// Letters only Arabic, only Persian (and Urdu), only Urdu write.
    ar: usize,
    fa: usize,
    ur: usize,
}

impl LetterCounts {
    fn of(text: &str) -> Self {
        let mut n = LetterCounts::default();
        for c in text.chars() {
            match c {
                // whatlang's stop characters.
                '\u{0000}'..='\u{0040}' | '\u{005B}'..='\u{0060}' | '\u{007B}'..='\u{007E}' => continue,
                // Urdu: yeh barree, noon ghunna, tteh, ddal, rreh, do-chashmi heh.
                'ے' | 'ۓ' | 'ں' | 'ٹ' | 'ڈ' | 'ڑ' | 'ھ' => n.ur += 1,
                // Persian (and Urdu): farsi yeh, keheh, peh, tcheh, jeh, gaf.
                'ی' | 'ک' | 'پ' | 'چ' | 'ژ' | 'گ' => n.fa += 1,
                // Arabic only: ta marbuta, alef maqsura, Arabic yeh and kaf.
                'ة' | 'ى' | 'ي' | 'ك' => n.ar += 1,
                _ => {}
            }
            // whatlang's Arabic ranges.
            if matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{07FF}' | '\u{08A0}'..='\u{08FF}'
                | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}' | '\u{10E60}'..='\u{10E7F}'
                | '\u{1EE00}'..='\u{1EEFF}')
            {
                n.arabic_script += 1;
            } else {
                n.other += 1;
            }
        }
        n
    }

    /// See [`arabic_script_language`].
    fn language(&self) -> Option<&'static str> {
        let (ar, fa, ur) = (self.ar, self.fa, self.ur);
        if ur > 0 && ur * 4 >= ar {
            Some("ur")
        } else if fa > 0 && fa >= ar * 4 {
            Some("fa")
        } else if ar > 0 && fa == 0 && ur == 0 {
            Some("ar")
        } else {
            None
        }
    }
}

/// "ar", "fa" or "ur" from the letters of Arabic-script `text`, when they
/// decide it: Urdu letters; else Persian letters with no Arabic-only ones;
/// else Arabic-only letters with no Persian or Urdu ones.
pub fn arabic_script_language(text: &str) -> Option<&'static str> {
    LetterCounts::of(text).language()
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
    fn arabic_persian_urdu_on_short_and_diacritized_text() {
        let cases = [
            ("ar", "مقتل ثلاثة في غارة"),
            ("ar", "الرئيس يزور القاهرة"),
            ("ar", "وَقَالَ الْوَزِيرُ إِنَّ الْمُفَاوَضَاتِ مُسْتَمِرَّةٌ"),
            ("ar", "ذَهَبَ الطَّالِبُ إِلَى الْمَدْرَسَةِ"),
            ("fa", "سفر رئیس جمهور به چین"),
            ("fa", "کاهش قیمت نفت"),
            ("fa", "وَزیرِ خارِجه گُفت که مُذاکِرات اِدامه دارَد"),
            ("ur", "وزیراعظم نے اجلاس طلب کر لیا"),
            ("ur", "پاکستان میں بارشیں"),
            ("ur", "حکومت نے ٹیکس بڑھا دیا"),
        ];
        for (want, text) in cases {
            assert_eq!(detect(text, None).language.as_deref(), Some(want), "{text}");
        }
        // Letters that decide nothing leave it to whatlang.
        assert_eq!(arabic_script_language("من دمشق"), None);
        // The script shortcut agrees with whatlang's own detection.
        for text in ["من دمشق إلى Paris", "Paris و دمشق", "٢٠٢٠ ،", "Hello مرحبا world", "سفر رئیس جمهور به چین"]
        {
            let c = LetterCounts::of(text);
            if c.arabic_script > c.other {
                assert_eq!(whatlang::detect_script(text), Some(whatlang::Script::Arabic), "{text}");
            }
        }
    }

    #[test]
    fn unreliable_short_text_uses_the_hint() {
        assert_eq!(detect("ok", Some("ar")).language.as_deref(), Some("ar"));
        assert_eq!(detect("", None).language, None);
    }
}
