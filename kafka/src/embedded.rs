//! The embedded broker: tansu (Apache-2.0, a Kafka-compatible broker) run as
//! a managed child process.
//!
//! Why a child process rather than a library: tansu pulls in a large
//! dependency tree (storage engines, OpenTelemetry, ...) that would double
//! newsflow's build time and pin its dependency versions; as a separate
//! binary it is built once (`cargo install`, cached under
//! `~/.cache/newsflow`) and newsflow speaks to it exactly as it speaks to a
//! production cluster, over the Kafka protocol.
//!
//! Storage is tansu's SQLite engine in `<data_dir>/broker/tansu.db`, so
//! topics, messages and committed offsets survive a restart (or a `kill -9`)
//! of newsflow and of the broker. A pid file lets the next start clean up a
//! broker orphaned by a `kill -9` of its parent.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tracing::{info, warn};

use crate::KafkaError;

/// The tansu release newsflow is tested with.
pub const TANSU_VERSION: &str = "0.6.0";

/// How to run the embedded broker.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Directory holding `tansu.db`, the log and the pid file.
    pub dir: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Keep everything in memory instead of SQLite (tests that want speed
    /// over durability).
    pub in_memory: bool,
    /// Build tansu with `cargo install` when it is not found.
    pub install: bool,
}

/// A running embedded broker. Stopped on [`EmbeddedBroker::stop`]; killed if
/// dropped.
pub struct EmbeddedBroker {
    child: Child,
    address: String,
    pid_file: PathBuf,
}

impl EmbeddedBroker {
    /// Start tansu and wait until it accepts connections.
    pub async fn start(opts: &EmbeddedOptions) -> Result<Self, KafkaError> {
        let bin = match locate_tansu() {
            Some(bin) => bin,
            None if opts.install => install_tansu()?,
            None => return Err(KafkaError::Embedded(missing_message())),
        };
        fs::create_dir_all(&opts.dir)
            .map_err(|e| KafkaError::Embedded(format!("cannot create {}: {e}", opts.dir.display())))?;
        let pid_file = opts.dir.join("tansu.pid");
        kill_orphan(&pid_file).await;
        let port = if opts.port == 0 { free_port()? } else { opts.port };
        let address = format!("127.0.0.1:{port}");
        let storage = if opts.in_memory { "memory://tansu/" } else { "sqlite://tansu.db" };
        let log_path = opts.dir.join("tansu.log");
        let log = File::create(&log_path)
            .map_err(|e| KafkaError::Embedded(format!("cannot create {}: {e}", log_path.display())))?;
        let log2 = log.try_clone().map_err(|e| KafkaError::Embedded(e.to_string()))?;
        let mut child = Command::new(&bin)
            .arg("broker")
            .arg("--listener-url")
            .arg(format!("tcp://{address}"))
            .arg("--advertised-listener-url")
            .arg(format!("tcp://{address}"))
            .arg("--storage-engine")
            .arg(storage)
            .current_dir(&opts.dir)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .kill_on_drop(true)
            // Its own process group: a Ctrl-C in the terminal reaches
            // newsflow, which drains its stages before stopping the broker.
            .process_group(0)
            .spawn()
            .map_err(|e| KafkaError::Embedded(format!("cannot start {}: {e}", bin.display())))?;
        if let Some(pid) = child.id() {
            let _ = fs::write(&pid_file, pid.to_string());
        }
        let started = Instant::now();
        loop {
            if TcpStream::connect(&address).await.is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let tail = fs::read_to_string(&log_path).unwrap_or_default();
                let tail: String =
                    tail.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
                return Err(KafkaError::Embedded(format!("tansu exited with {status} at start:\n{tail}")));
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill().await;
                return Err(KafkaError::Embedded(format!("tansu did not listen on {address} within 30 s")));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        info!(%address, storage, bin = %bin.display(), "embedded broker started");
        Ok(Self { child, address, pid_file })
    }

    /// `host:port` to use as bootstrap servers.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Stop gracefully (SIGTERM, then SIGKILL after 5 s).
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
            if tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await.is_err() {
                warn!("embedded broker ignored SIGTERM; killing it");
                let _ = self.child.kill().await;
            }
        }
        let _ = fs::remove_file(&self.pid_file);
        info!("embedded broker stopped");
    }
}

/// Where a tansu binary is: `$NEWSFLOW_TANSU_BIN`, the newsflow cache, or
/// `tansu` on the `PATH`.
pub fn locate_tansu() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NEWSFLOW_TANSU_BIN") {
        return Some(PathBuf::from(p));
    }
    let cached = install_root().join("bin").join("tansu");
    if cached.is_file() {
        return Some(cached);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("tansu")).find(|p| p.is_file()))
}

/// `~/.cache/newsflow/tansu-<version>` (or under `$XDG_CACHE_HOME`).
pub fn install_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("newsflow").join(format!("tansu-{TANSU_VERSION}"))
}

fn missing_message() -> String {
    format!(
        "tansu (the embedded Kafka-compatible broker) was not found. Install it once with\n  \
         cargo install tansu --locked --version {TANSU_VERSION} --no-default-features --features dynostore,libsql --root {}\n\
         or set NEWSFLOW_TANSU_BIN, or point newsflow at a cluster with --brokers HOST:PORT",
        install_root().display()
    )
}

/// Build tansu into [`install_root`] with cargo (one time, several
/// minutes). A file lock keeps concurrent starts from building twice.
pub fn install_tansu() -> Result<PathBuf, KafkaError> {
    let root = install_root();
    fs::create_dir_all(&root).map_err(|e| KafkaError::Embedded(format!("cannot create {}: {e}", root.display())))?;
    let lock = File::create(root.join(".install.lock")).map_err(|e| KafkaError::Embedded(e.to_string()))?;
    lock.lock().map_err(|e| KafkaError::Embedded(format!("cannot lock the tansu install: {e}")))?;
    let bin = root.join("bin").join("tansu");
    if bin.is_file() {
        return Ok(bin);
    }
    eprintln!(
        "newsflow: building the embedded broker (tansu {TANSU_VERSION}) into {} — one time, a few minutes…",
        root.display()
    );
    let status = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["install", "tansu", "--locked", "--version", TANSU_VERSION, "--no-default-features"])
        .args(["--features", "dynostore,libsql", "--root"])
        .arg(&root)
        .status()
        .map_err(|e| KafkaError::Embedded(format!("cannot run cargo to build tansu: {e}\n{}", missing_message())))?;
    if !status.success() || !bin.is_file() {
        return Err(KafkaError::Embedded(format!("building tansu failed ({status})\n{}", missing_message())));
    }
    Ok(bin)
}

/// Kill a broker left running by a parent that was killed with SIGKILL.
async fn kill_orphan(pid_file: &Path) {
    let Some(pid) = fs::read_to_string(pid_file).ok().and_then(|s| s.trim().parse::<i32>().ok()) else {
        return;
    };
    let is_tansu = fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains("tansu"))
        .unwrap_or(false);
    if is_tansu {
        warn!(pid, "killing an orphaned embedded broker from an earlier run");
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        for _ in 0..100 {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let _ = fs::remove_file(pid_file);
}

fn free_port() -> Result<u16, KafkaError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| KafkaError::Embedded(format!("no free port: {e}")))
}
