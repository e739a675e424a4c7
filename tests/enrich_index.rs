//! The enricher's dedup and story index is shared through the `enriched`
//! topic: a restarted `newsflow enrich` still knows what it decided before,
//! and two instances in one group see each other's decisions. Real tansu,
//! real `newsflow enrich` processes; the test produces articles straight
//! to chosen partitions and reads the `enriched` topic back.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use newsflow_wire::{ArticleMsg, EnrichedArticle, Enrichment, Envelope, TopicKind};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message};
use support::*;

const PARTITIONS: i32 = 4;

struct Rig {
    broker: Broker,
    prefix: String,
    producer: FutureProducer,
    /// Latest enrichment per item id, as read from `enriched`.
    seen: Arc<Mutex<HashMap<String, Enrichment>>>,
    dir: tempfile::TempDir,
    _reader: tokio::task::JoinHandle<()>,
}

impl Rig {
    async fn start(tag: &str) -> Rig {
        let broker = Broker::start(false).await;
        let prefix = format!("{}.", unique(tag));
        let kcfg = newsflow_kafka::KafkaConfig {
            brokers: broker.address(),
            topic_prefix: prefix.clone(),
            partitions: PARTITIONS,
            ..Default::default()
        };
        newsflow_kafka::admin::ensure_topics(&kcfg).await.unwrap();
        let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", broker.address()).create().unwrap();
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", broker.address())
            .set("group.id", unique("enriched-reader"))
            .set("auto.offset.reset", "earliest")
            .set("topic.metadata.refresh.interval.ms", "2000")
            .create()
            .unwrap();
        consumer.subscribe(&[&kcfg.topics().name(TopicKind::Enriched)]).unwrap();
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let into = seen.clone();
        let reader = tokio::spawn(async move {
            loop {
                let Ok(m) = consumer.recv().await else { continue };
                if let Ok(env) = Envelope::<EnrichedArticle>::decode(m.payload(), m.key()) {
                    into.lock().unwrap().insert(env.id, env.payload.enrichment);
                }
            }
        });
        Rig { broker, prefix, producer, seen, dir: tempfile::tempdir().unwrap(), _reader: reader }
    }

    fn enricher(&self, name: &str) -> Proc {
        let addr = self.broker.address();
        let args = [
            "enrich",
            "--brokers",
            &addr,
            "--data-dir",
            "data",
            "--topic-prefix",
            &self.prefix,
            "--metrics-listen",
            "",
        ];
        let env = [
            ("NEWSFLOW_KAFKA__GROUP_PREFIX", self.prefix.clone()),
            ("NEWSFLOW_KAFKA__REJOIN_WHEN_IDLE_SECS", "15".to_owned()),
        ];
        newsflow(name, self.dir.path(), &args, &env)
    }

    /// Produce an article to `partition`; returns its item id.
    async fn send(&self, partition: i32, url: &str, title: &str, text: &str) -> String {
        let article = ArticleMsg {
            source_id: "test".into(),
            url: url.into(),
            canonical_url: url.into(),
            fetched_at: Some(chrono::Utc::now()),
            title: Some(title.into()),
            text: text.into(),
            ..Default::default()
        };
        let env = Envelope::new(newsflow_wire::item_id(url), newsflow_wire::new_trace_id(), article);
        let topic = format!("{}{}", self.prefix, "articles");
        let value = env.encode();
        self.producer
            .send(FutureRecord::to(&topic).partition(partition).key(&env.id).payload(&value), Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        env.id
    }

    async fn enriched(&self, ids: &[String], procs: &[&Proc]) -> Vec<Enrichment> {
        let what = format!(
            "{} enriched articles\n{}",
            ids.len(),
            procs.iter().map(|p| p.tail()).collect::<Vec<_>>().join("\n----\n")
        );
        let seen = self.seen.clone();
        wait_for(Duration::from_secs(90), &what, move || {
            let seen = seen.lock().unwrap();
            ids.iter().map(|id| seen.get(id).cloned()).collect::<Option<Vec<_>>>()
        })
        .await
    }
}

/// A distinct article body: three paragraphs of words of its own.
fn body(i: usize) -> String {
    let words = |p: usize| -> String {
        (0..24).map(|w| format!("kalima{}x{}y{}", i, p, (w * 7 + p) % 24)).collect::<Vec<_>>().join(" ")
    };
    format!(
        "Report {i} opens here. {}\nSecond part of report {i}: {}\nLast part of report {i}: {}",
        words(0),
        words(1),
        words(2)
    )
}

fn title(i: usize) -> String {
    format!("Ministers meet over the crisis in region number {i} today")
}

/// The partitions a process decided articles of (it logs each catch-up).
fn partitions_handled(p: &Proc) -> HashSet<i32> {
    p.output()
        .lines()
        .filter(|l| l.contains("dedup index caught up"))
        .filter_map(|l| l.split("partition=").nth(1)?.split_whitespace().next()?.parse().ok())
        .collect()
}

fn wait_assigned(p: &Proc) -> impl FnMut() -> Option<()> + '_ {
    move || p.output().contains("partitions assigned").then_some(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_enricher_still_finds_duplicates_of_what_it_enriched_before() {
    let rig = Rig::start("enrich-restart").await;
    let mut first = rig.enricher("enrich-1");
    wait_for(Duration::from_secs(60), "the enricher joins its group", wait_assigned(&first)).await;
    let original = rig.send(0, "https://a.test/original", &title(1), &body(1)).await;
    let before = rig.enriched(std::slice::from_ref(&original), &[&first]).await;
    assert_eq!(before[0].duplicate_of, None);
    assert_eq!(before[0].story_id.as_deref(), Some(original.as_str()));
    first.kill9();

    // A fresh process: its index is rebuilt from the enriched topic.
    let second = rig.enricher("enrich-2");
    wait_for(Duration::from_secs(60), "the restarted enricher joins", wait_assigned(&second)).await;
    let copy = rig.send(1, "https://b.test/republished", &title(1), &body(1)).await;
    let same_story = rig.send(2, "https://c.test/other-words", &title(1), &body(2)).await;
    // The original redelivered (same id) gets its first decision back.
    let again = rig.send(0, "https://a.test/original", &title(1), &body(1)).await;
    let out = rig.enriched(&[copy, same_story], &[&second]).await;
    assert_eq!(out[0].duplicate_of.as_deref(), Some(original.as_str()), "{:?}\n{}", out[0], second.tail());
    assert_eq!(out[0].duplicate_kind.as_deref(), Some("text"));
    assert_eq!(out[0].story_id.as_deref(), Some(original.as_str()));
    assert_eq!(out[1].duplicate_of, None);
    assert_eq!(out[1].story_id.as_deref(), Some(original.as_str()), "equal long titles: one story");
    let redelivered = rig.enriched(&[again], &[&second]).await;
    assert_eq!(
        (redelivered[0].duplicate_of.as_deref(), redelivered[0].story_id.as_deref()),
        (None, Some(original.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_enrichers_mark_cross_partition_duplicates_and_share_stories() {
    let rig = Rig::start("enrich-pair").await;
    let a = rig.enricher("enrich-a");
    let b = rig.enricher("enrich-b");
    wait_for(Duration::from_secs(60), "both enrichers join", || {
        (wait_assigned(&a)().is_some() && wait_assigned(&b)().is_some()).then_some(())
    })
    .await;
    // Let the group settle on a split of the partitions.
    tokio::time::sleep(Duration::from_secs(8)).await;

    // Originals on every partition, then for each a copy and a same-title
    // report on the other partitions.
    let n = 8;
    let mut originals = Vec::new();
    for i in 0..n {
        originals.push(rig.send(i as i32 % PARTITIONS, &format!("https://orig.test/{i}"), &title(i), &body(i)).await);
    }
    let first = rig.enriched(&originals, &[&a, &b]).await;
    assert!(first.iter().all(|e| e.duplicate_of.is_none()), "{first:?}");
    // Decisions reach the other instance through the topic within its
    // follower's lag (about a poll interval): the documented limit.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut copies = Vec::new();
    let mut reports = Vec::new();
    for i in 0..n {
        let p = i as i32 % PARTITIONS;
        copies.push(rig.send((p + 1) % PARTITIONS, &format!("https://copy.test/{i}"), &title(i), &body(i)).await);
        reports
            .push(rig.send((p + 2) % PARTITIONS, &format!("https://report.test/{i}"), &title(i), &body(100 + i)).await);
    }
    let copied = rig.enriched(&copies, &[&a, &b]).await;
    let reported = rig.enriched(&reports, &[&a, &b]).await;
    for i in 0..n {
        assert_eq!(copied[i].duplicate_of.as_deref(), Some(originals[i].as_str()), "copy {i}: {:?}", copied[i]);
        assert_eq!(copied[i].story_id.as_deref(), Some(originals[i].as_str()));
        assert_eq!(reported[i].duplicate_of, None);
        assert_eq!(reported[i].story_id.as_deref(), Some(originals[i].as_str()), "report {i}: {:?}", reported[i]);
    }
    // Both instances decided articles, on different partitions: so some of
    // the pairs above crossed instances.
    let (pa, pb) = (partitions_handled(&a), partitions_handled(&b));
    assert!(!pa.is_empty() && !pb.is_empty(), "a handled {pa:?}, b handled {pb:?}\n{}\n----\n{}", a.tail(), b.tail());
    assert!(pa.union(&pb).count() == PARTITIONS as usize, "a {pa:?} b {pb:?}");
}
