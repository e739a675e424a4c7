//! The JSONL archive against real files in temporary directories: the
//! archive stage's `process`, a settable clock for the hour.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use newsflow_kafka::{Incoming, Stage, StageError};
use newsflow_sink::archive::{Archive, ArchiveError, ArchiveStage, Clock};
use newsflow_wire::{ArticleMsg, EnrichedArticle, Enrichment, Envelope, TopicKind};
use serde_json::Value;

// ---- helpers ---------------------------------------------------------------

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

/// A clock the test moves.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn new(start: &str) -> Self {
        Self(Arc::new(Mutex::new(at(start))))
    }

    fn set(&self, to: &str) {
        *self.0.lock().unwrap() = at(to);
    }

    fn clock(&self) -> Clock {
        let now = self.0.clone();
        Arc::new(move || *now.lock().unwrap())
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    clock: TestClock,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("archive");
        Self { _tmp: tmp, dir, clock: TestClock::new("2024-05-01T10:15:00Z") }
    }

    fn stage(&self) -> ArchiveStage {
        ArchiveStage::new(Archive::open_with_clock(&self.dir, self.clock.clock()).expect("archive opens"))
    }

    fn file(&self, hour: &str) -> PathBuf {
        self.dir.join(hour)
    }
}

fn enriched(url: &str) -> Envelope<EnrichedArticle> {
    let article = ArticleMsg {
        source_id: "test".into(),
        url: url.into(),
        canonical_url: url.into(),
        fetched_at: Some(at("2024-05-01T09:00:00Z")),
        title: Some(format!("title of {url}")),
        text: "first paragraph\n\nsecond paragraph".into(),
        ..Default::default()
    };
    let enrichment = Enrichment { language: Some("ar".into()), content_hash: "abc".into(), ..Default::default() };
    Envelope::new(newsflow_wire::item_id(url), newsflow_wire::new_trace_id(), EnrichedArticle { article, enrichment })
}

fn incoming(value: Vec<u8>, key: &str) -> Incoming {
    Incoming {
        topic: "newsflow.enriched".into(),
        partition: 0,
        offset: 0,
        key: Some(key.as_bytes().to_vec()),
        value: Some(value),
    }
}

fn message(env: &Envelope<EnrichedArticle>) -> Incoming {
    incoming(env.encode(), &env.id)
}

/// The lines of a file, each parsed as JSON (a panic on a torn line).
fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.is_empty() || text.ends_with('\n'), "{} ends mid-line: {text:?}", path.display());
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}"))).collect()
}

fn ids(path: &Path) -> Vec<String> {
    lines(path).iter().map(|l| l["id"].as_str().unwrap().to_owned()).collect()
}

// ---- the tests -----------------------------------------------------------

#[tokio::test]
async fn a_line_is_the_article_with_its_envelope_fields_in_the_hour_of_arrival() {
    let fx = Fixture::new();
    let stage = fx.stage();
    assert_eq!((stage.name(), stage.input()), ("archive", TopicKind::Enriched));
    let a = enriched("https://example.com/a");
    assert_eq!(stage.process(&message(&a)).await, Ok(Vec::new()));

    let got = lines(&fx.file("2024/05/01/10.jsonl"));
    assert_eq!(got.len(), 1);
    let line = &got[0];
    assert_eq!(line["id"], a.id.as_str());
    assert_eq!(line["trace_id"], a.trace_id.as_str());
    assert_eq!(serde_json::from_value::<DateTime<Utc>>(line["produced_at"].clone()).unwrap(), a.produced_at);
    assert_eq!(line["schema_version"], a.schema_version);
    // Readers can take a line as an EnrichedArticle as it is.
    assert_eq!(serde_json::from_value::<EnrichedArticle>(line.clone()).unwrap(), a.payload);

    // The next hour starts a new file; the previous one is left as it was.
    fx.clock.set("2024-05-01T11:00:00Z");
    let b = enriched("https://example.com/b");
    stage.process(&message(&b)).await.unwrap();
    assert_eq!(ids(&fx.file("2024/05/01/10.jsonl")), [a.id.as_str()]);
    assert_eq!(ids(&fx.file("2024/05/01/11.jsonl")), [b.id.as_str()]);
    // And across a day, month and year.
    fx.clock.set("2024-12-31T23:59:59Z");
    stage.process(&message(&enriched("https://example.com/c"))).await.unwrap();
    fx.clock.set("2025-01-01T00:00:00Z");
    stage.process(&message(&enriched("https://example.com/d"))).await.unwrap();
    assert_eq!(lines(&fx.file("2024/12/31/23.jsonl")).len(), 1);
    assert_eq!(lines(&fx.file("2025/01/01/00.jsonl")).len(), 1);
}

#[tokio::test]
async fn a_redelivered_message_is_not_appended_twice() {
    let fx = Fixture::new();
    let stage = Arc::new(fx.stage());
    let a = enriched("https://example.com/a");
    stage.process(&message(&a)).await.unwrap();
    stage.process(&message(&a)).await.unwrap();
    // Redelivered many times at once (one batch) among new articles.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let (stage, a) = (stage.clone(), a.clone());
        tasks.spawn(async move {
            let env = if i % 3 == 0 { a } else { enriched(&format!("https://example.com/n{}", i % 20)) };
            stage.process(&message(&env)).await
        });
    }
    while let Some(r) = tasks.join_next().await {
        assert_eq!(r.unwrap(), Ok(Vec::new()));
    }
    let mut got = ids(&fx.file("2024/05/01/10.jsonl"));
    let total = got.len();
    got.sort();
    got.dedup();
    // a and n0..n19, once each.
    assert_eq!((total, got.len()), (21, 21), "one line per id");
}

#[tokio::test]
async fn reopening_loads_the_current_hours_ids() {
    let fx = Fixture::new();
    let (a, b) = (enriched("https://example.com/a"), enriched("https://example.com/b"));
    {
        let stage = fx.stage();
        stage.process(&message(&a)).await.unwrap();
    }
    // A restart within the hour: a redelivered `a` is recognized.
    let stage = fx.stage();
    stage.process(&message(&a)).await.unwrap();
    stage.process(&message(&b)).await.unwrap();
    assert_eq!(ids(&fx.file("2024/05/01/10.jsonl")), [a.id.as_str(), b.id.as_str()]);
    // The set is per hour: in the next hour's file `a` is written again
    // (readers dedup on `id`).
    fx.clock.set("2024-05-01T11:30:00Z");
    stage.process(&message(&a)).await.unwrap();
    assert_eq!(ids(&fx.file("2024/05/01/11.jsonl")), [a.id.as_str()]);
}

#[tokio::test]
async fn a_torn_last_line_is_cut_at_reopen() {
    let fx = Fixture::new();
    let (a, b, c) = (enriched("https://example.com/a"), enriched("https://example.com/b"), enriched("https://c/"));
    let path = fx.file("2024/05/01/10.jsonl");
    {
        let stage = fx.stage();
        stage.process(&message(&a)).await.unwrap();
    }
    // A crash in the middle of writing `b`'s line.
    let whole = String::from_utf8(newsflow_sink::archive::archive_line(&message(&b)).unwrap().1).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&whole[..whole.len() / 2]);
    std::fs::write(&path, text).unwrap();

    // The redelivered `b` is written whole after the repair, as is a new one.
    let stage = fx.stage();
    stage.process(&message(&b)).await.unwrap();
    stage.process(&message(&c)).await.unwrap();
    assert_eq!(ids(&path), [a.id.as_str(), b.id.as_str(), c.id.as_str()]);
}

#[tokio::test]
async fn the_newest_file_is_repaired_at_start_even_from_an_earlier_hour() {
    let fx = Fixture::new();
    let a = enriched("https://example.com/a");
    let path = fx.file("2024/05/01/10.jsonl");
    {
        let stage = fx.stage();
        stage.process(&message(&a)).await.unwrap();
    }
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(r#"{"article":{"source_id":"te"#);
    std::fs::write(&path, text).unwrap();
    // An older file with a torn tail is not the newest: left alone.
    let older = fx.file("2024/04/30/23.jsonl");
    std::fs::create_dir_all(older.parent().unwrap()).unwrap();
    std::fs::write(&older, "{\"id\":\"x\"}\n{\"id\"").unwrap();

    // Restarted in a later hour: 10.jsonl will not be opened for writing
    // again, so it is repaired when the archive opens.
    fx.clock.set("2024-05-01T12:05:00Z");
    let _stage = fx.stage();
    assert_eq!(ids(&path), [a.id.as_str()]);
    assert_eq!(std::fs::read_to_string(&older).unwrap(), "{\"id\":\"x\"}\n{\"id\"");
}

#[tokio::test]
async fn a_write_error_is_transient_and_the_next_attempt_succeeds() {
    let fx = Fixture::new();
    let stage = fx.stage();
    // A file where the year's directory belongs (works as root too, unlike
    // a read-only directory).
    let blocker = fx.dir.join("2024");
    std::fs::write(&blocker, "not a directory").unwrap();
    let a = enriched("https://example.com/a");
    match stage.process(&message(&a)).await {
        Err(StageError::Transient(why)) => assert!(why.contains("archive write failed"), "{why}"),
        other => panic!("expected a transient error, got {other:?}"),
    }
    // The runner retries; meanwhile the disk was fixed.
    std::fs::remove_file(&blocker).unwrap();
    assert_eq!(stage.process(&message(&a)).await, Ok(Vec::new()));
    assert_eq!(ids(&fx.file("2024/05/01/10.jsonl")), [a.id.as_str()]);
}

#[tokio::test]
async fn undecodable_messages_are_permanent() {
    let fx = Fixture::new();
    let stage = fx.stage();
    let a = enriched("https://example.com/a");
    let not_enriched = Envelope::new(a.id.clone(), "t", ArticleMsg::default()).encode();
    let cases = [
        incoming(b"\xff{".to_vec(), "k"),
        incoming(Vec::new(), "k"),
        incoming(a.encode(), "another-key"),
        incoming(not_enriched, &a.id),
        incoming(Envelope::new(a.id.clone(), "t", 5).encode(), &a.id),
    ];
    for msg in &cases {
        assert!(matches!(stage.process(msg).await, Err(StageError::Permanent(_))), "{msg:?}");
    }
    assert!(!fx.file("2024/05/01/10.jsonl").exists(), "nothing archived");
}

#[tokio::test]
async fn fields_a_newer_enricher_added_are_kept() {
    let fx = Fixture::new();
    let stage = fx.stage();
    let a = enriched("https://example.com/a");
    let mut value: Value = serde_json::from_slice(&a.encode()).unwrap();
    value["payload"]["enrichment"]["sentiment"] = 0.5.into();
    value["payload"]["added_later"] = "yes".into();
    stage.process(&incoming(serde_json::to_vec(&value).unwrap(), &a.id)).await.unwrap();
    let line = &lines(&fx.file("2024/05/01/10.jsonl"))[0];
    assert_eq!((line["enrichment"]["sentiment"].as_f64(), line["added_later"].as_str()), (Some(0.5), Some("yes")));
}

#[tokio::test]
async fn one_writer_per_directory() {
    let fx = Fixture::new();
    let first = fx.stage();
    match Archive::open_with_clock(&fx.dir, fx.clock.clock()) {
        Err(ArchiveError::Open(why)) => assert!(why.contains("another archive writer"), "{why}"),
        Err(other) => panic!("expected an open error, got {other:?}"),
        Ok(_) => panic!("a second writer opened the same directory"),
    }
    drop(first);
    Archive::open_with_clock(&fx.dir, fx.clock.clock()).expect("the lock is released with the first writer");
}
