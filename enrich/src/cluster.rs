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
//! Memory (the index is compact so a million recent articles fit in well
//! under 1 GB): per article an 8-bit MinHash signature (64 bytes, see
//! [`Compact`]), 64-bit URL and text hashes, its id and decision, and one
//! entry per LSH band in `u32 → u32` tables; per story a quantized centroid
//! (see [`crate::stories`]). No text, URL or term string is kept.
//!
//! Bounds: the article index is a FIFO of at most
//! [`ClusterConfig::max_articles`] articles, and with
//! [`ClusterConfig::retention`] also only those that arrived within that
//! time of the latest arrival. A story lives while one of its articles is
//! in the index.
//!
//! Determinism (several enricher instances apply each other's decisions,
//! see [`Clusterer::apply`] and ARCHITECTURE.md): every article has an
//! *order key*, (publication time, id), taken from the article itself. A
//! duplicate points to the root of its group (the original its match
//! points to, or the match itself), and when several groups match, to the
//! one whose root has the smallest order key. Each lookup table keeps, per
//! key, the newest article of the smallest-root group. So given the same
//! set of indexed articles the answer does not depend on the order they
//! arrived in; story ties go to the smaller story id.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, FixedOffset, Utc};

use crate::fxhash::FxHashMap;
pub(crate) use crate::prepare::Id;
pub use crate::prepare::Prepared;
use crate::prepare::{Features, StoryTerms, story_terms};
use crate::shingles::Compact;
use crate::stories::{Query, Stories};

/// Thresholds and bounds of [`Clusterer`].
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
    /// Articles kept in the index at most (the oldest leave first).
    /// 1,000,000: days of a large newsroom's intake, well under 1 GB.
    pub max_articles: usize,
    /// Articles that arrived longer than this before the latest arrival
    /// leave the index. None (the default, for one pass over a file): only
    /// `max_articles` bounds it; the enricher service sets
    /// `enricher.window_hours`.
    pub retention: Option<Duration>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            near_duplicate: 0.7,
            story_similarity: 0.45,
            story_similarity_same_date: 0.03,
            window: Duration::days(3),
            max_articles: 1_000_000,
            retention: None,
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

    /// Read the wire form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "url" => Some(DuplicateKind::Url),
            "text" => Some(DuplicateKind::Text),
            "near" => Some(DuplicateKind::Near),
            _ => None,
        }
    }
}

/// What [`Clusterer::push`] decided.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Assignment {
    /// Id of the earlier article this one duplicates (the root of its
    /// duplicate group).
    pub duplicate_of: Option<String>,
    pub duplicate_kind: Option<DuplicateKind>,
    /// Estimated Jaccard with the article matched (1 for URL and text
    /// matches), to 1/255.
    pub duplicate_similarity: Option<f64>,
    /// Id of the story: the id of its first article (see the module doc).
    pub story_id: String,
    /// Cosine with the story joined (None when the article started it).
    pub story_similarity: Option<f64>,
}

/// A decision made elsewhere (read back from the `enriched` topic), for
/// [`Clusterer::apply`].
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    pub duplicate_of: Option<&'a str>,
    pub duplicate_kind: Option<DuplicateKind>,
    pub story_id: &'a str,
}

/// One indexed article.
struct Slot {
    id: Id,
    /// The root of its duplicate group when it is a duplicate.
    root: Option<Id>,
    /// Publication time (Unix seconds, `i64::MAX` unknown) of the root (of
    /// itself when it is an original): with the root's id, the group's
    /// order key.
    root_published: i64,
    url: u64,
    text: u64,
    sig: Option<Compact>,
    /// Arrival time, Unix seconds (the window clock).
    arrived: i64,
    story: u32,
    kind: Option<DuplicateKind>,
    /// Quantized similarities (to 1/255 and 1/65535; MAX: none).
    dup_similarity: u8,
    story_similarity: u16,
}

impl Slot {
    fn root_id(&self) -> &Id {
        self.root.as_ref().unwrap_or(&self.id)
    }

    /// Whether this article's group orders before `other`'s.
    fn root_before(&self, other: &Slot) -> bool {
        (self.root_published, self.root_id()) < (other.root_published, other.root_id())
    }
}

/// The index: duplicates and stories of the recent articles. Not
/// thread-safe by itself: one per process behind a lock.
#[derive(Default)]
pub struct Clusterer {
    cfg: ClusterConfig,
    slots: VecDeque<Slot>,
    /// Sequence number of `slots[0]`.
    base: u64,
    by_id: FxHashMap<u64, u32>,
    by_url: FxHashMap<u64, u32>,
    by_text: FxHashMap<u64, u32>,
    bands: FxHashMap<u32, u32>,
    stories: Stories,
    /// Latest arrival time seen (Unix seconds).
    clock: i64,
}

impl Clusterer {
    pub fn new(cfg: ClusterConfig) -> Self {
        Clusterer { cfg, ..Default::default() }
    }

    /// Articles in the index now.
    pub fn indexed_articles(&self) -> usize {
        self.slots.len()
    }

    /// Live stories now.
    pub fn story_count(&self) -> usize {
        self.stories.len()
    }

    /// Whether the article with this id is in the index.
    pub fn contains(&self, id: &str) -> bool {
        self.slot_by_id(&Id::new(id)).is_some()
    }

    fn slot(&self, seq: u32) -> Option<&Slot> {
        self.slots.get(seq.wrapping_sub(self.base as u32) as usize)
    }

    fn slot_mut(&mut self, seq: u32) -> Option<&mut Slot> {
        self.slots.get_mut(seq.wrapping_sub(self.base as u32) as usize)
    }

    fn slot_by_id(&self, id: &Id) -> Option<u32> {
        self.by_id.get(&id.hash()).copied().filter(|s| self.slot(*s).is_some_and(|x| &x.id == id))
    }

    /// Assign `article` to a duplicate and a story, then index it; it
    /// arrives at the time of the latest arrival. A redelivered article
    /// (an id in the index) gets its first decision back.
    pub fn push(&mut self, article: &ArticleRef<'_>) -> Assignment {
        self.push_at(article, None)
    }

    /// [`Clusterer::push`] arriving at `now` (the window clock).
    pub fn push_at(&mut self, article: &ArticleRef<'_>, now: Option<DateTime<Utc>>) -> Assignment {
        if let Some(s) = self.slot_by_id(&Id::new(article.id)) {
            return self.assignment(s);
        }
        self.push_prepared(Self::prepare(article), now)
    }

    /// What [`Clusterer::push_prepared`] and [`Clusterer::apply_prepared`]
    /// need of `article`, computed without the index.
    pub fn prepare(article: &ArticleRef<'_>) -> Prepared {
        let mut f = Features::of(article);
        let terms = story_terms(article.title, &f);
        // Only the terms are read from the body later.
        f.body = Vec::new();
        Prepared { id: Id::new(article.id), f, terms }
    }

    /// [`Clusterer::push_at`] of a prepared article: the same decision.
    pub fn push_prepared(&mut self, p: Prepared, now: Option<DateTime<Utc>>) -> Assignment {
        let Prepared { id, f, terms } = p;
        if let Some(s) = self.slot_by_id(&id) {
            return self.assignment(s);
        }
        let dup = self.find_duplicate(&f);
        let seq = self.base + self.slots.len() as u64;
        let (story, story_similarity, root, root_published) = match dup {
            Some((m, sim, kind)) => {
                let matched = self.slot(m).expect("matched slot is live");
                let (story, root, rp) = (matched.story, matched.root_id().clone(), matched.root_published);
                if let Some(st) = self.stories.get_mut(story) {
                    st.last_seq = seq;
                }
                (story, None, Some((root, sim, kind)), rp)
            }
            None => {
                let (story, sim) = self.place(&id, &terms, &f, seq);
                (story, sim, None, f.published.unwrap_or(i64::MAX))
            }
        };
        let slot = Slot {
            id,
            root: root.as_ref().map(|(r, _, _)| r.clone()),
            root_published,
            url: f.url,
            text: f.text,
            sig: f.sig,
            arrived: now.map_or(self.clock, |n| n.timestamp()),
            story,
            kind: root.as_ref().map(|(_, _, k)| *k),
            dup_similarity: root.as_ref().map_or(u8::MAX, |(_, s, _)| (s * 255.0).round() as u8),
            story_similarity: story_similarity.map_or(u16::MAX, |s| (s.clamp(0.0, 1.0) * 65534.0).round() as u16),
        };
        let s = self.insert(slot);
        let out = self.assignment(s);
        self.evict();
        out
    }

    /// Index an article decided elsewhere (another instance, or this one
    /// before a restart) with that decision. Returns false when it was
    /// indexed already; a different decision for an indexed id replaces
    /// the old one (the later record wins, as in a compacted topic).
    pub fn apply(&mut self, article: &ArticleRef<'_>, decided: &Decided<'_>, now: Option<DateTime<Utc>>) -> bool {
        self.apply_prepared(Self::prepare(article), decided, now)
    }

    /// [`Clusterer::apply`] of a prepared article.
    pub fn apply_prepared(&mut self, p: Prepared, decided: &Decided<'_>, now: Option<DateTime<Utc>>) -> bool {
        let Prepared { id, f, terms } = p;
        let story_id = Id::new(decided.story_id);
        if let Some(s) = self.slot_by_id(&id) {
            let story = self.stories.find(&story_id);
            let slot = self.slot_mut(s).expect("indexed slot is live");
            slot.root = decided.duplicate_of.map(Id::new);
            slot.kind = decided.duplicate_kind;
            if let Some(st) = story {
                slot.story = st;
            }
            return false;
        }
        let seq = self.base + self.slots.len() as u64;
        let root = decided.duplicate_of.map(Id::new);
        let root_published = match &root {
            Some(r) => self.slot_by_id(r).and_then(|s| self.slot(s)).map_or(i64::MAX, |s| s.root_published),
            None => f.published.unwrap_or(i64::MAX),
        };
        let story = match self.stories.find(&story_id) {
            Some(st) => {
                if root.is_none() {
                    self.join_with_vector(st, &terms, &f, seq);
                } else if let Some(x) = self.stories.get_mut(st) {
                    x.last_seq = seq;
                }
                st
            }
            None => {
                let st = self.stories.create(story_id, seq);
                self.join_with_vector(st, &terms, &f, seq);
                st
            }
        };
        let slot = Slot {
            id,
            root,
            root_published,
            url: f.url,
            text: f.text,
            sig: f.sig,
            arrived: now.map_or(self.clock, |n| n.timestamp()),
            story,
            kind: decided.duplicate_kind,
            dup_similarity: u8::MAX,
            story_similarity: u16::MAX,
        };
        self.insert(slot);
        self.evict();
        true
    }

    fn assignment(&self, s: u32) -> Assignment {
        let slot = self.slot(s).expect("live slot");
        Assignment {
            duplicate_of: slot.root.as_ref().map(Id::as_string),
            duplicate_kind: slot.kind,
            duplicate_similarity: (slot.root.is_some() && slot.dup_similarity != u8::MAX)
                .then(|| f64::from(slot.dup_similarity) / 255.0),
            story_id: self.stories.get(slot.story).map_or_else(|| slot.id.as_string(), |st| st.id.as_string()),
            story_similarity: (slot.story_similarity != u16::MAX).then(|| f64::from(slot.story_similarity) / 65534.0),
        }
    }

    /// The best match: (slot, similarity, kind). URL first, then text,
    /// then MinHash; among several groups, the one with the earliest root.
    fn find_duplicate(&self, f: &Features) -> Option<(u32, f64, DuplicateKind)> {
        if let Some(&s) = self.by_url.get(&f.url).filter(|_| f.url != 0) {
            return Some((s, 1.0, DuplicateKind::Url));
        }
        if let Some(&s) = self.by_text.get(&f.text).filter(|_| f.text != 0) {
            return Some((s, 1.0, DuplicateKind::Text));
        }
        let sig = f.sig.as_ref()?;
        let mut best: Option<(u32, f64)> = None;
        for key in sig.band_keys() {
            let Some(&s) = self.bands.get(&key) else { continue };
            if best.is_some_and(|(b, _)| b == s) {
                continue;
            }
            let Some(slot) = self.slot(s) else { continue };
            let Some(other) = slot.sig.as_ref() else { continue };
            let sim = sig.similarity(other);
            if sim < self.cfg.near_duplicate {
                continue;
            }
            let better = |(b, bsim): (u32, f64)| {
                let old = self.slot(b).expect("live slot");
                slot.root_before(old) || (slot.root_id() == old.root_id() && sim > bsim)
            };
            if best.is_none_or(better) {
                best = Some((s, sim));
            }
        }
        best.map(|(s, sim)| (s, sim, DuplicateKind::Near))
    }

    /// Story placement of an original: join the best story or start one
    /// with the article's own id.
    fn place(&mut self, id: &Id, terms: &StoryTerms, f: &Features, seq: u64) -> (u32, Option<f64>) {
        let v = self.stories.vectorize(&terms.tf);
        let mut by_term = v.clone();
        by_term.sort_unstable_by_key(|(t, _)| *t);
        let q =
            Query { by_term: &by_term, by_weight: &v, dates: &terms.dates, title: terms.title, published: f.published };
        match self.stories.best(&self.cfg, &q) {
            Some((s, sim)) => {
                self.stories.join(s, &q, seq);
                (s, Some(sim))
            }
            None => {
                let s = self.stories.create(id.clone(), seq);
                self.stories.join(s, &q, seq);
                (s, None)
            }
        }
    }

    fn join_with_vector(&mut self, s: u32, terms: &StoryTerms, f: &Features, seq: u64) {
        let v = self.stories.vectorize(&terms.tf);
        let mut by_term = v.clone();
        by_term.sort_unstable_by_key(|(t, _)| *t);
        let q =
            Query { by_term: &by_term, by_weight: &v, dates: &terms.dates, title: terms.title, published: f.published };
        self.stories.join(s, &q, seq);
    }

    /// Append `slot` and point the lookup tables at it where it wins.
    fn insert(&mut self, slot: Slot) -> u32 {
        let seq = (self.base + self.slots.len() as u64) as u32;
        self.clock = self.clock.max(slot.arrived);
        let (id, url, text, bands) = (slot.id.hash(), slot.url, slot.text, slot.sig.map(|s| s.band_keys()));
        self.slots.push_back(slot);
        self.by_id.insert(id, seq);
        let (slots, base) = (&self.slots, self.base);
        let get = |s: u32| &slots[s.wrapping_sub(base as u32) as usize];
        // The newest article of the earliest-rooted group holds the key.
        let offer = |map: &mut FxHashMap<u32, u32>, key: u32| {
            let e = map.entry(key).or_insert(seq);
            let (old, new) = (get(*e), get(seq));
            if new.root_id() == old.root_id() || new.root_before(old) {
                *e = seq;
            }
        };
        let offer64 = |map: &mut FxHashMap<u64, u32>, key: u64| {
            let e = map.entry(key).or_insert(seq);
            let (old, new) = (get(*e), get(seq));
            if new.root_id() == old.root_id() || new.root_before(old) {
                *e = seq;
            }
        };
        if url != 0 {
            offer64(&mut self.by_url, url);
        }
        if text != 0 {
            offer64(&mut self.by_text, text);
        }
        for key in bands.into_iter().flatten() {
            offer(&mut self.bands, key);
        }
        seq
    }

    /// Drop the oldest articles beyond `max_articles` or the retention
    /// window, their table entries, and stories left without articles.
    fn evict(&mut self) {
        let max = self.cfg.max_articles.max(1);
        let horizon = self.cfg.retention.map(|r| self.clock.saturating_sub(r.num_seconds()));
        while let Some(front) = self.slots.front() {
            if self.slots.len() <= max && horizon.is_none_or(|h| front.arrived >= h) {
                break;
            }
            let seq64 = self.base;
            let seq = seq64 as u32;
            let slot = self.slots.pop_front().expect("front exists");
            self.base += 1;
            let drop = |map: &mut FxHashMap<u64, u32>, key: u64| {
                if map.get(&key) == Some(&seq) {
                    map.remove(&key);
                }
            };
            drop(&mut self.by_id, slot.id.hash());
            drop(&mut self.by_url, slot.url);
            drop(&mut self.by_text, slot.text);
            for key in slot.sig.map(|s| s.band_keys()).into_iter().flatten() {
                if self.bands.get(&key) == Some(&seq) {
                    self.bands.remove(&key);
                }
            }
            if self.stories.get(slot.story).is_some_and(|st| st.last_seq <= seq64) {
                self.stories.remove(slot.story);
            }
        }
    }
}

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;
