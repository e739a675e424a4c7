//! The story half of the clusterer's index: compact TF-IDF centroids and the
//! lookups that find candidate stories (shared top terms, the event date,
//! the title).
//!
//! Memory per story: a [`CENTROID_TERMS`]-term centroid as `u32` term ids
//! (hashes of the term, no vocabulary strings kept) and `u16` weights, the
//! story id, and a posting per top term ([`POSTING_TERMS`]). Stories are
//! keyed by a sequence number; the clusterer removes a story when its
//! latest article leaves the article index, and postings of removed stories
//! are dropped lazily (skipped on lookup, swept when they pile up).

use crate::cluster::{ClusterConfig, Id};
use crate::dates::MentionedDate;
use crate::fxhash::FxHashMap;

/// Terms kept per stored story centroid.
pub const CENTROID_TERMS: usize = 48;
/// Terms kept per article vector (compared against centroids, not stored).
pub const VECTOR_TERMS: usize = 128;
/// Top terms of a story that point to it in the postings.
const POSTING_TERMS: usize = 16;
/// Terms of an article used to look up candidate stories.
const QUERY_TERMS: usize = 48;
/// Posting lists longer than this are skipped when looking up candidates.
const MAX_POSTINGS: usize = 500;
/// Postings read per article at most (see [`Stories::best`]).
const POSTINGS_BUDGET: usize = 3_000;
/// Stories compared in full per article (by shared top terms).
const MAX_CANDIDATES: usize = 32;
/// Latest stories with the same event date compared per article.
const DATE_CANDIDATES: usize = 64;
/// Event dates kept per story.
const MAX_DATES: usize = 16;
/// Document frequencies are halved after this many documents, so they
/// follow the recent stream and their table stays bounded.
const DF_HALF_LIFE: u32 = 1 << 20;
/// Weight scale of the stored centroids.
const SCALE: f32 = u16::MAX as f32;

/// One story.
pub(crate) struct Story {
    pub id: Id,
    /// Sorted term ids of the centroid.
    terms: Box<[u32]>,
    /// Unit-vector weights of `terms`, times [`SCALE`].
    weights: Box<[u16]>,
    dates: Box<[MentionedDate]>,
    /// Latest publication time (Unix seconds) of a member; `i64::MIN`: none.
    pub last_seen: i64,
    /// Sequence number of the latest article placed in the story.
    pub last_seq: u64,
    /// Hash of the normalized title that found it (0: none).
    title: u64,
}

/// All live stories.
#[derive(Default)]
pub(crate) struct Stories {
    map: FxHashMap<u32, Story>,
    by_id: FxHashMap<u64, u32>,
    postings: FxHashMap<u32, Vec<u32>>,
    by_title: FxHashMap<u64, u32>,
    by_date: FxHashMap<u16, Vec<u32>>,
    df: FxHashMap<u32, u32>,
    docs: u32,
    next: u32,
    /// Stories removed since the last sweep of the postings.
    removed: usize,
    /// Scratch table of [`Stories::best`].
    shared: FxHashMap<u32, u32>,
}

/// What an article brings to story matching.
pub(crate) struct Query<'a> {
    /// TF-IDF vector, unit length, sorted by term id.
    pub by_term: &'a [(u32, f32)],
    /// The same terms, heaviest first.
    pub by_weight: &'a [(u32, f32)],
    pub dates: &'a [MentionedDate],
    pub title: u64,
    /// Unix seconds.
    pub published: Option<i64>,
}

impl Stories {
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn get(&self, seq: u32) -> Option<&Story> {
        self.map.get(&seq)
    }

    pub fn get_mut(&mut self, seq: u32) -> Option<&mut Story> {
        self.map.get_mut(&seq)
    }

    /// The story with id `id`, if live.
    pub fn find(&self, id: &Id) -> Option<u32> {
        self.by_id.get(&id.hash()).copied().filter(|s| self.map.get(s).is_some_and(|st| &st.id == id))
    }

    /// The TF-IDF vector of term counts `tf` (heaviest [`VECTOR_TERMS`],
    /// unit length, heaviest first), counting the article in the document
    /// frequencies.
    pub fn vectorize(&mut self, tf: &[(u32, f32)]) -> Vec<(u32, f32)> {
        if self.docs >= DF_HALF_LIFE {
            self.docs /= 2;
            self.df.retain(|_, c| {
                *c /= 2;
                *c > 0
            });
        }
        self.docs += 1;
        let n = self.docs as f32;
        // One table access per term: the terms of `tf` are distinct, so a
        // term's count read right after its own increment is the count
        // after the whole article.
        let mut v: Vec<(u32, f32)> = tf
            .iter()
            .map(|&(t, c)| {
                let e = self.df.entry(t).or_default();
                *e += 1;
                let df = (*e).max(1) as f32;
                (t, (1.0 + c.ln()) * ((n + 1.0) / df).ln())
            })
            .collect();
        top_normalized(&mut v, VECTOR_TERMS);
        v
    }

    /// The best live story for `q` that it may join, with its cosine.
    pub fn best(&mut self, cfg: &ClusterConfig, q: &Query<'_>) -> Option<(u32, f64)> {
        // Shared-term counts per story, in a table kept between lookups
        // (no allocation and regrowth per article).
        let mut shared = std::mem::take(&mut self.shared);
        shared.clear();
        // A term shared by very many stories finds nothing specific; the
        // rarest terms are read first, within a budget of postings, which
        // bounds the lookup's cost however large the index grows.
        let mut lists: Vec<&Vec<u32>> = q
            .by_weight
            .iter()
            .take(QUERY_TERMS)
            .filter_map(|(t, _)| self.postings.get(t))
            .filter(|l| l.len() <= MAX_POSTINGS)
            .collect();
        lists.sort_by_key(|l| l.len());
        let mut budget = POSTINGS_BUDGET;
        for list in lists {
            if list.len() > budget {
                break;
            }
            budget -= list.len();
            for s in list {
                *shared.entry(*s).or_default() += 1;
            }
        }
        let mut by_count: Vec<(u32, u32)> = shared.drain().collect();
        self.shared = shared;
        // The MAX_CANDIDATES most shared live stories (ties: smaller
        // sequence number): sorted in cache, so that the story table is
        // read only for those and the removed ones among them.
        by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let title_story = (q.title != 0).then(|| self.by_title.get(&q.title).copied()).flatten();
        let mut candidates: Vec<u32> =
            by_count.into_iter().map(|(s, _)| s).filter(|s| self.map.contains_key(s)).take(MAX_CANDIDATES).collect();
        candidates.extend(title_story);
        for d in q.dates {
            let list = self.by_date.get(&date_key(d)).map_or(&[][..], Vec::as_slice);
            candidates.extend(list.iter().rev().filter(|s| self.map.contains_key(s)).take(DATE_CANDIDATES));
        }
        candidates.sort_unstable();
        candidates.dedup();

        let window = cfg.window.num_seconds();
        let mut best: Option<(u32, f64, f64)> = None;
        for s in candidates {
            let Some(story) = self.map.get(&s) else { continue };
            if let Some(p) = q.published
                && story.last_seen != i64::MIN
                && (p - story.last_seen).abs() > window
            {
                continue;
            }
            let sim = story.cosine(q.by_term);
            let same_date = q.dates.iter().any(|d| story.dates.iter().any(|e| same_day(d, e)));
            let same_title = title_story == Some(s);
            let joins =
                sim >= cfg.story_similarity || (same_date && sim >= cfg.story_similarity_same_date) || same_title;
            let score = sim + if same_date { 0.25 } else { 0.0 } + if same_title { 0.5 } else { 0.0 };
            // Ties go to the smaller story id: the same on every instance.
            let better = |(b, bs, _): (u32, f64, f64)| {
                score > bs || (score == bs && self.map.get(&b).is_some_and(|o| story.id < o.id))
            };
            if joins && best.is_none_or(better) {
                best = Some((s, score, sim));
            }
        }
        best.map(|(s, _, sim)| (s, sim))
    }

    /// Start a story with id `id`; returns its sequence number.
    pub fn create(&mut self, id: Id, seq: u64) -> u32 {
        let s = self.next;
        self.next = self.next.wrapping_add(1);
        self.by_id.insert(id.hash(), s);
        self.map.insert(
            s,
            Story {
                id,
                terms: Box::new([]),
                weights: Box::new([]),
                dates: Box::new([]),
                last_seen: i64::MIN,
                last_seq: seq,
                title: 0,
            },
        );
        s
    }

    /// Add an article (its vector, event dates, title, publication time,
    /// sequence number) to story `s`.
    pub fn join(&mut self, s: u32, q: &Query<'_>, seq: u64) {
        let Some(story) = self.map.get_mut(&s) else { return };
        story.last_seq = story.last_seq.max(seq);
        if let Some(p) = q.published {
            story.last_seen = story.last_seen.max(p);
        }
        if q.title != 0 && story.title == 0 {
            self.by_title.entry(q.title).or_insert(s);
            story.title = q.title;
        }
        for d in q.dates {
            if !story.dates.contains(d) && story.dates.len() < MAX_DATES {
                let mut v = story.dates.to_vec();
                v.push(*d);
                story.dates = v.into_boxed_slice();
                let list = self.by_date.entry(date_key(d)).or_default();
                if list.last() != Some(&s) {
                    list.push(s);
                }
            }
        }
        if q.by_term.is_empty() {
            return;
        }
        let before = story.top_terms();
        // Sum of the centroid and the article (both sorted by term id).
        let mut sum: Vec<(u32, f32)> = Vec::with_capacity(story.terms.len() + q.by_term.len());
        let (mut i, mut j) = (0, 0);
        let old: Vec<(u32, f32)> =
            story.terms.iter().zip(story.weights.iter()).map(|(t, w)| (*t, f32::from(*w) / SCALE)).collect();
        while i < old.len() || j < q.by_term.len() {
            match (old.get(i), q.by_term.get(j)) {
                (Some(a), Some(b)) if a.0 == b.0 => {
                    sum.push((a.0, a.1 + b.1));
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a.0 < b.0 => {
                    sum.push(*a);
                    i += 1;
                }
                (Some(a), None) => {
                    sum.push(*a);
                    i += 1;
                }
                (_, Some(b)) => {
                    sum.push(*b);
                    j += 1;
                }
                (None, None) => break,
            }
        }
        top_normalized(&mut sum, CENTROID_TERMS);
        let top: Vec<u32> = sum.iter().take(POSTING_TERMS).map(|(t, _)| *t).collect();
        sum.sort_unstable_by_key(|(t, _)| *t);
        story.terms = sum.iter().map(|(t, _)| *t).collect();
        story.weights = sum.iter().map(|(_, w)| (w * SCALE).round().clamp(0.0, SCALE) as u16).collect();
        for t in top {
            if !before.contains(&t) {
                self.postings.entry(t).or_default().push(s);
            }
        }
    }

    /// Forget story `s`.
    pub fn remove(&mut self, s: u32) {
        let Some(story) = self.map.remove(&s) else { return };
        if self.by_id.get(&story.id.hash()) == Some(&s) {
            self.by_id.remove(&story.id.hash());
        }
        if story.title != 0 && self.by_title.get(&story.title) == Some(&s) {
            self.by_title.remove(&story.title);
        }
        self.removed += 1;
        if self.removed > self.map.len().max(4096) {
            self.sweep();
        }
    }

    /// Drop postings and date entries of removed stories (amortized: after
    /// as many removals as there are live stories).
    fn sweep(&mut self) {
        let live = &self.map;
        self.postings.retain(|_, list| {
            list.retain(|s| live.contains_key(s));
            !list.is_empty()
        });
        self.by_date.retain(|_, list| {
            list.retain(|s| live.contains_key(s));
            !list.is_empty()
        });
        self.removed = 0;
    }
}

impl Story {
    /// Cosine with a unit vector sorted by term id.
    fn cosine(&self, v: &[(u32, f32)]) -> f64 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0f64);
        while i < self.terms.len() && j < v.len() {
            match self.terms[i].cmp(&v[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += f64::from(f32::from(self.weights[i]) / SCALE * v[j].1);
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }

    /// The terms that point to this story in the postings.
    fn top_terms(&self) -> Vec<u32> {
        let mut by_weight: Vec<(u32, u16)> = self.terms.iter().copied().zip(self.weights.iter().copied()).collect();
        by_weight.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        by_weight.into_iter().take(POSTING_TERMS).map(|(t, _)| t).collect()
    }
}

fn date_key(d: &MentionedDate) -> u16 {
    (d.month * 32 + d.day) as u16
}

fn same_day(a: &MentionedDate, b: &MentionedDate) -> bool {
    a.month == b.month && a.day == b.day && (a.year.is_none() || b.year.is_none() || a.year == b.year)
}

/// Keep the `k` heaviest terms (ties by term id, so runs are reproducible),
/// heaviest first, scaled to unit length.
pub(crate) fn top_normalized(v: &mut Vec<(u32, f32)>, k: usize) {
    v.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(k);
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in v.iter_mut() {
            *w /= norm;
        }
    }
}
