//! A slow and failing database: PostgreSQL stopped for 30 s mid-stream (as
//! a crash stops it: `pg_ctl -m immediate`). The sink backs off, loses
//! nothing, stores nothing twice, and catches up when the server is back.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use support::throwaway_pg::ThrowawayPg;
use support::*;

async fn connect(url: &str) -> Option<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.ok()?;
    tokio::spawn(conn);
    Some(client)
}

/// Canonical URLs of the stored articles (empty while the server is away).
async fn stored(url: &str) -> Vec<String> {
    let Some(client) = connect(url).await else { return Vec::new() };
    client
        .query("SELECT canonical_url FROM articles", &[])
        .await
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_for_30_seconds_loses_nothing_and_the_sink_catches_up() {
    let pg = ThrowawayPg::start();
    let broker = Broker::start(true).await;
    let site = Site::start().await;
    site.publish_many(60);
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("{}.", unique("pgdown"));
    let env = [("NEWSFLOW_KAFKA__GROUP_PREFIX", prefix.clone()), ("NEWSFLOW_FETCHER__PER_HOST_RPS", "20".into())];
    let (addr, feed, db) = (broker.address(), site.feed(), pg.url());
    let mut args = run_args(&addr, &feed, &prefix, "");
    args.extend(["--db", &db, "--web-listen", ""]);
    let mut run = newsflow("run-pgdown", dir.path(), &args, &env);
    let want: BTreeSet<String> = site.newsroom.articles().iter().map(|a| canonical(&site, a)).collect();

    // Down once some articles are in and the rest still flowing.
    let deadline = Instant::now() + Duration::from_secs(120);
    while stored(&db).await.len() < 5 {
        assert!(Instant::now() < deadline, "nothing stored within 120 s\n{}", run.tail());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    pg.down();
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        run.child.try_wait().unwrap().is_none(),
        "newsflow keeps running while the database is down\n{}",
        run.tail()
    );
    pg.up();
    let outage = down_at.elapsed();

    let deadline = Instant::now() + Duration::from_secs(180);
    let rows = loop {
        let rows = stored(&db).await;
        if rows.len() >= want.len() || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let caught_up = down_at.elapsed() - outage;
    let distinct: BTreeSet<String> = rows.iter().cloned().collect();
    assert_eq!(distinct.len(), rows.len(), "an article was stored twice");
    assert_eq!(distinct, want, "stored set differs from the published set\n{}", run.tail());
    let log = run.output();
    assert!(
        log.contains("retry") || log.contains("unavailable") || log.contains("unreachable"),
        "the outage was noticed and retried\n{}",
        run.tail()
    );
    eprintln!("outage {outage:?}; every article stored {caught_up:?} after the server came back");
    assert!(run.terminate().success(), "{}", run.tail());
}
