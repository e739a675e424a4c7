//! Date parsing: machine formats (RFC 3339, RFC 2822, ISO variants) and
//! dates in visible text in many languages, including Arabic with either
//! month-name system, Eastern Arabic (٠–٩) and Persian (۰–۹) digits, and a
//! Hijri date standing next to the Gregorian one (the Gregorian one wins:
//! Hijri years fall outside the accepted year range and Hijri month names
//! are not in the table).

use crate::months::{fold_arabic, month};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(u32, u8),
    Word(String),
    Punct(char),
}

/// Maps any Unicode decimal digit we know to its value.
fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '\u{0660}'..='\u{0669}' => Some(c as u32 - 0x0660),
        '\u{06F0}'..='\u{06F9}' => Some(c as u32 - 0x06F0),
        '\u{FF10}'..='\u{FF19}' => Some(c as u32 - 0xFF10),
        _ => None,
    }
}

/// Splits text into numbers, lower-cased words and punctuation. Stops after
/// `max` tokens so a huge string costs little.
fn tokenize(s: &str, max: usize) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if toks.len() >= max {
            break;
        }
        if let Some(d) = digit(c) {
            let (mut v, mut n) = (d, 1u8);
            while let Some(d) = chars.peek().and_then(|&c| digit(c)) {
                chars.next();
                if n < 9 {
                    v = v * 10 + d;
                }
                n = n.saturating_add(1);
            }
            toks.push(Tok::Num(v, n));
        } else if c.is_alphabetic() && !is_cjk_date_mark(c) {
            let mut w = String::new();
            w.extend(c.to_lowercase().map(fold_arabic));
            while let Some(&c) = chars.peek() {
                if c.is_alphabetic() && !is_cjk_date_mark(c)
                    || c == '\u{0651}'
                    || ('\u{064B}'..='\u{0652}').contains(&c)
                {
                    chars.next();
                    if !('\u{064B}'..='\u{0652}').contains(&c) {
                        w.extend(c.to_lowercase().map(fold_arabic));
                    }
                } else {
                    break;
                }
            }
            toks.push(Tok::Word(w));
        } else if !c.is_whitespace() && !crate::clean::is_bidi_control(c) {
            toks.push(Tok::Punct(c));
        }
    }
    toks
}

fn is_cjk_date_mark(c: char) -> bool {
    matches!(c, '年' | '月' | '日' | '년' | '월' | '일' | '時' | '分' | '시' | '분')
}

fn year(v: u32, n: u8) -> Option<i32> {
    match n {
        4 if (1990..=2100).contains(&v) => Some(v as i32),
        _ => None,
    }
}

/// The parsed pieces before they become a `DateTime`.
struct Found {
    date: NaiveDate,
    end: usize,
}

/// Finds the first calendar date in the token stream.
fn find_date(t: &[Tok]) -> Option<Found> {
    let num = |i: usize| match t.get(i) {
        Some(Tok::Num(v, n)) => Some((*v, *n)),
        _ => None,
    };
    let punct = |i: usize| match t.get(i) {
        Some(Tok::Punct(c)) => Some(*c),
        _ => None,
    };
    let word_month = |i: usize| -> Option<(u32, usize)> {
        match t.get(i) {
            Some(Tok::Word(w)) => {
                if let Some(Tok::Word(w2)) = t.get(i + 1) {
                    let joined = format!("{w} {w2}");
                    if let Some(m) = month(&joined) {
                        return Some((m, 2));
                    }
                }
                month(w).map(|m| (m, 1))
            }
            _ => None,
        }
    };
    for i in 0..t.len() {
        // YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年MM月DD日
        if let Some((y, yn)) = num(i) {
            if let (Some(y), Some(s1), Some((m, _)), Some((d, _))) = (year(y, yn), punct(i + 1), num(i + 2), num(i + 4))
                && matches!(s1, '-' | '/' | '.')
                && punct(i + 3) == Some(s1)
                && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
            {
                return Some(Found { date, end: i + 5 });
            }
            // 2024年5月17日 / 2024년 5월 17일
            if let (Some(y), Some('年' | '년'), Some((m, _)), Some('月' | '월'), Some((d, _))) =
                (year(y, yn), punct(i + 1), num(i + 2), punct(i + 3), num(i + 4))
                && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
            {
                return Some(Found { date, end: i + 6 });
            }
            // YYYYMMDD (URLs, compact meta values)
            if yn == 8 {
                let (yy, mm, dd) = (y / 10000, y / 100 % 100, y % 100);
                if (1990..=2100).contains(&yy)
                    && let Some(date) = NaiveDate::from_ymd_opt(yy as i32, mm, dd)
                {
                    return Some(Found { date, end: i + 1 });
                }
            }
            // DD.MM.YYYY, DD/MM/YYYY, DD-MM-YYYY (day first; month first only
            // when the first number cannot be a month... or the second > 12).
            if let (Some(s1), Some((b, _)), Some((c, cn))) = (punct(i + 1), num(i + 2), num(i + 4))
                && matches!(s1, '.' | '/' | '-')
                && punct(i + 3) == Some(s1)
                && yn <= 2
                && let Some(yv) = year(c, cn)
            {
                let (d, m) = if b > 12 && y <= 12 { (b, y) } else { (y, b) };
                if let Some(date) = NaiveDate::from_ymd_opt(yv, m, d) {
                    return Some(Found { date, end: i + 5 });
                }
            }
            // 17 May 2024, 17. Mai 2024, 17 de mayo de 2024, ١٧ أيار ٢٠٢٤
            if yn <= 2 && (1..=31).contains(&y) {
                let mut j = i + 1;
                if punct(j) == Some('.') {
                    j += 1;
                }
                if matches!(t.get(j), Some(Tok::Word(w)) if w == "de" || w == "of") {
                    j += 1;
                }
                if let Some((m, w)) = word_month(j) {
                    let mut k = j + w;
                    if matches!(punct(k), Some(',' | '.' | '،')) {
                        k += 1;
                    }
                    if matches!(t.get(k), Some(Tok::Word(w)) if w == "de" || w == "del") {
                        k += 1;
                    }
                    if let Some((yv, yn)) = num(k)
                        && let Some(yv) = year(yv, yn)
                        && let Some(date) = NaiveDate::from_ymd_opt(yv, m, y)
                    {
                        return Some(Found { date, end: k + 1 });
                    }
                }
            }
        }
        // May 17, 2024 / Mayo 17 de 2024
        if let Some((m, w)) = word_month(i) {
            let mut j = i + w;
            if punct(j) == Some('.') {
                j += 1;
            }
            if let Some((d, dn)) = num(j)
                && dn <= 2
                && (1..=31).contains(&d)
            {
                let mut k = j + 1;
                if matches!(t.get(k), Some(Tok::Word(w)) if matches!(w.as_str(), "st" | "nd" | "rd" | "th")) {
                    k += 1;
                }
                if matches!(punct(k), Some(',' | '.' | '،')) {
                    k += 1;
                }
                if matches!(t.get(k), Some(Tok::Word(w)) if w == "de") {
                    k += 1;
                }
                if let Some((yv, yn)) = num(k)
                    && let Some(yv) = year(yv, yn)
                    && let Some(date) = NaiveDate::from_ymd_opt(yv, m, d)
                {
                    return Some(Found { date, end: k + 1 });
                }
            }
        }
    }
    None
}

/// Finds a time (HH:MM[:SS] with optional am/pm, ص/م) and an offset in the
/// tokens after the date, within a short window.
fn find_time(t: &[Tok], from: usize) -> (Option<NaiveTime>, Option<FixedOffset>) {
    let window = &t[from.min(t.len())..t.len().min(from + 12)];
    for i in 0..window.len() {
        let (Some(Tok::Num(h, hn)), Some(sep), Some(Tok::Num(m, 2))) =
            (window.get(i), window.get(i + 1), window.get(i + 2))
        else {
            continue;
        };
        let time_sep = match sep {
            Tok::Punct(c) => matches!(c, ':' | '.' | '時' | '시'),
            Tok::Word(w) => w == "h",
            Tok::Num(..) => false,
        };
        if !time_sep {
            continue;
        }
        if *hn > 2 || *h > 23 || *m > 59 {
            continue;
        }
        let (mut h, m) = (*h, *m);
        let mut j = i + 3;
        let mut s = 0;
        if let (Some(Tok::Punct(':')), Some(Tok::Num(sv, 2))) = (window.get(j), window.get(j + 1)) {
            s = (*sv).min(59);
            j += 2;
            // fractional seconds
            if let (Some(Tok::Punct('.' | ',')), Some(Tok::Num(..))) = (window.get(j), window.get(j + 1)) {
                j += 2;
            }
        }
        match window.get(j) {
            Some(Tok::Word(w)) if (w == "pm" || w == "م" || w == "p") && h < 12 => {
                h += 12;
                j += 1;
            }
            Some(Tok::Word(w)) if (w == "am" || w == "ص" || w == "a") && h == 12 => {
                h = 0;
                j += 1;
            }
            _ => {}
        }
        let time = NaiveTime::from_hms_opt(h, m, s);
        let off = find_offset(&window[j.min(window.len())..]);
        return (time, off);
    }
    (None, None)
}

fn find_offset(t: &[Tok]) -> Option<FixedOffset> {
    let mut i = 0;
    let mut base = None;
    if let Some(Tok::Word(w)) = t.first() {
        base = match w.as_str() {
            "z" | "utc" | "gmt" | "ut" => Some(0),
            "cet" | "mez" | "bst" | "wat" => Some(3600),
            "cest" | "mesz" | "eet" | "sast" | "cat" => Some(7200),
            "eest" | "msk" | "eat" | "ast" => Some(10800),
            "est" => Some(-5 * 3600),
            "edt" => Some(-4 * 3600),
            "cst" => Some(-6 * 3600),
            "cdt" => Some(-5 * 3600),
            "pst" => Some(-8 * 3600),
            "pdt" => Some(-7 * 3600),
            "jst" | "kst" => Some(9 * 3600),
            _ => None,
        };
        if base.is_some() {
            i = 1;
        }
    }
    let sign = match t.get(i) {
        Some(Tok::Punct('+')) => 1,
        Some(Tok::Punct('-' | '−')) => -1,
        _ => return base.and_then(FixedOffset::east_opt),
    };
    let secs = match (t.get(i + 1), t.get(i + 2), t.get(i + 3)) {
        (Some(Tok::Num(h, 2)), Some(Tok::Punct(':')), Some(Tok::Num(m, 2))) => h * 3600 + m * 60,
        (Some(Tok::Num(hm, 4)), ..) => hm / 100 * 3600 + hm % 100 * 60,
        (Some(Tok::Num(h, 1 | 2)), ..) => h * 3600,
        _ => return base.and_then(FixedOffset::east_opt),
    };
    if secs > 14 * 3600 {
        return base.and_then(FixedOffset::east_opt);
    }
    FixedOffset::east_opt(base.unwrap_or(0) + sign * secs as i32)
}

fn assemble(date: NaiveDate, time: Option<NaiveTime>, off: Option<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    let naive = NaiveDateTime::new(date, time.unwrap_or(NaiveTime::MIN));
    let off = off.unwrap_or(FixedOffset::east_opt(0)?);
    off.from_local_datetime(&naive).single()
}

/// Parses a machine-readable date value (meta content, JSON-LD, `datetime`).
pub(crate) fn parse_machine(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 200 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d);
    }
    // Unix timestamps (seconds or milliseconds) in some meta tags.
    if s.bytes().all(|b| b.is_ascii_digit()) && (s.len() == 10 || s.len() == 13) {
        let v: i64 = s.parse().ok()?;
        let secs = if s.len() == 13 { v / 1000 } else { v };
        return DateTime::from_timestamp(secs, 0).map(|d| d.fixed_offset());
    }
    parse_text(s)
}

/// Finds a date (with time and offset when present) anywhere in free text.
pub(crate) fn parse_text(s: &str) -> Option<DateTime<FixedOffset>> {
    let t = tokenize(s, 80);
    let f = find_date(&t)?;
    let (time, off) = find_time(&t, f.end);
    // Time before the date ("10:30, 17.05.2024") is common too.
    let (time, off) = if time.is_none() { find_time(&t, 0) } else { (time, off) };
    assemble(f.date, time, off)
}

/// `/2024/05/17/` or `/2024-05-17/` style dates in a URL path.
pub(crate) fn from_url(url: &str) -> Option<DateTime<FixedOffset>> {
    let path = url.split(['?', '#']).next()?;
    let t = tokenize(path, 200);
    for i in 0..t.len() {
        if let (
            Some(Tok::Num(y, 4)),
            Some(Tok::Punct(s1)),
            Some(Tok::Num(m, 1 | 2)),
            Some(Tok::Punct(s2)),
            Some(Tok::Num(d, 1 | 2)),
        ) = (t.get(i), t.get(i + 1), t.get(i + 2), t.get(i + 3), t.get(i + 4))
            && matches!(s1, '/' | '-' | '_')
            && s1 == s2
            && (1990..=2100).contains(y)
            && let Some(date) = NaiveDate::from_ymd_opt(*y as i32, *m, *d)
        {
            return assemble(date, None, None);
        }
    }
    None
}

#[cfg(test)]
#[path = "dates_tests.rs"]
mod tests;
