//! The stores' contract, checked against both engines: each check is one
//! function taking a store URL, run once on a fresh SQLite file and once on a
//! fresh PostgreSQL database (`$NEWSFLOW_TEST_PG`, a server URL without a
//! database, default postgres://postgres@127.0.0.1:5432; no server is a
//! failure, never a skip).

#[macro_use]
mod testdb;
use testdb::{TestDb, admin, pg};

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use newsflow_kafka::{Incoming, Stage, StageError};
use newsflow_sink::batch::WriteError;
use newsflow_sink::schema::MIGRATIONS;
use newsflow_sink::{ArticleRow, SinkStage, Store};
use newsflow_wire::{ArticleMsg, EnrichedArticle, Enrichment, Envelope};
use rusqlite::OptionalExtension;
use tokio::task::JoinSet;

on_both_engines!(
    the_same_item_twice_is_one_row,
    concurrent_writes_are_batched_and_all_durable,
    a_bad_row_does_not_block_the_batch,
    migrations_apply_once,
    arabic_text_round_trips_exactly,
    stories_entities_sources_and_search_follow_the_articles,
);

async fn stories_entities_sources_and_search_follow_the_articles(url: &str) {
    let store = open(url).await;
    let mut a1 = story_row("a1", "a1", "wire-a", "اجتماع التحالف في روما", "والاجتماعُ عُقد في روما يوم الخميس");
    a1.entities =
        vec![newsflow_sink::EntityRow {
            kind: "LOC".into(), key: "روما".into(), surface: "روما".into(), mentions: 2
        }];
    let a2 = story_row("a2", "a1", "wire-b", "التحالف يجتمع", "اجتماع التحالف الدولي");
    let b1 = story_row("b1", "b1", "wire-a", "Markets rally", "Stocks rose in Tokyo");
    for r in [&a1, &a2, &b1, &a1] {
        store.write(r.clone()).await.expect("write");
    }
    let stories = "SELECT id || ':' || CAST(articles AS TEXT) || ':' || CAST(sources AS TEXT) || ':' || title
                   FROM stories ORDER BY id";
    assert_eq!(
        texts(url, stories, None).await,
        ["a1:2:2:اجتماع التحالف في روما", "b1:1:1:Markets rally"],
        "one row per story, counted once per article even when an article is written twice"
    );
    let sources = "SELECT id || ':' || CAST(articles AS TEXT) FROM sources ORDER BY id";
    assert_eq!(texts(url, sources, None).await, ["wire-a:2", "wire-b:1"], "sources count new articles only");
    let entities = "SELECT item_id || ':' || kind || ':' || key || ':' || CAST(mentions AS TEXT) FROM entities";
    assert_eq!(texts(url, entities, None).await, ["a1:LOC:روما:2"]);

    // An article that moves to another story leaves the first one recounted.
    store.write(story_row("a2", "c1", "wire-b", "التحالف يجتمع", "نص جديد عن الطقس")).await.expect("move a2");
    assert_eq!(
        texts(url, stories, None).await,
        ["a1:1:1:اجتماع التحالف في روما", "b1:1:1:Markets rally", "c1:1:1:التحالف يجتمع"]
    );

    // Full-text search over the search form: "الاجتماع" finds "والاجتماعُ";
    // a rewritten article is found by its new text only.
    let sqlite_search = "SELECT a.id FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
                         WHERE articles_fts MATCH ?1 ORDER BY a.id";
    let pg_search = "SELECT id FROM articles WHERE search @@ to_tsquery('simple', $1) ORDER BY id";
    let search = |q: &str| {
        let q = newsflow_enrich::search::search_word(q).expect("a searchable word");
        (sqlite_search.replace("?1", &format!("'{q}'")), pg_search.replace("$1", &format!("'{q}'")))
    };
    let (s, p) = search("الاجتماع");
    assert_eq!(texts(url, &s, Some(&p)).await, ["a1"], "the old text of a2 is no longer indexed");
    let (s, p) = search("الطقس");
    assert_eq!(texts(url, &s, Some(&p)).await, ["a2"]);
    let (s, p) = search("tokyo");
    assert_eq!(texts(url, &s, Some(&p)).await, ["b1"]);
}

async fn the_same_item_twice_is_one_row(url: &str) {
    let store = open(url).await;
    store.write(row("twice", "First title")).await.expect("first write");
    let first = stored(url, "twice").await.expect("the row is stored after the first write");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = Utc::now().trunc_subsecs(3); // SQLite keeps milliseconds
    store.write(row("twice", "Corrected title")).await.expect("second write");
    let second = stored(url, "twice").await.expect("the row is stored after the second write");
    assert_eq!(ids(url).await, ["twice"], "one row per item id");
    assert_eq!(second.title.as_deref(), Some("Corrected title"), "the second write updates the row");
    assert_eq!(second.stored_at, first.stored_at, "stored_at is set on insert only");
    assert!(second.updated_at >= first.updated_at, "updated_at went back: {second:?} after {first:?}");
    assert!(second.updated_at >= before, "updated_at {} is older than the write ({before})", second.updated_at);
}

async fn concurrent_writes_are_batched_and_all_durable(url: &str) {
    const WRITES: usize = 2_000;
    const TASKS: usize = 50;
    const DISTINCT: usize = 1_600; // writes n and n + 1600 (other tasks) share an id
    let store = Arc::new(open(url).await);
    let mut tasks = JoinSet::new();
    for t in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            for n in t * WRITES / TASKS..(t + 1) * WRITES / TASKS {
                let id = format!("burst-{:04}", n % DISTINCT);
                store.write(row(&id, &format!("write {n}"))).await.map_err(|e| format!("{id}: {e}"))?;
            }
            Ok::<_, String>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("writer task panicked").unwrap_or_else(|e| panic!("write failed: {e}"));
    }
    let expected: Vec<String> = (0..DISTINCT).map(|n| format!("burst-{n:04}")).collect();
    assert_eq!(ids(url).await, expected, "every distinct id exactly once, right after the writes returned");
    drop(store);
    let reopened = open(url).await;
    assert_eq!(reopened.summary(0).await.expect("summary after reopening").count, DISTINCT as u64);
    assert_eq!(ids(url).await, expected, "every distinct id exactly once after reopening");
}

/// A row the engine refuses while it takes the others. PostgreSQL: a date
/// before 4713 BC, outside `TIMESTAMPTZ` (schema.rs). SQLite's schema takes
/// any text, so the test adds a trigger standing in for a constraint.
async fn rejected_row(url: &str) -> ArticleRow {
    let mut poison = row("poison", "poison");
    if let Some(path) = url.strip_prefix("sqlite:") {
        sqlite(path)
            .execute_batch(
                "CREATE TRIGGER no_poison BEFORE INSERT ON articles WHEN NEW.title = 'poison'
                 BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
            )
            .expect("create the rejecting trigger");
    } else {
        poison.published_at = Utc.with_ymd_and_hms(-5000, 1, 1, 0, 0, 0).single();
    }
    poison
}

async fn a_bad_row_does_not_block_the_batch(url: &str) {
    let store = Arc::new(open(url).await);
    let poison = rejected_row(url).await;
    // Hold the write lock so the writer stalls on a first row while the rest,
    // poison included, queue up and then go out as one batch.
    let lock_sqlite = url.strip_prefix("sqlite:").map(sqlite);
    let lock_pg = if lock_sqlite.is_none() { Some(pg(url).await) } else { None };
    let take = "BEGIN; LOCK TABLE articles IN EXCLUSIVE MODE";
    match (&lock_sqlite, &lock_pg) {
        (Some(conn), _) => conn.execute_batch("BEGIN IMMEDIATE").expect("take the SQLite write lock"),
        (_, Some(client)) => client.batch_execute(take).await.expect("lock the articles table"),
        _ => unreachable!(),
    }
    let mut writes = JoinSet::new();
    let mut good = Vec::new();
    for n in 0..201 {
        let r = if n == 100 { poison.clone() } else { row(&format!("good-{n:03}"), "fine") };
        if n != 100 {
            good.push(r.id.clone());
        }
        let store = Arc::clone(&store);
        writes.spawn(async move { (r.id.clone(), store.write(r).await) });
        if n == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await; // the writer takes row 0 alone
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    match (&lock_sqlite, &lock_pg) {
        (Some(conn), _) => conn.execute_batch("COMMIT").expect("release the SQLite write lock"),
        (_, Some(client)) => client.batch_execute("COMMIT").await.expect("unlock the articles table"),
        _ => unreachable!(),
    }
    while let Some(done) = writes.join_next().await {
        match done.expect("writer task panicked") {
            (id, Err(WriteError::Rejected(_))) if id == "poison" => {}
            (id, Ok(())) if id != "poison" => {}
            (id, result) => panic!("{id}: unexpected result {result:?}"),
        }
    }
    assert_eq!(ids(url).await, good, "every good row stored, the bad one not");
    match SinkStage::new(store).process(&incoming(&poison)).await {
        Err(StageError::Permanent(e)) if e.contains("database rejected") => {}
        other => panic!("a rejected row must be a permanent stage error, got {other:?}"),
    }
}

async fn migrations_apply_once(url: &str) {
    if url.starts_with("postgres") {
        let (a, b) = (url.to_owned(), url.to_owned());
        let (a, b) = tokio::join!(
            tokio::spawn(async move { Store::open(&a).await }),
            tokio::spawn(async move { Store::open(&b).await })
        );
        a.expect("open task panicked").expect("first concurrent open");
        b.expect("open task panicked").expect("second concurrent open");
    }
    let first = open(url).await;
    let second = open(url).await;
    second.write(row("after-migrations", "t")).await.expect("write after reopening");
    drop((first, second));
    let versions = texts(url, "SELECT CAST(version AS TEXT) FROM schema_migrations", None).await;
    let mut expected: Vec<String> = MIGRATIONS.iter().map(|m| m.0.to_string()).collect();
    expected.sort();
    assert_eq!(versions, expected, "one schema_migrations row per migration");
    let pg_columns = "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
                      WHERE table_schema = current_schema() AND table_name = 'articles'";
    let columns = texts(url, "SELECT name FROM pragma_table_info('articles')", Some(pg_columns)).await;
    for documented in ["id", "url", "canonical_url", "title", "text", "language", "published_at", "source", "stored_at"]
    {
        assert!(columns.iter().any(|c| c == documented), "articles has no {documented} column: {columns:?}");
    }
}

async fn arabic_text_round_trips_exactly(url: &str) {
    let title = "ــعــاجــل\u{200F}: بِسْمِ ٱللَّٰهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ 🕌 ١٢٣";
    let text = "\u{202B}قالَ المُتَحَدِّثُ «ســلامٌ» 👩🏽\u{200D}💻 ✌🏾\u{202C}\n\n\u{061C}سطر\u{200C}ثانٍ \
                e\u{301} \u{200E}ABC\u{200E} \u{2067}עברית\u{2069} \u{FEFF}🇯🇴";
    let mut r = row("arabic", title);
    r.text = text.to_owned();
    open(url).await.write(r).await.expect("write the Arabic article");
    let back = stored(url, "arabic").await.expect("the Arabic article is stored");
    assert_eq!(back.title.as_deref().map(str::as_bytes), Some(title.as_bytes()), "title bytes");
    assert_eq!(back.text.as_bytes(), text.as_bytes(), "text bytes");
}

/// The tsvector the sink builds equals what PostgreSQL's own parser makes
/// of the same search forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_built_tsvector_equals_the_servers() {
    let db = TestDb::postgres().await;
    let client = pg(db.url()).await;
    let form = newsflow_enrich::search::search_form;
    let samples = [
        ("اجتماع التحالف في روما", "والاجتماعُ عُقد في روما يوم الخميس 4 حزيران/يونيو ٢٠٢٠ وفي روما أيضاً"),
        ("Covid-19: WHO's O'Brien", "Cases rose 12% in São Paulo; al-Qaeda\\ C:\\path it's 2024 a a a"),
        ("", ""),
    ];
    for (title, body) in samples {
        let (t, b) = (form(title), form(body));
        let ours = newsflow_sink::pg_tsvector::TsVector::new(&t, &b);
        let same: bool = client
            .query_one(
                "SELECT $1::tsvector = (setweight(to_tsvector('simple', $2), 'A') || to_tsvector('simple', $3))",
                &[&ours, &t, &b],
            )
            .await
            .unwrap_or_else(|e| panic!("{ours:?}: {e}"))
            .get(0);
        assert!(same, "{title} / {body}: {ours:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_is_transient_and_recovers() {
    let db = TestDb::postgres().await;
    let TestDb::Postgres { name, .. } = &db else { unreachable!() };
    let store = Arc::new(open(db.url()).await);
    store.write(row("before", "t")).await.expect("write before the outage");

    // The store's connection is killed: the next write fails as unavailable
    // (or already reconnects); retrying as the stage does gets it stored.
    assert!(terminate(name).await > 0, "the store had no connection to terminate");
    match store.write(row("after", "t")).await {
        Ok(()) | Err(WriteError::Unavailable(_)) => {}
        Err(e) => panic!("a lost connection must be retryable, got {e:?}"),
    }
    let started = Instant::now();
    while let Err(e) = store.write(row("after", "t")).await {
        assert!(matches!(e, WriteError::Unavailable(_)), "a lost connection must be retryable, got {e:?}");
        assert!(started.elapsed() < Duration::from_secs(30), "no reconnection within 30 s: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stored(db.url(), "after").await.is_some(), "the retried row is stored");

    // The database refuses connections: the stage reports a transient error,
    // and the same message goes through once the database is back.
    let admin = admin().await;
    admin.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await.expect("close the db");
    terminate(name).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while connections(name).await > 0 {
        assert!(Instant::now() < deadline, "backends of {name} survive pg_terminate_backend");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stage = SinkStage::new(Arc::clone(&store));
    let msg = incoming(&row("via-stage", "Sent through the stage"));
    match stage.process(&msg).await {
        Err(StageError::Transient(_)) => {}
        other => panic!("the database being down must be transient, got {other:?}"),
    }
    admin.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await.expect("reopen the db");
    let started = Instant::now();
    loop {
        match stage.process(&msg).await {
            Ok(out) => {
                assert!(out.is_empty(), "the sink produces nothing");
                break;
            }
            Err(StageError::Transient(_)) if started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the stage did not recover: {e}"),
        }
    }
    let via_stage = stored(db.url(), "via-stage").await.expect("the stage's row is stored");
    assert_eq!(via_stage.title.as_deref(), Some("Sent through the stage"));
}

// ---- fixtures ------------------------------------------------------------

fn row(id: &str, title: &str) -> ArticleRow {
    ArticleRow {
        id: id.to_owned(),
        url: format!("https://news.example/{id}?utm_source=feed"),
        canonical_url: format!("https://news.example/{id}"),
        title: Some(title.to_owned()),
        text: format!("The body of {id}."),
        language: Some("en".into()),
        published_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).single(),
        source: "example-feed".into(),
        authors: vec!["A. Writer".into()],
        description: None,
        site_name: Some("Example News".into()),
        top_image: None,
        content_hash: format!("hash-of-{id}"),
        word_count: 4,
        trace_id: format!("trace-{id}"),
        fetched_at: Some(Utc::now()),
        story_id: Some(id.to_owned()),
        search_title: newsflow_enrich::search::search_form(title),
        search_body: newsflow_enrich::search::search_form(&format!("The body of {id}.")),
        ..Default::default()
    }
}

/// A row of `story` from `source` with `text`.
fn story_row(id: &str, story: &str, source: &str, title: &str, text: &str) -> ArticleRow {
    let mut r = row(id, title);
    r.story_id = Some(story.to_owned());
    r.source = source.to_owned();
    r.text = text.to_owned();
    r.search_body = newsflow_enrich::search::search_form(text);
    r
}

/// The `enriched` message a row comes from, as the sink stage consumes it.
fn incoming(r: &ArticleRow) -> Incoming {
    let article = ArticleMsg {
        source_id: r.source.clone(),
        url: r.url.clone(),
        canonical_url: r.canonical_url.clone(),
        title: r.title.clone(),
        published_at: r.published_at.map(|d| d.fixed_offset()),
        text: r.text.clone(),
        ..Default::default()
    };
    let enrichment = Enrichment { content_hash: r.content_hash.clone(), ..Default::default() };
    let env = Envelope::new(r.id.clone(), r.trace_id.clone(), EnrichedArticle { article, enrichment });
    let key = Some(r.id.clone().into_bytes());
    Incoming { topic: "enriched".into(), partition: 0, offset: 0, key, value: Some(env.encode()) }
}

async fn open(url: &str) -> Store {
    Store::open(url).await.unwrap_or_else(|e| panic!("Store::open({url}): {e}"))
}

/// Terminate every backend of database `name`; how many were signalled.
async fn terminate(name: &str) -> usize {
    let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()";
    admin().await.query(sql, &[&name]).await.expect("pg_terminate_backend").len()
}

async fn connections(name: &str) -> i64 {
    let sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1";
    admin().await.query_one(sql, &[&name]).await.expect("count backends").get(0)
}

fn sqlite(path: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    conn.busy_timeout(Duration::from_secs(10)).expect("set busy_timeout");
    // The full-text index lives in a file of its own (sqlite_fts.rs).
    newsflow_sink::sqlite_fts::attach(&conn, std::path::Path::new(path), true).expect("attach the search index");
    conn
}

#[derive(Debug)]
struct Stored {
    title: Option<String>,
    text: String,
    stored_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

async fn stored(url: &str, id: &str) -> Option<Stored> {
    let Some(path) = url.strip_prefix("sqlite:") else {
        let sql = "SELECT title, text, stored_at, updated_at FROM articles WHERE id = $1";
        let found = pg(url).await.query_opt(sql, &[&id]).await.expect("read the article");
        return found.map(|r| Stored { title: r.get(0), text: r.get(1), stored_at: r.get(2), updated_at: r.get(3) });
    };
    let ts = |s: String| DateTime::parse_from_rfc3339(&s).unwrap_or_else(|e| panic!("timestamp {s:?}: {e}")).to_utc();
    let sql = "SELECT title, text, stored_at, updated_at FROM articles WHERE id = ?1";
    sqlite(path)
        .query_row(sql, [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()
        .expect("read the article")
        .map(|(title, text, s, u)| Stored { title, text, stored_at: ts(s), updated_at: ts(u) })
}

/// The first column of a query as sorted text; `pg_sql` when PostgreSQL's differs.
async fn texts(url: &str, sql: &str, pg_sql: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = match url.strip_prefix("sqlite:") {
        Some(path) => {
            let conn = sqlite(path);
            let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            let rows = stmt.query_map([], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.collect::<Result<_, _>>().unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
        None => {
            let sql = pg_sql.unwrap_or(sql);
            let rows = pg(url).await.query(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.iter().map(|r| r.get(0)).collect()
        }
    };
    out.sort();
    out
}

async fn ids(url: &str) -> Vec<String> {
    texts(url, "SELECT id FROM articles", None).await
}

/// Two sink processes starting together on a new SQLite file migrate once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_opens_of_a_new_sqlite_file_both_succeed() {
    for round in 0..20 {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join(format!("race-{round}.db")).display());
        let (a, b) = tokio::join!(Store::open(&url), Store::open(&url));
        a.expect("first open");
        b.expect("second open");
    }
}
