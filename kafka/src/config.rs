//! Kafka client and topic configuration.

use std::collections::BTreeMap;
use std::time::Duration;

use newsflow_wire::{TopicKind, Topics};
use serde::{Deserialize, Serialize};

use crate::KafkaError;

/// `[kafka]` in the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port,host:port`. Empty (the default) means
    /// "start the embedded broker", the zero-setup laptop mode.
    pub brokers: String,
    /// Prefix of every topic name (default `newsflow.`), so several pipelines
    /// can share a cluster.
    pub topic_prefix: String,
    /// Prefix of consumer group ids; a stage's group is this plus its name
    /// (default `newsflow-`: `newsflow-scrape`, ...).
    pub group_prefix: String,
    /// Partitions of new topics. Default 6: each stage can scale out to six
    /// consumers of one group; more partitions cost little.
    pub partitions: i32,
    /// Replication factor of new topics. Default 1 (one embedded broker);
    /// use 3 on a production cluster.
    pub replication_factor: i32,
    /// Retention of `raw-pages`, in hours. Default 168 (a week): long enough
    /// to re-extract recent pages with `newsflow replay`.
    pub raw_pages_retention_hours: u64,
    /// Retention of `articles`, `enriched` and `alerts`, in hours. Default 168.
    pub retention_hours: u64,
    /// Retention of `dead-letters`, in hours. Default 720 (30 days): time to
    /// look at what failed.
    pub dead_letters_retention_hours: u64,
    /// Producer compression: none, gzip, snappy, lz4 or zstd. Default lz4:
    /// cheap on CPU and halves HTML.
    pub compression: String,
    /// Consumer session timeout in ms: how soon the group notices a killed
    /// consumer and hands its partitions to the others. Default 10000.
    pub session_timeout_ms: u64,
    /// Longest a consumer's fetch waits at the broker for new messages, in
    /// ms (librdkafka's `fetch.wait.max.ms`, default 500 there). Each of
    /// the three hops from raw page to stored row can wait this long when
    /// the stream is slow, so it bounds the pipeline's added latency; lower
    /// means more idle fetch requests. Default 100.
    pub fetch_wait_max_ms: u64,
    /// On shutdown, how long to wait for in-flight messages before
    /// committing, in ms. Must be shorter than the session timeout so the
    /// group does not rebalance mid-drain. Default 5000.
    pub drain_deadline_ms: u64,
    /// Messages a stage processes concurrently (bounded: backpressure).
    /// Default 64.
    pub max_in_flight: usize,
    /// The same for the sink stage, which writes whatever is waiting in one
    /// transaction (group commit): more in flight makes larger batches, and
    /// lets SQLite's main writer and its search indexer work on two batches
    /// at once. Each holds one decoded article (a few KB). Default 1024.
    pub sink_max_in_flight: usize,
    /// A consumer left with no partitions for this many seconds rejoins its
    /// group. Works around brokers (tansu 0.6) that can leave a member with
    /// an empty assignment after a broker restart. With more consumers than
    /// partitions the spare ones rejoin this often: raise it, or 0 disables.
    /// Default 60.
    pub rejoin_when_idle_secs: u64,
    /// How long to keep retrying an unreachable cluster at start before
    /// giving up, in seconds. Default 120.
    pub connect_timeout_secs: u64,
    /// Extra librdkafka properties (`security.protocol`, `sasl.mechanisms`,
    /// ...). The SASL password comes from the environment only:
    /// `NEWSFLOW_KAFKA_SASL_PASSWORD`.
    pub librdkafka: BTreeMap<String, String>,
    /// Per-topic overrides keyed by topic suffix (`raw-pages`, `articles`,
    /// `enriched`, `alerts`, `dead-letters`):
    /// `[kafka.topics.raw-pages] partitions = 12, retention_hours = 72,
    /// cleanup_policy = "delete"`.
    pub topics: BTreeMap<String, TopicOverride>,
}

/// Settings of one topic that differ from the `[kafka]` defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicOverride {
    pub partitions: Option<i32>,
    pub retention_hours: Option<u64>,
    /// `delete`, `compact` or `compact,delete`.
    pub cleanup_policy: Option<String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: String::new(),
            topic_prefix: "newsflow.".into(),
            group_prefix: "newsflow-".into(),
            partitions: 6,
            replication_factor: 1,
            raw_pages_retention_hours: 168,
            retention_hours: 168,
            dead_letters_retention_hours: 720,
            compression: "lz4".into(),
            session_timeout_ms: 10_000,
            fetch_wait_max_ms: 100,
            drain_deadline_ms: 5_000,
            rejoin_when_idle_secs: 60,
            max_in_flight: 64,
            sink_max_in_flight: 1024,
            connect_timeout_secs: 120,
            librdkafka: BTreeMap::new(),
            topics: BTreeMap::new(),
        }
    }
}

/// How one topic is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSettings {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i32,
    pub retention_ms: u64,
    /// `delete`, `compact` or `compact,delete`.
    pub cleanup_policy: String,
}

impl KafkaConfig {
    /// Check cross-field rules early, naming the offending field.
    pub fn validate(&self) -> Result<(), KafkaError> {
        let bad = |field: &str, why: String| Err(KafkaError::Config(format!("kafka.{field}: {why}")));
        if !(1..=300_000).contains(&self.fetch_wait_max_ms) {
            return bad("fetch_wait_max_ms", format!("must be 1 to 300000, got {}", self.fetch_wait_max_ms));
        }
        if self.partitions < 1 {
            return bad("partitions", format!("must be at least 1, got {}", self.partitions));
        }
        if self.replication_factor < 1 {
            return bad("replication_factor", format!("must be at least 1, got {}", self.replication_factor));
        }
        if !matches!(self.compression.as_str(), "none" | "gzip" | "snappy" | "lz4" | "zstd") {
            return bad("compression", format!("must be none, gzip, snappy, lz4 or zstd, got {:?}", self.compression));
        }
        if self.drain_deadline_ms >= self.session_timeout_ms {
            return bad(
                "drain_deadline_ms",
                format!(
                    "({}) must be shorter than kafka.session_timeout_ms ({}) or the group rebalances mid-drain",
                    self.drain_deadline_ms, self.session_timeout_ms
                ),
            );
        }
        if self.max_in_flight == 0 {
            return bad("max_in_flight", "must be at least 1".into());
        }
        if self.sink_max_in_flight == 0 {
            return bad("sink_max_in_flight", "must be at least 1".into());
        }
        for b in self.brokers.split(',').map(str::trim).filter(|b| !b.is_empty()) {
            let ok = b.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                return bad("brokers", format!("{b:?} is not host:port"));
            }
        }
        for (suffix, o) in &self.topics {
            if !TopicKind::ALL.iter().any(|k| k.suffix() == suffix) {
                return bad(
                    "topics",
                    format!("{suffix:?} is not a topic (raw-pages, articles, enriched, alerts, dead-letters)"),
                );
            }
            if o.partitions.is_some_and(|p| p < 1) {
                return bad(&format!("topics.{suffix}.partitions"), "must be at least 1".into());
            }
            if let Some(policy) = &o.cleanup_policy
                && !matches!(policy.as_str(), "delete" | "compact" | "compact,delete" | "delete,compact")
            {
                return bad(
                    &format!("topics.{suffix}.cleanup_policy"),
                    format!("must be delete, compact or compact,delete, got {policy:?}"),
                );
            }
        }
        if self.topic_prefix.chars().any(|c| !(c.is_ascii_alphanumeric() || "._-".contains(c))) {
            return bad(
                "topic_prefix",
                format!("{:?} may only hold ASCII letters, digits, '.', '_' and '-'", self.topic_prefix),
            );
        }
        Ok(())
    }

    pub fn topics(&self) -> Topics {
        Topics::new(self.topic_prefix.clone())
    }

    /// The consumer group of a stage.
    pub fn group_id(&self, stage: &str) -> String {
        format!("{}{stage}", self.group_prefix)
    }

    pub fn drain_deadline(&self) -> Duration {
        Duration::from_millis(self.drain_deadline_ms)
    }

    /// How every pipeline topic is created.
    pub fn topic_settings(&self) -> Vec<TopicSettings> {
        let topics = self.topics();
        TopicKind::ALL
            .iter()
            .map(|&kind| {
                let hours = match kind {
                    TopicKind::RawPages => self.raw_pages_retention_hours,
                    TopicKind::DeadLetters => self.dead_letters_retention_hours,
                    _ => self.retention_hours,
                };
                let o = self.topics.get(kind.suffix()).cloned().unwrap_or_default();
                TopicSettings {
                    name: topics.name(kind),
                    partitions: o.partitions.unwrap_or(self.partitions),
                    replication_factor: self.replication_factor,
                    retention_ms: o.retention_hours.unwrap_or(hours) * 3_600_000,
                    cleanup_policy: o.cleanup_policy.unwrap_or_else(|| "delete".into()),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        KafkaConfig::default().validate().unwrap();
    }

    #[test]
    fn drain_deadline_must_be_shorter_than_session_timeout() {
        let cfg = KafkaConfig { drain_deadline_ms: 60_000, ..Default::default() };
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("kafka.drain_deadline_ms"), "{err}");
    }

    #[test]
    fn topic_overrides_apply_and_are_validated() {
        let mut cfg = KafkaConfig::default();
        cfg.topics.insert(
            "raw-pages".into(),
            TopicOverride { partitions: Some(12), retention_hours: Some(2), cleanup_policy: Some("compact".into()) },
        );
        cfg.validate().unwrap();
        let raw = &cfg.topic_settings()[0];
        assert_eq!((raw.partitions, raw.retention_ms, raw.cleanup_policy.as_str()), (12, 7_200_000, "compact"));
        assert_eq!(cfg.topic_settings()[1].partitions, 6);
        cfg.topics.insert("nope".into(), TopicOverride::default());
        assert!(cfg.validate().unwrap_err().to_string().contains("kafka.topics"));
    }

    #[test]
    fn broker_list_must_be_host_port() {
        let cfg = KafkaConfig { brokers: "localhost:9092,broken".into(), ..Default::default() };
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("kafka.brokers") && err.contains("broken"), "{err}");
    }
}
