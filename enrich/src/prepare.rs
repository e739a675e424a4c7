//! What the clusterer computes from an article alone, before it takes the
//! index (see [`crate::cluster::Clusterer::prepare`]): the ids, the
//! duplicate keys and MinHash signature, and the story terms with the
//! event date of the lead.

use chrono::NaiveDate;

use crate::cluster::ArticleRef;
use crate::dates::{MentionedDate, find_dates};
use crate::fxhash::FxHashMap;
use crate::normalize::normalize;
use crate::shingles::{Compact, body_paragraphs, hash64, signature_of_body};
use crate::terms::terms;

/// Body paragraphs that make the lead (where the event date is given).
const LEAD_PARAGRAPHS: usize = 3;

/// An article or story id, 16 bytes when it is an item id (32 lowercase
/// hex digits), else the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Id {
    Hex([u8; 16]),
    Str(Box<str>),
}

impl Id {
    pub fn new(s: &str) -> Id {
        let b = s.as_bytes();
        if b.len() == 32 && b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            let mut out = [0u8; 16];
            for (i, o) in out.iter_mut().enumerate() {
                let hex = |c: u8| if c <= b'9' { c - b'0' } else { c - b'a' + 10 };
                *o = (hex(b[2 * i]) << 4) | hex(b[2 * i + 1]);
            }
            Id::Hex(out)
        } else {
            Id::Str(s.into())
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            Id::Hex(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
            Id::Str(s) => s.to_string(),
        }
    }

    /// Stable 64-bit hash of the string form.
    pub fn hash(&self) -> u64 {
        nonzero(hash64(&self.as_string()))
    }
}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Id {
    /// The order of the string forms.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Id::Hex(a), Id::Hex(b)) => a.cmp(b),
            _ => self.as_string().cmp(&other.as_string()),
        }
    }
}

pub(crate) fn nonzero(h: u64) -> u64 {
    h.max(1)
}

/// What is computed from an article alone.
pub(crate) struct Features {
    pub url: u64,
    pub text: u64,
    pub sig: Option<Compact>,
    pub body: Vec<String>,
    pub published: Option<i64>,
    /// The publication day in the article's own offset.
    pub published_day: Option<NaiveDate>,
}

impl Features {
    pub fn of(a: &ArticleRef<'_>) -> Features {
        let body = body_paragraphs(a.text);
        let blank = a.text.trim().is_empty();
        let sig = signature_of_body(&body);
        Features {
            url: if a.url_key.is_empty() { 0 } else { nonzero(hash64(a.url_key)) },
            text: if blank { 0 } else { nonzero(hash64(&normalize(a.text))) },
            sig: (!sig.is_empty()).then(|| sig.compact()),
            body,
            published: a.published.map(|p| p.timestamp()),
            published_day: a.published.map(|p| p.date_naive()),
        }
    }
}

/// An article's features and story terms, computed from the article alone
/// ([`crate::cluster::Clusterer::prepare`]): the bulk of an article's index work
/// (normalization, shingles, MinHash, terms, lead dates), done outside the
/// index's lock so that the lock is held only for the lookups and the
/// insert ([`crate::cluster::Clusterer::push_prepared`]).
pub struct Prepared {
    pub(crate) id: Id,
    pub(crate) f: Features,
    pub(crate) terms: StoryTerms,
}

/// Term counts (title and lead weighted twice), the event date and the
/// title key of an article.
pub(crate) struct StoryTerms {
    pub tf: Vec<(u32, f32)>,
    pub dates: Vec<MentionedDate>,
    pub title: u64,
}

/// The story terms of an article (see [`StoryTerms`]).
pub(crate) fn story_terms(title: Option<&str>, f: &Features) -> StoryTerms {
    let title = title.unwrap_or("");
    let norm_title = normalize(title);
    let mut tf: FxHashMap<u32, f32> = FxHashMap::default();
    for w in terms(&norm_title) {
        *tf.entry(hash64(w) as u32).or_default() += 2.0;
    }
    for (i, p) in f.body.iter().enumerate() {
        // The lead says what happened; later paragraphs add background.
        let weight = if i < LEAD_PARAGRAPHS { 2.0 } else { 1.0 };
        for w in terms(p) {
            *tf.entry(hash64(w) as u32).or_default() += weight;
        }
    }
    let lead: Vec<&str> =
        std::iter::once(title).chain(f.body.iter().take(LEAD_PARAGRAPHS).map(String::as_str)).collect();
    // The event date: the first date the lead gives that can be the day
    // of what is reported. With a publication date: from a week before
    // to a day after it, so neither a reference to an earlier statement
    // ("بيانهم الصادر في 6 فبراير 2019") nor an upcoming event that many
    // unrelated previews mention (a tournament's opening day) counts.
    let dates: Vec<MentionedDate> = find_dates(&lead.join("\n"))
        .into_iter()
        .find(|d| f.published_day.is_none_or(|p| is_report_day(d, p)))
        .into_iter()
        .collect();
    let title_key = if norm_title.split(' ').count() >= 4 { nonzero(hash64(&norm_title)) } else { 0 };
    let mut tf: Vec<(u32, f32)> = tf.into_iter().collect();
    tf.sort_unstable_by_key(|(t, _)| *t);
    StoryTerms { tf, dates, title: title_key }
}

/// Whether `d` (year taken from `published` when absent) falls between a
/// week before and a day after `published`.
pub(crate) fn is_report_day(d: &MentionedDate, published: NaiveDate) -> bool {
    use chrono::Datelike;
    let year = d.year.unwrap_or(published.year());
    // "28 December" mentioned on 2 January is last year's.
    let candidates = [year, year - 1].map(|y| NaiveDate::from_ymd_opt(y, d.month, d.day));
    candidates.into_iter().flatten().any(|day| {
        let delta = (published - day).num_days();
        (-1..=7).contains(&delta) && (d.year.is_none() || day.year() == year)
    })
}
