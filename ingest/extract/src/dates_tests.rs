use super::*;

fn ymd_hm(d: &DateTime<FixedOffset>) -> String {
    d.format("%Y-%m-%d %H:%M %:z").to_string()
}

#[test]
fn machine_formats_keep_their_offset() {
    let d = parse_machine("2024-05-17T10:30:00+02:00").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 10:30 +02:00");
    let d = parse_machine("Fri, 17 May 2024 10:30:00 -0400").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 10:30 -04:00");
    let d = parse_machine("2024-05-17T10:30:00.123+0200").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 10:30 +02:00");
    let d = parse_machine("2024-05-17 08:05:00").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 08:05 +00:00");
    let d = parse_machine("2024-05-17").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 00:00 +00:00");
    let d = parse_machine("20240517").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 00:00 +00:00");
    let d = parse_machine("1715941800").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 10:30 +00:00");
}

#[test]
fn european_and_english_text_dates() {
    assert_eq!(ymd_hm(&parse_text("17.05.2024, 14:03 Uhr").unwrap()), "2024-05-17 14:03 +00:00");
    assert_eq!(ymd_hm(&parse_text("Published May 17, 2024 3:45 pm EDT").unwrap()), "2024-05-17 15:45 -04:00");
    assert_eq!(ymd_hm(&parse_text("17. Mai 2024").unwrap()), "2024-05-17 00:00 +00:00");
    assert_eq!(ymd_hm(&parse_text("17 de mayo de 2024").unwrap()), "2024-05-17 00:00 +00:00");
    assert_eq!(ymd_hm(&parse_text("Sept. 3, 2023").unwrap()), "2023-09-03 00:00 +00:00");
    assert_eq!(ymd_hm(&parse_text("2024年5月17日 10時30分").unwrap())[..10], *"2024-05-17");
}

#[test]
fn arabic_egyptian_month_names_and_eastern_digits() {
    let d = parse_text("نشر في ١٧ مايو ٢٠٢٤ - ١٠:٣٠").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 10:30 +00:00");
    let d = parse_text("نشر في 17 مايو 2024 - 10:30").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 10:30 +00:00");
    let d = parse_text("السبت 3 أغسطس 2024 04:15 م").unwrap();
    assert_eq!(ymd_hm(&d), "2024-08-03 16:15 +00:00");
}

#[test]
fn arabic_levantine_month_names() {
    let d = parse_text("الجمعة 17 أيار 2024").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 00:00 +00:00");
    let d = parse_text("٥ كانون الثاني ٢٠٢٤").unwrap();
    assert_eq!(ymd_hm(&d), "2024-01-05 00:00 +00:00");
    let d = parse_text("20 تشرين الأول 2023").unwrap();
    assert_eq!(ymd_hm(&d), "2023-10-20 00:00 +00:00");
    let d = parse_text("1 آب 2023").unwrap();
    assert_eq!(ymd_hm(&d), "2023-08-01 00:00 +00:00");
}

#[test]
fn persian_digits_and_maghreb_names() {
    let d = parse_text("۱۷ جوان ۲۰۲۴").unwrap();
    assert_eq!(ymd_hm(&d), "2024-06-17 00:00 +00:00");
}

#[test]
fn hijri_next_to_gregorian_takes_gregorian() {
    let d = parse_text("الجمعة 9 ذو القعدة 1445 هـ الموافق 17 مايو 2024 م").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 00:00 +00:00");
    let d = parse_text("1445/11/09 هـ - 2024/05/17 م").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 00:00 +00:00");
}

#[test]
fn diacritics_do_not_break_month_names() {
    let d = parse_text("17 مَايُو 2024").unwrap();
    assert_eq!(ymd_hm(&d)[..10], *"2024-05-17");
}

#[test]
fn offsets_in_text_are_kept() {
    let d = parse_text("17/05/2024 10:30 GMT+3").unwrap();
    assert_eq!(ymd_hm(&d), "2024-05-17 10:30 +03:00");
}

#[test]
fn url_dates() {
    let d = from_url("https://example.com/news/2024/05/17/some-story/").unwrap();
    assert_eq!(ymd_hm(&d)[..10], *"2024-05-17");
    assert!(from_url("https://example.com/a/12345").is_none());
}

#[test]
fn garbage_is_none() {
    assert!(parse_text("no date here 12 34").is_none());
    assert!(parse_machine("").is_none());
    assert!(parse_text("99.99.2024").is_none());
}
