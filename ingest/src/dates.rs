//! Feed dates in a source's time zone.
//!
//! feed-rs reads RFC 3339, RFC 2822 and RFC 1123 dates (with fixes for
//! common deviations) and drops a date without an offset, since it cannot
//! know the zone. A source configured with `timezone = "Asia/Riyadh"`
//! says what that zone is: such dates are read as local time there. Dates
//! with an offset are untouched; only sources with a time zone get this
//! parser (the others keep feed-rs's own).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Local date-time layouts seen in feeds without an offset.
const NAIVE: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
];

/// Parse a feed date: with an offset as written, without one as local time
/// in `tz`.
pub fn parse_in_zone(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.to_utc());
    }
    let rfc2822 = without_weekday(t).replace("UTC", "+0000");
    if let Ok(d) = DateTime::parse_from_rfc2822(&rfc2822) {
        return Some(d.to_utc());
    }
    // An offset without a colon (`+0300`) in an otherwise RFC 3339 date.
    if let Some(fixed) = colon_offset(t)
        && let Ok(d) = DateTime::parse_from_rfc3339(&fixed)
    {
        return Some(d.to_utc());
    }
    let local = without_weekday(t).trim_end_matches('Z');
    let naive = NAIVE
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(local, f).ok())
        .or_else(|| NaiveDate::parse_from_str(local, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    if t.ends_with('Z') {
        // `Z` is an offset: UTC, whatever the source's zone.
        return Some(naive.and_utc());
    }
    // A time skipped by a DST change does not exist; one repeated is read
    // as its first occurrence.
    tz.from_local_datetime(&naive).earliest().map(|d| d.to_utc())
}

fn without_weekday(t: &str) -> &str {
    match t.split_once(", ") {
        Some((day, rest)) if day.len() <= 9 && day.chars().all(|c| c.is_ascii_alphabetic()) => rest,
        _ => t,
    }
}

fn colon_offset(t: &str) -> Option<String> {
    let b = t.as_bytes();
    let n = b.len();
    if n < 5 || !matches!(b[n - 5], b'+' | b'-') || !b[n - 4..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(format!("{}:{}", &t[..n - 2], &t[n - 2..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn dates_without_offset_are_local_time_in_the_zone() {
        let riyadh: Tz = "Asia/Riyadh".parse().unwrap();
        assert_eq!(parse_in_zone("2024-03-10T09:30:00", riyadh), Some(at("2024-03-10T06:30:00Z")));
        assert_eq!(parse_in_zone("2024-03-10 09:30", riyadh), Some(at("2024-03-10T06:30:00Z")));
        assert_eq!(parse_in_zone("Sun, 10 Mar 2024 09:30:00", riyadh), Some(at("2024-03-10T06:30:00Z")));
        assert_eq!(parse_in_zone("2024-03-10", riyadh), Some(at("2024-03-09T21:00:00Z")));
        let cairo: Tz = "Africa/Cairo".parse().unwrap();
        // Egypt is on summer time (UTC+3) in July, UTC+2 in January.
        assert_eq!(parse_in_zone("2024-07-01T12:00:00", cairo), Some(at("2024-07-01T09:00:00Z")));
        assert_eq!(parse_in_zone("2024-01-01T12:00:00", cairo), Some(at("2024-01-01T10:00:00Z")));
    }

    #[test]
    fn dates_with_an_offset_keep_it() {
        let tz: Tz = "Asia/Riyadh".parse().unwrap();
        assert_eq!(parse_in_zone("2024-03-10T09:30:00+01:00", tz), Some(at("2024-03-10T08:30:00Z")));
        assert_eq!(parse_in_zone("2024-03-10T09:30:00Z", tz), Some(at("2024-03-10T09:30:00Z")));
        assert_eq!(parse_in_zone("2024-03-10T09:30:00+0100", tz), Some(at("2024-03-10T08:30:00Z")));
        assert_eq!(parse_in_zone("Sun, 10 Mar 2024 09:30:00 GMT", tz), Some(at("2024-03-10T09:30:00Z")));
        assert_eq!(parse_in_zone("Sun, 10 Mar 2024 09:30:00 UTC", tz), Some(at("2024-03-10T09:30:00Z")));
        assert_eq!(parse_in_zone("Sun, 10 Mar 2024 09:30:00 +0300", tz), Some(at("2024-03-10T06:30:00Z")));
        assert_eq!(parse_in_zone("yesterday", tz), None);
        assert_eq!(parse_in_zone("", tz), None);
    }
}
