//! The stage runner against a real Kafka-protocol broker (tansu, started
//! per test): Vector's Kafka source test list, ported.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use newsflow_kafka::embedded::{EmbeddedBroker, EmbeddedOptions};
use newsflow_kafka::{Incoming, KafkaConfig, Outgoing, Producer, RunnerOptions, Stage, StageError, run_stage};
use newsflow_wire::{DeadLetter, Envelope, TopicKind};
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

/// Echoes `articles` to `enriched`. Keys starting with "poison" fail
/// permanently, "flaky" fail transiently twice, "slow" take a second.
#[derive(Default)]
struct Echo {
    calls: Mutex<BTreeMap<String, usize>>,
    processed: AtomicUsize,
}

#[async_trait]
impl Stage for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }
    fn input(&self) -> TopicKind {
        TopicKind::Articles
    }
    async fn process(&self, msg: &Incoming) -> Result<Vec<Outgoing>, StageError> {
        let key = String::from_utf8_lossy(msg.key.as_deref().unwrap_or_default()).into_owned();
        let n = {
            let mut calls = self.calls.lock().unwrap();
            let n = calls.entry(key.clone()).or_default();
            *n += 1;
            *n
        };
        if key.starts_with("poison") {
            return Err(StageError::Permanent(format!("{key} is poison")));
        }
        if key.starts_with("flaky") && n <= 2 {
            return Err(StageError::Transient(format!("{key} not yet (attempt {n})")));
        }
        if key.starts_with("slow") {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        self.processed.fetch_add(1, Ordering::SeqCst);
        Ok(vec![Outgoing { topic: TopicKind::Enriched, key, value: msg.value.clone().unwrap_or_default() }])
    }
}

struct Env {
    _broker: EmbeddedBroker,
    _dir: tempfile::TempDir,
    cfg: KafkaConfig,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let opts = EmbeddedOptions { dir: dir.path().into(), port: 0, in_memory: true, install: true };
    let broker = EmbeddedBroker::start(&opts).await.expect("tansu");
    let tag: u32 = rand::random();
    let cfg = KafkaConfig {
        brokers: broker.address().to_owned(),
        topic_prefix: format!("r{tag:08x}."),
        group_prefix: format!("g{tag:08x}-"),
        partitions: 3,
        session_timeout_ms: 6_000,
        drain_deadline_ms: 5_000,
        rejoin_when_idle_secs: 10,
        ..Default::default()
    };
    newsflow_kafka::admin::ensure_topics(&cfg).await.unwrap();
    Env { _broker: broker, _dir: dir, cfg }
}

async fn produce(cfg: &KafkaConfig, keys: &[String]) {
    let p: FutureProducer = ClientConfig::new().set("bootstrap.servers", &cfg.brokers).create().unwrap();
    let topic = cfg.topics().name(TopicKind::Articles);
    for k in keys {
        p.send(FutureRecord::to(&topic).key(k).payload(k.as_bytes()), Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)
            .unwrap();
    }
}

/// Keys found on `kind` within `limit`, stopping early at `want`.
async fn read(cfg: &KafkaConfig, kind: TopicKind, want: usize, limit: Duration) -> Vec<String> {
    let c: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &cfg.brokers)
        .set("group.id", format!("reader-{}", rand::random::<u32>()))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[&cfg.topics().name(kind)]).unwrap();
    let mut keys = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    while keys.len() < want {
        match tokio::time::timeout_at(deadline, c.recv()).await {
            Ok(Ok(m)) => keys.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned()),
            Ok(Err(e)) => panic!("read failed: {e}"),
            Err(_) => break,
        }
    }
    keys
}

/// Sum of the committed offsets of the input topic for the stage's group.
fn committed(cfg: &KafkaConfig) -> i64 {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &cfg.brokers)
        .set("group.id", cfg.group_id("echo"))
        .create()
        .unwrap();
    let topic = cfg.topics().name(TopicKind::Articles);
    let mut tpl = TopicPartitionList::new();
    for p in 0..cfg.partitions {
        tpl.add_partition(&topic, p);
    }
    let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    got.elements().iter().map(|e| if let Offset::Offset(o) = e.offset() { o } else { 0 }).sum()
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:03}")).collect()
}

fn spawn(cfg: &KafkaConfig, stage: Arc<Echo>) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let cancel = CancellationToken::new();
    let (c, k) = (cfg.clone(), cancel.clone());
    let handle = tokio::spawn(async move {
        let producer = Producer::new(&c).unwrap();
        run_stage(&c, RunnerOptions::from_config(&c, "echo"), stage, producer, k).await.unwrap();
    });
    (cancel, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumes_with_acknowledgements_and_commits_at_shutdown() {
    let env = env().await;
    let input = keys("item", 60);
    produce(&env.cfg, &input).await;
    let stage = Arc::new(Echo::default());
    let (cancel, handle) = spawn(&env.cfg, stage.clone());
    let out = read(&env.cfg, TopicKind::Enriched, 60, Duration::from_secs(60)).await;
    assert_eq!(out.iter().collect::<BTreeSet<_>>(), input.iter().collect::<BTreeSet<_>>());
    cancel.cancel();
    handle.await.unwrap();
    assert_eq!(committed(&env.cfg), 60, "every offset committed");

    // A restart reprocesses nothing.
    let again = Arc::new(Echo::default());
    let (cancel, handle) = spawn(&env.cfg, again.clone());
    tokio::time::sleep(Duration::from_secs(8)).await;
    cancel.cancel();
    handle.await.unwrap();
    assert_eq!(again.processed.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_item_is_retried_until_it_succeeds() {
    let env = env().await;
    produce(&env.cfg, &["flaky-1".to_owned(), "after".to_owned()]).await;
    let stage = Arc::new(Echo::default());
    let (cancel, handle) = spawn(&env.cfg, stage.clone());
    let out = read(&env.cfg, TopicKind::Enriched, 2, Duration::from_secs(60)).await;
    assert!(out.contains(&"flaky-1".to_owned()) && out.contains(&"after".to_owned()), "{out:?}");
    assert_eq!(stage.calls.lock().unwrap()["flaky-1"], 3, "two transient failures, then success");
    cancel.cancel();
    handle.await.unwrap();
    assert!(read(&env.cfg, TopicKind::DeadLetters, 1, Duration::from_secs(3)).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advances_offset_past_poison_messages() {
    let env = env().await;
    let mut input = keys("ok", 10);
    input.insert(5, "poison-1".into());
    produce(&env.cfg, &input).await;
    let stage = Arc::new(Echo::default());
    let (cancel, handle) = spawn(&env.cfg, stage.clone());
    let out = read(&env.cfg, TopicKind::Enriched, 10, Duration::from_secs(60)).await;
    assert_eq!(out.len(), 10);
    let c: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &env.cfg.brokers)
        .set("group.id", "dlq-check")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[&env.cfg.topics().name(TopicKind::DeadLetters)]).unwrap();
    let m = tokio::time::timeout(Duration::from_secs(30), c.recv()).await.expect("a dead letter").unwrap();
    let letter: Envelope<DeadLetter> = Envelope::decode(m.payload(), None).unwrap();
    assert_eq!((letter.payload.stage.as_str(), letter.payload.key.as_deref()), ("echo", Some("poison-1")));
    assert!(letter.payload.reason.contains("poison-1 is poison"), "{}", letter.payload.reason);
    assert_eq!(letter.payload.value.as_deref(), Some("poison-1"));
    cancel.cancel();
    handle.await.unwrap();
    assert_eq!(committed(&env.cfg), 11, "offsets advanced past the poison message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drains_acknowledgements_at_shutdown() {
    let env = env().await;
    let input = keys("slow", 6);
    produce(&env.cfg, &input).await;
    let stage = Arc::new(Echo::default());
    let (cancel, handle) = spawn(&env.cfg, stage.clone());
    // Wait until the slow messages are in flight, then ask to stop.
    while stage.calls.lock().unwrap().len() < 6 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = std::time::Instant::now();
    cancel.cancel();
    handle.await.unwrap();
    assert!(asked.elapsed() < Duration::from_millis(env.cfg.drain_deadline_ms + 2_000), "drain bounded");
    assert_eq!(stage.processed.load(Ordering::SeqCst), 6, "in-flight messages finished");
    assert_eq!(read(&env.cfg, TopicKind::Enriched, 6, Duration::from_secs(30)).await.len(), 6);
    assert_eq!(committed(&env.cfg), 6, "their offsets committed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_a_rebalance() {
    let env = env().await;
    let input = keys("item", 120);
    let a = Arc::new(Echo::default());
    let b = Arc::new(Echo::default());
    let (cancel_a, handle_a) = spawn(&env.cfg, a.clone());
    let (cancel_b, handle_b) = spawn(&env.cfg, b.clone());
    tokio::time::sleep(Duration::from_secs(3)).await;
    produce(&env.cfg, &input[..60]).await;
    // One instance leaves mid-stream; the other takes its partitions.
    tokio::time::sleep(Duration::from_secs(2)).await;
    cancel_a.cancel();
    handle_a.await.unwrap();
    produce(&env.cfg, &input[60..]).await;
    let out: BTreeSet<String> =
        read(&env.cfg, TopicKind::Enriched, 200, Duration::from_secs(60)).await.into_iter().collect();
    assert_eq!(out, input.iter().cloned().collect(), "every item processed by one instance or the other");
    assert!(b.processed.load(Ordering::SeqCst) > 0);
    cancel_b.cancel();
    handle_b.await.unwrap();
    assert_eq!(committed(&env.cfg), 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_are_created_from_config_and_drift_is_reported() {
    use newsflow_kafka::TopicOverride;
    use newsflow_kafka::admin::{TopicState, ensure_topics, partition_count};
    let env = env().await;
    let mut cfg = env.cfg.clone();
    cfg.topic_prefix = format!("o{:08x}.", rand::random::<u32>());
    cfg.topics.insert(
        "raw-pages".into(),
        TopicOverride { partitions: Some(5), retention_hours: Some(2), cleanup_policy: Some("compact".into()) },
    );
    let first = ensure_topics(&cfg).await.unwrap();
    assert!(first.iter().all(|(_, s)| *s == TopicState::Created), "{first:?}");
    let raw = cfg.topics().name(TopicKind::RawPages);
    assert_eq!(partition_count(&cfg, &raw).unwrap(), 5);
    assert_eq!(partition_count(&cfg, &cfg.topics().name(TopicKind::Articles)).unwrap(), 3);

    // Idempotent: a second run creates nothing and finds nothing amiss.
    let again = ensure_topics(&cfg).await.unwrap();
    assert!(again.iter().all(|(_, s)| matches!(s, TopicState::Existed { drift, .. } if drift.is_empty())), "{again:?}");

    // A config that no longer matches the cluster is reported, not applied.
    cfg.topics.get_mut("raw-pages").unwrap().retention_hours = Some(3);
    let drifted = ensure_topics(&cfg).await.unwrap();
    let (_, state) = drifted.iter().find(|(n, _)| *n == raw).unwrap();
    assert!(
        matches!(state, TopicState::Existed { drift, .. } if drift.iter().any(|d| d.contains("retention.ms is 7200000"))),
        "{state:?}"
    );
}
