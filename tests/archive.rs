//! The JSONL archive end to end: `newsflow run` with the archive enabled
//! (NEWSFLOW_ARCHIVE__ENABLED) against a real broker and the demo newsroom
//! archives each seed article exactly once, as stored in SQLite.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use newsflow_wire::EnrichedArticle;
use support::*;

/// Every `YYYY/MM/DD/HH.jsonl` file under `dir`.
fn hour_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.filter_map(Result::ok) {
            let path = e.path();
            if depth < 3 && path.is_dir() {
                walk(&path, depth + 1, out);
            } else if depth == 3 && path.extension().is_some_and(|x| x == "jsonl") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, 0, &mut out);
    out.sort();
    out
}

/// (id, line) of every complete line of the archive's files.
fn archived(dir: &Path) -> Vec<(String, serde_json::Value)> {
    hour_files(dir)
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            let lines: Vec<String> =
                text.split_inclusive('\n').filter(|l| l.ends_with('\n')).map(str::to_owned).collect();
            lines
        })
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}"));
            (v["id"].as_str().unwrap_or_default().to_owned(), v)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_archives_each_seed_article_once() {
    let broker = Broker::start(false).await;
    let site = Site::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, archive) = (dir.path().join("data/newsflow.db"), dir.path().join("data/archive"));
    let prefix = format!("{}.", unique("archive"));
    let env = [
        ("NEWSFLOW_KAFKA__GROUP_PREFIX", prefix.clone()),
        ("NEWSFLOW_FETCHER__PER_HOST_RPS", "50".into()),
        ("NEWSFLOW_ARCHIVE__ENABLED", "true".into()),
    ];
    let metrics = format!("127.0.0.1:{}", free_port());
    let (addr, feed) = (broker.address(), site.feed());
    let mut args = run_args(&addr, &feed, &prefix, &metrics);
    args.extend(["--web-listen", ""]);
    let mut run = newsflow("run-archive", dir.path(), &args, &env);

    wait_for(Duration::from_secs(90), "5 archived articles", || (archived(&archive).len() >= 5).then_some(())).await;
    // The stored rows too, then two more polls: nothing is archived twice.
    wait_for(Duration::from_secs(30), "5 stored articles", || (sqlite_rows(&db).len() >= 5).then_some(())).await;
    tokio::time::sleep(Duration::from_secs(7)).await;

    let rows = sqlite_rows(&db);
    let stored_id: BTreeMap<&str, &str> = rows.iter().map(|r| (r.canonical_url.as_str(), r.id.as_str())).collect();
    let lines = archived(&archive);
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for (id, line) in &lines {
        *per_id.entry(id.clone()).or_default() += 1;
        let article: EnrichedArticle =
            serde_json::from_value(line.clone()).unwrap_or_else(|e| panic!("not an EnrichedArticle ({e}): {line}"));
        assert_eq!(stored_id.get(article.article.canonical_url.as_str()), Some(&id.as_str()), "the stored id");
        assert!(line["trace_id"].is_string() && line["produced_at"].is_string(), "{line}");
    }
    let stored: BTreeMap<String, usize> = rows.iter().map(|r| (r.id.clone(), 1)).collect();
    assert_eq!(stored.len(), 5, "{}", run.tail());
    assert_eq!(per_id, stored, "each stored article archived exactly once\n{}", run.tail());
    // Lines are in hourly files, the layout readers rely on.
    for f in hour_files(&archive) {
        let rel = f.strip_prefix(&archive).unwrap().to_string_lossy().replace(".jsonl", "");
        let parts: Vec<&str> = rel.split('/').collect();
        let widths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert!(widths == [4, 2, 2, 2] && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())), "{rel}");
    }

    let text = reqwest::get(format!("http://{metrics}/metrics")).await.unwrap().text().await.unwrap();
    let lines_total: f64 = text
        .lines()
        .filter(|l| l.starts_with("newsflow_archive_lines_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(lines_total, 5.0, "newsflow_archive_lines_total");
    assert!(text.contains("newsflow_archive_bytes_total"), "newsflow_archive_bytes_total exported");
    assert!(run.terminate().success(), "clean exit on SIGTERM\n{}", run.tail());
}
