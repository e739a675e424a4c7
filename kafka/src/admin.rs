//! Create or verify the pipeline's topics, idempotently.

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use tracing::{info, warn};

use crate::producer::base_client_config;
use crate::{KafkaConfig, KafkaError, TopicSettings};

/// What `ensure_topics` found for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicState {
    Created,
    /// The topic was there; `drift` lists settings that differ from the
    /// config (reported, never changed behind the operator's back).
    Existed {
        partitions: usize,
        drift: Vec<String>,
    },
}

/// Wait until the cluster answers a metadata request, retrying with a clear
/// warning each time, for at most `kafka.connect_timeout_secs`.
pub async fn wait_for_cluster(cfg: &KafkaConfig) -> Result<(), KafkaError> {
    let started = Instant::now();
    let limit = Duration::from_secs(cfg.connect_timeout_secs);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let cc = base_client_config(cfg);
        let res = tokio::task::spawn_blocking(move || {
            let consumer: BaseConsumer = cc.create()?;
            consumer.fetch_metadata(None, Duration::from_secs(3)).map(|_| ())
        })
        .await
        .map_err(|e| KafkaError::Config(format!("metadata task failed: {e}")))?;
        match res {
            Ok(_) => return Ok(()),
            Err(e) if started.elapsed() >= limit => {
                return Err(KafkaError::Unreachable {
                    brokers: cfg.brokers.clone(),
                    waited_secs: started.elapsed().as_secs(),
                    detail: e.to_string(),
                });
            }
            Err(e) => {
                warn!(brokers = %cfg.brokers, attempt, error = %e, "kafka brokers unreachable, retrying");
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt.min(10)))).await;
            }
        }
    }
}

/// Create every pipeline topic that is missing; verify the partition count
/// of those that exist (more partitions than configured is fine; fewer is
/// reported, since it caps how far a stage scales out).
pub async fn ensure_topics(cfg: &KafkaConfig) -> Result<Vec<(String, TopicState)>, KafkaError> {
    wait_for_cluster(cfg).await?;
    let admin: AdminClient<DefaultClientContext> = base_client_config(cfg).create()?;
    let settings = cfg.topic_settings();
    let retention: Vec<String> = settings.iter().map(|s| s.retention_ms.to_string()).collect();
    let new_topics: Vec<NewTopic<'_>> = settings
        .iter()
        .zip(&retention)
        .map(|(s, ms)| {
            NewTopic::new(&s.name, s.partitions, TopicReplication::Fixed(s.replication_factor))
                .set("retention.ms", ms)
                .set("cleanup.policy", &s.cleanup_policy)
        })
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin.create_topics(&new_topics, &opts).await?;
    let mut out = Vec::new();
    for (res, s) in results.into_iter().zip(&settings) {
        match res {
            Ok(name) => {
                info!(topic = %name, partitions = s.partitions, "topic created");
                out.push((name, TopicState::Created));
            }
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                let (c, n) = (cfg.clone(), name.clone());
                let partitions = tokio::task::spawn_blocking(move || partition_count(&c, &n))
                    .await
                    .map_err(|e| KafkaError::Config(format!("metadata task failed: {e}")))??;
                let mut drift = Vec::new();
                if partitions < s.partitions as usize {
                    drift.push(format!("partitions {partitions} < configured {}", s.partitions));
                }
                drift.extend(config_drift(&admin, s).await);
                for d in &drift {
                    warn!(topic = %name, drift = %d, "topic differs from the config");
                }
                out.push((name, TopicState::Existed { partitions, drift }));
            }
            Err((name, code)) => {
                return Err(KafkaError::Topic { topic: name, detail: format!("cannot create: {code}") });
            }
        }
    }
    Ok(out)
}

/// Retention and cleanup policy that differ from `s` (empty when the broker
/// cannot describe configs).
async fn config_drift(admin: &AdminClient<DefaultClientContext>, s: &TopicSettings) -> Vec<String> {
    let opts = AdminOptions::new().request_timeout(Some(Duration::from_secs(10)));
    let Ok(results) = admin.describe_configs(&[ResourceSpecifier::Topic(&s.name)], &opts).await else {
        return Vec::new();
    };
    let mut drift = Vec::new();
    for resource in results.into_iter().flatten() {
        let want = [("retention.ms", s.retention_ms.to_string()), ("cleanup.policy", s.cleanup_policy.clone())];
        for (key, value) in want {
            if let Some(actual) = resource.get(key).and_then(|e| e.value.clone())
                && actual != value
            {
                drift.push(format!("{key} is {actual}, config says {value}"));
            }
        }
    }
    drift
}

/// Number of partitions of `topic`.
pub fn partition_count(cfg: &KafkaConfig, topic: &str) -> Result<usize, KafkaError> {
    let consumer: BaseConsumer = base_client_config(cfg).create()?;
    let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    md.topics()
        .iter()
        .find(|t| t.name() == topic)
        .map(|t| t.partitions().len())
        .ok_or_else(|| KafkaError::Topic { topic: topic.into(), detail: "not in metadata".into() })
}

/// The settings `ensure_topics` applies, for display.
pub fn describe(cfg: &KafkaConfig) -> Vec<TopicSettings> {
    cfg.topic_settings()
}

/// How far a consumer group is through a topic: the sum over partitions of
/// its committed offsets and of the high watermarks (both 0 for partitions
/// it has not committed on). Blocking: call from a blocking task.
pub fn group_progress(cfg: &KafkaConfig, group: &str, topic: &str) -> Result<(i64, i64), KafkaError> {
    use rdkafka::{Offset, TopicPartitionList};
    let mut cc = base_client_config(cfg);
    cc.set("group.id", group);
    let consumer: BaseConsumer = cc.create()?;
    let partitions = partition_count(cfg, topic)?;
    let mut tpl = TopicPartitionList::new();
    let mut high_total = 0;
    for p in 0..partitions as i32 {
        tpl.add_partition(topic, p);
        let (low, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?;
        high_total += high - low.min(high);
    }
    let committed = consumer.committed_offsets(tpl, Duration::from_secs(10))?;
    let mut done = 0;
    for e in committed.elements() {
        if let Offset::Offset(o) = e.offset() {
            let (low, _) = consumer.fetch_watermarks(topic, e.partition(), Duration::from_secs(10))?;
            done += o - low.min(o);
        }
    }
    Ok((done, high_total))
}
