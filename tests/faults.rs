//! Killing services with SIGKILL mid-stream loses nothing and duplicates
//! nothing in storage; poison messages go to the dead-letter topic.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use newsflow_wire::{DeadLetter, Envelope, TopicKind};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message};
use support::*;

const EXTRA: usize = 120;

fn expected_urls(site: &Site) -> BTreeSet<String> {
    site.newsroom.articles().iter().map(|a| canonical(site, a)).collect()
}

/// Exactly one row per published article, none missing.
fn assert_exactly_once(db: &Path, site: &Site) {
    let rows = sqlite_rows(db);
    let urls: BTreeSet<String> = rows.iter().map(|r| r.canonical_url.clone()).collect();
    assert_eq!(urls.len(), rows.len(), "an article was stored twice");
    assert_eq!(urls, expected_urls(site), "stored set differs from published set");
}

async fn wait_all(db: &Path, site: &Site, procs: &[&Proc]) {
    let want = site.newsroom.articles().len();
    let limit = Duration::from_secs(180);
    let deadline = std::time::Instant::now() + limit;
    while sqlite_rows(db).len() < want {
        if std::time::Instant::now() > deadline {
            let logs: Vec<String> = procs.iter().map(|p| format!("--- {}\n{}", p.name, p.tail())).collect();
            panic!("only {} of {want} stored after {limit:?}\n{}", sqlite_rows(db).len(), logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_rows(db: &Path, at_least: usize) {
    wait_for(Duration::from_secs(120), &format!("{at_least} stored rows"), || {
        (sqlite_rows(db).len() >= at_least).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_all_in_one_pipeline_with_its_embedded_broker_loses_nothing() {
    let site = Site::start().await;
    site.publish_many(EXTRA);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let feed = site.feed();
    // No --brokers: the zero-setup path, embedded tansu on SQLite storage.
    let args = ["run", "--data-dir", "data", "--feed", &feed, "--poll-interval", "2", "--metrics-listen", ""];
    let env =
        [("NEWSFLOW_FETCHER__PER_HOST_RPS", "200".to_owned()), ("NEWSFLOW_KAFKA__REJOIN_WHEN_IDLE_SECS", "15".into())];
    let mut kills = 0;
    for round in 0..3 {
        let mut run = newsflow(&format!("run-{round}"), dir.path(), &args, &env);
        wait_rows(&db, 1 + round * 20).await;
        let stored = sqlite_rows(&db).len();
        if stored < site.newsroom.articles().len() {
            run.kill9();
            kills += 1;
        } else {
            run.terminate();
        }
    }
    assert!(kills >= 1, "the pipeline finished before any kill: make the stream longer");
    let run = newsflow("run-final", dir.path(), &args, &env);
    wait_all(&db, &site, &[&run]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_exactly_once(&db, &site);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_each_service_loses_nothing() {
    let broker = Broker::start(true).await;
    let site = Site::start().await;
    site.publish_many(EXTRA);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let svc = services(dir.path(), &broker, &site, "svc");
    let mut procs: Vec<Proc> = ["fetch", "scrape", "enrich", "sink"].iter().map(|n| svc.spawn(n)).collect();

    // Kill each service in turn mid-stream, then restart it.
    for (i, service) in procs.iter_mut().enumerate() {
        wait_rows(&db, 5 + i * 15).await;
        let name = service.name.clone();
        service.kill9();
        tokio::time::sleep(Duration::from_millis(500)).await;
        *service = svc.spawn(&name);
    }
    wait_all(&db, &site, &procs.iter().collect::<Vec<_>>()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_exactly_once(&db, &site);
    for mut p in procs {
        assert!(p.terminate().success(), "{} exits cleanly\n{}", p.name, p.tail());
    }
}

/// Restarting the broker (durable SQLite storage) mid-stream loses nothing.
///
/// Ignored by default: with tansu 0.6 the consumer groups sometimes never
/// get partitions back after a broker restart (members are handed empty
/// assignments again on every rejoin), so this fails intermittently. Run it
/// with `cargo test --test faults -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "tansu 0.6 intermittently leaves consumer groups without partitions after a broker restart"]
async fn a_broker_restart_loses_nothing() {
    let mut broker = Broker::start(true).await;
    let site = Site::start().await;
    site.publish_many(EXTRA);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let svc = services(dir.path(), &broker, &site, "brk");
    let procs: Vec<Proc> = ["fetch", "scrape", "enrich", "sink"].iter().map(|n| svc.spawn(n)).collect();
    wait_rows(&db, 20).await;
    broker.restart().await;
    wait_all(&db, &site, &procs.iter().collect::<Vec<_>>()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_exactly_once(&db, &site);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_are_dead_lettered_and_processing_continues() {
    let broker = Broker::start(false).await;
    let site = Site::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let prefix = format!("{}.", unique("poison"));
    let kcfg = newsflow_kafka::KafkaConfig {
        brokers: broker.address(),
        topic_prefix: prefix.clone(),
        partitions: 2,
        ..Default::default()
    };
    newsflow_kafka::admin::ensure_topics(&kcfg).await.unwrap();
    let topics = kcfg.topics();
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", broker.address()).create().unwrap();
    let send = |topic: String, key: &str, value: Vec<u8>| {
        let producer = producer.clone();
        let key = key.to_owned();
        async move {
            producer
                .send(FutureRecord::to(&topic).key(&key).payload(&value), Duration::from_secs(10))
                .await
                .map_err(|(e, _)| e)
                .unwrap();
        }
    };
    send(topics.name(TopicKind::RawPages), "k1", b"\x00\xffnot json".to_vec()).await;
    send(topics.name(TopicKind::Articles), "k2", br#"{"schema_version":1,"id":"k2"}"#.to_vec()).await;
    let future = r#"{"schema_version":99,"id":"k3","trace_id":"t","produced_at":"2030-01-01T00:00:00Z","payload":{}}"#;
    send(topics.name(TopicKind::Enriched), "k3", future.as_bytes().to_vec()).await;

    let addr = broker.address();
    let env = [("NEWSFLOW_KAFKA__GROUP_PREFIX", prefix.clone())];
    let args = ["run", "--brokers", &addr, "--data-dir", "data", "--topic-prefix", &prefix, "--metrics-listen", ""];
    let run = newsflow("run", dir.path(), &args, &env);

    // A good page after the poison still flows through to storage.
    let page = site.newsroom.articles()[4].clone();
    let url = canonical(&site, &page);
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let env = raw_page("test", &url, body);
    send(topics.name(TopicKind::RawPages), &env.id, env.encode()).await;
    wait_for(Duration::from_secs(60), "the good article", || (sqlite_rows(&db).len() == 1).then_some(())).await;

    // Four dead letters, one per consuming stage of the poisoned topics
    // (`enriched` feeds both the sink and the alert stage), each with its
    // stage and reason.
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.address())
        .set("group.id", unique("dlq-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&topics.name(TopicKind::DeadLetters)]).unwrap();
    let mut letters = Vec::new();
    while letters.len() < 4 {
        let msg = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} dead letters\n{}", letters.len(), run.tail()))
            .unwrap();
        let env: Envelope<DeadLetter> = Envelope::decode(msg.payload(), None).unwrap();
        letters.push(env.payload);
    }
    letters.sort_by(|a, b| a.stage.cmp(&b.stage));
    let stages: Vec<&str> = letters.iter().map(|l| l.stage.as_str()).collect();
    assert_eq!(stages, ["alerts", "enrich", "scrape", "sink"]);
    assert!(letters.iter().all(|l| l.reason.contains("undecodable message")), "{letters:#?}");
    assert!(letters[0].reason.contains("schema_version 99"), "{}", letters[0].reason);
    assert!(letters[3].reason.contains("schema_version 99"), "{}", letters[3].reason);
    let scrape = &letters[2];
    assert_eq!(scrape.topic, topics.name(TopicKind::RawPages));
    assert!(scrape.value_base64.is_some() && scrape.value.is_none(), "binary values are kept as base64");
}
