//! Alerts against real parts: the alert log and the alert stage on a fresh
//! SQLite file and a fresh PostgreSQL database (`$NEWSFLOW_TEST_PG`, a
//! server URL without a database, default postgres://postgres@127.0.0.1:5432;
//! no server is a failure, never a skip), the rules API through a real
//! server on 127.0.0.1, and webhook delivery to local HTTP servers.

#[macro_use]
mod testdb;
use testdb::TestDb;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use newsflow_kafka::{Incoming, Stage, StageError};
use newsflow_sink::alerts::log::{Delivery, delivery_target};
use newsflow_sink::alerts::webhook::Sender;
use newsflow_sink::alerts::{
    AlertLog, AlertStage, AlertsConfig, NotifyStage, RuleDef, WebhookDef, WebhookFormat, router,
};
use newsflow_sink::{ArticleRow, Store};
use newsflow_wire::{Alert, ArticleMsg, EnrichedArticle, Enrichment, Envelope, TopicKind, alert_id};
use serde_json::{Value, json};

on_both_engines!(
    one_alert_per_story_and_updates_count_distinct_articles,
    redelivery_repeats_the_decision_and_changes_nothing,
    articles_of_one_story_at_once_raise_once,
    the_hourly_limit_suppresses_raises_not_updates,
    config_rules_are_synced_and_api_rules_kept,
    rules_api_crud_and_test,
    deliveries_are_recorded_per_event,
);

// ---- the alert log and stage ---------------------------------------------

const RULE: &str = "meeting";

fn meeting_rule(max_per_hour: u32) -> RuleDef {
    let mut def = RuleDef::inline(RULE, "\"اجتماع افتراضي\" OR (virtual meeting)");
    def.max_per_hour = max_per_hour;
    def
}

async fn stage_with(url: &str, rules: &[RuleDef]) -> (Arc<Store>, Arc<AlertLog>, AlertStage) {
    let store = Arc::new(Store::open(url).await.expect("open the store"));
    let log = Arc::new(AlertLog::for_store(&store));
    log.sync_config_rules(rules).await.expect("store the rules");
    // Reload on every message: rules changed by a test apply at once.
    let stage = AlertStage::new(log.clone(), Duration::ZERO);
    (store, log, stage)
}

fn article(n: u32, story: Option<&str>, text: &str) -> Envelope<EnrichedArticle> {
    let url = format!("https://news.example/{n}");
    let article = ArticleMsg {
        source_id: "demo".into(),
        url: url.clone(),
        canonical_url: url.clone(),
        title: Some(format!("خبر {n}")),
        text: text.into(),
        ..Default::default()
    };
    let enrichment = Enrichment {
        language: Some("ar".into()),
        content_hash: format!("{n:064}"),
        story_id: story.map(str::to_owned),
        ..Default::default()
    };
    Envelope::new(newsflow_wire::item_id(&url), newsflow_wire::new_trace_id(), EnrichedArticle { article, enrichment })
}

const MATCHING: &str = "عقدت الدول الأعضاء اجتماعا افتراضيا يوم الخميس";
const OTHER: &str = "أخبار الطقس في عمان";

fn incoming<T: serde::Serialize>(env: &Envelope<T>) -> Incoming {
    Incoming {
        topic: "enriched".into(),
        partition: 0,
        offset: 0,
        key: Some(env.id.clone().into_bytes()),
        value: Some(env.encode()),
    }
}

/// Run the stage on `env`; the alert envelopes it emits.
async fn alerts_of(stage: &AlertStage, env: &Envelope<EnrichedArticle>) -> Vec<Envelope<Alert>> {
    let out = stage.process(&incoming(env)).await.unwrap_or_else(|e| panic!("alert stage: {e}"));
    out.iter()
        .map(|o| {
            assert_eq!(o.topic, TopicKind::Alerts);
            let alert: Envelope<Alert> =
                Envelope::decode(Some(&o.value), Some(o.key.as_bytes())).expect("an alert envelope keyed by its id");
            assert_eq!(alert.id, alert.payload.alert_id, "the envelope id is the alert id");
            assert_eq!(alert.trace_id, env.trace_id, "the article's trace id is kept");
            alert
        })
        .collect()
}

fn summary(alerts: &[Envelope<Alert>]) -> Vec<(String, String, u64)> {
    alerts.iter().map(|a| (a.payload.event.clone(), a.payload.item_id.clone(), a.payload.articles)).collect()
}

async fn one_alert_per_story_and_updates_count_distinct_articles(url: &str) {
    let (_store, log, stage) = stage_with(url, &[meeting_rule(60)]).await;
    let (a1, a2, a3) = (article(1, Some("s1"), MATCHING), article(2, Some("s1"), MATCHING), article(3, None, MATCHING));
    let off_topic = article(4, Some("s1"), OTHER);

    let first = alerts_of(&stage, &a1).await;
    assert_eq!(summary(&first), [("raised".into(), a1.id.clone(), 1)]);
    let alert = &first[0].payload;
    assert_eq!(alert.alert_id, alert_id(RULE, "s1"));
    assert_eq!((alert.rule.as_str(), alert.story_id.as_deref()), (RULE, Some("s1")));
    assert_eq!(alert.url, "https://news.example/1");
    assert_eq!(alert.source_id.as_deref(), Some("demo"));
    assert_eq!(alert.language.as_deref(), Some("ar"));

    assert!(alerts_of(&stage, &off_topic).await.is_empty(), "an article that does not match raises nothing");
    let second = alerts_of(&stage, &a2).await;
    assert_eq!(summary(&second), [("updated".into(), a2.id.clone(), 2)]);
    assert_eq!(second[0].payload.alert_id, alert.alert_id, "the same alert");
    assert_eq!(second[0].payload.raised_at, alert.raised_at);

    // Without a story id an article is its own story.
    let own = alerts_of(&stage, &a3).await;
    assert_eq!(summary(&own), [("raised".into(), a3.id.clone(), 1)]);
    assert_eq!(own[0].payload.alert_id, alert_id(RULE, &a3.id));

    let rows = log.alerts(10, Some(RULE)).await.expect("list alerts");
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let s1 = rows.iter().find(|r| r.story_id == "s1").expect("the story's alert");
    assert_eq!((s1.articles, s1.first_item_id.as_str(), s1.last_item_id.as_str()), (2, a1.id.as_str(), a2.id.as_str()));
    assert_eq!(s1.title.as_deref(), Some("خبر 1"));
    assert!(s1.updated_at >= s1.raised_at);
    assert_eq!(log.alerts(1, None).await.unwrap().len(), 1, "limit");
    assert!(log.alerts(10, Some("other")).await.unwrap().is_empty(), "rule filter");
}

async fn redelivery_repeats_the_decision_and_changes_nothing(url: &str) {
    let (_store, log, stage) = stage_with(url, &[meeting_rule(60)]).await;
    let (a1, a2) = (article(1, Some("s1"), MATCHING), article(2, Some("s1"), MATCHING));
    let raised = alerts_of(&stage, &a1).await;
    let updated = alerts_of(&stage, &a2).await;
    let before = log.alerts(10, None).await.unwrap();

    // At-least-once: both come again, in any order.
    let again_2 = alerts_of(&stage, &a2).await;
    let again_1 = alerts_of(&stage, &a1).await;
    assert_eq!(again_1[0].payload, raised[0].payload, "the first article re-emits the very same raise");
    assert_eq!(again_2[0].payload, updated[0].payload, "the second re-emits the very same update");
    assert_eq!(log.alerts(10, None).await.unwrap(), before, "a redelivery changes nothing stored");

    // A third article still counts as the third.
    let third = alerts_of(&stage, &article(5, Some("s1"), MATCHING)).await;
    assert_eq!(summary(&third)[0].2, 3);
    assert_eq!(alerts_of(&stage, &a2).await[0].payload.articles, 2, "a rank, not the current count");
    assert_eq!(log.alerts(10, None).await.unwrap()[0].articles, 3);
}

async fn articles_of_one_story_at_once_raise_once(url: &str) {
    let (_store, log, stage) = stage_with(url, &[meeting_rule(60)]).await;
    let stage = Arc::new(stage);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..12 {
        let stage = stage.clone();
        tasks.spawn(async move { alerts_of(&stage, &article(100 + n, Some("busy"), MATCHING)).await });
    }
    let mut events = Vec::new();
    while let Some(done) = tasks.join_next().await {
        events.extend(summary(&done.expect("stage task")));
    }
    let raised = events.iter().filter(|e| e.0 == "raised").count();
    assert_eq!(raised, 1, "one raise per story: {events:?}");
    let mut ranks: Vec<u64> = events.iter().map(|e| e.2).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=12).collect::<Vec<u64>>(), "each article its own rank");
    assert_eq!(log.alerts(10, None).await.unwrap()[0].articles, 12);
}

async fn the_hourly_limit_suppresses_raises_not_updates(url: &str) {
    let (_store, log, stage) = stage_with(url, &[meeting_rule(2)]).await;
    let firsts: Vec<_> = (0..3).map(|n| article(10 + n, Some(&format!("story-{n}")), MATCHING)).collect();
    assert_eq!(alerts_of(&stage, &firsts[0]).await.len(), 1);
    assert_eq!(alerts_of(&stage, &firsts[1]).await.len(), 1);
    assert!(alerts_of(&stage, &firsts[2]).await.is_empty(), "the third raise within the hour is suppressed");
    assert!(alerts_of(&stage, &firsts[2]).await.is_empty(), "and stays suppressed when redelivered");
    let update = alerts_of(&stage, &article(20, Some("story-0"), MATCHING)).await;
    assert_eq!(summary(&update)[0].0, "updated", "updates are not limited");
    assert_eq!(alerts_of(&stage, &firsts[0]).await[0].payload.event, "raised", "a raised alert re-emits");
    assert_eq!(log.alerts(10, None).await.unwrap().len(), 2, "nothing stored for the suppressed raise");
}

async fn config_rules_are_synced_and_api_rules_kept(url: &str) {
    let (_store, log, _stage) = stage_with(url, &[meeting_rule(60), RuleDef::inline("rome", "روما")]).await;
    log.put_api_rule(&RuleDef::inline("mine", "بغداد")).await.expect("an API rule");
    let names = |rules: Vec<newsflow_sink::alerts::log::StoredRule>| {
        rules.into_iter().map(|r| (r.def.name, r.origin)).collect::<Vec<_>>()
    };
    let pair = |n: &str, o: &str| (n.to_owned(), o.to_owned());
    assert_eq!(
        names(log.rules().await.unwrap()),
        [pair("meeting", "config"), pair("mine", "api"), pair("rome", "config")]
    );
    // The file changed: "rome" removed, "mine" now a config rule too.
    let before = log.rule("meeting").await.unwrap().unwrap();
    log.sync_config_rules(&[meeting_rule(60), RuleDef::inline("mine", "بغداد OR دمشق")]).await.unwrap();
    assert_eq!(names(log.rules().await.unwrap()), [pair("meeting", "config"), pair("mine", "config")]);
    assert_eq!(log.rule("mine").await.unwrap().unwrap().def.query, "بغداد OR دمشق");
    assert_eq!(log.rule("meeting").await.unwrap().unwrap().updated_at, before.updated_at, "unchanged rules untouched");
    let bad = log.sync_config_rules(&[RuleDef::inline("broken", "(")]).await.unwrap_err().to_string();
    assert!(bad.contains("rule \"broken\": query: at position 1"), "{bad}");
}

async fn deliveries_are_recorded_per_event(url: &str) {
    let (_store, log, _stage) = stage_with(url, &[]).await;
    let target = delivery_target("ops", "raised", 1);
    assert!(!log.delivered("a1", &target).await.unwrap());
    let d = |status, attempts| Delivery {
        alert_id: "a1".into(),
        target: target.clone(),
        status,
        attempts,
        last_error: None,
        at: Utc::now(),
    };
    log.record_delivery(&d("failed", 5)).await.unwrap();
    assert!(!log.delivered("a1", &target).await.unwrap(), "a failure is not a delivery");
    log.record_delivery(&d("delivered", 1)).await.unwrap();
    assert!(log.delivered("a1", &target).await.unwrap());
    assert!(!log.delivered("a1", &delivery_target("ops", "updated", 2)).await.unwrap(), "per event");
}

// ---- the rules API -------------------------------------------------------

/// Serve `app` on 127.0.0.1; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn call(method: reqwest::Method, url: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.expect("the API answers");
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let text = resp.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("a JSON body") })
}

async fn rules_api_crud_and_test(url: &str) {
    use reqwest::Method;
    let (store, _log, stage) = stage_with(url, &[meeting_rule(60)]).await;
    for (n, text) in [(1, MATCHING), (2, OTHER), (3, "مؤتمر في بغداد")] {
        let env = article(n, None, text);
        store.write(ArticleRow::from(&env)).await.expect("store an article");
        alerts_of(&stage, &env).await;
    }
    let base = serve(router(store.clone())).await;
    let rule = |name: &str| format!("{base}/api/rules/{name}");

    let (status, body) = call(Method::PUT, &rule("baghdad"), Some(json!({"query": "(بغداد"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "rule \"baghdad\": query: at position 1: unclosed parenthesis");
    let (status, body) = call(Method::PUT, &rule("baghdad"), Some(json!({"query": "x", "color": "red"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("unknown field `color`"), "{body}");
    let (status, _) = call(Method::PUT, &rule("Bad%20Name"), Some(json!({"query": "x"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(Method::PUT, &rule("baghdad"), Some(json!({"name": "other", "query": "x"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the body's name must be the URL's");

    let def = json!({"query": "بغداد", "languages": ["ar"], "max_per_hour": 5});
    let (status, body) = call(Method::PUT, &rule("baghdad"), Some(def)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["name"].as_str(), body["origin"].as_str()), (Some("baghdad"), Some("api")));
    let (status, body) = call(Method::PUT, &rule("baghdad"), Some(json!({"query": "بغداد OR دمشق"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["max_per_hour"], 60, "a PUT replaces the whole rule");

    let (status, body) = call(Method::GET, &format!("{base}/api/rules"), None).await;
    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().unwrap();
    let listed: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["origin"].as_str().unwrap(), r["query"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("baghdad", "api", "بغداد OR دمشق"), ("meeting", "config", meeting_rule(60).query.as_str())]);
    for key in ["languages", "sources", "entities", "max_per_hour", "webhooks", "notify_updates"] {
        assert!(items[0].get(key).is_some(), "rules list {key}: {}", items[0]);
    }

    let (status, body) = call(Method::PUT, &rule("meeting"), Some(json!({"query": "x"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = call(Method::DELETE, &rule("meeting"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Trying rules against stored articles.
    let (status, body) = call(Method::POST, &format!("{}/test", rule("baghdad")), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["scanned"].as_u64(), body["matched"].as_u64()), (Some(3), Some(1)));
    assert_eq!(body["items"][0]["url"], "https://news.example/3");
    let (status, body) =
        call(Method::POST, &format!("{}/test?limit=1", rule("draft")), Some(json!({"query": "خبر"}))).await;
    assert_eq!(status, StatusCode::OK, "a draft rule in the body: {body}");
    assert_eq!((body["matched"].as_u64(), body["items"].as_array().map(Vec::len)), (Some(3), Some(1)));
    let (status, _) = call(Method::POST, &format!("{}/test", rule("nope")), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(Method::POST, &format!("{}/test?limit=x", rule("baghdad")), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, body) = call(Method::GET, &format!("{base}/api/alerts?rule=meeting&limit=10"), None).await;
    assert_eq!(status, StatusCode::OK);
    let alerts = body["items"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{body}");
    for key in [
        "id",
        "rule",
        "story_id",
        "first_item_id",
        "last_item_id",
        "title",
        "url",
        "articles",
        "raised_at",
        "updated_at",
    ] {
        assert!(alerts[0].get(key).is_some(), "alerts list {key}: {}", alerts[0]);
    }

    let (status, _) = call(Method::DELETE, &rule("baghdad"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(Method::DELETE, &rule("baghdad"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

// ---- webhooks ------------------------------------------------------------

/// An HTTP status and an optional `Retry-After`.
type Answer = (u16, Option<&'static str>);

/// A local webhook receiver answering with `script` in turn (then 200),
/// recording every request.
#[derive(Clone, Default)]
struct Receiver {
    script: Arc<Mutex<Vec<Answer>>>,
    seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

impl Receiver {
    async fn start(script: &[Answer]) -> (Self, String) {
        let rx =
            Receiver { script: Arc::new(Mutex::new(script.iter().rev().cloned().collect())), ..Default::default() };
        let state = rx.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    state.seen.lock().unwrap().push((headers, serde_json::from_str(&body).unwrap_or(Value::Null)));
                    let (code, retry_after) = state.script.lock().unwrap().pop().unwrap_or((200, None));
                    let mut resp = axum::http::Response::builder().status(code);
                    if let Some(r) = retry_after {
                        resp = resp.header("retry-after", r);
                    }
                    resp.body(axum::body::Body::from(format!("status {code}"))).unwrap()
                }
            }),
        );
        let base = serve(app).await;
        (rx, format!("{base}/hook"))
    }

    fn seen(&self) -> Vec<(HeaderMap, Value)> {
        self.seen.lock().unwrap().clone()
    }
}

fn hook(url: &str, format: WebhookFormat, max_attempts: u32) -> WebhookDef {
    WebhookDef {
        url: url.into(),
        format,
        headers: BTreeMap::from([("x-token".to_owned(), "s3cret".to_owned())]),
        timeout_secs: 1,
        max_attempts,
    }
}

/// A notify stage on a fresh SQLite store with one rule delivering to `hook`.
async fn notifier(hook: WebhookDef, notify_updates: bool) -> (NotifyStage, Arc<AlertLog>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("a.db").display())).await.unwrap();
    let mut rule = meeting_rule(60);
    rule.webhooks = vec!["ops".into()];
    rule.notify_updates = notify_updates;
    let cfg = AlertsConfig { rules: vec![rule], webhooks: BTreeMap::from([("ops".to_owned(), hook)]), reload_secs: 1 };
    cfg.validate().expect("a valid config");
    let log = Arc::new(AlertLog::for_store(&store));
    log.sync_config_rules(&cfg.rules).await.unwrap();
    let sender = Sender::with_backoff(Duration::from_millis(50), Duration::from_millis(200));
    (NotifyStage::with_sender(log.clone(), &cfg, sender), log, dir)
}

fn alert_env(event: &str, articles: u64) -> Envelope<Alert> {
    let alert = Alert {
        alert_id: alert_id(RULE, "s1"),
        rule: RULE.into(),
        event: event.into(),
        item_id: "i1".into(),
        story_id: Some("s1".into()),
        title: Some("اجتماع <افتراضي> & بيان".into()),
        url: "https://news.example/1".into(),
        source_id: Some("demo".into()),
        language: Some("ar".into()),
        articles,
        raised_at: Utc::now(),
    };
    Envelope::new(alert.alert_id.clone(), newsflow_wire::new_trace_id(), alert)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudevents_delivery_shape_headers_and_no_resend() {
    let (rx, url) = Receiver::start(&[]).await;
    let (stage, log, _dir) = notifier(hook(&url, WebhookFormat::CloudEvents, 3), false).await;
    let env = alert_env("raised", 1);
    assert_eq!(stage.process(&incoming(&env)).await, Ok(Vec::new()));
    let seen = rx.seen();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert_eq!(headers["content-type"], "application/cloudevents+json; charset=utf-8");
    assert_eq!(headers["x-token"], "s3cret");
    assert!(headers["user-agent"].to_str().unwrap().starts_with("newsflow/"));
    assert_eq!(body["specversion"], "1.0");
    assert_eq!(body["id"], format!("{}:raised:1", env.payload.alert_id));
    assert_eq!(body["source"], "newsflow");
    assert_eq!(body["type"], "org.newsflow.alert.raised");
    assert_eq!(body["subject"], RULE);
    assert_eq!(body["datacontenttype"], "application/json");
    assert!(chrono::DateTime::parse_from_rfc3339(body["time"].as_str().unwrap()).is_ok());
    assert_eq!(body["data"], serde_json::to_value(&env.payload).unwrap(), "data is the alert");
    assert!(log.delivered(&env.payload.alert_id, &delivery_target("ops", "raised", 1)).await.unwrap());

    // Redelivered: not sent again. Updates: not sent without notify_updates.
    stage.process(&incoming(&env)).await.unwrap();
    stage.process(&incoming(&alert_env("updated", 2))).await.unwrap();
    assert_eq!(rx.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_delivery_shape_and_updates_when_asked() {
    let (rx, url) = Receiver::start(&[]).await;
    let (stage, _log, _dir) = notifier(hook(&url, WebhookFormat::Slack, 3), true).await;
    stage.process(&incoming(&alert_env("raised", 1))).await.unwrap();
    stage.process(&incoming(&alert_env("updated", 2))).await.unwrap();
    let seen = rx.seen();
    assert_eq!(seen.len(), 2, "raise and update (notify_updates)");
    let (headers, body) = &seen[0];
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["text"], "New alert (meeting): اجتماع &lt;افتراضي&gt; &amp; بيان");
    assert_eq!(body["blocks"][0]["type"], "section");
    assert_eq!(
        body["blocks"][0]["text"]["text"],
        "New alert: *<https://news.example/1|اجتماع &lt;افتراضي&gt; &amp; بيان>*"
    );
    assert!(body["blocks"][1]["elements"][0]["text"].as_str().unwrap().contains("story of 1 article"));
    assert!(seen[1].1["blocks"][1]["elements"][0]["text"].as_str().unwrap().contains("story of 2 articles"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_until_delivered() {
    let (rx, url) = Receiver::start(&[(500, None), (429, Some("1"))]).await;
    let (stage, log, dir) = notifier(hook(&url, WebhookFormat::CloudEvents, 5), false).await;
    let env = alert_env("raised", 1);
    let started = Instant::now();
    assert_eq!(stage.process(&incoming(&env)).await, Ok(Vec::new()));
    assert_eq!(rx.seen().len(), 3, "500, 429, then 200");
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
    assert!(log.delivered(&env.payload.alert_id, &delivery_target("ops", "raised", 1)).await.unwrap());
    let conn = rusqlite::Connection::open(dir.path().join("a.db")).unwrap();
    let (status, attempts): (String, i64) =
        conn.query_row("SELECT status, attempts FROM alert_deliveries", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((status.as_str(), attempts), ("delivered", 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_error_is_permanent_with_the_reason() {
    let (rx, url) = Receiver::start(&[(400, None)]).await;
    let (stage, log, _dir) = notifier(hook(&url, WebhookFormat::Slack, 5), false).await;
    let env = alert_env("raised", 1);
    match stage.process(&incoming(&env)).await {
        Err(StageError::Permanent(reason)) => {
            assert_eq!(reason, "webhook ops: HTTP 400 Bad Request: status 400");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert_eq!(rx.seen().len(), 1, "a 400 is not retried");
    assert!(!log.delivered(&env.payload.alert_id, &delivery_target("ops", "raised", 1)).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_and_gives_up() {
    // Accepts connections, reads, never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU32::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let (stage, _log, _dir) =
        notifier(hook(&format!("http://{addr}/hook"), WebhookFormat::CloudEvents, 2), false).await;
    let started = Instant::now();
    match stage.process(&incoming(&alert_env("raised", 1))).await {
        Err(StageError::Permanent(reason)) => {
            assert_eq!(reason, "webhook ops: gave up after 2 attempts: no answer within 1 s");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_secs(2), "two attempts of 1 s each");
    assert!(started.elapsed() < Duration::from_secs(10), "bounded: {:?}", started.elapsed());
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "retried once on a new connection");
}

// ---- fixtures ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_added_through_the_api_delivers_at_once() {
    let (rx, url) = Receiver::start(&[]).await;
    let (stage, log, _dir) = notifier(hook(&url, WebhookFormat::Slack, 3), false).await;
    stage.process(&incoming(&alert_env("raised", 1))).await.unwrap();
    let mut fresh = RuleDef::inline("fresh", "بغداد");
    fresh.webhooks = vec!["ops".into()];
    log.put_api_rule(&fresh).await.unwrap();
    let mut env = alert_env("raised", 1);
    env.payload.rule = "fresh".into();
    env.payload.alert_id = alert_id("fresh", "s1");
    env.id = env.payload.alert_id.clone();
    stage.process(&incoming(&env)).await.unwrap();
    assert_eq!(rx.seen().len(), 2, "the new rule's alert is delivered before the next reload");
}
