//! Group commit for the archive. Stage tasks hand lines to one writer
//! thread through a bounded channel and wait for their own
//! acknowledgement; the thread takes every line that is waiting (up to
//! [`MAX_BATCH`]), appends them to the current hour's file in one write,
//! fsyncs once, then acknowledges each. Under load N lines cost one fsync;
//! idle, a line is written at once.
//!
//! Any error (opening, writing, fsyncing) fails the whole batch and closes
//! the file; the next batch reopens it, which cuts a line the failure may
//! have torn and reloads the ids, so lines of the failed batch that did
//! land are not written twice when their messages are retried.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use super::file::{HourFile, hour_path, repair_latest};
use super::names;

/// Largest batch one write and fsync takes.
pub const MAX_BATCH: usize = 500;

/// Where the writer reads the time that picks the hourly file (tests set
/// it; the service uses [`Utc::now`]).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Why the archive failed, with its retry hint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArchiveError {
    /// The archive directory cannot be used at all (at start): not created,
    /// or another writer holds it.
    #[error("archive directory {0}")]
    Open(String),
    /// Opening, writing or fsyncing an hourly file failed (disk full,
    /// permissions, a file where a directory belongs): worth retrying.
    #[error("archive write failed: {0}")]
    Write(String),
}

/// What became of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Appended and fsynced.
    Written,
    /// Its id is already in the current hour's file: nothing written.
    Duplicate,
}

struct Job {
    id: String,
    line: Vec<u8>,
    done: oneshot::Sender<Result<Appended, ArchiveError>>,
}

/// The stages' handle on the archive's writer thread. Dropping it lets the
/// thread finish what was sent, then waits for it (and its lock).
pub struct Archive {
    dir: PathBuf,
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Archive {
    /// Start a writer on `dir` (created if missing), hours by the wall clock.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, ArchiveError> {
        Self::open_with_clock(dir, Arc::new(Utc::now))
    }

    /// Start a writer on `dir` whose hours come from `clock`: take the
    /// directory's lock, cut a torn line off the newest file, start the
    /// thread.
    pub fn open_with_clock(dir: impl Into<PathBuf>, clock: Clock) -> Result<Self, ArchiveError> {
        let dir = dir.into();
        let fail = |e: std::io::Error| ArchiveError::Open(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(&dir).map_err(fail)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            // The directory's own entry, when it was just created.
            File::open(parent).and_then(|d| d.sync_all()).map_err(fail)?;
        }
        let lock = File::create(dir.join(".lock")).map_err(fail)?;
        lock.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => {
                ArchiveError::Open(format!("{}: used by another archive writer (one per directory)", dir.display()))
            }
            std::fs::TryLockError::Error(e) => fail(e),
        })?;
        repair_latest(&dir).map_err(fail)?;
        let (tx, rx) = mpsc::channel(MAX_BATCH * 2);
        let root = dir.clone();
        let thread = std::thread::Builder::new()
            .name("archive-writer".into())
            .spawn(move || write_loop(&root, &clock, rx, lock))
            .map_err(fail)?;
        info!(dir = %dir.display(), "archive open");
        Ok(Self { dir, tx: Some(tx), thread: Some(thread) })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Append one line (JSON without a newline) for item `id`; returns once
    /// it is fsynced, or found already in the current hour's file.
    pub async fn append(&self, id: String, line: Vec<u8>) -> Result<Appended, ArchiveError> {
        let stopped = || ArchiveError::Write("archive writer stopped".into());
        let tx = self.tx.as_ref().ok_or_else(stopped)?;
        let (done, wait) = oneshot::channel();
        tx.send(Job { id, line, done }).await.map_err(|_| stopped())?;
        wait.await.map_err(|_| stopped())?
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        // Closing the channel ends the thread once it has written what was
        // sent; joining releases the directory's lock before we return.
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: batch, pick the hour, append, fsync, acknowledge.
/// `_lock` is held for as long as the thread runs.
fn write_loop(root: &Path, clock: &Clock, mut rx: mpsc::Receiver<Job>, _lock: File) {
    let mut current: Option<HourFile> = None;
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let path = hour_path(root, clock());
        if current.as_ref().is_some_and(|f| f.path() != path) {
            // A new hour: the old file is complete (and fsynced).
            current = None;
        }
        match write_batch(root, &mut current, path, &jobs) {
            Ok(appended) => {
                for (job, new) in jobs.into_iter().zip(appended) {
                    let _ = job.done.send(Ok(if new { Appended::Written } else { Appended::Duplicate }));
                }
            }
            Err(e) => {
                // Reopen next time: that repairs whatever this left behind.
                current = None;
                warn!(error = %e, lines = jobs.len(), "archive write failed");
                for job in jobs {
                    // The waiting task may be gone (shutdown): nothing to tell.
                    let _ = job.done.send(Err(ArchiveError::Write(e.clone())));
                }
            }
        }
    }
}

fn write_batch(root: &Path, current: &mut Option<HourFile>, path: PathBuf, jobs: &[Job]) -> Result<Vec<bool>, String> {
    let file = match current {
        Some(file) => file,
        None => {
            let opened = HourFile::open(root, path.clone()).map_err(|e| format!("{}: {e}", path.display()))?;
            current.insert(opened)
        }
    };
    let lines: Vec<(&str, &[u8])> = jobs.iter().map(|j| (j.id.as_str(), j.line.as_slice())).collect();
    let (appended, bytes) = file.append(&lines).map_err(|e| format!("{}: {e}", file.path().display()))?;
    let written = appended.iter().filter(|&&new| new).count();
    metrics::counter!(names::LINES).increment(written as u64);
    metrics::counter!(names::BYTES).increment(bytes);
    Ok(appended)
}
