//! The dashboard end to end, in headless Chromium: the real `newsflow
//! serve` binary over a real SQLite store, articles written by this test
//! through `Store::write` (another process, as the sink would be).
//!
//! Checked as a reader would see it: a new article appears in the live
//! stream without a reload; an Arabic headline renders right to left; an
//! article carrying `<script>` and an `onerror` handler shows them as text
//! and runs neither; with a token the API refuses requests without it and
//! the dashboard still works once opened with `?token=`.

mod browser;
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use browser::Browser;
use newsflow_enrich::search::search_form;
use newsflow_sink::{ArticleRow, Store};
use serde_json::{Value, json};
use support::*;

const EVIL_TITLE: &str = r#"Exclusive <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> leak"#;
const EVIL_TEXT: &str = r#"Body <script>window.__pwned=3</script> and <img src=x onerror="window.__pwned=4"> here.
<a href="javascript:window.__pwned=5">click</a> <iframe src="javascript:parent.__pwned=6"></iframe>"#;

fn article(id: &str, lang: &str, title: &str, text: &str) -> ArticleRow {
    ArticleRow {
        id: id.to_owned(),
        url: format!("https://news.example/{id}"),
        canonical_url: format!("https://news.example/{id}"),
        title: Some(title.to_owned()),
        text: text.to_owned(),
        language: Some(lang.to_owned()),
        source: format!("wire-{lang}"),
        site_name: Some(format!("Wire ({lang})")),
        content_hash: format!("hash-{id}"),
        trace_id: format!("trace-{id}"),
        story_id: Some(id.to_owned()),
        search_title: search_form(title),
        search_body: search_form(text),
        ..Default::default()
    }
}

/// `newsflow serve` on a free port over `db`, once it answers.
async fn serve(dir: &Path, db: &Path, env: &[(&str, String)]) -> (Proc, String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let url = format!("sqlite:{}", db.display());
    let proc = newsflow("serve", dir, &["serve", "--listen", &listen, "--db", &url], env);
    let base = format!("http://{listen}");
    let health = format!("{base}/healthz");
    wait_for(Duration::from_secs(30), "newsflow serve to answer /healthz", || {
        std::net::TcpStream::connect(&listen).ok().map(|_| ())
    })
    .await;
    assert_eq!(reqwest::get(&health).await.unwrap().status(), 200, "{}", proc.tail());
    (proc, base)
}

async fn open_store(db: &Path) -> Arc<Store> {
    Arc::new(Store::open(&format!("sqlite:{}", db.display())).await.expect("open the store"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_stream_arabic_direction_and_untrusted_html_in_chromium() {
    browser::binaries(); // a clear failure first when Chromium is missing
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let store = open_store(&db).await;
    store.write(article("en-1", "en", "Markets open higher", "Stocks rose in early trading.")).await.unwrap();
    store
        .write(article("ar-1", "ar", "اجتماع التحالف الدولي في روما", "والاجتماعُ عُقد في العاصمة الإيطالية."))
        .await
        .unwrap();
    store.write(article("evil-1", "en", EVIL_TITLE, EVIL_TEXT)).await.unwrap();
    let (server, base) = serve(dir.path(), &db, &[]).await;
    let b = Browser::start(dir.path()).await;
    let limit = Duration::from_secs(20);

    b.client.goto(&format!("{base}/")).await.unwrap();
    b.wait_for("html[data-articles='loaded']", "the first page of articles", limit).await;
    b.wait_for("#status[data-state='live']", "the live stream to connect", limit).await;
    // The marker proves no reload; the listener records anything the
    // Content-Security-Policy had to block (it should have nothing to do).
    b.js(
        "window.__marker = 42; window.__violations = [];
         document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));",
        vec![],
    )
    .await;

    // A new article, and a hostile one, arrive while the page is open.
    store.write(article("live-1", "en", "Breaking: a new article arrives live", "Fresh text.")).await.unwrap();
    store.write(article("evil-2", "en", EVIL_TITLE, EVIL_TEXT)).await.unwrap();
    b.wait_for("li[data-id='live-1']", "the new article in the live stream", limit).await;
    b.wait_for("li[data-id='evil-2']", "the hostile article in the live stream", limit).await;
    assert_eq!(b.js("return window.__marker;", vec![]).await, json!(42), "the page reloaded");
    let order = b.js("return [...document.querySelectorAll('#stream > li')].map(li => li.dataset.id);", vec![]).await;
    assert_eq!(order, json!(["evil-2", "live-1", "evil-1", "ar-1", "en-1"]), "new articles go on top");
    b.screenshot("live").await;

    // Arabic renders right to left, and says it is Arabic.
    let ar = "const h = document.querySelector(\"li[data-id='ar-1'] h2\");
              return [getComputedStyle(h).direction, h.lang, getComputedStyle(h.querySelector('a')).direction];";
    assert_eq!(b.js(ar, vec![]).await, json!(["rtl", "ar", "rtl"]));
    let en = "return getComputedStyle(document.querySelector(\"li[data-id='en-1'] h2\")).direction;";
    assert_eq!(b.js(en, vec![]).await, json!("ltr"));

    // Untrusted HTML shows as text and runs nothing, in the list...
    let shown = "return [...document.querySelectorAll(\"li[data-id^='evil'] h2\")].map(h => h.textContent);";
    assert_eq!(b.js(shown, vec![]).await, json!([EVIL_TITLE, EVIL_TITLE]));
    // Escaping is checked on its own, not only through the CSP: no element
    // from article text exists anywhere in the page.
    let injected = "return document.querySelectorAll('body img, body script, body iframe, body [onerror]').length;";
    assert_eq!(b.js(injected, vec![]).await, json!(0));
    // ...and in the article view, with its full text.
    b.client.goto(&format!("{base}/#/article/evil-2")).await.unwrap();
    b.wait_for("#article h1", "the article view", limit).await;
    let body = b.js("return document.querySelector('#article .body').textContent;", vec![]).await;
    assert!(body.as_str().unwrap().contains("<script>window.__pwned=3</script>"), "{body}");
    assert_eq!(b.js(injected, vec![]).await, json!(0));
    let links =
        "return [...document.querySelectorAll('#article a')].map(a => a.href).filter(h => !/^https?:/.test(h));";
    assert_eq!(b.js(links, vec![]).await, json!([]), "only http(s) links");
    b.screenshot("article").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(b.js("return typeof window.__pwned;", vec![]).await, json!("undefined"), "article HTML ran");
    assert_eq!(b.js("return window.__violations;", vec![]).await, json!([]), "article HTML tried to run");

    // Search through the page: an Arabic variant finds the article.
    b.client.goto(&format!("{base}/#/search?q={}", "بالاجتماع")).await.unwrap();
    b.wait_for("#results li[data-id='ar-1']", "the Arabic search result", limit).await;
    b.screenshot("search").await;
    // Story and sources views render.
    b.client.goto(&format!("{base}/#/story/ar-1")).await.unwrap();
    b.wait_for("#story li[data-id='ar-1']", "the story view", limit).await;
    b.client.goto(&format!("{base}/#/sources")).await.unwrap();
    b.wait_true("return document.querySelectorAll('#sources tbody tr').length === 2;", "the two sources", limit).await;
    b.screenshot("sources").await;
    // The alert log comes from the alerts API, mounted on the same server.
    b.client.goto(&format!("{base}/#/alerts")).await.unwrap();
    b.wait_true(
        "const td = document.querySelector('#alerts tbody td'); return !!td && td.textContent === 'No alerts raised.';",
        "the (empty) alert log",
        limit,
    )
    .await;
    assert_eq!(b.js("return typeof window.__pwned;", vec![]).await, json!("undefined"));
    b.close().await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_the_api_and_the_dashboard_carries_it() {
    browser::binaries();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let store = open_store(&db).await;
    store.write(article("t-1", "en", "Guarded news", "Text.")).await.unwrap();

    // Beyond loopback without a token: refused, with the reason.
    let port = free_port();
    let url = format!("sqlite:{}", db.display());
    let mut exposed =
        newsflow("exposed", dir.path(), &["serve", "--listen", &format!("0.0.0.0:{port}"), "--db", &url], &[]);
    let status = wait_for(Duration::from_secs(30), "serve to refuse", || exposed.child.try_wait().unwrap()).await;
    assert!(!status.success());
    assert!(exposed.output().contains("no token is set"), "{}", exposed.output());

    // The token comes from the environment (figment layering).
    let token = "a-long-random-token-for-the-test";
    let (server, base) = serve(dir.path(), &db, &[("NEWSFLOW_WEB__TOKEN", token.into())]).await;
    let http = reqwest::Client::new();
    for path in ["/api/articles", "/api/search?q=news", "/api/alerts", "/openapi.json"] {
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path} without the token");
        let body: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
        assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
        let resp = http.get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path} with the token");
    }
    assert_eq!(http.get(format!("{base}/")).send().await.unwrap().status(), 200, "the page itself is public");

    let b = Browser::start(dir.path()).await;
    let limit = Duration::from_secs(20);
    // Without the token the page says how to get in.
    b.client.goto(&format!("{base}/")).await.unwrap();
    b.wait_true("return !document.getElementById('notice').hidden;", "the token notice", limit).await;
    let notice = b.js("return document.getElementById('notice').textContent;", vec![]).await;
    assert!(notice.as_str().unwrap().contains("?token="), "{notice}");
    // With it, once, in the URL: articles load, the live stream runs, and
    // the token leaves the address bar.
    b.client.goto(&format!("{base}/?token={token}")).await.unwrap();
    b.wait_for("li[data-id='t-1']", "articles with the token", limit).await;
    b.wait_for("#status[data-state='live']", "the live stream with the token", limit).await;
    let address = b.client.current_url().await.unwrap();
    assert!(!address.as_str().contains(token), "the token stayed in the address bar: {address}");
    store.write(article("t-2", "en", "Live behind a token", "Text.")).await.unwrap();
    b.wait_for("li[data-id='t-2']", "a live article behind the token", limit).await;
    // A reload in the same tab keeps working.
    b.client.refresh().await.unwrap();
    b.wait_for("li[data-id='t-2']", "articles after a reload", limit).await;
    b.close().await;
    drop(server);
}
