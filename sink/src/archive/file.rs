//! One hourly file, `DIR/YYYY/MM/DD/HH.jsonl`: opened for append with its
//! torn last line cut off and the ids already in it loaded; written a batch
//! at a time with one fsync.
//!
//! No locking or threads here: the [`super::writer`] is the only caller.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::warn;

/// The file of the UTC hour `at` falls in.
pub fn hour_path(dir: &Path, at: DateTime<Utc>) -> PathBuf {
    dir.join(at.format("%Y/%m/%d/%H.jsonl").to_string())
}

/// An hourly file open for appending, with the ids written to it.
#[derive(Debug)]
pub struct HourFile {
    path: PathBuf,
    file: File,
    ids: HashSet<String>,
}

impl HourFile {
    /// Open (or create, with its directories) the file at `path` under the
    /// archive directory `root`; cut a torn last line; load the ids in it.
    pub fn open(root: &Path, path: PathBuf) -> io::Result<Self> {
        let parent = path.parent().unwrap_or(root);
        std::fs::create_dir_all(parent)?;
        let existed = path.exists();
        let file = OpenOptions::new().read(true).append(true).create(true).open(&path)?;
        if !existed {
            // The new name must survive a power loss as much as the lines.
            sync_dirs(root, parent)?;
        }
        if let Some(cut) = repair_tail(&file)? {
            warn!(path = %path.display(), bytes = cut, "cut a torn last line off an archive file");
        }
        let ids = load_ids(&file, &path)?;
        // Lines a crashed process wrote but did not fsync are in the page
        // cache and counted as written from now on: make them durable.
        file.sync_data()?;
        Ok(Self { path, file, ids })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ids of the lines in this file.
    pub fn ids(&self) -> &HashSet<String> {
        &self.ids
    }

    /// Append each `(id, line)` whose id is not in the file yet (nor earlier
    /// in `lines`), newline added, in one write, then fsync. Returns per line
    /// whether it was appended (false: a duplicate) and the bytes written.
    ///
    /// After an error part of the batch may be in the file: drop this and
    /// open the file again, which cuts a torn line and reloads the ids.
    pub fn append(&mut self, lines: &[(&str, &[u8])]) -> io::Result<(Vec<bool>, u64)> {
        let mut buf = Vec::new();
        let mut fresh = HashSet::new();
        let appended: Vec<bool> = lines
            .iter()
            .map(|&(id, line)| {
                debug_assert!(!line.contains(&b'\n'), "an archive line holds no newline");
                let new = !self.ids.contains(id) && fresh.insert(id);
                if new {
                    buf.extend_from_slice(line);
                    buf.push(b'\n');
                }
                new
            })
            .collect();
        if !buf.is_empty() {
            self.file.write_all(&buf)?;
            // fdatasync also persists the new length, which reading needs.
            self.file.sync_data()?;
        }
        self.ids.extend(fresh.into_iter().map(str::to_owned));
        Ok((appended, buf.len() as u64))
    }
}

/// Cut everything after the last newline (a line a crash interrupted).
/// Returns the bytes cut, if any.
pub fn repair_tail(file: &File) -> io::Result<Option<u64>> {
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.read_exact_at(part, start)?;
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            end = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    if end == len {
        return Ok(None);
    }
    file.set_len(end)?;
    file.sync_data()?;
    Ok(Some(len - end))
}

/// The ids of the lines of `file` (read from the start). A line that is
/// not JSON with an `id` (edited by hand?) is skipped with a warning.
fn load_ids(file: &File, path: &Path) -> io::Result<HashSet<String>> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    let mut reader = BufReader::new(file);
    reader.seek(SeekFrom::Start(0))?;
    let (mut ids, mut bad, mut line) = (HashSet::new(), 0u64, Vec::new());
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        match serde_json::from_slice::<IdOnly>(&line) {
            Ok(l) => {
                ids.insert(l.id);
            }
            Err(_) => bad += 1,
        }
    }
    if bad > 0 {
        warn!(path = %path.display(), lines = bad, "archive lines without a readable id");
    }
    Ok(ids)
}

/// fsync `from` and each directory above it up to `root`, so newly created
/// entries survive a power loss.
fn sync_dirs(root: &Path, from: &Path) -> io::Result<()> {
    let mut dir = Some(from);
    while let Some(d) = dir {
        File::open(d)?.sync_all()?;
        if d == root {
            break;
        }
        dir = d.parent().filter(|p| p.starts_with(root));
    }
    Ok(())
}

/// The newest hourly file under `root` (largest `YYYY/MM/DD/HH.jsonl`):
/// the one a crash may have interrupted.
pub fn latest(root: &Path) -> io::Result<Option<PathBuf>> {
    fn newest(dir: &Path, depth: usize) -> io::Result<Option<PathBuf>> {
        // Directory levels: year, month, day; then the hour's file.
        let (digits, suffix) = match depth {
            0 => (4, ""),
            1 | 2 => (2, ""),
            _ => (2, ".jsonl"),
        };
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| {
                n.strip_suffix(suffix)
                    .is_some_and(|stem| stem.len() == digits && stem.bytes().all(|b| b.is_ascii_digit()))
            })
            .collect();
        names.sort_unstable_by(|a, b| b.cmp(a));
        for name in names {
            let path = dir.join(&name);
            if depth == 3 {
                if path.is_file() {
                    return Ok(Some(path));
                }
            } else if path.is_dir()
                && let Some(found) = newest(&path, depth + 1)?
            {
                // An empty directory (a crash between mkdir and create)
                // falls through to the next older one.
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
    newest(root, 0)
}

/// Cut a torn last line off the newest file, whichever hour it is: the
/// current hour's file is repaired when opened, but after a crash near the
/// end of an hour nothing would open that one again.
pub fn repair_latest(root: &Path) -> io::Result<()> {
    let Some(path) = latest(root)? else { return Ok(()) };
    let file = OpenOptions::new().read(true).write(true).open(&path)?;
    if let Some(cut) = repair_tail(&file)? {
        warn!(path = %path.display(), bytes = cut, "cut a torn last line off an archive file");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_paths_are_utc_and_zero_padded() {
        let at = DateTime::parse_from_rfc3339("2024-03-05T07:59:59+02:00").unwrap().with_timezone(&Utc);
        assert_eq!(hour_path(Path::new("a"), at), Path::new("a/2024/03/05/05.jsonl"));
    }
}
