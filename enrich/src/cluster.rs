//! Duplicates and stories, in one pass over a stream of articles.
//!
//! For each article, in arrival order, [`Clusterer::push`] answers two
//! questions using only what came before:
//!
//! 1. **Is it a duplicate?** Same canonical URL, else same hash of the
//!    normalized text, else a near duplicate: MinHash (see [`crate::shingles`])
//!    estimated Jaccard ≥ [`ClusterConfig::near_duplicate`] with an earlier
//!    article found through LSH bands. A duplicate joins its original's story.
//! 2. **Which story?** Articles are TF-IDF vectors over index terms (see
//!    [`crate::terms`]; title counted twice; document frequencies learned
//!    from the stream itself). A story is the running sum of its members'
//!    vectors (top terms only) plus the event dates its articles' leads
//!    mention ("الخميس 4 حزيران/يونيو"). An article joins the best story
//!    found through shared top terms when, within the time window:
//!    - the cosine similarity is ≥ [`ClusterConfig::story_similarity`], or
//!    - the lead names the same event date as the story and the cosine is ≥
//!      [`ClusterConfig::story_similarity_same_date`], or
//!    - the normalized titles are equal (at least four words).
//!
//!    Leads naming only other event dates than the story's are held to the
//!    high threshold. Otherwise the article starts a story whose id is its own
//!    id: story ids never change as articles join.
//!
//! Design note: the same-date rule exists because reports of one event by
//! different outlets share few words beyond the topic (which every story on
//! the topic shares too), while the date they give for it is exact. Reports
//! that quote the same earlier statement share words but not the event date.
//!
//! Memory: per article a signature (512 bytes) and three index entries; per
//! story at most [`CENTROID_TERMS`] weights. Stories idle for
//! [`ClusterConfig::max_idle_articles`] arrivals are retired, and the article
//! index (URL, hash, bands) keeps the latest `max_idle_articles` articles:
//! when it grows a quarter beyond that, the oldest are dropped in one pass.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};

use crate::dates::{MentionedDate, find_dates};
use crate::enrichment::content_hash;
use crate::normalize::normalize;
use crate::shingles::{Signature, body_paragraphs, signature};
use crate::terms::terms;

/// Terms kept per story centroid.
pub const CENTROID_TERMS: usize = 128;
/// Terms of an article used to look up candidate stories.
const QUERY_TERMS: usize = 48;
/// Posting lists longer than this are skipped when looking up candidates.
const MAX_POSTINGS: usize = 2_000;
/// Stories compared in full per article (by shared top terms).
const MAX_CANDIDATES: usize = 32;
/// Body paragraphs that make the lead (where the event date is given).
const LEAD_PARAGRAPHS: usize = 3;

/// Thresholds of [`Clusterer`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// Estimated Jaccard of body shingles at or above which an article is a
    /// near duplicate. 0.7: light edits and a changed paragraph stay above;
    /// different articles on one story are far below (< 0.2).
    pub near_duplicate: f64,
    /// Cosine at or above which an article joins a story on words alone.
    pub story_similarity: f64,
    /// Cosine at or above which an article joins a story whose event date
    /// its lead names.
    pub story_similarity_same_date: f64,
    /// Largest gap between publication dates (when both are known) of an
    /// article and the latest article of a story it joins.
    pub window: Duration,
    /// Stories that no article joined in this many arrivals are forgotten
    /// (memory bound). 200,000: a few days of a large newsroom's intake.
    pub max_idle_articles: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            near_duplicate: 0.7,
            story_similarity: 0.45,
            story_similarity_same_date: 0.03,
            window: Duration::days(3),
            max_idle_articles: 200_000,
        }
    }
}

/// One article as the clusterer sees it.
#[derive(Debug, Clone, Default)]
pub struct ArticleRef<'a> {
    /// Stable id (the item id).
    pub id: &'a str,
    /// Canonical URL (or the URL when it has no canonical form).
    pub url_key: &'a str,
    pub title: Option<&'a str>,
    pub text: &'a str,
    pub published: Option<DateTime<FixedOffset>>,
}

/// Why an article is a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateKind {
    /// Same canonical URL.
    Url,
    /// Same normalized text.
    Text,
    /// Near-identical body text (MinHash).
    Near,
}

impl DuplicateKind {
    /// The wire form: "url", "text" or "near".
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateKind::Url => "url",
            DuplicateKind::Text => "text",
            DuplicateKind::Near => "near",
        }
    }
}

/// What [`Clusterer::push`] decided.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Assignment {
    /// Id of the earlier article this one duplicates.
    pub duplicate_of: Option<String>,
    pub duplicate_kind: Option<DuplicateKind>,
    /// Estimated Jaccard with `duplicate_of` (1 for URL and text matches).
    pub duplicate_similarity: Option<f64>,
    /// Id of the story: the id of its first article (see the module doc).
    pub story_id: String,
    /// Cosine with the story joined (None when the article started it).
    pub story_similarity: Option<f64>,
    /// Hex SHA-256 of the normalized text.
    pub content_hash: String,
}

struct Indexed {
    id: String,
    signature: Signature,
    story: usize,
    /// What [`Clusterer::push`] decided, returned again when the same id
    /// is pushed again (a redelivered message).
    decided: Assignment,
}

struct Story {
    id: String,
    /// Unit vector of the heaviest terms, sorted by term id.
    centroid: Vec<(u32, f32)>,
    dates: Vec<MentionedDate>,
    last_seen: Option<DateTime<FixedOffset>>,
    /// Arrival number of the latest article placed in the story.
    touched: u64,
    live: bool,
}

/// The one-pass index. Not thread-safe by itself: one per partition or
/// behind a lock.
#[derive(Default)]
pub struct Clusterer {
    cfg: ClusterConfig,
    by_url: HashMap<String, usize>,
    by_hash: HashMap<String, usize>,
    bands: HashMap<u64, Vec<usize>>,
    articles: Vec<Indexed>,
    vocab: HashMap<String, u32>,
    df: Vec<u32>,
    docs: u32,
    stories: Vec<Story>,
    postings: HashMap<u32, Vec<usize>>,
    by_title: HashMap<String, usize>,
    by_date: HashMap<(u32, u32), Vec<usize>>,
    arrivals: u64,
}

impl Clusterer {
    pub fn new(cfg: ClusterConfig) -> Self {
        Clusterer { cfg, ..Default::default() }
    }

    /// Articles in the duplicate index now.
    pub fn indexed_articles(&self) -> usize {
        self.articles.len()
    }

    /// Number of stories started so far.
    pub fn story_count(&self) -> usize {
        self.stories.len()
    }

    /// Assign `article` to a duplicate and a story, then index it.
    pub fn push(&mut self, article: &ArticleRef<'_>) -> Assignment {
        if let Some(&i) = self.by_url.get(article.url_key).filter(|_| !article.url_key.is_empty())
            && self.articles[i].id == article.id
        {
            // Seen before under the same id: redelivery, not a duplicate.
            return self.articles[i].decided.clone();
        }
        self.arrivals += 1;
        let hash = content_hash(&normalize(article.text));
        let sig = signature(article.text);
        let dup = self.find_duplicate(article.url_key, &hash, article.text, &sig);
        let (story, story_similarity) = match &dup {
            Some((idx, _, _)) => (self.articles[*idx].story, None),
            None => self.place_in_story(article),
        };
        let me = self.articles.len();
        if !article.url_key.is_empty() {
            self.by_url.entry(article.url_key.to_owned()).or_insert(me);
        }
        if !article.text.trim().is_empty() {
            self.by_hash.entry(hash.clone()).or_insert(me);
        }
        if !sig.is_empty() {
            for key in sig.band_keys() {
                self.bands.entry(key).or_default().push(me);
            }
        }
        let decided = Assignment {
            duplicate_of: dup.as_ref().map(|(i, _, _)| self.articles[*i].id.clone()),
            duplicate_kind: dup.as_ref().map(|(_, k, _)| *k),
            duplicate_similarity: dup.map(|(_, _, s)| s),
            story_id: self.stories[story].id.clone(),
            story_similarity,
            content_hash: hash,
        };
        self.articles.push(Indexed { id: article.id.to_owned(), signature: sig, story, decided: decided.clone() });
        self.compact_articles();
        let s = &mut self.stories[story];
        s.touched = self.arrivals;
        if let Some(p) = article.published {
            s.last_seen = Some(s.last_seen.map_or(p, |l| l.max(p)));
        }
        decided
    }

    fn find_duplicate(
        &self,
        url_key: &str,
        hash: &str,
        text: &str,
        sig: &Signature,
    ) -> Option<(usize, DuplicateKind, f64)> {
        if let Some(i) = self.by_url.get(url_key).filter(|_| !url_key.is_empty()) {
            return Some((*i, DuplicateKind::Url, 1.0));
        }
        if text.trim().is_empty() {
            return None;
        }
        if let Some(i) = self.by_hash.get(hash) {
            return Some((*i, DuplicateKind::Text, 1.0));
        }
        if sig.is_empty() {
            return None;
        }
        let mut seen = HashSet::new();
        let mut best: Option<(usize, f64)> = None;
        for key in sig.band_keys() {
            for &i in self.bands.get(&key).into_iter().flatten() {
                if seen.insert(i) {
                    let s = sig.similarity(&self.articles[i].signature);
                    if s >= self.cfg.near_duplicate && best.is_none_or(|(_, b)| s > b) {
                        best = Some((i, s));
                    }
                }
            }
        }
        best.map(|(i, s)| (i, DuplicateKind::Near, s))
    }

    /// The TF-IDF vector (top terms, L2-normalized) of an article, updating
    /// document frequencies.
    fn vectorize(&mut self, title: &str, body: &[String]) -> Vec<(u32, f32)> {
        let mut tf: HashMap<u32, f32> = HashMap::new();
        let title = normalize(title);
        let mut add = |this: &mut Self, w: &str, weight: f32| {
            let next = this.vocab.len() as u32;
            let id = *this.vocab.entry(w.to_owned()).or_insert(next);
            if id as usize == this.df.len() {
                this.df.push(0);
            }
            *tf.entry(id).or_default() += weight;
        };
        for w in terms(&title) {
            add(self, w, 2.0);
        }
        for (i, p) in body.iter().enumerate() {
            // The lead says what happened; later paragraphs add background.
            let weight = if i < LEAD_PARAGRAPHS { 2.0 } else { 1.0 };
            for w in terms(p) {
                add(self, w, weight);
            }
        }
        self.docs += 1;
        for id in tf.keys() {
            self.df[*id as usize] += 1;
        }
        let n = self.docs as f32;
        let mut v: Vec<(u32, f32)> = tf
            .into_iter()
            .map(|(id, c)| (id, (1.0 + c.ln()) * ((n + 1.0) / self.df[id as usize] as f32).ln()))
            .collect();
        top_normalized(&mut v, CENTROID_TERMS);
        v
    }

    fn place_in_story(&mut self, article: &ArticleRef<'_>) -> (usize, Option<f64>) {
        let body = body_paragraphs(article.text);
        let title = article.title.unwrap_or("");
        let v = self.vectorize(title, &body);
        let lead: Vec<&str> =
            std::iter::once(title).chain(body.iter().take(LEAD_PARAGRAPHS).map(String::as_str)).collect();
        // The event date: the first date the lead gives that can be the day
        // of what is reported. With a publication date: from a week before
        // to a day after it, so neither a reference to an earlier statement
        // ("بيانهم الصادر في 6 فبراير 2019") nor an upcoming event that many
        // unrelated previews mention (a tournament's opening day) counts.
        let dates: Vec<MentionedDate> = find_dates(&lead.join("\n"))
            .into_iter()
            .find(|d| article.published.is_none_or(|p| is_report_day(d, p.date_naive())))
            .into_iter()
            .collect();
        let title_key = Some(normalize(title)).filter(|t| t.split(' ').count() >= 4);

        // Candidates: the stories sharing most of the article's top terms,
        // plus any story with the same event date or the same title.
        let mut shared: HashMap<usize, u32> = HashMap::new();
        for (t, _) in v.iter().take(QUERY_TERMS) {
            // A term shared by very many live stories finds nothing specific.
            if let Some(list) = self.postings.get(t).filter(|l| l.len() <= MAX_POSTINGS) {
                for s in list {
                    *shared.entry(*s).or_default() += 1;
                }
            }
        }
        let mut by_count: Vec<(usize, u32)> = shared.into_iter().collect();
        by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let title_story = title_key.as_ref().and_then(|t| self.by_title.get(t).copied());
        let mut candidates: Vec<usize> = by_count
            .into_iter()
            .take(MAX_CANDIDATES)
            .map(|(s, _)| s)
            .chain(title_story)
            .chain(dates.iter().flat_map(|d| self.by_date.get(&(d.month, d.day)).into_iter().flatten().copied()))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();

        let mut by_id = v.clone();
        by_id.sort_unstable_by_key(|(t, _)| *t);
        let mut best: Option<(usize, f64, f64)> = None;
        for s in candidates {
            let story = &self.stories[s];
            if !story.live || !within(article.published, story.last_seen, self.cfg.window) {
                continue;
            }
            let sim = cosine(&by_id, &story.centroid);
            let same_date = dates.iter().any(|d| story.dates.iter().any(|e| same_day(d, e)));
            let same_title = title_story == Some(s);
            let joins = sim >= self.cfg.story_similarity
                || (same_date && sim >= self.cfg.story_similarity_same_date)
                || same_title;
            let score = sim + if same_date { 0.25 } else { 0.0 } + if same_title { 0.5 } else { 0.0 };
            if joins && best.is_none_or(|(_, b, _)| score > b) {
                best = Some((s, score, sim));
            }
        }
        match best {
            Some((s, _, sim)) => {
                if let Some(t) = title_key {
                    self.by_title.entry(t).or_insert(s);
                }
                self.join(s, &v, &dates);
                (s, Some(sim))
            }
            None => {
                let s = self.stories.len();
                self.stories.push(Story {
                    id: article.id.to_owned(),
                    centroid: Vec::new(),
                    dates: Vec::new(),
                    last_seen: None,
                    touched: self.arrivals,
                    live: true,
                });
                if let Some(t) = title_key {
                    self.by_title.entry(t).or_insert(s);
                }
                self.join(s, &v, &dates);
                self.evict();
                (s, None)
            }
        }
    }

    fn join(&mut self, s: usize, v: &[(u32, f32)], dates: &[MentionedDate]) {
        let story = &mut self.stories[s];
        let mut sum: HashMap<u32, f32> = story.centroid.iter().copied().collect();
        for (t, w) in v {
            *sum.entry(*t).or_default() += w;
        }
        let mut c: Vec<(u32, f32)> = sum.into_iter().collect();
        top_normalized(&mut c, CENTROID_TERMS);
        for (t, _) in c.iter().take(QUERY_TERMS) {
            let list = self.postings.entry(*t).or_default();
            if list.last() != Some(&s) && !list.contains(&s) {
                list.push(s);
            }
        }
        c.sort_unstable_by_key(|(t, _)| *t);
        story.centroid = c;
        for d in dates {
            if !story.dates.contains(d) && story.dates.len() < 16 {
                story.dates.push(*d);
                let list = self.by_date.entry((d.month, d.day)).or_default();
                if !list.contains(&s) {
                    list.push(s);
                }
            }
        }
    }

    /// Drop the oldest articles from the article index once it holds a
    /// quarter more than [`ClusterConfig::max_idle_articles`] (amortized
    /// O(1) per arrival).
    fn compact_articles(&mut self) {
        let keep = usize::try_from(self.cfg.max_idle_articles).unwrap_or(usize::MAX).max(1);
        if self.articles.len() < keep.saturating_add(keep / 4).max(keep + 1) {
            return;
        }
        let drop = self.articles.len() - keep;
        self.articles.drain(..drop);
        let shift = |i: &mut usize| -> bool {
            if *i < drop {
                false
            } else {
                *i -= drop;
                true
            }
        };
        self.by_url.retain(|_, i| shift(i));
        self.by_hash.retain(|_, i| shift(i));
        self.bands.retain(|_, list| {
            list.retain_mut(|i| shift(i));
            !list.is_empty()
        });
    }

    /// Retire stories no article joined in the last
    /// [`ClusterConfig::max_idle_articles`] arrivals (checked every 1,024 new
    /// stories). Counted in arrivals, not in publication time, so a stream
    /// that is not in time order (a backfill, the ANT sample) stays correct;
    /// the time window is checked at match time.
    fn evict(&mut self) {
        if !self.stories.len().is_multiple_of(1024) {
            return;
        }
        let limit = self.arrivals.saturating_sub(self.cfg.max_idle_articles);
        let mut retired = HashSet::new();
        for (i, s) in self.stories.iter_mut().enumerate() {
            if s.live && s.touched < limit {
                s.live = false;
                s.centroid = Vec::new();
                retired.insert(i);
            }
        }
        if !retired.is_empty() {
            self.postings.retain(|_, list| {
                list.retain(|s| !retired.contains(s));
                !list.is_empty()
            });
            self.by_title.retain(|_, s| !retired.contains(s));
            self.by_date.retain(|_, list| {
                list.retain(|s| !retired.contains(s));
                !list.is_empty()
            });
        }
    }
}

fn within(a: Option<DateTime<FixedOffset>>, b: Option<DateTime<FixedOffset>>, window: Duration) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= window,
        _ => true,
    }
}

/// Whether `d` (year taken from `published` when absent) falls between a
/// week before and a day after `published`.
fn is_report_day(d: &MentionedDate, published: NaiveDate) -> bool {
    let year = d.year.unwrap_or(published.year());
    // "28 December" mentioned on 2 January is last year's.
    let candidates = [year, year - 1].map(|y| NaiveDate::from_ymd_opt(y, d.month, d.day));
    candidates.into_iter().flatten().any(|day| {
        let delta = (published - day).num_days();
        (-1..=7).contains(&delta) && (d.year.is_none() || day.year() == year)
    })
}

fn same_day(a: &MentionedDate, b: &MentionedDate) -> bool {
    a.month == b.month && a.day == b.day && (a.year.is_none() || b.year.is_none() || a.year == b.year)
}

/// Keep the `k` heaviest terms (ties by term id, so runs are reproducible)
/// and scale to unit length.
fn top_normalized(v: &mut Vec<(u32, f32)>, k: usize) {
    v.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(k);
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in v.iter_mut() {
            *w /= norm;
        }
    }
}

/// Dot product of two unit vectors sorted by term id.
fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += f64::from(a[i].1 * b[j].1);
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;
