//! Group commit. Stage tasks hand rows to one writer through a bounded
//! channel and wait for their own acknowledgement; the writer takes every
//! row that is waiting (up to a batch size) and writes them in one
//! transaction. Under load this turns N fsyncs into one; idle, a row is
//! written at once.
//!
//! When a batch fails for a reason other than the database being away, the
//! rows are retried one by one so a single bad row cannot block the others.

use tokio::sync::{mpsc, oneshot};

use crate::ArticleRow;

/// Why a write failed, with its retry hint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    /// Connection lost, database locked or down: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// This row will never be accepted.
    #[error("row rejected: {0}")]
    Rejected(String),
}

pub(crate) struct Job {
    pub row: ArticleRow,
    pub done: oneshot::Sender<Result<(), WriteError>>,
}

/// The stages' handle on a writer.
#[derive(Clone)]
pub struct Batcher {
    tx: mpsc::Sender<Job>,
}

/// Largest batch one transaction takes.
pub const MAX_BATCH: usize = 500;

impl Batcher {
    pub(crate) fn channel() -> (Self, mpsc::Receiver<Job>) {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
        (Self { tx }, rx)
    }

    /// Write one row; returns once it is durable.
    pub async fn write(&self, row: ArticleRow) -> Result<(), WriteError> {
        let (done, wait) = oneshot::channel();
        self.tx.send(Job { row, done }).await.map_err(|_| WriteError::Unavailable("writer stopped".into()))?;
        wait.await.map_err(|_| WriteError::Unavailable("writer stopped".into()))?
    }
}

/// Take whatever else is already waiting, up to [`MAX_BATCH`].
pub(crate) fn fill(first: Job, rx: &mut mpsc::Receiver<Job>) -> Vec<Job> {
    let mut jobs = vec![first];
    while jobs.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    jobs
}

/// Whether a failed batch should be retried row by row: only when the
/// database answered (a bad row), not when it is away.
pub(crate) fn isolate(jobs: &[Job], result: &Result<(), WriteError>) -> bool {
    jobs.len() > 1 && matches!(result, Err(WriteError::Rejected(_)))
}

/// Reply to one job.
pub(crate) fn reply(job: Job, result: Result<(), WriteError>) {
    // The waiting task may have been cancelled at shutdown: nothing to tell.
    let _ = job.done.send(result);
}
