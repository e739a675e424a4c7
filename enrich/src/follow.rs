//! The shared, persisted index: every enricher instance reads the whole
//! `enriched` topic (all partitions, a consumer of its own outside the
//! group) into its [`Clusterer`], so each sees every decision of every
//! instance, and a starting instance rebuilds the last window from the
//! topic. See ARCHITECTURE.md, "Story clustering state".
//!
//! - **Start.** Read each partition from the first record of the window
//!   (`offsets_for_times(now - window)`), applying each record's decision
//!   ([`Clusterer::apply`]): the decision is not made again.
//! - **Before deciding** an article of a partition this instance has not
//!   handled in the last [`FRESH`] (its first message after a start or a
//!   rebalance), wait until the follower has applied everything the topic
//!   held at that moment (the high watermarks), so what the previous owner
//!   decided, a redelivered article's first decision included, is known.
//! - **Own decisions** are in the index at once; when they come back
//!   through the topic they are already there and are skipped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use newsflow_kafka::assign::{self, TailRecord};
use newsflow_kafka::{KafkaConfig, KafkaError, StageError};
use newsflow_wire::{EnrichedArticle, Envelope, TopicKind};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::cluster::{ArticleRef, Clusterer, Decided, DuplicateKind};

/// A partition handled within this long is not caught up again.
pub const FRESH: Duration = Duration::from_secs(10);
/// The longest a decision waits for the follower; after it the article is
/// decided on what the index holds (logged).
const CATCH_UP_LIMIT: Duration = Duration::from_secs(60);

/// Follows the `enriched` topic into a clusterer.
pub struct Follower {
    kafka: KafkaConfig,
    topic: String,
    partitions: i32,
    /// Next offset applied, per partition.
    applied: watch::Receiver<HashMap<i32, i64>>,
    /// When this instance last decided an article of each partition.
    handled: tokio::sync::Mutex<HashMap<i32, Instant>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn task_error(e: tokio::task::JoinError) -> KafkaError {
    KafkaError::Config(format!("enriched follower task failed: {e}"))
}

impl Follower {
    /// Start reading the `enriched` topic from `window` ago into
    /// `clusterer`.
    pub async fn start(
        kafka: &KafkaConfig,
        clusterer: Arc<Mutex<Clusterer>>,
        window: chrono::Duration,
    ) -> Result<Arc<Follower>, KafkaError> {
        let topic = kafka.topics().name(TopicKind::Enriched);
        let (k, t) = (kafka.clone(), topic.clone());
        let partitions = tokio::task::spawn_blocking(move || newsflow_kafka::admin::partition_count(&k, &t))
            .await
            .map_err(task_error)?? as i32;
        let since = (Utc::now() - window).timestamp_millis();
        let (k, t) = (kafka.clone(), topic.clone());
        let start: HashMap<i32, i64> =
            match tokio::task::spawn_blocking(move || assign::offsets_since(&k, &t, partitions, since))
                .await
                .map_err(task_error)?
            {
                Ok(found) => found.into_iter().collect(),
                Err(e) => {
                    warn!(error = %e, "cannot look up the window start by time; reading enriched from the beginning");
                    HashMap::new()
                }
            };
        info!(topic = %topic, partitions, from = ?start, "following enriched into the dedup index");
        let tail = assign::tail(kafka, &topic, partitions, |p| start.get(&p).copied())?;
        let initial: HashMap<i32, i64> = (0..partitions).map(|p| (p, start.get(&p).copied().unwrap_or(0))).collect();
        let (tx, applied) = watch::channel(initial);
        let task = tokio::spawn(apply_tail(tail, clusterer, tx));
        Ok(Arc::new(Follower {
            kafka: kafka.clone(),
            topic,
            partitions,
            applied,
            handled: tokio::sync::Mutex::new(HashMap::new()),
            task,
        }))
    }

    /// Before deciding an article of `partition`: catch up when the
    /// partition is new to this instance (see the module doc).
    pub async fn ensure(&self, partition: i32) -> Result<(), StageError> {
        let mut handled = self.handled.lock().await;
        if handled.get(&partition).is_some_and(|t| t.elapsed() < FRESH) {
            handled.insert(partition, Instant::now());
            return Ok(());
        }
        let started = Instant::now();
        let (k, t, n) = (self.kafka.clone(), self.topic.clone(), self.partitions);
        let marks = tokio::task::spawn_blocking(move || assign::high_watermarks(&k, &t, n))
            .await
            .map_err(|e| StageError::Transient(format!("watermark task failed: {e}")))?
            .map_err(|e| StageError::Transient(format!("enriched watermarks: {e}")))?;
        let done = |a: &HashMap<i32, i64>| marks.iter().all(|(p, m)| *m <= 0 || a.get(p).is_some_and(|o| o >= m));
        let mut applied = self.applied.clone();
        match tokio::time::timeout(CATCH_UP_LIMIT, applied.wait_for(done)).await {
            Ok(Ok(_)) => {
                info!(partition, waited_ms = started.elapsed().as_millis() as u64, "dedup index caught up");
            }
            Ok(Err(_)) => return Err(StageError::Transient("the enriched follower stopped".into())),
            Err(_) => warn!(partition, "dedup index not caught up in time; deciding on what it holds"),
        }
        handled.insert(partition, Instant::now());
        Ok(())
    }
}

/// Apply tail batches to the clusterer and publish the offsets reached.
async fn apply_tail(
    mut tail: assign::Tail,
    clusterer: Arc<Mutex<Clusterer>>,
    applied: watch::Sender<HashMap<i32, i64>>,
) {
    let mut total = 0usize;
    while let Some(batch) = tail.records.recv().await {
        let c = clusterer.clone();
        let Ok((next, n)) = tokio::task::spawn_blocking(move || apply_batch(&c, &batch)).await else {
            warn!("applying enriched records failed");
            continue;
        };
        total += n;
        applied.send_modify(|a| {
            for (p, o) in next {
                let e = a.entry(p).or_insert(o);
                *e = (*e).max(o);
            }
        });
        tracing::debug!(total, "enriched records applied to the dedup index");
    }
}

/// Apply one batch: (next offset per partition, records newly indexed).
pub fn apply_batch(clusterer: &Mutex<Clusterer>, batch: &[TailRecord]) -> (Vec<(i32, i64)>, usize) {
    let mut next: HashMap<i32, i64> = HashMap::new();
    let mut added = 0;
    for r in batch {
        let e = next.entry(r.partition).or_insert(r.offset + 1);
        *e = (*e).max(r.offset + 1);
        let env: Envelope<EnrichedArticle> = match Envelope::decode(r.value.as_deref(), r.key.as_deref()) {
            Ok(env) => env,
            Err(e) => {
                warn!(partition = r.partition, offset = r.offset, error = %e, "undecodable enriched record skipped");
                continue;
            }
        };
        if apply_one(clusterer, &env) {
            added += 1;
        }
    }
    (next.into_iter().collect(), added)
}

/// Index one enriched article with its decision; false if it was known.
pub fn apply_one(clusterer: &Mutex<Clusterer>, env: &Envelope<EnrichedArticle>) -> bool {
    let (a, e) = (&env.payload.article, &env.payload.enrichment);
    let Some(story_id) = e.story_id.as_deref() else { return false };
    let url_key = if a.canonical_url.is_empty() { &a.url } else { &a.canonical_url };
    let article =
        ArticleRef { id: &env.id, url_key, title: a.title.as_deref(), text: &a.text, published: a.published_at };
    let decided = Decided {
        duplicate_of: e.duplicate_of.as_deref(),
        duplicate_kind: e.duplicate_kind.as_deref().and_then(DuplicateKind::parse),
        story_id,
    };
    let now = a.fetched_at.map(|f| f.min(Utc::now()));
    let prepared = Clusterer::prepare(&article);
    clusterer.lock().unwrap_or_else(|p| p.into_inner()).apply_prepared(prepared, &decided, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsflow_wire::{ArticleMsg, Enrichment};

    fn record(offset: i64, id: &str, text: &str, duplicate_of: Option<&str>, story: &str) -> TailRecord {
        let enriched = EnrichedArticle {
            article: ArticleMsg { url: format!("https://e.test/{id}"), text: text.into(), ..Default::default() },
            enrichment: Enrichment {
                story_id: Some(story.into()),
                duplicate_of: duplicate_of.map(str::to_owned),
                duplicate_kind: duplicate_of.map(|_| "text".to_owned()),
                ..Default::default()
            },
        };
        let env = Envelope::new(id.to_owned(), "t".to_owned(), enriched);
        TailRecord { partition: 1, offset, key: Some(id.as_bytes().to_vec()), value: Some(env.encode()) }
    }

    #[test]
    fn batches_index_decisions_skip_junk_and_report_next_offsets() {
        let c = Mutex::new(Clusterer::default());
        let text = "An article body with enough words to shingle into a real signature for the index";
        let mut junk = record(5, "j", text, None, "j");
        junk.value = Some(b"not json".to_vec());
        let batch = vec![record(3, "a", text, None, "a"), junk, record(4, "b", text, Some("a"), "a")];
        let (next, added) = apply_batch(&c, &batch);
        assert_eq!((next, added), (vec![(1, 6)], 2));
        // Read back again (a restart reading the same records): nothing new.
        assert_eq!(apply_batch(&c, &batch).1, 0);
        // A third copy decided here points to the root the topic recorded.
        let mut c = c.into_inner().unwrap();
        let out = c.push(&ArticleRef { id: "c", url_key: "https://e.test/c", text, ..Default::default() });
        assert_eq!((out.duplicate_of.as_deref(), out.story_id.as_str()), (Some("a"), "a"));
        // A redelivery of b gets the decision recorded for it.
        let b = c.push(&ArticleRef { id: "b", url_key: "https://e.test/b", text, ..Default::default() });
        assert_eq!(b.duplicate_of.as_deref(), Some("a"));
    }
}
