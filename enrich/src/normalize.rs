//! Text normalization for matching and hashing. Display text is never
//! altered: this produces keys.
//!
//! Arabic: alef forms (أ إ آ ٱ) → ا, alef maqsura ى → ي, ta marbuta ة → ه,
//! hamza on waw/ya (ؤ ئ) → و ي, diacritics (harakat, shadda, sukun, dagger
//! alef) and tatweel removed, Arabic punctuation (، ؛ ؟) treated as
//! punctuation, Eastern Arabic and Persian digits → ASCII. Other scripts:
//! lowercase. Everything: punctuation dropped, whitespace collapsed.

/// Normalize one character; `None` drops it, a space separates words.
#[inline]
pub(crate) fn fold(c: char) -> Option<char> {
    Some(match c {
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => 'ا',
        'ى' | 'ی' => 'ي',
        'ة' => 'ه',
        'ؤ' => 'و',
        'ئ' => 'ي',
        'ک' => 'ك',
        // Harakat, tanwin, shadda, sukun, dagger alef, Quranic marks, tatweel.
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}' => return None,
        // Bidi and zero-width controls.
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' => return None,
        '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
        '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
        // Fast paths (the generic Unicode tables are slow): ASCII, and the
        // Arabic letters not folded above (tatweel is dropped above).
        c if c.is_ascii_alphanumeric() => c,
        c if c.is_ascii() => ' ',
        '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' => c,
        c if c.is_alphanumeric() => c,
        _ => ' ',
    })
}

/// The matching key of `text`: folded, lowercased, words separated by one
/// space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        let Some(f) = fold(c) else { continue };
        if f == ' ' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        push_folded(&mut out, f);
    }
    out
}

/// Append folded character `f` (not a space), lowercased.
#[inline]
pub(crate) fn push_folded(out: &mut String, f: char) {
    if f.is_ascii() {
        out.push(f.to_ascii_lowercase());
    } else if ('\u{0600}'..='\u{06FF}').contains(&f) {
        // Arabic has no case.
        out.push(f);
    } else {
        out.extend(f.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_arabic_letter_forms_and_marks() {
        assert_eq!(normalize("أَحْمَد"), normalize("احمد"));
        assert_eq!(normalize("إلى"), "الي");
        assert_eq!(normalize("مدرسة"), "مدرسه");
        assert_eq!(normalize("الـــعـــراق"), "العراق");
        assert_eq!(normalize("مسؤول"), "مسوول");
    }

    #[test]
    fn digits_punctuation_and_case() {
        assert_eq!(normalize("٢٠٢٠، عام ۱۴۰۰؟"), "2020 عام 1400");
        assert_eq!(normalize("  Hello,   WORLD! "), "hello world");
        assert_eq!(normalize("\u{200F}#داعش"), "داعش");
    }
}
