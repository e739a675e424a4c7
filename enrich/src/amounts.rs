//! Amounts of money, percentages and counts in text: "200 مليون دولار",
//! "بـ1.25 مليار دولار", "79 دولة", "٣٠٪", "$5 billion", "12 per cent".
//! Digits in any of the three systems; thousands and decimal separators;
//! scale words (ألف, مليون, مليار, thousand, million…).

use serde::Serialize;

use crate::terms::is_stop;
use crate::text::Tokens;

/// One amount.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Amount {
    /// As written (trimmed of punctuation).
    pub text: String,
    /// The number with its scale applied: "200 مليون" → 200000000.
    pub value: f64,
    /// ISO 4217 code for money ("USD"), "%" for a share, else the counted
    /// noun as written ("دولة").
    pub unit: String,
    /// "money", "percent" or "count".
    pub kind: &'static str,
}

/// Scale words (normalized) and their factor.
const SCALES: &[(&str, f64)] = &[
    ("الف", 1e3),
    ("الاف", 1e3),
    ("مليون", 1e6),
    ("ملايين", 1e6),
    ("مليار", 1e9),
    ("مليارات", 1e9),
    ("بليون", 1e9),
    ("تريليون", 1e12),
    ("thousand", 1e3),
    ("million", 1e6),
    ("millions", 1e6),
    ("billion", 1e9),
    ("billions", 1e9),
    ("bn", 1e9),
    ("trillion", 1e12),
];

/// Currency words (normalized) and their ISO code.
const CURRENCIES: &[(&str, &str)] = &[
    ("دولار", "USD"),
    ("دولارا", "USD"),
    ("دولارات", "USD"),
    ("يورو", "EUR"),
    ("جنيه", "GBP"),
    ("استرليني", "GBP"),
    ("ريال", "SAR"),
    ("درهم", "AED"),
    ("دينار", "KWD"),
    ("ليره", "TRY"),
    ("روبل", "RUB"),
    ("يوان", "CNY"),
    ("ين", "JPY"),
    ("dollar", "USD"),
    ("dollars", "USD"),
    ("euro", "EUR"),
    ("euros", "EUR"),
    ("pound", "GBP"),
    ("pounds", "GBP"),
    ("yuan", "CNY"),
    ("yen", "JPY"),
];

/// Words after which a dollar/pound/riyal-like currency is national:
/// "جنيه مصري" is EGP, "ريال قطري" QAR…
const NATIONAL: &[(&str, &str, &str)] = &[
    ("جنيه", "مصري", "EGP"),
    ("ريال", "قطري", "QAR"),
    ("ريال", "عماني", "OMR"),
    ("ريال", "يمني", "YER"),
    ("ريال", "ايراني", "IRR"),
    ("دينار", "عراقي", "IQD"),
    ("دينار", "اردني", "JOD"),
    ("دينار", "بحريني", "BHD"),
    ("دينار", "ليبي", "LYD"),
    ("دينار", "جزايري", "DZD"),
    ("دينار", "تونسي", "TND"),
    ("درهم", "مغربي", "MAD"),
    ("ليره", "لبنانيه", "LBP"),
    ("ليره", "سوريه", "SYP"),
    ("دولار", "كندي", "CAD"),
    ("دولار", "استرالي", "AUD"),
];

const PERCENT_WORDS: &[&str] = &["بالميه", "بالمايه", "percent"];

/// The number a token writes, with Eastern digits and separators
/// (1,234.5 / ١٬٢٣٤٫٥), after a clitic or currency sign ("بـ70", "$5").
fn number(tok: &str) -> Option<(f64, bool, Option<&'static str>)> {
    let mut sign: Option<&'static str> = None;
    let mut percent = false;
    let mut digits = String::new();
    let mut seen_digit = false;
    for c in tok.chars() {
        match c {
            '0'..='9' => {
                digits.push(c);
                seen_digit = true;
            }
            '٠'..='٩' | '۰'..='۹' => {
                let base = if c >= '۰' { '۰' } else { '٠' };
                digits.push(char::from(b'0' + (c as u32 - base as u32) as u8));
                seen_digit = true;
            }
            '.' | '٫' if seen_digit => digits.push('.'),
            ',' | '٬' if seen_digit => {}
            '%' | '٪' if seen_digit => percent = true,
            '$' if !seen_digit => sign = Some("USD"),
            '€' if !seen_digit => sign = Some("EUR"),
            '£' if !seen_digit => sign = Some("GBP"),
            // A proclitic or tatweel before the digits: بـ70, و5, لـ3.
            'ب' | 'و' | 'ل' | 'ـ' | 'ف' | 'ك' if !seen_digit => {}
            _ if seen_digit && !c.is_alphanumeric() => break,
            _ => return None,
        }
    }
    let digits = digits.trim_end_matches('.');
    let value: f64 = digits.parse().ok()?;
    value.is_finite().then_some((value, percent, sign))
}

/// Amounts in `text`, in order.
pub fn find_amounts(text: &str) -> Vec<Amount> {
    find_amounts_in(&Tokens::new(text))
}

/// [`find_amounts`] over tokenized text.
pub fn find_amounts_in(t: &Tokens) -> Vec<Amount> {
    let raw = t.raws();
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        // Cheap test first: a number has a digit or a currency sign.
        if !raw[i].chars().any(|c| c.is_ascii_digit() || matches!(c, '٠'..='٩' | '۰'..='۹')) {
            i += 1;
            continue;
        }
        let Some((mut value, percent, sign)) = number(raw[i]) else {
            i += 1;
            continue;
        };
        let start = i;
        let mut end = i + 1;
        // Normalized words after a number.
        let word = |k: usize| if k < raw.len() { t.norm(k) } else { "" };
        if let Some((_, f)) = SCALES.iter().find(|(w, _)| *w == word(end)) {
            value *= f;
            end += 1;
        }
        let (unit, kind) = if percent {
            ("%".to_owned(), "percent")
        } else if PERCENT_WORDS.contains(&word(end))
            || (word(end) == "في" && ["الميه", "المايه"].contains(&word(end + 1)))
        {
            end += if word(end) == "في" { 2 } else { 1 };
            ("%".to_owned(), "percent")
        } else if let Some(code) = sign {
            (code.to_owned(), "money")
        } else if let Some((cur, code)) = CURRENCIES.iter().find(|(w, _)| *w == word(end)) {
            end += 1;
            match NATIONAL.iter().find(|(c, adj, _)| c == cur && *adj == word(end)) {
                Some((_, _, national)) => {
                    end += 1;
                    (national.to_string(), "money")
                }
                None => (code.to_string(), "money"),
            }
        } else if end < raw.len() && counted_noun(word(end)) {
            end += 1;
            (trim(raw[end - 1]).to_owned(), "count")
        } else {
            i = end;
            continue;
        };
        let text = raw[start..end].iter().map(|t| trim(t)).collect::<Vec<_>>().join(" ");
        out.push(Amount { text, value, unit, kind });
        i = end;
    }
    out
}

/// A word that can be counted: letters, not a stop word, not a month or
/// year word (dates are read by [`crate::dates`]).
fn counted_noun(w: &str) -> bool {
    const NOT: &[&str] = &["عاما", "عام", "سنه", "سنوات", "year", "years", "ساعه", "دقيقه", "يوم", "ايام"];
    w.chars().count() >= 3
        && w.chars().all(char::is_alphabetic)
        && !is_stop(w)
        && !NOT.contains(&w)
        && !crate::dates::is_month_word(w)
}

fn trim(t: &str) -> &str {
    t.trim_matches(|c: char| !c.is_alphanumeric() && !matches!(c, '%' | '٪' | '$' | '€' | '£'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn got(text: &str) -> Vec<(f64, String, &'static str)> {
        find_amounts(text).into_iter().map(|a| (a.value, a.unit, a.kind)).collect()
    }

    #[test]
    fn arabic_money_counts_and_shares() {
        assert_eq!(
            got("تبرع بـ200 مليون دولار لـ79 دولة، وارتفع ٣٠٪ أو 12 في المئة"),
            vec![
                (200e6, "USD".to_owned(), "money"),
                (79.0, "دولة".to_owned(), "count"),
                (30.0, "%".to_owned(), "percent"),
                (12.0, "%".to_owned(), "percent"),
            ]
        );
        assert_eq!(got("بقيمة ١٬٢٥٠ جنيه مصري"), vec![(1250.0, "EGP".to_owned(), "money")]);
        assert_eq!(find_amounts("إندونيسيا تصدر سندات بـ 1.25 مليار دولار")[0].value, 1.25e9);
    }

    #[test]
    fn english_money() {
        assert_eq!(
            got("a $5 billion deal, 40 percent"),
            vec![(5e9, "USD".to_owned(), "money"), (40.0, "%".to_owned(), "percent")]
        );
        assert_eq!(
            got("2.5 million euros for 300 families"),
            vec![(2.5e6, "EUR".to_owned(), "money"), (300.0, "families".to_owned(), "count")]
        );
    }

    #[test]
    fn dates_and_bare_numbers_are_not_amounts() {
        assert!(got("في 4 يونيو 2019 من").is_empty());
        assert!(got("").is_empty());
        assert!(got("عام 2020 منذ 3 سنوات").is_empty());
    }
}
