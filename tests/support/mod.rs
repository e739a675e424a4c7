//! Test harness: real parts only. A real Kafka-protocol broker (tansu, the
//! embedded broker newsflow itself runs), real SQLite files, a real
//! PostgreSQL server, the real `newsflow` binary as child processes, and the
//! demo newsroom on 127.0.0.1.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use newsflow::newsroom::{Block, DemoArticle, Newsroom, find_seeds};
use newsflow_kafka::embedded::{EmbeddedBroker, EmbeddedOptions};
use tokio_util::sync::CancellationToken;

pub mod throwaway_pg;

/// A broker of its own for one test, with its storage directory.
pub struct Broker {
    pub broker: Option<EmbeddedBroker>,
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub durable: bool,
}

impl Broker {
    /// Start tansu; `durable` keeps data in SQLite so it survives restarts.
    pub async fn start(durable: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let broker = start_tansu(dir.path(), port, durable).await;
        Self { broker: Some(broker), dir, port, durable }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stop and start again on the same port and storage.
    pub async fn restart(&mut self) {
        if let Some(b) = self.broker.take() {
            b.stop().await;
        }
        self.broker = Some(start_tansu(self.dir.path(), self.port, self.durable).await);
    }
}

async fn start_tansu(dir: &Path, port: u16, durable: bool) -> EmbeddedBroker {
    let opts = EmbeddedOptions { dir: dir.to_path_buf(), port, in_memory: !durable, install: true };
    EmbeddedBroker::start(&opts).await.expect("tansu starts (the test command installs it)")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A unique topic prefix, so tests never see each other's messages.
pub fn unique(tag: &str) -> String {
    format!("t{}-{tag}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// The demo newsroom on a free port.
pub struct Site {
    pub newsroom: Newsroom,
    pub addr: SocketAddr,
    cancel: CancellationToken,
}

impl Site {
    pub async fn start() -> Self {
        let seeds = find_seeds(None).expect("../shared/data/seeds");
        let newsroom = Newsroom::from_seeds(&seeds).unwrap();
        let cancel = CancellationToken::new();
        let addr = newsroom.clone().spawn("127.0.0.1:0", cancel.clone()).await.unwrap();
        Self { newsroom, addr, cancel }
    }

    pub fn feed(&self) -> String {
        format!("http://{}/feed.xml", self.addr)
    }

    /// Publish `n` more articles, each a seed page under a new URL with a
    /// unique opening paragraph.
    pub fn publish_many(&self, n: usize) {
        let base = self.newsroom.articles();
        let start = base.len();
        for i in start..start + n {
            let mut a = base[i % 5].clone();
            a.slug = format!("extra/{i}");
            a.title = format!("{} ({i})", a.title);
            a.blocks.insert(0, Block::Para(format!("هذا هو الخبر الإضافي رقم {i} في غرفة الأخبار التجريبية.")));
            self.newsroom.push(a);
        }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A `newsflow` child process with its output in files.
pub struct Proc {
    pub child: Child,
    pub log: PathBuf,
    pub name: String,
}

/// The `newsflow` binary: `$NEWSFLOW_BIN`, else the one cargo built for
/// this test. A long run (scripts/chaos) sets it to a copy, so a rebuild in
/// a shared target directory cannot swap the binary under the services it
/// restarts.
pub fn newsflow_bin() -> PathBuf {
    std::env::var_os("NEWSFLOW_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_newsflow")), PathBuf::from)
}

pub fn newsflow(name: &str, dir: &Path, args: &[&str], env: &[(&str, String)]) -> Proc {
    let log = dir.join(format!("{name}.log"));
    let out = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
    let err = out.try_clone().unwrap();
    let mut cmd = Command::new(newsflow_bin());
    cmd.args(args).current_dir(dir).stdin(Stdio::null()).stdout(out).stderr(err);
    cmd.env("RUST_LOG", "info").env("NO_COLOR", "1");
    // The test servers live on loopback, which the SSRF guard refuses by default.
    cmd.env("NEWSFLOW_FETCHER__ALLOW_HOSTS", r#"["127.0.0.1"]"#);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Proc { child: cmd.spawn().expect("spawn newsflow"), log, name: name.to_owned() }
}

impl Proc {
    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        use nix::sys::signal::{Signal, kill};
        let _ = kill(nix::unistd::Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "{} did not stop within 30 s of SIGTERM:\n{}", self.name, self.tail());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll `f` until it returns `Some`, or fail after `limit` with `what`.
pub async fn wait_for<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stored article, as the tests look at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub title: Option<String>,
    pub language: Option<String>,
    pub canonical_url: String,
    pub updated_at: String,
    pub text: String,
}

/// Every row of a SQLite store (empty when it does not exist yet).
pub fn sqlite_rows(path: &Path) -> Vec<Row> {
    if !path.exists() {
        return Vec::new();
    }
    let Ok(conn) = rusqlite::Connection::open(path) else { return Vec::new() };
    let Ok(mut stmt) = conn
        .prepare("SELECT id, title, language, canonical_url, updated_at, text FROM articles ORDER BY canonical_url")
    else {
        return Vec::new();
    };
    stmt.query_map([], |r| {
        Ok(Row {
            id: r.get(0)?,
            title: r.get(1)?,
            language: r.get(2)?,
            canonical_url: r.get(3)?,
            updated_at: r.get(4)?,
            text: r.get(5)?,
        })
    })
    .map(|rows| rows.filter_map(Result::ok).collect())
    .unwrap_or_default()
}

/// The canonical URL the pipeline stores for a newsroom article.
pub fn canonical(site: &Site, a: &DemoArticle) -> String {
    format!("http://{}/{}", site.addr, a.slug)
}

/// Fresh PostgreSQL database on the test server; dropped with the guard.
/// The server is `$NEWSFLOW_TEST_PG` (a server URL without database) or
/// postgres://postgres@127.0.0.1:5432. No server is a test failure, never a
/// silent skip: the test command starts one when none is running.
pub struct PgDb {
    pub url: String,
    admin: String,
    name: String,
}

pub fn pg_server() -> String {
    std::env::var("NEWSFLOW_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

impl PgDb {
    pub async fn create() -> Self {
        let server = pg_server();
        let admin = format!("{server}/postgres");
        let name = format!("nf_{}", unique("db").replace('-', "_"));
        let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {server} is required (scripts/test starts one): {e}"));
        tokio::spawn(conn);
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        Self { url: format!("{server}/{name}"), admin, name }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }

    pub async fn drop_db(self) {
        if let Ok((client, conn)) = tokio_postgres::connect(&self.admin, tokio_postgres::NoTls).await {
            tokio::spawn(conn);
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
        }
    }
}

/// A raw-page message for `url` with `body`, as the fetcher would produce
/// it after a 200 response.
pub fn raw_page(source_id: &str, url: &str, body: String) -> newsflow_wire::Envelope<newsflow_wire::RawPage> {
    let raw = newsflow_wire::RawPage {
        source_id: source_id.into(),
        url: url.into(),
        final_url: url.into(),
        status: 200,
        content_type: Some("text/html; charset=utf-8".into()),
        charset: Some("UTF-8".into()),
        etag: None,
        last_modified: None,
        fetched_at: chrono::Utc::now(),
        feed: Default::default(),
        body,
    };
    newsflow_wire::Envelope::new(newsflow_wire::item_id(url), newsflow_wire::new_trace_id(), raw)
}

/// `newsflow run` arguments for a test: the broker, one feed polled every
/// 3 s, a topic prefix of the test's own, metrics on `metrics` ("" for
/// none), data under `data/` of the working directory.
pub fn run_args<'a>(broker: &'a str, feed: &'a str, prefix: &'a str, metrics: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--brokers",
        broker,
        "--data-dir",
        "data",
        "--feed",
        feed,
        "--poll-interval",
        "3",
        "--topic-prefix",
        prefix,
        "--metrics-listen",
        metrics,
    ]
}

/// The four services as separate processes against an external broker.
pub struct Services<'a> {
    pub dir: &'a Path,
    pub common: Vec<String>,
    pub env: Vec<(&'static str, String)>,
    pub feed: String,
}

impl Services<'_> {
    pub fn spawn(&self, name: &str) -> Proc {
        let mut args: Vec<&str> = vec![name];
        args.extend(self.common.iter().map(String::as_str));
        match name {
            "fetch" => args.extend(["--feed", self.feed.as_str(), "--poll-interval", "1"]),
            "sink" => args.extend(["--db", "sqlite:data/newsflow.db"]),
            _ => {}
        }
        let env: Vec<(&str, String)> = self.env.clone();
        newsflow(name, self.dir, &args, &env)
    }
}

pub fn services<'a>(dir: &'a Path, broker: &Broker, site: &Site, tag: &str) -> Services<'a> {
    let prefix = format!("{}.", unique(tag));
    let common =
        ["--brokers", &broker.address(), "--data-dir", "data", "--topic-prefix", &prefix, "--metrics-listen", ""]
            .map(str::to_owned)
            .to_vec();
    let env = vec![
        ("NEWSFLOW_KAFKA__GROUP_PREFIX", prefix.clone()),
        ("NEWSFLOW_FETCHER__PER_HOST_RPS", "100".into()),
        ("NEWSFLOW_KAFKA__REJOIN_WHEN_IDLE_SECS", "15".into()),
    ];
    Services { dir, common, env, feed: site.feed() }
}
