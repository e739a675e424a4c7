//! Fetcher coordination over Kafka: which fetcher instance polls which
//! sources, and the seen-record every instance shares.
//!
//! One compacted topic, `<prefix>fetch-state`, does both jobs:
//! - **Ownership.** Fetchers join one consumer group on it ([`join_group`]).
//!   A source belongs to partition [`partition_of`]`(its host)`; the
//!   instance the group assigns that partition to polls the source. The
//!   revoke callback blocks until the fetcher has stopped the partition's
//!   sources and their seen records are acknowledged, so (with the eager
//!   protocol) the next owner is assigned only after the last one let go.
//! - **Seen records.** Each fetched item is recorded under its item id
//!   (compaction keeps the last record per URL). Every instance reads every
//!   partition ([`tail`]) into its local seen-record, so whichever instance
//!   owns a source next knows what was already fetched.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::producer::{apply_user_settings, base_client_config};
use crate::runner::IdleWatch;
use crate::{KafkaConfig, KafkaError};

/// The state topic's suffix after `kafka.topic_prefix`.
pub const STATE_TOPIC_SUFFIX: &str = "fetch-state";

/// The longest a revoke waits for the fetcher to let go of its sources.
const RELEASE_LIMIT: Duration = Duration::from_secs(120);

/// The fetcher's state topic as found on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateTopic {
    pub name: String,
    pub partitions: i32,
}

/// Create the compacted state topic if missing; return its name and its
/// actual partition count (every instance maps hosts with the same count).
pub async fn ensure_state_topic(cfg: &KafkaConfig) -> Result<StateTopic, KafkaError> {
    crate::admin::wait_for_cluster(cfg).await?;
    let name = format!("{}{STATE_TOPIC_SUFFIX}", cfg.topic_prefix);
    let admin: AdminClient<DefaultClientContext> = base_client_config(cfg).create()?;
    let topic = NewTopic::new(&name, cfg.partitions, TopicReplication::Fixed(cfg.replication_factor))
        .set("cleanup.policy", "compact");
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for res in admin.create_topics([&topic], &opts).await? {
        match res {
            Ok(_) => info!(topic = %name, partitions = cfg.partitions, "state topic created"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => return Err(KafkaError::Topic { topic: t, detail: format!("cannot create: {code}") }),
        }
    }
    let (c, n) = (cfg.clone(), name.clone());
    let partitions = tokio::task::spawn_blocking(move || crate::admin::partition_count(&c, &n))
        .await
        .map_err(|e| KafkaError::Config(format!("metadata task failed: {e}")))??;
    Ok(StateTopic { name, partitions: partitions as i32 })
}

/// The partition owning `key` (a source's `host:port`): FNV-1a, stable
/// across instances, versions and platforms.
pub fn partition_of(key: &str, partitions: i32) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.as_bytes() {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h % partitions.max(1) as u32) as i32
}

/// What the group tells a fetcher.
#[derive(Debug)]
pub enum GroupEvent {
    /// These partitions are now this instance's (the whole assignment).
    Assigned(Vec<i32>),
    /// These partitions are taken away: stop their sources, then send on
    /// the channel. The rebalance waits for it (at most two minutes).
    Revoked(Vec<i32>, SyncSender<()>),
}

struct GroupCtx {
    events: mpsc::UnboundedSender<GroupEvent>,
}

impl ClientContext for GroupCtx {}

impl ConsumerContext for GroupCtx {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let parts: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
            info!(partitions = ?parts, "fetcher partitions revoked; releasing their sources");
            let (done, wait) = std::sync::mpsc::sync_channel(1);
            if self.events.send(GroupEvent::Revoked(parts, done)).is_ok() && wait.recv_timeout(RELEASE_LIMIT).is_err() {
                warn!("the fetcher did not release its sources in time");
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let parts: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
                info!(partitions = ?parts, "fetcher partitions assigned");
                // Membership only: the records are read by the tail.
                if let Err(e) = consumer.pause(tpl) {
                    warn!(error = %e, "cannot pause the assigned partitions");
                }
                let _ = self.events.send(GroupEvent::Assigned(parts));
            }
            Rebalance::Error(e) => warn!(error = %e, "fetcher group rebalance error"),
            Rebalance::Revoke(_) => {}
        }
    }
}

/// A thread that keeps this instance in the fetcher group.
pub struct Membership {
    pub events: mpsc::UnboundedReceiver<GroupEvent>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Membership {
    /// Leave the group and wait for the thread.
    pub async fn leave(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The revoke on leaving must not wait for a reply nobody sends.
        self.events.close();
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }
}

/// Join `group` on the state topic. `rejoin_when_idle`: rejoin after this
/// long without partitions (tansu 0.6 can leave a member unassigned).
pub fn join_group(
    cfg: &KafkaConfig,
    group: &str,
    topic: &str,
    rejoin_when_idle: Option<Duration>,
) -> Result<Membership, KafkaError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut cc = base_client_config(cfg);
    cc.set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("session.timeout.ms", cfg.session_timeout_ms.to_string())
        .set("topic.metadata.refresh.interval.ms", "5000");
    apply_user_settings(&mut cc, cfg);
    let consumer: BaseConsumer<GroupCtx> = cc.create_with_context(GroupCtx { events: tx })?;
    consumer.subscribe(&[topic])?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let topic = topic.to_owned();
    let thread = std::thread::Builder::new()
        .name("fetch-group".into())
        .spawn(move || {
            // The same tansu workaround as the stage runner's.
            let mut idle = IdleWatch::new(rejoin_when_idle);
            while !flag.load(Ordering::SeqCst) {
                // Callbacks run inside poll; messages (paused) are dropped.
                let _ = consumer.poll(Duration::from_millis(200));
                let assigned = consumer.assignment().map(|a| a.count()).unwrap_or(0);
                if idle.stuck(assigned) {
                    warn!("no fetcher partitions assigned for a while; rejoining the group");
                    consumer.unsubscribe();
                    if let Err(e) = consumer.subscribe(&[&topic]) {
                        warn!(error = %e, "rejoining the fetcher group failed");
                    }
                }
            }
            consumer.unsubscribe();
            drop(consumer);
        })
        .map_err(|e| KafkaError::Config(format!("cannot start the group thread: {e}")))?;
    Ok(Membership { events: rx, stop, thread: Some(thread) })
}

/// One record of the state topic.
#[derive(Debug, Clone)]
pub struct TailRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// A thread reading every partition of the state topic; dropped, it stops.
pub struct Tail {
    pub records: mpsc::Receiver<Vec<TailRecord>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Tail {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Read partitions `0..partitions` of `topic`, each from `start(p)` (the
/// next offset to read; `None`: the beginning), in batches.
pub fn tail(
    cfg: &KafkaConfig,
    topic: &str,
    partitions: i32,
    start: impl Fn(i32) -> Option<i64>,
) -> Result<Tail, KafkaError> {
    let mut cc = base_client_config(cfg);
    // Assigned by hand, never committed: the group id is only a label.
    cc.set("group.id", format!("{}fetch-state-tail", cfg.group_prefix))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false");
    apply_user_settings(&mut cc, cfg);
    let consumer: BaseConsumer = cc.create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        let offset = start(p).map_or(Offset::Beginning, Offset::Offset);
        tpl.add_partition_offset(topic, p, offset)?;
    }
    consumer.assign(&tpl)?;
    let (tx, rx) = mpsc::channel(16);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("fetch-state-tail".into())
        .spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let mut batch = Vec::new();
                let mut wait = Duration::from_millis(200);
                while batch.len() < 1000 {
                    match consumer.poll(wait) {
                        Some(Ok(m)) => batch.push(TailRecord {
                            partition: m.partition(),
                            offset: m.offset(),
                            key: m.key().map(<[u8]>::to_vec),
                            value: m.payload().map(<[u8]>::to_vec),
                        }),
                        Some(Err(e)) => {
                            warn!(error = %e, "reading the fetcher state topic failed");
                            break;
                        }
                        None => break,
                    }
                    wait = Duration::ZERO;
                }
                if !batch.is_empty() && tx.blocking_send(batch).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| KafkaError::Config(format!("cannot start the tail thread: {e}")))?;
    Ok(Tail { records: rx, stop })
}

/// The high watermark (next offset to be written) of each partition.
/// Blocking: call from a blocking task.
pub fn high_watermarks(cfg: &KafkaConfig, topic: &str, partitions: i32) -> Result<Vec<(i32, i64)>, KafkaError> {
    let consumer: BaseConsumer = base_client_config(cfg).create()?;
    (0..partitions).map(|p| Ok((p, consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?.1))).collect()
}

/// Per partition, the first offset whose record timestamp is at or after
/// `since_ms` (Unix milliseconds), or the high watermark when none is.
/// Blocking: call from a blocking task.
pub fn offsets_since(
    cfg: &KafkaConfig,
    topic: &str,
    partitions: i32,
    since_ms: i64,
) -> Result<Vec<(i32, i64)>, KafkaError> {
    let consumer: BaseConsumer = base_client_config(cfg).create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Offset(since_ms))?;
    }
    let found = consumer.offsets_for_times(tpl, Duration::from_secs(10))?;
    let marks = high_watermarks(cfg, topic, partitions)?;
    Ok(marks
        .into_iter()
        .map(|(p, high)| {
            let at = found.find_partition(topic, p).map(|e| e.offset());
            (p, if let Some(Offset::Offset(o)) = at { o.min(high) } else { high })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_spread_over_partitions_stably() {
        assert_eq!(partition_of("example.com:443", 6), partition_of("example.com:443", 6));
        let mut counts = [0; 6];
        for i in 0..600 {
            counts[partition_of(&format!("site{i}.example:443"), 6) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c > 60), "{counts:?}");
        assert_eq!(partition_of("x", 0), 0);
        // Pinned: changing the hash would move every host at an upgrade.
        assert_eq!(partition_of("example.com:443", 1_000_003), (0xb949_e49d_u32 % 1_000_003) as i32);
    }
}
