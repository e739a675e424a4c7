//! The read side and the web API, over real stores: each query check runs
//! on a fresh SQLite file and on a fresh PostgreSQL database
//! (`$NEWSFLOW_TEST_PG`, default postgres://postgres@127.0.0.1:5432; no
//! server is a failure, never a skip). Articles go in through
//! `Store::write`, the real write path.

#[macro_use]
mod testdb;
use testdb::TestDb;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use newsflow_enrich::search::search_form;
use newsflow_sink::query::{Cursor, Reader, SearchRequest};
use newsflow_sink::web::{self, WebOptions};
use newsflow_sink::{ArticleRow, Store};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

on_both_engines!(
    recent_articles_page_by_keyset_without_repeats,
    search_meets_arabic_variants_phrases_or_and_exclusions,
    story_view_gathers_a_story_across_sources,
    live_stream_sends_new_articles_and_resumes_after_reconnect,
);

fn row(id: &str, source: &str, lang: &str, title: &str, text: &str) -> ArticleRow {
    ArticleRow {
        id: id.to_owned(),
        url: format!("https://news.example/{id}"),
        canonical_url: format!("https://news.example/{id}"),
        title: Some(title.to_owned()),
        text: text.to_owned(),
        language: Some(lang.to_owned()),
        source: source.to_owned(),
        content_hash: format!("hash-{id}"),
        trace_id: format!("trace-{id}"),
        story_id: Some(id.to_owned()),
        search_title: search_form(title),
        search_body: search_form(text),
        ..Default::default()
    }
}

async fn open(url: &str) -> Arc<Store> {
    Arc::new(Store::open(url).await.unwrap_or_else(|e| panic!("Store::open({url}): {e}")))
}

async fn recent_articles_page_by_keyset_without_repeats(url: &str) {
    let store = open(url).await;
    // Concurrent writes land in shared transactions: many rows share one
    // stored_at, which the id breaks.
    let writes = (0..120).map(|i| {
        let store = store.clone();
        async move { store.write(row(&format!("a{i:03}"), "wire", "en", &format!("Title {i}"), "Body.")).await }
    });
    for r in futures::future::join_all(writes).await {
        r.expect("write");
    }
    let reader = Reader::open(url).unwrap();
    let mut seen = Vec::new();
    let mut before = None;
    let mut pages = Vec::new();
    loop {
        let page = reader.recent(before.clone(), None, 50).await.unwrap();
        pages.push(page.items.len());
        seen.extend(page.items.iter().map(|a| (a.stored_at.clone(), a.id.clone())));
        match page.next {
            Some(next) => before = Some(Cursor::parse(&next).unwrap()),
            None => break,
        }
    }
    assert_eq!(pages, [50, 50, 20]);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 120, "no repeats");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first, ties by id");
    // One source only, and the counts.
    store.write(row("z1", "other", "en", "Other", "Body.")).await.unwrap();
    let page = reader.recent(None, Some("other".into()), 50).await.unwrap();
    assert_eq!(page.items.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["z1"]);
    let counts = reader.counts().await.unwrap();
    assert_eq!((counts.articles, counts.sources), (121, 2));
    let a = reader.article("z1".into()).await.unwrap().expect("z1");
    assert_eq!((a.summary.title.as_deref(), a.text.as_str()), (Some("Other"), "Body."));
    assert!(reader.article("nope".into()).await.unwrap().is_none());
}

async fn search_meets_arabic_variants_phrases_or_and_exclusions(url: &str) {
    let store = open(url).await;
    let rows = [
        row("ar1", "wire-a", "ar", "اجتماع التحالف في روما", "والاجتماعُ عُقد في العاصمة الإيطالية يوم الخميس."),
        row("ar2", "wire-b", "ar", "أخبار الطقس", "أمطار غزيرة في بغداد، ولا اجتماع اليوم."),
        row("en1", "wire-a", "en", "Climate summit opens", "Leaders meet in Rome for the climate summit."),
        row("en2", "wire-b", "en", "Football results", "The summit of the league table: Rome wins."),
    ];
    for r in rows {
        store.write(r).await.expect("write");
    }
    let reader = Reader::open(url).unwrap();
    let ids = |q: &'static str, lang: Option<&'static str>, source: Option<&'static str>| {
        let req =
            SearchRequest { q: q.into(), language: lang.map(Into::into), source: source.map(Into::into), limit: 50 };
        let reader = &reader;
        async move {
            let hits = reader.search(req).await.unwrap_or_else(|e| panic!("{q}: {e}"));
            assert!(hits.windows(2).all(|w| w[0].score >= w[1].score), "{q}: not by relevance");
            hits.into_iter().map(|h| h.article.id).collect::<Vec<_>>()
        }
    };
    // Attached clitics and letter forms: بالاجتماع / الاجتماع / اجتماع meet;
    // the title match ranks first.
    assert_eq!(ids("بالاجتماع", None, None).await, ["ar1", "ar2"]);
    assert_eq!(ids("الإيطالية", None, None).await, ["ar1"]);
    assert_eq!(ids("\"climate summit\"", None, None).await, ["en1"]);
    assert_eq!(ids("summit -football", None, None).await, ["en1"]);
    assert_eq!(ids("بغداد OR rome", Some("en"), None).await.len(), 2);
    let mut either = ids("بغداد OR روما", None, None).await;
    either.sort();
    assert_eq!(either, ["ar1", "ar2"]);
    assert_eq!(ids("rome", None, Some("wire-b")).await, ["en2"]);
    // Syntax from the user is only words.
    assert_eq!(ids("rome) OR (\"x", None, None).await.len(), 2);
    let err = reader.search(SearchRequest { q: "-rome".into(), limit: 5, ..Default::default() }).await.unwrap_err();
    assert!(err.to_string().contains("only excludes"), "{err}");
}

async fn story_view_gathers_a_story_across_sources(url: &str) {
    let store = open(url).await;
    let mut first = row("s1", "wire-a", "ar", "اجتماع التحالف", "نص");
    first.story_id = Some("s1".into());
    let mut second = row("s2", "wire-b", "ar", "التحالف يجتمع", "نص آخر");
    second.story_id = Some("s1".into());
    let other = row("t1", "wire-a", "en", "Other", "Text");
    for r in [first, second, other] {
        store.write(r).await.unwrap();
    }
    let reader = Reader::open(url).unwrap();
    let view = reader.story("s1".into()).await.unwrap().expect("story s1");
    assert_eq!((view.story.articles, view.story.sources), (2, 2));
    assert_eq!(view.story.title.as_deref(), Some("اجتماع التحالف"));
    assert_eq!(view.articles.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["s1", "s2"]);
    assert!(reader.story("none".into()).await.unwrap().is_none());
    let stories = reader.stories(10).await.unwrap();
    assert_eq!(stories.len(), 2);
    let sources = reader.sources().await.unwrap();
    let mut counted: Vec<(String, i64)> = sources.into_iter().map(|s| (s.id, s.articles)).collect();
    counted.sort();
    assert_eq!(counted, [("wire-a".to_owned(), 2), ("wire-b".to_owned(), 1)]);
}

/// A server on a free port over `url`.
async fn server(url: &str, token: Option<&str>) -> (String, Arc<Store>, CancellationToken) {
    let store = open(url).await;
    let mut opts = WebOptions::new("127.0.0.1:0", url);
    opts.token = token.map(Into::into);
    opts.poll_interval = Duration::from_millis(200);
    let cancel = CancellationToken::new();
    let running = web::serve(store.clone(), opts, cancel.clone()).await.expect("serve");
    (format!("http://{}", running.addr), store, cancel)
}

/// Read SSE events from `resp` until `want` articles arrived: their ids
/// and the events' ids. (Reads whole chunks: the server flushes one event
/// batch per poll, and the tests ask for exactly what was written.)
async fn read_events(resp: &mut reqwest::Response, want: usize) -> Vec<(String, String)> {
    let mut buf = String::new();
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while events.len() < want {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("only {} of {want} events: {events:?}", events.len()))
            .expect("stream open")
            .expect("chunk");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let field =
                |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim_start().to_owned());
            if field("event:").as_deref() == Some("article") {
                let data: Value = serde_json::from_str(&field("data:").unwrap()).unwrap();
                events.push((data["id"].as_str().unwrap().to_owned(), field("id:").unwrap_or_default()));
            }
        }
    }
    events
}

async fn live_stream_sends_new_articles_and_resumes_after_reconnect(url: &str) {
    let (base, store, cancel) = server(url, None).await;
    store.write(row("old", "wire", "en", "Old news", "Text")).await.unwrap();
    let http = reqwest::Client::new();
    let mut resp = http.get(format!("{base}/api/stream")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    tokio::time::sleep(Duration::from_millis(300)).await;
    store.write(row("new1", "wire", "en", "Fresh", "Text")).await.unwrap();
    store.write(row("new2", "wire", "ar", "خبر عاجل", "نص")).await.unwrap();
    let events = read_events(&mut resp, 2).await;
    assert_eq!(events.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(), ["new1", "new2"], "only what is new");
    // Reconnecting with the last id gets what came after, and nothing twice.
    let last_id = events[1].1.clone();
    store.write(row("new3", "wire", "en", "Later", "Text")).await.unwrap();
    let mut resp = http.get(format!("{base}/api/stream")).header("Last-Event-ID", &last_id).send().await.unwrap();
    let events = read_events(&mut resp, 1).await;
    assert_eq!(events[0].0, "new3");
    // ?after= starts right after a given article.
    let first = Reader::open(url).unwrap().recent(None, None, 200).await.unwrap();
    let old = first.items.iter().find(|a| a.id == "old").unwrap().cursor.clone();
    let mut resp = http
        .get(format!(
            "{base}/api/stream?after={}",
            url::form_urlencoded::byte_serialize(old.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = read_events(&mut resp, 3).await.into_iter().map(|e| e.0).collect();
    assert_eq!(ids, ["new1", "new2", "new3"]);
    cancel.cancel();
}

/// A row that commits after newer ones (another sink's slower
/// transaction) still reaches an open stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_stream_catches_rows_that_commit_late() {
    let db = TestDb::sqlite();
    let (base, store, cancel) = server(db.url(), None).await;
    store.write(row("first", "wire", "en", "First", "Text")).await.unwrap();
    let http = reqwest::Client::new();
    let resp = http.get(format!("{base}/api/stream")).send().await.unwrap();
    store.write(row("newer", "wire", "en", "Newer", "Text")).await.unwrap();
    let mut body = resp;
    let events = read_events(&mut body, 1).await;
    assert_eq!(events[0].0, "newer");
    // Stamped a second before "newer" but only now committed: what a
    // PostgreSQL sink whose transaction started earlier produces.
    let newer = Reader::open(db.url()).unwrap().article("newer".into()).await.unwrap().unwrap().summary.stored_at;
    let earlier = (chrono::DateTime::parse_from_rfc3339(&newer).unwrap() - chrono::Duration::seconds(1))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let path = db.url().strip_prefix("sqlite:").unwrap().to_owned();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute(
        "INSERT INTO articles (id, url, canonical_url, text, source, stored_at, updated_at, content_hash)
         VALUES ('late', 'https://news.example/late', 'https://news.example/late', 'Text', 'wire', ?1, ?1, 'h')",
        [&earlier],
    )
    .unwrap();
    let events = read_events(&mut body, 1).await;
    assert_eq!(events[0].0, "late");
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_answers_json_with_status_codes_and_security_headers() {
    let db = TestDb::sqlite();
    let (base, store, cancel) = server(db.url(), None).await;
    store.write(row("a1", "wire", "ar", "<script>alert(1)</script>", "نص")).await.unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{base}{path}")).send();

    let page: Value =
        get("/api/articles?limit=5").await.unwrap().text().await.map(|t| serde_json::from_str(&t).unwrap()).unwrap();
    assert_eq!(page["items"][0]["title"], "<script>alert(1)</script>", "stored as is: escaping is the page's job");
    assert_eq!(page["next"], Value::Null);
    for (path, status, needle) in [
        ("/api/articles?limit=ten", 400, "limit"),
        ("/api/articles?before=garbage", 400, "before"),
        ("/api/articles/nope", 404, "no article"),
        ("/api/stories/nope", 404, "no story"),
        ("/api/search", 400, "q:"),
        ("/api/search?q=-x", 400, "only excludes"),
        ("/api/nothing-here", 404, "no such endpoint"),
    ] {
        let resp = get(path).await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{path}");
        assert_eq!(resp.headers()["cache-control"], "no-store", "{path}");
        let body: Value = resp.text().await.map(|t| serde_json::from_str(&t).unwrap()).unwrap();
        assert!(body["error"].as_str().unwrap().contains(needle), "{path}: {body}");
    }
    let limited: Value = get("/api/articles?limit=100000")
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(limited["items"].as_array().unwrap().len(), 1);

    let home = get("/").await.unwrap();
    assert_eq!(home.status(), 200);
    let csp = home.headers()["content-security-policy"].to_str().unwrap().to_owned();
    for part in
        ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]
    {
        assert!(csp.contains(part), "{csp}");
    }
    assert_eq!(home.headers()["x-content-type-options"], "nosniff");
    let etag = home.headers()["etag"].clone();
    let again = http.get(format!("{base}/")).header("If-None-Match", etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    let html = get("/").await.unwrap().text().await.unwrap();
    assert!(!html.contains("<script>") && html.contains("src=\"/app.js\""), "no inline script in the page");
    for asset in ["/app.js", "/app.css", "/favicon.svg", "/healthz", "/openapi.json"] {
        assert_eq!(get(asset).await.unwrap().status(), 200, "{asset}");
    }

    // Without a token, only requests addressed to localhost (DNS rebinding).
    let rebound = http.get(format!("{base}/api/articles")).header("Host", "evil.example").send().await.unwrap();
    assert_eq!(rebound.status(), 403);
    // Another site's page cannot change anything (CSRF); the dashboard can.
    let rule = r#"{"query": "x"}"#;
    let put = |origin: &str| {
        http.put(format!("{base}/api/rules/csrf-check"))
            .header("Origin", origin)
            .header("content-type", "application/json")
            .body(rule)
            .send()
    };
    assert_eq!(put("https://evil.example").await.unwrap().status(), 403);
    assert_eq!(put(&base).await.unwrap().status(), 201);
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_endpoint_is_served() {
    let db = TestDb::sqlite();
    let (base, _store, cancel) = server(db.url(), None).await;
    let http = reqwest::Client::new();
    let doc: Value = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 14, "{:?}", paths.keys());
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            if path == "/api/stream" {
                continue; // never ends; checked above
            }
            let concrete = path.replace("{id}", "x").replace("{name}", "doc-check");
            let req = http.request(method.to_uppercase().parse().unwrap(), format!("{base}{concrete}"));
            let req = if method == "put" {
                req.header("content-type", "application/json").body(r#"{"query": "x"}"#)
            } else {
                req
            };
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            assert!(
                status != 405 && !body.contains("no such endpoint"),
                "{method} {path} is documented but not served: {status} {body}"
            );
        }
    }
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_the_api_but_not_the_shell() {
    let db = TestDb::sqlite();
    let token = "t0ken-for-the-web-test";
    let (base, _store, cancel) = server(db.url(), Some(token)).await;
    let http = reqwest::Client::new();
    let status = |req: reqwest::RequestBuilder| async move { req.send().await.unwrap().status().as_u16() };
    for path in ["/api/articles", "/api/sources", "/openapi.json", "/api/alerts"] {
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        assert_eq!(resp.headers()["www-authenticate"], "Bearer realm=\"newsflow\"");
        assert_eq!(status(http.get(format!("{base}{path}")).bearer_auth("wrong")).await, 401, "{path}");
        assert_eq!(status(http.get(format!("{base}{path}")).bearer_auth(token)).await, 200, "{path}");
    }
    // The query-string token is for the event stream only.
    assert_eq!(status(http.get(format!("{base}/api/articles?access_token={token}"))).await, 401);
    let stream = http.get(format!("{base}/api/stream?access_token={token}")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    drop(stream);
    for public in ["/", "/app.js", "/healthz"] {
        assert_eq!(status(http.get(format!("{base}{public}"))).await, 200, "{public}");
    }
    // With a token, other Host names are fine (the token is the guard).
    let req = http.get(format!("{base}/api/stats")).header("Host", "news.example").bearer_auth(token);
    assert_eq!(status(req).await, 200);
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_are_capped() {
    let db = TestDb::sqlite();
    let store = open(db.url()).await;
    let mut opts = WebOptions::new("127.0.0.1:0", db.url());
    opts.max_streams = 2;
    let cancel = CancellationToken::new();
    let running = web::serve(store, opts, cancel.clone()).await.unwrap();
    let url = format!("http://{}/api/stream", running.addr);
    let http = reqwest::Client::new();
    let a = http.get(&url).send().await.unwrap();
    let b = http.get(&url).send().await.unwrap();
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let c = http.get(&url).send().await.unwrap();
    assert_eq!(c.status(), 503);
    drop(a);
    // The slot frees once the server notices the client left.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = http.get(&url).send().await.unwrap();
        if d.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "a closed stream's slot never freed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Shutdown ends open streams, so the server stops.
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), running.done).await.expect("server stops with streams open").unwrap();
    drop(b);
}
