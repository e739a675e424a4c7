//! Chaos: while the demo newsroom's articles flow through fetch → scrape →
//! enrich → sink, four separate processes over a broker with durable
//! storage (tansu on SQLite), a service chosen at random is killed with
//! SIGKILL and restarted every few seconds, and in the long form the broker
//! is restarted too. At the end every published article is stored exactly
//! once. The report gives the kills, restarts and how long the stream took
//! to move again after each.
//!
//! The short form runs in the test command; the long form (10,000 articles,
//! broker restarts) is `scripts/chaos` (`cargo test --release --test chaos
//! -- --ignored --nocapture`; NEWSFLOW_CHAOS_ARTICLES sets the count).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use support::*;

const SERVICES: [&str; 4] = ["fetch", "scrape", "enrich", "sink"];
/// Least time between two kills of one service.
const QUIET: Duration = Duration::from_secs(20);

/// Stored rows and distinct canonical URLs among them.
fn counts(db: &Path) -> (usize, usize) {
    let Ok(conn) = rusqlite::Connection::open(db) else { return (0, 0) };
    conn.query_row("SELECT COUNT(*), COUNT(DISTINCT canonical_url) FROM articles", [], |r| {
        Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize))
    })
    .unwrap_or((0, 0))
}

fn stored_urls(db: &Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(db).expect("open the store");
    let mut stmt = conn.prepare("SELECT canonical_url FROM articles").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// Wait until more than `than` rows are stored.
async fn progress(db: &Path, than: usize, limit: Duration, procs: &[Proc]) {
    let started = Instant::now();
    while counts(db).0 <= than {
        if started.elapsed() > limit {
            let logs: Vec<String> = procs.iter().map(|p| format!("--- {}\n{}", p.name, p.tail())).collect();
            panic!("no progress past {than} rows in {limit:?}\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How often each service's log (all its incarnations) shows the events
/// that stall a stream: rejoining an empty assignment, rebalances, the
/// enricher waiting for its index to catch up.
fn log_summary(procs: &[Proc]) -> String {
    const EVENTS: [&str; 6] = [
        "stage started",
        "partitions assigned",
        "no partitions assigned for a while",
        "dedup index caught up",
        "dedup index not caught up in time",
        "consume failed",
    ];
    let mut out = String::new();
    for p in procs {
        let log = p.output();
        let counts: Vec<String> = EVENTS
            .iter()
            .map(|e| (e, log.matches(e).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(e, n)| format!("{e}: {n}"))
            .collect();
        let waited = log
            .lines()
            .filter(|l| l.contains("dedup index caught up"))
            .filter_map(|l| l.split("waited_ms=").nth(1)?.split_whitespace().next()?.parse::<u64>().ok())
            .max();
        let waited = waited.map(|ms| format!(" (longest wait {ms} ms)")).unwrap_or_default();
        out.push_str(&format!("  {} log: {}{waited}\n", p.name, counts.join("; ")));
    }
    out
}

/// The 1-minute load average.
fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0.0)
}

struct Report {
    articles: usize,
    kills: BTreeMap<&'static str, usize>,
    broker_restarts: usize,
    /// Time from a kill (or a broker restart) to the next new row, by what
    /// was killed ("broker" for a restart).
    recoveries: BTreeMap<&'static str, Vec<Duration>>,
    took: Duration,
    /// The 1-minute load average, sampled every 10 s.
    load: Vec<f64>,
    stored: usize,
    lost: usize,
    duplicated: usize,
    unexpected: usize,
}

fn median_max(r: &[Duration]) -> (Duration, Duration) {
    let mut r = r.to_vec();
    r.sort();
    (r.get(r.len().saturating_sub(1) / 2).copied().unwrap_or_default(), r.last().copied().unwrap_or_default())
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let all: Vec<Duration> = self.recoveries.values().flatten().copied().collect();
        let (median, max) = median_max(&all);
        writeln!(
            f,
            "chaos: {} articles published, {} stored, in {:.0?}; kills {:?} ({} in all); broker restarts {}",
            self.articles,
            self.stored,
            self.took,
            self.kills,
            self.kills.values().sum::<usize>(),
            self.broker_restarts,
        )?;
        writeln!(f, "first new row after a kill: median {median:.1?}, max {max:.1?} ({} measured)", all.len())?;
        for (what, r) in &self.recoveries {
            let (median, max) = median_max(r);
            writeln!(f, "  after {what}: median {median:.1?}, max {max:.1?} ({} measured)", r.len())?;
        }
        let (lo, hi) = self.load.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &l| (lo.min(l), hi.max(l)));
        let mean = self.load.iter().sum::<f64>() / self.load.len().max(1) as f64;
        writeln!(f, "load average (1 min, every 10 s): min {lo:.1}, mean {mean:.1}, max {hi:.1}")?;
        write!(f, "lost {}, duplicated {}, not published {}", self.lost, self.duplicated, self.unexpected)
    }
}

/// Run the chaos for `extra` articles beyond the five seeds: a kill every
/// `every` (at most `max_rounds` of them, then the stream is let finish),
/// the broker restarted every `broker_every`-th round (0: never). Kills
/// much closer together than the group session timeout (10 s) keep the
/// consumer groups rebalancing and the stream stalls, as it would in
/// production. The report is printed before its figures are checked.
async fn chaos(extra: usize, every: Duration, max_rounds: usize, broker_every: usize) -> Report {
    let mut broker = Broker::start(true).await;
    let site = Site::start().await;
    site.publish_many(extra);
    let want = site.newsroom.articles().len();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/newsflow.db");
    let mut svc = services(dir.path(), &broker, &site, "chaos");
    svc.env.push(("NEWSFLOW_FETCHER__PER_HOST_RPS", "1000".into()));
    let mut procs: Vec<Proc> = SERVICES.iter().map(|n| svc.spawn(n)).collect();
    let started = Instant::now();
    let mut report = Report {
        articles: want,
        kills: BTreeMap::new(),
        broker_restarts: 0,
        recoveries: BTreeMap::new(),
        took: Duration::ZERO,
        load: vec![load1()],
        stored: 0,
        lost: 0,
        duplicated: 0,
        unexpected: 0,
    };
    progress(&db, 0, Duration::from_secs(180), &procs).await;
    // Kill on a schedule, whether or not the stream has recovered from the
    // last kill; a recovery is the time from a kill to the next new row.
    let mut round = 0;
    let mut next_kill = Instant::now() + every;
    let mut next_load = Instant::now() + Duration::from_secs(10);
    // Kills and restarts not yet followed by a new row.
    let mut waiting: Vec<(Instant, usize, &'static str)> = Vec::new();
    let mut last_change = (Instant::now(), 0);
    let mut last_kill: [Option<Instant>; 4] = [None; 4];
    let mut last_report = Instant::now();
    while counts(&db).0 < want {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = counts(&db).0;
        if Instant::now() >= next_load {
            report.load.push(load1());
            next_load += Duration::from_secs(10);
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            eprintln!(
                "chaos: {:.0?} {now}/{want} rows, kills {:?}, broker restarts {}, load {:.1}",
                started.elapsed(),
                report.kills,
                report.broker_restarts,
                load1()
            );
            last_report = Instant::now();
        }
        if now != last_change.1 {
            last_change = (Instant::now(), now);
        }
        if last_change.0.elapsed() > Duration::from_secs(300) {
            let logs: Vec<String> = procs.iter().map(|p| format!("--- {}\n{}", p.name, p.tail())).collect();
            panic!("no progress for 300 s at {now} rows\n{}", logs.join("\n"));
        }
        waiting.retain(|&(at, rows, what)| {
            let recovered = now > rows;
            if recovered {
                report.recoveries.entry(what).or_default().push(at.elapsed());
            }
            !recovered
        });
        if Instant::now() < next_kill || now >= want || round >= max_rounds {
            continue;
        }
        round += 1;
        next_kill = Instant::now() + every;
        let what = if broker_every > 0 && round % broker_every == 0 {
            broker.restart().await;
            report.broker_restarts += 1;
            "broker"
        } else {
            // Not the same service twice within 20 s: tansu 0.6 can leave a
            // killed member's partitions assigned to it when its successor
            // is killed before the group settled (real Kafka expires it).
            let ready: Vec<usize> =
                (0..SERVICES.len()).filter(|&i| last_kill[i].is_none_or(|t| t.elapsed() > QUIET)).collect();
            let Some(&i) = ready.choose(&mut rand::rng()) else { continue };
            let name = SERVICES[i];
            procs[i].kill9();
            last_kill[i] = Some(Instant::now());
            *report.kills.entry(name).or_default() += 1;
            procs[i] = svc.spawn(name);
            name
        };
        waiting.push((Instant::now(), now, what));
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while counts(&db).0 < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    report.took = started.elapsed();
    report.load.push(load1());
    // Redeliveries still in flight would show up now, not later.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (rows, distinct) = counts(&db);
    let expected: BTreeSet<String> = site.newsroom.articles().iter().map(|a| canonical(&site, a)).collect();
    let stored = stored_urls(&db);
    report.stored = rows;
    report.duplicated = rows - distinct;
    report.lost = expected.difference(&stored).count();
    report.unexpected = stored.difference(&expected).count();
    eprintln!("{report}");
    eprint!("{}", log_summary(&procs));
    if std::env::var_os("NEWSFLOW_CHAOS_KEEP").is_some() {
        eprintln!("logs and store kept in {}", dir.keep().display());
    }
    assert_eq!(rows, distinct, "an article was stored twice");
    assert_eq!(stored, expected, "the stored set differs from the published set");
    for mut p in procs {
        assert!(p.terminate().success(), "{} exits cleanly\n{}", p.name, p.tail());
    }
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kills_of_every_service_lose_nothing_and_duplicate_nothing() {
    // 2,500 articles: the stream takes about a minute in a debug build, long
    // enough for every service to be killed (1,000 ended after 3 kills once
    // the demo newsroom stopped copying its articles on every request).
    let report = chaos(2_500, Duration::from_secs(8), 8, 0).await;
    assert!(report.kills.values().sum::<usize>() >= 4, "the stream ended before the chaos did: make it longer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long form (scripts/chaos): 10,000 articles, broker restarts included"]
async fn chaos_long_form_with_broker_restarts() {
    let n = std::env::var("NEWSFLOW_CHAOS_ARTICLES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let report = chaos(n, Duration::from_secs(15), usize::MAX, 4).await;
    assert!(report.broker_restarts >= 1, "the stream ended before the broker was restarted: make it longer");
}
