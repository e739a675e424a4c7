use chrono::{DateTime, Duration};

use super::*;
use crate::dates::MentionedDate;
use crate::prepare::is_report_day;

const MEETING: &str = "عقدت الدول الأعضاء في التحالف الدولي لهزيمة داعش اجتماعا افتراضيا يوم الخميس 4 حزيران/يونيو \
                       لتأكيد عزمهم المشترك على مواصلة القتال ضد التنظيم في العراق وسوريا\n\
                       وشارك في الاجتماع الذي ترأسته الولايات المتحدة وإيطاليا ممثلو دول التحالف وشددوا على ضرورة \
                       تأمين الظروف المناسبة لتحقيق هزيمة دائمة للتنظيم\n\
                       وتعهدت الولايات المتحدة بتقديم خمسين مليون دولار لشمال شرقي سوريا إضافة إلى مئة مليون دولار \
                       لدعم العراق";

const MEETING_OTHER_WORDS: &str = "أعلنت وزارة الخارجية الأمريكية في بيان أن وزراء خارجية المجموعة المصغرة \
                       للتحالف عقدوا اجتماعا عبر الفيديو اليوم الخميس 4 يونيو بدعوة من الوزير الإيطالي\n\
                       وأكد الوزراء أن التهديد لا يزال قائما وأن الحرب على الإرهاب مستمرة رغم تحرير \
                       ملايين الأشخاص من سيطرة المسلحين";

const OTHER_MEETING: &str = "اختتم اجتماع التحالف الدولي لهزيمة داعش في العاصمة الإيطالية روما بحضور وزراء \
                       خارجية دول التحالف وفي مقدمتهم وزير الخارجية الأمريكي\n\
                       وصدر بيان مشترك بشأن تهديد التنظيم للعراق وسوريا وإفريقيا والعالم بأجمعه";

const FOOTBALL: &str = "فاز فريق الأهلي على الزمالك بهدفين مقابل هدف في المباراة التي أقيمت مساء السبت على \
                        ستاد القاهرة الدولي ضمن منافسات الدوري المصري الممتاز لكرة القدم";

fn at(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

fn art<'a>(id: &'a str, title: &'a str, text: &'a str) -> ArticleRef<'a> {
    ArticleRef { id, url_key: id, title: Some(title), text, published: None }
}

#[test]
fn finds_url_text_and_near_duplicates() {
    let mut c = Clusterer::default();
    let first = c.push(&art("a", "اجتماع التحالف", MEETING));
    assert_eq!(first.duplicate_of, None);
    assert_eq!(first.story_id, "a");

    // The same URL under another id (ids are URL hashes in the pipeline, so
    // there the same URL is a redelivery or an update, not a duplicate).
    let same_url = c.push(&ArticleRef {
        id: "a2", ..art("a", "عنوان آخر", "نص آخر تماما بعد تحديث الصفحة")
    });
    assert_eq!((same_url.duplicate_of.as_deref(), same_url.duplicate_kind), (Some("a"), Some(DuplicateKind::Url)));

    let marks = MEETING.replace("اجتماعا", "اجتماعاً").replace("إيطاليا", "ايطاليا");
    let same_text = c.push(&art("b", "اجتماع التحالف", &marks));
    assert_eq!((same_text.duplicate_of.as_deref(), same_text.duplicate_kind), (Some("a"), Some(DuplicateKind::Text)));

    let boilerplate = format!("الرئيسية\nأخبار\n{MEETING}\nاشترك في النشرة البريدية\nالتعليقات مغلقة.");
    let near = c.push(&art("c", "اجتماع التحالف", &boilerplate));
    assert_eq!(near.duplicate_kind, Some(DuplicateKind::Near));
    assert_eq!(near.duplicate_of.as_deref(), Some("a"));
    assert_eq!(near.story_id, "a");

    let other = c.push(&art("d", "مباراة", FOOTBALL));
    assert_eq!((other.duplicate_of, other.story_id.as_str()), (None, "d"));
}

#[test]
fn same_event_in_other_words_joins_the_story_and_other_meetings_do_not() {
    let mut c = Clusterer::default();
    assert_eq!(c.push(&art("a", "العراق يشيد بدعم التحالف", MEETING)).story_id, "a");
    assert_eq!(c.push(&art("b", "اجتماع التحالف في روما", OTHER_MEETING)).story_id, "b");
    assert_eq!(c.push(&art("f", "الأهلي يفوز", FOOTBALL)).story_id, "f");
    let joined = c.push(&art("c", "الخارجية الأمريكية: التهديد ما زال قائما", MEETING_OTHER_WORDS));
    assert_eq!(joined.duplicate_of, None);
    assert_eq!(joined.story_id, "a");
    assert_eq!(c.story_count(), 3);
}

#[test]
fn stories_do_not_join_across_the_time_window() {
    let mut c = Clusterer::default();
    let mut a = art("a", "العراق يشيد بدعم التحالف", MEETING);
    a.published = at("2020-06-04T12:00:00Z");
    c.push(&a);
    let mut late = art("c", "الخارجية الأمريكية: التهديد ما زال قائما", MEETING_OTHER_WORDS);
    late.published = at("2020-06-20T12:00:00Z");
    assert_eq!(c.push(&late).story_id, "c");
}

#[test]
fn equal_long_titles_join_one_story() {
    let mut c = Clusterer::default();
    let title = "رئيس كوريا الجنوبية: ترامب يستحق جائزة نوبل للسلام";
    c.push(&art("a", title, "قال رئيس كوريا الجنوبية إن الرئيس الأمريكي يستحق الجائزة"));
    assert_eq!(c.push(&art("b", title, "صرح مون جاي إن بأن ترامب جدير بنوبل")).story_id, "a");
}

#[test]
fn empty_huge_and_mixed_articles_do_not_panic() {
    let mut c = Clusterer::default();
    let empty = c.push(&art("e1", "", ""));
    let empty2 = c.push(&art("e2", "", ""));
    // Two empty texts are not duplicates of each other.
    assert_eq!(empty2.duplicate_of, None);
    assert_ne!(empty.story_id, empty2.story_id);
    let huge = "الخبر news ١٢٣ حزيران 4 يونيو\n".repeat(400_000);
    c.push(&art("h", "عنوان", &huge));
    c.push(&art("m", "Mixed عربي فارسی", "Hello مرحبا سلام ۱۲۳ 你好"));
}

#[test]
fn only_dates_near_publication_count_as_the_event_date() {
    let published = chrono::NaiveDate::from_ymd_opt(2020, 6, 5).unwrap();
    let d = |year, month, day| MentionedDate { year, month, day };
    assert!(is_report_day(&d(None, 6, 4), published));
    assert!(is_report_day(&d(Some(2020), 6, 6), published));
    assert!(!is_report_day(&d(None, 6, 14), published), "upcoming event");
    assert!(!is_report_day(&d(Some(2019), 6, 4), published), "earlier year");
    assert!(!is_report_day(&d(None, 2, 6), published), "earlier statement");
    let new_year = chrono::NaiveDate::from_ymd_opt(2021, 1, 2).unwrap();
    assert!(is_report_day(&d(None, 12, 30), new_year));
}

#[test]
fn redelivery_is_not_a_duplicate_and_the_index_stays_bounded() {
    let mut c = Clusterer::new(ClusterConfig { max_articles: 8, ..Default::default() });
    let text = |i: usize| format!("Article number {i} reports a distinct event with its own words {i} and more {i}");
    let urls: Vec<String> = (0..40).map(|i| format!("https://example.com/{i}")).collect();
    let texts: Vec<String> = (0..40).map(text).collect();
    let first = c.push(&ArticleRef { id: "a0", url_key: &urls[0], text: &texts[0], ..Default::default() });
    let again = c.push(&ArticleRef { id: "a0", url_key: &urls[0], text: &texts[0], ..Default::default() });
    assert_eq!(first, again);
    assert_eq!(again.duplicate_of, None);
    let other = c.push(&ArticleRef { id: "b0", url_key: &urls[0], text: &texts[0], ..Default::default() });
    assert_eq!(other.duplicate_of.as_deref(), Some("a0"));
    for i in 1..40 {
        let id = format!("a{i}");
        c.push(&ArticleRef { id: &id, url_key: &urls[i], text: &texts[i], ..Default::default() });
    }
    assert!(c.indexed_articles() <= 10, "{}", c.indexed_articles());
    // The latest articles are still found.
    let late = c.push(&ArticleRef { id: "z", url_key: &urls[39], text: &texts[39], ..Default::default() });
    assert_eq!(late.duplicate_of.as_deref(), Some("a39"));
}

fn numbered(i: usize) -> String {
    format!(
        "Article number {i} reports a distinct event with its own words {i} and more {i} about item{i}\n\
         A second paragraph of article {i} gives the background of event{i} in enough words to count"
    )
}

#[test]
fn the_window_evicts_by_arrival_time_and_stories_go_with_their_articles() {
    let cfg = ClusterConfig { retention: Some(Duration::hours(72)), ..Default::default() };
    let mut c = Clusterer::new(cfg);
    let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
    let texts: Vec<String> = (0..10).map(numbered).collect();
    for (i, t) in texts.iter().enumerate() {
        let id = format!("a{i}");
        c.push_at(
            &ArticleRef { id: &id, url_key: &id, text: t, ..Default::default() },
            Some(t0 + Duration::hours(i as i64)),
        );
    }
    assert_eq!(c.indexed_articles(), 10);
    // 80 hours after the first: the articles of hours 0..=7 are out.
    let late = "A late article about something else entirely, long enough to shingle and count";
    c.push_at(
        &ArticleRef { id: "late", url_key: "late", text: late, ..Default::default() },
        Some(t0 + Duration::hours(80)),
    );
    assert_eq!(c.indexed_articles(), 3);
    assert_eq!(c.story_count(), 3);
    // An evicted article's copy is an original again; a kept one's is not.
    let old = c.push_at(&ArticleRef { id: "x", url_key: "x", text: &texts[0], ..Default::default() }, None);
    assert_eq!(old.duplicate_of, None);
    let kept = c.push_at(&ArticleRef { id: "y", url_key: "y", text: &texts[9], ..Default::default() }, None);
    assert_eq!((kept.duplicate_of.as_deref(), kept.duplicate_kind), (Some("a9"), Some(DuplicateKind::Text)));
}

#[test]
fn the_index_is_compact() {
    // Per article: the slot (id, root, hashes, 64-byte signature, times,
    // story) and at most 19 table entries; no text, URL or term string.
    assert!(std::mem::size_of::<Slot>() <= 160, "{}", std::mem::size_of::<Slot>());
    assert_eq!(std::mem::size_of::<Id>(), 24);
    let hex = "0123456789abcdef0123456789abcdef";
    assert!(matches!(Id::new(hex), Id::Hex(_)));
    assert_eq!(Id::new(hex).as_string(), hex);
    assert_eq!(Id::new("line-1").as_string(), "line-1");
    assert!(Id::new("0123") < Id::new(hex) && Id::new(hex) < Id::new("1"));
    let mut c = Clusterer::new(ClusterConfig { max_articles: 100, ..Default::default() });
    for i in 0..1000 {
        let (id, t) = (format!("{i:032x}"), numbered(i));
        c.push(&ArticleRef { id: &id, url_key: &id, text: &t, ..Default::default() });
    }
    // The tables shrink with the articles: nothing points past the window.
    assert_eq!(c.indexed_articles(), 100);
    assert!(c.by_id.len() <= 100 && c.by_url.len() <= 100 && c.by_text.len() <= 100);
    assert!(c.bands.len() <= 100 * crate::shingles::BANDS);
    assert!(c.story_count() <= 100);
}

#[test]
fn a_redelivered_article_gets_its_decision_back_even_after_others_arrive() {
    let mut c = Clusterer::default();
    let a = art("a", "اجتماع التحالف", MEETING);
    let b = art("b", "اجتماع التحالف", MEETING);
    let first = c.push(&a);
    let dup = c.push(&b);
    c.push(&art("f", "الأهلي يفوز", FOOTBALL));
    assert_eq!(c.push(&b), dup);
    assert_eq!(c.push(&a), first);
    assert_eq!(dup.duplicate_of.as_deref(), Some("a"));
}

#[test]
fn applied_decisions_are_used_and_later_answers_do_not_depend_on_arrival_order() {
    // Two instances decided a and b (the same text) at the same moment, both
    // as originals. Whatever order an index learns them in, a third copy
    // points to the one with the earlier (published, id).
    let (ta, tb) = (at("2020-06-04T10:00:00Z"), at("2020-06-04T09:00:00Z"));
    let a = ArticleRef { published: ta, ..art("a", "اجتماع التحالف", MEETING) };
    let b = ArticleRef { published: tb, ..art("b", "اجتماع التحالف", MEETING) };
    let orig = |id| Decided { duplicate_of: None, duplicate_kind: None, story_id: id };
    let third = art("c", "اجتماع التحالف", MEETING);
    let mut answers = Vec::new();
    for order in [[&a, &b], [&b, &a]] {
        let mut c = Clusterer::default();
        for x in order {
            assert!(c.apply(x, &orig(x.id), None));
            assert!(!c.apply(x, &orig(x.id), None), "known already");
        }
        answers.push(c.push(&third));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].duplicate_of.as_deref(), Some("b"), "b was published first");
    assert_eq!(answers[0].story_id, "b");

    // A decision read back joins the story it names, and a later record for
    // the same id replaces the decision.
    let mut c = Clusterer::default();
    c.apply(&art("s", "العراق يشيد بدعم التحالف", MEETING), &orig("s"), None);
    let other = art("o", "الخارجية الأمريكية: التهديد ما زال قائما", MEETING_OTHER_WORDS);
    c.apply(&other, &Decided { story_id: "s", ..orig("o") }, None);
    assert_eq!(c.push(&other).story_id, "s");
    let fixed = Decided { duplicate_of: Some("s"), duplicate_kind: Some(DuplicateKind::Near), story_id: "s" };
    assert!(!c.apply(&other, &fixed, None));
    assert_eq!(c.push(&other).duplicate_of.as_deref(), Some("s"));
}
