//! The archive: every enriched article as one JSON line in hourly files,
//! `DIR/YYYY/MM/DD/HH.jsonl`, for analytics (issue 6).
//!
//! Layout:
//! - [`file`]: one hourly file on disk: the path of an hour, opening for
//!   append (a torn last line cut off, the ids already in it loaded),
//!   appending a batch with one fsync.
//! - [`writer`]: [`Archive`], the group-commit writer: stage tasks hand
//!   lines to one thread over a bounded channel and wait for their own
//!   acknowledgement, which comes after the fsync.
//! - [`stage`]: [`ArchiveStage`], `enriched` → archive, under its own
//!   consumer group ("archive").
//!
//! Design notes:
//! - **Which hour.** A line goes to the file of the UTC hour in which the
//!   archive wrote it (arrival), not the hour of the article or of the
//!   message. So exactly one file is written at a time, and a file is
//!   final once its hour is over: a batch job can take hour H when H + 1
//!   has begun. The times of the article (`article.fetched_at`,
//!   `article.published_at`) and of the message (`produced_at`) are in
//!   every line for queries by event time.
//! - **Duplicates.** Kafka delivers at least once and the offset is stored
//!   only after the fsync, so a message can come again (a crash, a
//!   rebalance). The writer keeps the ids of the current hour's file in
//!   memory (loaded from the file when it is reopened, reset at the next
//!   hour), and skips a line whose id is already there. A message
//!   redelivered in a later hour (the archive was down across the hour
//!   change) or re-enriched later (`newsflow replay`) is written again:
//!   `id` is the dedup key for readers, and the last line of an id is its
//!   newest version.
//! - **Crashes.** A line is written whole with its newline in one write,
//!   but a crash can still leave part of one at the end of a file. Such a
//!   line was never acknowledged (so it will be redelivered): opening a
//!   file cuts it off at the last newline, and at start the newest file is
//!   repaired too, whichever hour it is.
//! - **One writer per directory.** The dedup set and the tail repair
//!   assume no one else appends: the writer holds an exclusive lock on
//!   `DIR/.lock`. Several archive instances need a directory each.

pub mod file;
pub mod stage;
pub mod writer;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use stage::{ArchiveStage, archive_line};
pub use writer::{Appended, Archive, ArchiveError, Clock};

/// `[archive]`: the JSONL archive of enriched articles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Run the archive stage in `newsflow run`. Default false: it is for
    /// analytics, and the database already holds every article.
    /// (`newsflow archive` always runs it.)
    pub enabled: bool,
    /// Where the hourly files go; a relative path is under `data_dir`.
    /// Default `archive`.
    pub dir: PathBuf,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Self { enabled: false, dir: PathBuf::from("archive") }
    }
}

impl ArchiveConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.dir.as_os_str().is_empty() {
            return Err("archive.dir: must not be empty (the hourly files need a directory of their own)".into());
        }
        Ok(())
    }
}

/// Metric names of the archive, declared in one place.
pub mod names {
    /// Lines appended (and fsynced); duplicates skipped are not counted.
    pub const LINES: &str = "newsflow_archive_lines_total";
    /// Bytes appended, newlines included.
    pub const BYTES: &str = "newsflow_archive_bytes_total";
}
