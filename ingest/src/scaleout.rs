//! Several fetcher instances sharing one set of sources.
//!
//! Every instance has the same sources. A source belongs to the partition
//! of the compacted state topic its host maps to
//! ([`newsflow_kafka::assign::partition_of`]); the consumer group on that
//! topic decides which instance owns which partitions, so exactly one
//! instance polls a host's sources (and paces that host). Seen records are
//! published to the topic and every instance reads all of them into its
//! local seen-record. Hand-over of a partition:
//! 1. the old owner's revoke callback blocks until its sources of that
//!    partition have stopped (no new article fetch starts once asked) and
//!    every seen record they produced is acknowledged;
//! 2. the new owner, once assigned, reads the state topic up to the high
//!    watermarks taken after the assignment, and only then polls.
//!
//! So no URL is fetched by two instances because of a hand-over, and a
//! restarted instance skips what any instance fetched. Limits: a URL listed
//! by sources on two hosts owned by different instances can still be
//! fetched twice if both find it within the tail's lag (well under a
//! second); a `kill -9` between a fetch and its acknowledgement refetches
//! that one page (at-least-once, absorbed by the idempotent sink).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use newsflow_kafka::KafkaConfig;
use newsflow_kafka::assign::{self, GroupEvent, TailRecord};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::SourceConfig;
use crate::fetcher::{Fetcher, FetcherError};
use crate::politeness::host_key;
use crate::state::{FetchState, SharedSeen};

/// Metric: sources this instance owns (gauge).
pub const OWNED_SOURCES: &str = "newsflow_fetch_owned_sources";

/// The state-topic partition a source belongs to: that of its host.
pub fn partition_of_source(src: &SourceConfig, partitions: i32) -> i32 {
    let host = url::Url::parse(&src.url).ok().and_then(|u| host_key(&u)).unwrap_or_else(|| src.url.clone());
    assign::partition_of(&host, partitions)
}

/// Run the fetcher as one member of the `fetch` group until `cancel`.
pub async fn run_shared(
    mut fetcher: Fetcher,
    sources: Vec<SourceConfig>,
    kafka: &KafkaConfig,
    cancel: CancellationToken,
) -> Result<(), FetcherError> {
    let topic = assign::ensure_state_topic(kafka).await?;
    fetcher.state_topic = Some(topic.name.clone());
    let fetcher = Arc::new(fetcher);
    let state = fetcher.state().clone();

    // Every seen record of every partition into the local state.
    let start = state.shared_offsets(&topic.name)?;
    let tail = assign::tail(kafka, &topic.name, topic.partitions, |p| start.get(&p).copied())?;
    let (applied_tx, applied) = watch::channel(start);
    let applier = tokio::spawn(apply_tail(tail, state.clone(), topic.name.clone(), applied_tx));

    let mut by_partition: HashMap<i32, Vec<SourceConfig>> = HashMap::new();
    for src in sources {
        by_partition.entry(partition_of_source(&src, topic.partitions)).or_default().push(src);
    }
    let rejoin = (kafka.rejoin_when_idle_secs > 0).then(|| Duration::from_secs(kafka.rejoin_when_idle_secs));
    let mut membership = assign::join_group(kafka, &kafka.group_id("fetch"), &topic.name, rejoin)?;
    info!(topic = %topic.name, partitions = topic.partitions, hosts_partitions = by_partition.len(), "fetcher joined its group");

    let mut owned: HashMap<i32, Owned> = HashMap::new();
    loop {
        let event = tokio::select! {
            _ = cancel.cancelled() => break,
            e = membership.events.recv() => match e { Some(e) => e, None => break },
        };
        match event {
            GroupEvent::Assigned(parts) => {
                let fresh: BTreeSet<i32> = parts.into_iter().filter(|p| !owned.contains_key(p)).collect();
                if fresh.is_empty() {
                    continue;
                }
                // Whatever the previous owners recorded is below these marks.
                let (k, t, n) = (kafka.clone(), topic.name.clone(), topic.partitions);
                let marks = tokio::task::spawn_blocking(move || assign::high_watermarks(&k, &t, n))
                    .await
                    .map_err(|e| newsflow_kafka::KafkaError::Config(format!("watermark task failed: {e}")))??;
                if !caught_up(applied.clone(), &marks, &cancel).await {
                    break;
                }
                let n: usize = fresh.iter().map(|p| by_partition.get(p).map_or(0, Vec::len)).sum();
                let spread = crate::fetcher::first_poll_spread(n);
                for p in fresh {
                    let stop = cancel.child_token();
                    let mut tasks = JoinSet::new();
                    for src in by_partition.get(&p).into_iter().flatten() {
                        tasks.spawn(fetcher.clone().poll_loop(src.clone(), spread, stop.clone()));
                    }
                    owned.insert(p, Owned { stop, tasks });
                }
                report_owned(&owned, &by_partition);
            }
            GroupEvent::Revoked(parts, done) => {
                for p in parts {
                    if let Some(o) = owned.remove(&p) {
                        o.release().await;
                    }
                }
                report_owned(&owned, &by_partition);
                let _ = done.send(());
            }
        }
    }
    for (_, o) in owned.drain() {
        o.release().await;
    }
    membership.leave().await;
    applier.abort();
    fetcher.flush();
    info!("fetcher stopped");
    Ok(())
}

/// The running sources of one owned partition.
struct Owned {
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

impl Owned {
    /// Stop the partition's sources and wait until their last fetches and
    /// seen records are done.
    async fn release(mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

fn report_owned(owned: &HashMap<i32, Owned>, by_partition: &HashMap<i32, Vec<SourceConfig>>) {
    let n: usize = owned.keys().map(|p| by_partition.get(p).map_or(0, Vec::len)).sum();
    metrics::gauge!(OWNED_SOURCES).set(n as f64);
    let mut parts: Vec<i32> = owned.keys().copied().collect();
    parts.sort_unstable();
    info!(partitions = ?parts, sources = n, "fetcher owns");
}

/// Wait until the local state holds every record below `marks`.
async fn caught_up(
    mut applied: watch::Receiver<HashMap<i32, i64>>,
    marks: &[(i32, i64)],
    cancel: &CancellationToken,
) -> bool {
    let done = |a: &HashMap<i32, i64>| marks.iter().all(|(p, m)| *m <= 0 || a.get(p).is_some_and(|o| o >= m));
    tokio::select! {
        r = applied.wait_for(done) => r.is_ok(),
        _ = cancel.cancelled() => false,
    }
}

/// Apply tail batches to the local state and publish the offsets reached.
async fn apply_tail(
    mut tail: assign::Tail,
    state: Arc<FetchState>,
    topic: String,
    applied: watch::Sender<HashMap<i32, i64>>,
) {
    while let Some(batch) = tail.records.recv().await {
        let (records, next) = decode(&batch);
        let (st, t) = (state.clone(), topic.clone());
        let stored = tokio::task::spawn_blocking(move || st.apply_shared(&t, &records, &next).map(|()| next)).await;
        match stored {
            Ok(Ok(next)) => applied.send_modify(|a| {
                for (p, o) in next {
                    let e = a.entry(p).or_insert(o);
                    *e = (*e).max(o);
                }
            }),
            Ok(Err(e)) => warn!(error = %e, "cannot store shared seen records"),
            Err(e) => warn!(error = %e, "shared seen records task failed"),
        }
    }
}

/// The seen records of a batch (undecodable ones are skipped) and the next
/// offset of each partition in it.
fn decode(batch: &[TailRecord]) -> (Vec<SharedSeen>, Vec<(i32, i64)>) {
    let mut next: HashMap<i32, i64> = HashMap::new();
    let mut records = Vec::with_capacity(batch.len());
    for r in batch {
        let e = next.entry(r.partition).or_insert(r.offset + 1);
        *e = (*e).max(r.offset + 1);
        match r.value.as_deref().map(serde_json::from_slice::<SharedSeen>) {
            Some(Ok(rec)) => records.push(rec),
            _ => warn!(partition = r.partition, offset = r.offset, "undecodable fetcher state record skipped"),
        }
    }
    (records, next.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_s_sources_share_a_partition() {
        let a = SourceConfig::from_url("https://news.example/rss");
        let b = SourceConfig::from_url("https://news.example/sitemap.xml");
        assert_eq!(partition_of_source(&a, 6), partition_of_source(&b, 6));
        assert!((0..6).contains(&partition_of_source(&a, 6)));
    }

    #[test]
    fn tail_batches_decode_with_next_offsets() {
        let rec = SharedSeen {
            item_id: "i".into(),
            url: "https://e/1".into(),
            source_id: "s".into(),
            outcome: "sent".into(),
            seen_at: "2026-01-01T00:00:00Z".into(),
        };
        let value = Some(serde_json::to_vec(&rec).unwrap());
        let batch = vec![
            TailRecord { partition: 1, offset: 4, key: None, value: value.clone() },
            TailRecord { partition: 1, offset: 7, key: None, value: Some(b"junk".to_vec()) },
            TailRecord { partition: 0, offset: 0, key: None, value },
        ];
        let (records, mut next) = decode(&batch);
        next.sort();
        assert_eq!(records.len(), 2);
        assert_eq!(next, vec![(0, 1), (1, 8)]);
    }
}
