//! Alerts end to end: `newsflow run` on the demo newsroom with a rule that
//! matches the two seed articles covering the same meeting (the coalition's
//! virtual meeting of 4 June) and a webhook on 127.0.0.1. The story raises
//! one alert, its second article updates it, the webhook hears of it once,
//! and `newsflow alerts test` finds the same articles in storage.

mod support;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use newsflow_wire::{Alert, Envelope, TopicKind, Topics};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Message};
use serde_json::Value;
use support::*;

const RULE: &str = "virtual-meeting";

/// A webhook receiver on 127.0.0.1 recording every JSON body it is sent.
async fn receiver() -> (Arc<Mutex<Vec<Value>>>, String) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let state = state.clone();
            async move {
                state.lock().unwrap().push(serde_json::from_str(&body).unwrap_or(Value::Null));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (seen, url)
}

/// (rule, story_id, articles) of every stored alert.
fn alert_rows(db: &std::path::Path) -> Vec<(String, String, i64)> {
    let Ok(conn) = rusqlite::Connection::open(db) else { return Vec::new() };
    let Ok(mut stmt) = conn.prepare("SELECT rule, story_id, articles FROM alerts ORDER BY raised_at") else {
        return Vec::new();
    };
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

/// story_id → stored articles matching the rule's phrase, read from the
/// store itself (the phrase as the search form sees it).
fn matching_stories(db: &std::path::Path) -> std::collections::BTreeMap<String, i64> {
    let conn = rusqlite::Connection::open(db).expect("open the store");
    assert!(newsflow_sink::sqlite_fts::attach(&conn, db, true).expect("attach"), "the sink built its search index");
    let phrase = newsflow_enrich::search::search_form("اجتماع افتراضي");
    let mut stmt = conn
        .prepare(
            "SELECT a.story_id, COUNT(*) FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
             WHERE articles_fts MATCH ?1 GROUP BY a.story_id",
        )
        .expect("prepare");
    stmt.query_map([format!("\"{phrase}\"")], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_raises_one_alert_and_its_second_article_updates_it() {
    let broker = Broker::start(false).await;
    let site = Site::start().await;
    let (hooks, hook_url) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let config = dir.path().join("alerts.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[alerts]
reload_secs = 1

[[alerts.rules]]
name = "{RULE}"
query = '"اجتماع افتراضي"'
webhooks = ["hook"]

[alerts.webhooks.hook]
url = "{hook_url}"
format = "cloudevents"
timeout_secs = 5
max_attempts = 3
"#
        ),
    )
    .unwrap();
    let prefix = format!("{}.", unique("alerts"));
    let env = [("NEWSFLOW_KAFKA__GROUP_PREFIX", prefix.clone()), ("NEWSFLOW_FETCHER__PER_HOST_RPS", "50".into())];
    let (addr, feed) = (broker.address(), site.feed());
    let config_arg = config.display().to_string();
    let mut args = vec!["--config", &config_arg];
    args.extend(run_args(&addr, &feed, &prefix, ""));
    let mut run = newsflow("run", dir.path(), &args, &env);

    wait_for(Duration::from_secs(120), "the 5 seed articles stored", || (sqlite_rows(&db).len() >= 5).then_some(()))
        .await;
    // Both articles of the meeting match. The enricher decides whether they
    // are one story (it usually is; arrival order across partitions can
    // split it): either way there is exactly one alert per story, counting
    // that story's matching articles, and one webhook call per alert.
    let rows = wait_for(Duration::from_secs(60), "alerts counting both matching articles", || {
        let rows = alert_rows(&db);
        (rows.iter().map(|r| r.2).sum::<i64>() >= 2).then_some(rows)
    })
    .await;
    let stories = matching_stories(&db);
    assert_eq!(stories.values().sum::<i64>(), 2, "two stored articles match: {stories:?}");
    let mut got: Vec<(String, i64)> = rows.iter().map(|r| (r.1.clone(), r.2)).collect();
    got.sort();
    let expected: Vec<(String, i64)> = stories.clone().into_iter().collect();
    assert_eq!(got, expected, "one alert per story, counting its articles\n{}", run.tail());
    assert!(rows.iter().all(|r| r.0 == RULE), "{rows:?}");

    // The webhook hears of each story once: the raise (updates are not
    // delivered without notify_updates). Give a stray second raise time
    // to show up.
    wait_for(Duration::from_secs(30), "the webhook calls", || {
        (hooks.lock().unwrap().len() >= stories.len()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let calls = hooks.lock().unwrap().clone();
    assert_eq!(calls.len(), stories.len(), "one webhook call per story: {calls:#?}\n{}", run.tail());
    for event in &calls {
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["type"], "org.newsflow.alert.raised");
        assert_eq!(event["subject"], RULE);
        let story = event["data"]["story_id"].as_str().expect("a story id").to_owned();
        assert!(stories.contains_key(&story), "{story} is not a matching story: {stories:?}");
        assert_eq!(event["data"]["alert_id"], newsflow_wire::alert_id(RULE, &story));
    }

    // The alerts topic has one raise per story and one update per further
    // article of a story, keyed by the story's alert id.
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.address())
        .set("group.id", unique("alerts-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&Topics::new(prefix.clone()).name(TopicKind::Alerts)]).unwrap();
    let mut messages = Vec::new();
    while messages.len() < 2 {
        let msg = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} alert messages\n{}", messages.len(), run.tail()))
            .unwrap();
        let env: Envelope<Alert> = Envelope::decode(msg.payload(), msg.key()).expect("an alert keyed by its id");
        messages.push(env.payload);
    }
    let mut events: Vec<(String, u64)> = messages.iter().map(|a| (a.event.clone(), a.articles)).collect();
    events.sort();
    let expected_events: Vec<(String, u64)> = if stories.len() == 1 {
        vec![("raised".to_owned(), 1), ("updated".to_owned(), 2)]
    } else {
        vec![("raised".to_owned(), 1), ("raised".to_owned(), 1)]
    };
    assert_eq!(events, expected_events);
    for a in &messages {
        let story = a.story_id.clone().expect("a story id");
        assert_eq!(a.alert_id, newsflow_wire::alert_id(RULE, &story));
    }

    assert!(run.terminate().success(), "clean exit\n{}", run.tail());

    // `newsflow alerts test` finds the same two articles in storage.
    let alerts = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_newsflow"))
            .args(["--config", &config_arg, "alerts"])
            .args(args)
            .args(["--data-dir", "data"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run newsflow alerts");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (out, _) = alerts(&["test", RULE]);
    assert!(out.contains(&format!("2 of 5 stored articles match rule {RULE} (config")), "{out}");
    let (out, err) = alerts(&["test", "بغداد OR روما", "--json"]);
    assert!(err.contains("of 5 stored articles match query"), "{err}");
    assert!(out.lines().all(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v["url"].is_string())), "{out}");
    let (out, _) = alerts(&["list"]);
    assert!(out.contains(RULE) && out.contains("config"), "{out}");
}

/// A rule that does not parse stops the service before it starts, naming
/// the rule, the field and the position.
#[test]
fn a_bad_rule_in_the_config_is_named_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[[alerts.rules]]\nname = \"oops\"\nquery = 'العراق AND (داعش'\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_newsflow"))
        .args(["--config", &config.display().to_string(), "alerts", "list", "--data-dir", "data"])
        .current_dir(dir.path())
        .output()
        .expect("run newsflow");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("alerts.rules[0]: rule \"oops\": query: at position 12: unclosed parenthesis"), "{err}");
}
