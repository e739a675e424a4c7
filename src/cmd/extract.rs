//! `newsflow extract`: article extraction from HTML files.
//!
//! Two modes:
//! - one page: `newsflow extract [--url URL] [--format json|text] FILE|-`
//!   prints one JSON object (or the main text);
//! - batch: `newsflow extract --jsonl [FILE|-]` reads JSON lines
//!   (`{"path": …, "url": …}` or `{"html": …, "url": …}`) and writes one
//!   result per input line, in input order. A bad line (bad JSON, unreadable
//!   path, extraction error) yields `{"line": N, "error": "…"}` and the rest
//!   continues.
//!
//! Design note (batch): a reader thread feeds a bounded queue, one worker per
//! core extracts, and the calling thread writes results back in input order.
//! Memory stays bounded even when one page is slow: the reader takes a
//! "slot" token before queueing a line and the writer returns it only once
//! that line's result is written, so at most `IN_FLIGHT_PER_WORKER × jobs`
//! lines are queued, being extracted or waiting to be written.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use newsflow_extract::{Article, Options};
use serde::Deserialize;

#[derive(Debug, Clone, Args)]
pub struct ExtractArgs {
    /// HTML file, or - for stdin. With --jsonl: the JSON-lines file (default stdin).
    pub input: Option<PathBuf>,
    /// The page's URL (resolves relative links, helps dates).
    #[arg(long)]
    pub url: Option<String>,
    /// Output format of a single page.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Batch mode: read JSON lines {"path": …, "url": …} or {"html": …, "url": …}
    /// and write one JSON result per line, in input order.
    #[arg(long, conflicts_with_all = ["url", "format"])]
    pub jsonl: bool,
    /// Worker threads for --jsonl (default: one per core).
    #[arg(long, requires = "jsonl")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object with every field.
    Json,
    /// The main text only.
    Text,
}

pub fn run(args: ExtractArgs) -> Result<()> {
    if args.jsonl {
        let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
        return match args.input.as_deref() {
            None => run_jsonl(BufReader::new(std::io::stdin()), jobs),
            Some(p) if p == Path::new("-") => run_jsonl(BufReader::new(std::io::stdin()), jobs),
            Some(p) => {
                let f = std::fs::File::open(p).with_context(|| p.display().to_string())?;
                run_jsonl(BufReader::new(f), jobs)
            }
        };
    }
    let Some(input) = args.input else { bail!("an HTML file (or - for stdin) is required") };
    let bytes = if input == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).context("reading stdin")?;
        buf
    } else {
        std::fs::read(&input).with_context(|| input.display().to_string())?
    };
    let (html, _) = newsflow_ingest::charset::decode_html(&bytes, None);
    let opts = Options { url: args.url.clone(), ..Default::default() };
    let article = newsflow_extract::extract(&html, &opts).with_context(|| input.display().to_string())?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&article)?),
        Format::Text => writeln!(out, "{}", article.text),
    }
    .and_then(|()| out.flush())
    .or_else(ignore_broken_pipe)?;
    Ok(())
}

/// Lines queued, in extraction or waiting to be written, per worker.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// One line of `--jsonl` input.
#[derive(Debug, Deserialize)]
struct Request {
    path: Option<PathBuf>,
    html: Option<String>,
    url: Option<String>,
}

fn run_jsonl(input: impl BufRead + Send, jobs: usize) -> Result<()> {
    let slots = jobs * IN_FLIGHT_PER_WORKER;
    let (slot_tx, slot_rx) = sync_channel::<()>(slots);
    for _ in 0..slots {
        slot_tx.send(()).expect("the receiver is alive");
    }
    let (work_tx, work_rx) = sync_channel::<(usize, Vec<u8>)>(slots);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = sync_channel::<(usize, String, bool)>(slots);

    let (mut written, mut failed) = (0usize, 0usize);
    let read_result = std::thread::scope(|s| -> Result<Result<()>> {
        let reader = s.spawn(move || read_lines(input, &slot_rx, &work_tx));
        for _ in 0..jobs {
            let (rx, tx) = (Arc::clone(&work_rx), done_tx.clone());
            s.spawn(move || worker(&rx, &tx));
        }
        drop(done_tx);

        // Write results in input order; each written line frees one slot.
        let mut out = BufWriter::new(std::io::stdout().lock());
        let mut pending: BTreeMap<usize, (String, bool)> = BTreeMap::new();
        let mut next = 1usize;
        let mut write_err = None;
        'results: for (n, line, ok) in done_rx.iter() {
            pending.insert(n, (line, ok));
            while let Some((line, ok)) = pending.remove(&next) {
                if let Err(e) = writeln!(out, "{line}") {
                    // Stop: dropping the channels below ends the reader and
                    // the workers.
                    write_err = Some(e);
                    break 'results;
                }
                failed += usize::from(!ok);
                written += 1;
                next += 1;
                let _ = slot_tx.send(());
            }
        }
        drop(slot_tx);
        drop(done_rx);
        if let Some(e) = write_err {
            ignore_broken_pipe(e)?;
            return Ok(Ok(()));
        }
        out.flush().or_else(ignore_broken_pipe)?;
        Ok(reader.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the reader thread failed"))))
    })?;
    read_result?;
    eprintln!("extract: {written} lines, {failed} errors");
    Ok(())
}

/// Reads input lines (1-based numbers) into the work queue, one slot each.
fn read_lines(mut input: impl BufRead, slots: &Receiver<()>, work: &SyncSender<(usize, Vec<u8>)>) -> Result<()> {
    let mut n = 0usize;
    loop {
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line).context("reading input")? == 0 {
            return Ok(());
        }
        n += 1;
        if slots.recv().is_err() || work.send((n, line)).is_err() {
            return Ok(()); // the writer stopped (closed stdout)
        }
    }
}

fn worker(work: &Mutex<Receiver<(usize, Vec<u8>)>>, done: &SyncSender<(usize, String, bool)>) {
    loop {
        // Hold the lock only to receive, not while extracting.
        let next = match work.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((n, line)) = next else { return };
        let result = std::panic::catch_unwind(|| process_line(&line))
            .unwrap_or_else(|_| Err("internal error: the extractor panicked".to_string()));
        let (json, ok) = match result.and_then(|a| serde_json::to_string(&a).map_err(|e| e.to_string())) {
            Ok(json) => (json, true),
            Err(e) => (error_line(n, &e), false),
        };
        if done.send((n, json, ok)).is_err() {
            return;
        }
    }
}

fn error_line(n: usize, error: &str) -> String {
    // Written by hand so that "line" comes first.
    format!("{{\"line\":{n},\"error\":{}}}", serde_json::Value::from(error))
}

/// One JSON line to an article, or the reason it failed.
fn process_line(line: &[u8]) -> Result<Article, String> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Err("empty line".into());
    }
    let req: Request = serde_json::from_slice(line).map_err(|e| format!("bad JSON: {e}"))?;
    let opts = Options { url: req.url, ..Default::default() };
    let html = match (req.html, req.path) {
        (Some(html), _) => html,
        (None, Some(path)) => {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            newsflow_ingest::charset::decode_html(&bytes, None).0
        }
        (None, None) => return Err("the line has neither \"path\" nor \"html\"".into()),
    };
    newsflow_extract::extract(&html, &opts).map_err(|e| e.to_string())
}

/// A closed stdout (`| head`) ends the output quietly; other errors stay.
fn ignore_broken_pipe(e: std::io::Error) -> Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe { Ok(()) } else { Err(e).context("writing stdout") }
}
