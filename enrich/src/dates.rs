//! Dates: feed and meta date strings to ISO 8601, and dates mentioned in
//! article text.
//!
//! [`parse_date`] reads one date string: RFC 2822 as feeds write it (any zone
//! style: `+0400`, `GMT`, `UT`, `EST`…, weekday optional and not trusted),
//! ISO 8601 / RFC 3339, `D/M/YYYY`, and written dates in English or Arabic
//! with both month systems (يونيو and حزيران/يونيو, Maghrebi جوان…), Eastern
//! Arabic or Persian digits. [`find_dates`] scans free text for
//! day-month(-year) mentions ("الخميس 4 حزيران/يونيو", "6 فبراير 2019").
//!
//! Everything goes through one tokenizer that folds digits and letter forms
//! with [`crate::normalize::normalize`] but keeps `: + - /`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

use crate::normalize::normalize;

/// Why a date string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("empty date string")]
    Empty,
    #[error("no day, month and year found in {0:?}")]
    NotADate(String),
    #[error("day, month or year out of range in {0:?}")]
    OutOfRange(String),
}

/// A parsed date: the calendar date, and the time and zone when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
    pub offset: Option<FixedOffset>,
}

impl ParsedDate {
    /// ISO 8601: `2018-05-21T10:56:16+04:00` with a time and zone,
    /// `2018-05-21T10:56:16` with a time only, `2018-05-21` otherwise.
    pub fn to_iso(&self) -> String {
        match (self.time, self.offset) {
            (Some(t), Some(o)) => self.with_offset(t, o).map_or_else(|| self.date.to_string(), |d| d.to_rfc3339()),
            (Some(t), None) => self.date.and_time(t).format("%Y-%m-%dT%H:%M:%S").to_string(),
            _ => self.date.to_string(),
        }
    }

    /// The instant, when time and zone are known.
    pub fn to_datetime(&self) -> Option<DateTime<FixedOffset>> {
        self.with_offset(self.time?, self.offset?)
    }

    fn with_offset(&self, t: NaiveTime, o: FixedOffset) -> Option<DateTime<FixedOffset>> {
        o.from_local_datetime(&self.date.and_time(t)).single()
    }
}

/// A date mentioned in text; the year is absent when the text omits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MentionedDate {
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
}

/// Month names after normalization, one or two words. Two-word Levantine
/// names come first so "كانون الثاني" is not read as "كانون".
const MONTHS: &[(&str, u32)] = &[
    ("كانون الثاني", 1),
    ("تشرين الاول", 10),
    ("تشرين الثاني", 11),
    ("كانون الاول", 12),
    ("يناير", 1),
    ("جانفي", 1),
    ("فبراير", 2),
    ("فيفري", 2),
    ("شباط", 2),
    ("مارس", 3),
    ("اذار", 3),
    ("ابريل", 4),
    ("افريل", 4),
    ("نيسان", 4),
    ("مايو", 5),
    ("ماي", 5),
    ("ايار", 5),
    ("يونيو", 6),
    ("يونيه", 6),
    ("جوان", 6),
    ("حزيران", 6),
    ("يوليو", 7),
    ("يوليه", 7),
    ("جويليه", 7),
    ("تموز", 7),
    ("اغسطس", 8),
    ("اوت", 8),
    ("اب", 8),
    ("سبتمبر", 9),
    ("ايلول", 9),
    ("اكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

/// Named zones of RFC 2822 (and a few common in feeds), in minutes east.
const ZONES: &[(&str, i32)] = &[
    ("gmt", 0),
    ("ut", 0),
    ("utc", 0),
    ("z", 0),
    ("est", -300),
    ("edt", -240),
    ("cst", -360),
    ("cdt", -300),
    ("mst", -420),
    ("mdt", -360),
    ("pst", -480),
    ("pdt", -420),
    ("cet", 60),
    ("cest", 120),
    ("bst", 60),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    /// A run of digits (any of the three systems): its value (saturated)
    /// and number of digits.
    Num(u32, usize),
    /// A word as written (normalized when read: see [`word_is`]).
    Word(&'a str),
    Time(NaiveTime),
    Zone(i32),
    Slash,
}

/// Longest input read, in bytes: a date string is short; this bounds the work
/// on hostile input.
const MAX_DATE_LEN: usize = 200;

/// The value of a digit of any of the three systems.
fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '٠'..='٩' => Some(c as u32 - '٠' as u32),
        '۰'..='۹' => Some(c as u32 - '۰' as u32),
        _ => None,
    }
}

/// A letter, with the common scripts tested before the Unicode tables.
fn is_letter(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' => true,
        c if c.is_ascii() => false,
        c => c.is_alphabetic(),
    }
}

/// Digits and colons from byte `i`: the parts between colons as (value,
/// digits), and the byte after the run.
fn digit_run(raw: &str, i: usize) -> (Vec<(u32, usize)>, usize) {
    let mut parts = vec![(0u32, 0usize)];
    let mut end = i;
    for (k, c) in raw[i..].char_indices() {
        if let Some(d) = digit(c) {
            let p = parts.last_mut().expect("one part at least");
            p.0 = p.0.saturating_mul(10).saturating_add(d);
            p.1 += 1;
        } else if c == ':' {
            parts.push((0, 0));
        } else {
            break;
        }
        end = i + k + c.len_utf8();
    }
    (parts, end)
}

/// Tokenize: numbers, words, `HH:MM(:SS)` times, `±HHMM` / `±HH:MM`
/// zones, slashes. Other punctuation separates. Words are kept as written.
fn tokenize(raw: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(c) = raw[i..].chars().next() {
        if digit(c).is_some() {
            let (parts, end) = digit_run(raw, i);
            i = end;
            if parts.len() == 1 {
                toks.push(Tok::Num(parts[0].0, parts[0].1));
                continue;
            }
            // A part with no digit reads as nothing (as "".parse() fails).
            let num = |k: usize| parts.get(k).filter(|p| p.1 > 0).map(|p| p.0);
            if let Some(t) = num(0).zip(num(1)).and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, num(2).unwrap_or(0))) {
                toks.push(Tok::Time(t));
                // Fractional seconds: skip.
                if raw[i..].starts_with('.') {
                    i += 1;
                    while let Some(c) = raw[i..].chars().next().filter(|c| digit(*c).is_some()) {
                        i += c.len_utf8();
                    }
                }
            }
        } else if matches!(c, '+' | '-' | '\u{2212}' | '\u{2010}'..='\u{2015}')
            && matches!(toks.last(), Some(Tok::Time(_)))
        {
            // Digits (colons skipped) after the sign: "+0400", "+04:00", "+04".
            let mut digits = Vec::new();
            let mut end = i + c.len_utf8();
            for (k, d) in raw[end..].char_indices() {
                match digit(d) {
                    Some(v) => digits.push(v),
                    None if d == ':' => {}
                    None => break,
                }
                end = i + c.len_utf8() + k + d.len_utf8();
            }
            if digits.len() == 4 || digits.len() == 2 {
                let h = (digits[0] * 10 + digits[1]) as i32;
                let m = if digits.len() == 4 { (digits[2] * 10 + digits[3]) as i32 } else { 0 };
                let sign = if c == '+' { 1 } else { -1 };
                toks.push(Tok::Zone(sign * (h * 60 + m)));
            }
            i = end;
        } else if c == '/' {
            toks.push(Tok::Slash);
            i += 1;
        } else if is_letter(c) {
            let start = i;
            for (k, c) in raw[i..].char_indices() {
                if !(is_letter(c) || is_mark(c)) {
                    break;
                }
                i = start + k + c.len_utf8();
            }
            let w = &raw[start..i];
            // A word of marks alone normalizes to nothing.
            if !w.chars().all(is_mark_only) {
                toks.push(Tok::Word(w));
            }
        } else {
            i += c.len_utf8();
        }
    }
    toks
}

/// A character [`normalize`] drops.
fn is_mark_only(c: char) -> bool {
    matches!(crate::normalize::fold(c), None | Some(' '))
}

fn is_mark(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
}

/// Month at `toks[i..]` (one or two words, with an optional "/other name"
/// gloss: "حزيران/يونيو"); returns the month and tokens consumed.
/// Whether normalized word `w` is a month name or the first word of one.
pub fn is_month_word(w: &str) -> bool {
    MONTHS.iter().any(|(m, _)| *m == w || m.split(' ').next() == Some(w))
}

fn month_at(toks: &[Tok], i: usize) -> Option<(u32, usize)> {
    let Some(Tok::Word(raw)) = toks.get(i) else { return None };
    let w = normalize(raw);
    let w = w.strip_prefix("و").filter(|s| MONTHS.iter().any(|(m, _)| m == s)).unwrap_or(&w);
    let two_word_start = w == "كانون" || w == "تشرين";
    let (month, mut used) = if two_word_start && let Some(Tok::Word(w2)) = toks.get(i + 1) {
        let two = format!("{w} {}", normalize(w2));
        match MONTHS.iter().find(|(m, _)| *m == two) {
            Some((_, n)) => (*n, 2),
            None => (MONTHS.iter().find(|(m, _)| *m == w)?.1, 1),
        }
    } else {
        (MONTHS.iter().find(|(m, _)| *m == w)?.1, 1)
    };
    // A gloss: "حزيران/يونيو", "تشرين الثاني/نوفمبر".
    if toks.get(i + used) == Some(&Tok::Slash)
        && let Some((m2, u2)) = month_at(toks, i + used + 1)
        && m2 == month
    {
        used += 1 + u2;
    }
    Some((month, used))
}

fn num_at(toks: &[Tok], i: usize) -> Option<u32> {
    match toks.get(i) {
        Some(Tok::Num(v, digits)) if *digits <= 4 => Some(*v),
        _ => None,
    }
}

fn year_of(n: u32, digits: usize) -> Option<i32> {
    match digits {
        4 if (1900..=2100).contains(&n) => Some(n as i32),
        2 => Some(if n < 70 { 2000 + n as i32 } else { 1900 + n as i32 }),
        _ => None,
    }
}

fn digits_at(toks: &[Tok], i: usize) -> usize {
    match toks.get(i) {
        Some(Tok::Num(_, digits)) => *digits,
        _ => 0,
    }
}

/// Parse one date string (feed, meta tag, byline) to a [`ParsedDate`].
pub fn parse_date(raw: &str) -> Result<ParsedDate, DateError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(DateError::Empty);
    }
    let raw = match raw.char_indices().nth(MAX_DATE_LEN) {
        Some((i, _)) => &raw[..i],
        None => raw,
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(raw) {
        return Ok(ParsedDate { date: d.date_naive(), time: Some(d.time()), offset: Some(*d.offset()) });
    }
    let toks = tokenize(raw);
    let (ymd, _) = find_ymd(&toks, 0).ok_or_else(|| DateError::NotADate(raw.to_owned()))?;
    let date = NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2).ok_or_else(|| DateError::OutOfRange(raw.to_owned()))?;
    let time = toks.iter().find_map(|t| match t {
        Tok::Time(t) => Some(*t),
        _ => None,
    });
    let offset = time.and_then(|_| {
        toks.iter().find_map(|t| match t {
            Tok::Zone(m) => FixedOffset::east_opt(m * 60),
            Tok::Word(w) => {
                let w = normalize(w);
                ZONES.iter().find(|(z, _)| *z == w).and_then(|(_, m)| FixedOffset::east_opt(m * 60))
            }
            _ => None,
        })
    });
    Ok(ParsedDate { date, time, offset })
}

/// The first full date (year, month, day) at or after `from`, and the index
/// after it.
fn find_ymd(toks: &[Tok], from: usize) -> Option<((i32, u32, u32), usize)> {
    for i in from..toks.len() {
        // ISO / numeric: YYYY-MM-DD was split into Num Num Num; D/M/YYYY.
        if let (Some(a), Some(b), Some(c)) = (num_at(toks, i), num_at(toks, i + 1), num_at(toks, i + 2))
            && digits_at(toks, i) == 4
            && (1..=12).contains(&b)
            && (1..=31).contains(&c)
        {
            return Some(((a as i32, b, c), i + 3));
        }
        if let (Some(d), Some(Tok::Slash), Some(m), Some(Tok::Slash), Some(y)) =
            (num_at(toks, i), toks.get(i + 1), num_at(toks, i + 2), toks.get(i + 3), num_at(toks, i + 4))
            && let Some(y) = year_of(y, digits_at(toks, i + 4))
            && (1..=31).contains(&d)
            && (1..=12).contains(&m)
        {
            return Some(((y, m, d), i + 5));
        }
        if let Some((m, d, next)) = day_month_at(toks, i) {
            // Year: right after, possibly after a time ("21 May 2018").
            if let Some(y) = num_at(toks, next).and_then(|y| year_of(y, digits_at(toks, next))) {
                return Some(((y, m, d), next + 1));
            }
        }
    }
    None
}

/// "D Month" or "Month D" at `i`: (month, day, index after).
fn day_month_at(toks: &[Tok], i: usize) -> Option<(u32, u32, usize)> {
    if let Some(d) = num_at(toks, i).filter(|d| (1..=31).contains(d) && digits_at(toks, i) <= 2)
        && let Some((m, used)) = month_at(toks, i + 1)
    {
        return Some((m, d, i + 1 + used));
    }
    // A month name is read only where a number follows within the five
    // tokens a month (with its gloss) can take.
    if matches!(toks.get(i), Some(Tok::Word(_)))
        && toks[i + 1..toks.len().min(i + 6)].iter().any(|t| matches!(t, Tok::Num(..)))
        && let Some((m, used)) = month_at(toks, i)
        && let Some(d) = num_at(toks, i + used).filter(|d| (1..=31).contains(d) && digits_at(toks, i + used) <= 2)
    {
        // Only when an explicit year follows: "May 21, 2018"; "ماي 3" alone is
        // too ambiguous in running text.
        if num_at(toks, i + used + 1).is_some_and(|y| year_of(y, digits_at(toks, i + used + 1)).is_some()) {
            return Some((m, d, i + used + 1));
        }
    }
    None
}

/// Longest text scanned by [`find_dates`], in bytes (from the start).
const MAX_SCAN: usize = 64 * 1024;

/// Dates mentioned in `text` ("4 حزيران/يونيو", "6 فبراير 2019",
/// "May 21, 2018"), in order of appearance, duplicates removed.
pub fn find_dates(text: &str) -> Vec<MentionedDate> {
    let text = crate::text::cut(text, MAX_SCAN);
    let toks = tokenize(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some((m, d, next)) = day_month_at(&toks, i) {
            let year = num_at(&toks, next).and_then(|y| year_of(y, digits_at(&toks, next)).filter(|_| y >= 1900));
            let valid = NaiveDate::from_ymd_opt(year.unwrap_or(2000), m, d).is_some();
            let found = MentionedDate { year, month: m, day: d };
            if valid && !out.contains(&found) {
                out.push(found);
            }
            i = next + usize::from(year.is_some());
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        parse_date(s).map(|d| d.to_iso()).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn reads_rfc2822_with_every_zone_style() {
        assert_eq!(iso("Mon, 21 May 2018 10:56:16 +0400"), "2018-05-21T10:56:16+04:00");
        assert_eq!(iso("Tue, 01 May 2018 09:00:00 GMT"), "2018-05-01T09:00:00+00:00");
        assert_eq!(iso("Sun, 18 Feb 2018 21:35:43 +0000"), "2018-02-18T21:35:43+00:00");
        assert_eq!(iso("Sun, 18 Feb 2018 21:35:43 -0500"), "2018-02-18T21:35:43-05:00");
        assert_eq!(iso("18 Feb 2018 21:35 EST"), "2018-02-18T21:35:00-05:00");
        // A wrong weekday does not matter.
        assert_eq!(iso("Fri, 18 Feb 2018 21:35:43 GMT"), "2018-02-18T21:35:43+00:00");
    }

    #[test]
    fn reads_iso_and_numeric_dates() {
        assert_eq!(iso("2020-06-04T10:00:00+03:00"), "2020-06-04T10:00:00+03:00");
        assert_eq!(iso("2020-06-04"), "2020-06-04");
        assert_eq!(iso("04/06/2020"), "2020-06-04");
        assert_eq!(iso("May 21, 2018"), "2018-05-21");
    }

    #[test]
    fn reads_arabic_month_names_in_both_systems_and_eastern_digits() {
        assert_eq!(iso("الخميس ٤ يونيو ٢٠٢٠"), "2020-06-04");
        assert_eq!(iso("4 حزيران/يونيو 2020"), "2020-06-04");
        assert_eq!(iso("14 تشرين الثاني/نوفمبر 2019"), "2019-11-14");
        assert_eq!(iso("۱۲ آذار ۲۰۱۹ - ۱۰:۳۰"), "2019-03-12T10:30:00");
        assert_eq!(iso("3 جوان 2021"), "2021-06-03");
        assert_eq!(iso("1 كانون الثاني 2021"), "2021-01-01");
        assert_eq!(iso("15 أغسطس 2018"), "2018-08-15");
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        assert_eq!(parse_date(""), Err(DateError::Empty));
        assert!(matches!(parse_date("hello"), Err(DateError::NotADate(_))));
        assert!(matches!(parse_date("31 فبراير 2020"), Err(DateError::OutOfRange(_))));
        assert!(parse_date(&"٣".repeat(1_000_000)).is_err());
        assert!(parse_date("99:99 + - / //").is_err());
    }

    #[test]
    fn finds_dates_mentioned_in_text() {
        let text = "اجتماعا افتراضيا يوم الخميس 4 حزيران/يونيو، وبالإشارة إلى بيانهم الصادر في 6 فبراير 2019 و4 يونيو";
        assert_eq!(
            find_dates(text),
            vec![MentionedDate { year: None, month: 6, day: 4 }, MentionedDate { year: Some(2019), month: 2, day: 6 },]
        );
        assert!(find_dates("قتل 4 أشخاص في 2019").is_empty());
        assert!(find_dates("").is_empty());
    }
}
