//! `newsflow cluster` and `newsflow enrich` as a user runs them: the real
//! binary over the shared seed texts and the ANT sample, plus bad input.
//!
//! The data files live outside the repository (`../shared/data`, or
//! `NEWSFLOW_DATA`); tests that need them say so and pass when they are
//! absent.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NEWSFLOW_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no data at {}", dir.display());
        None
    }
}

/// Run `newsflow <cmd> -` with `input` on stdin; the output lines as JSON.
fn run_stdin(cmd: &str, input: &[u8]) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsflow"))
        .args([cmd, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "newsflow {cmd} failed:\n{stderr}");
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The seeds as article JSON lines: title = first non-empty line.
fn seed_lines(dir: &std::path::Path) -> (Vec<String>, String) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut names = Vec::new();
    let mut jsonl = String::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let title = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        let name = f.file_name().unwrap().to_string_lossy()[..3].to_owned();
        let line = serde_json::json!({"url": format!("https://seeds.test/{name}"), "title": title, "text": text});
        jsonl.push_str(&line.to_string());
        jsonl.push('\n');
        names.push(name);
    }
    (names, jsonl)
}

#[test]
fn seeds_group_the_june_2020_meeting_and_keep_other_meetings_apart() {
    let Some(dir) = data_dir() else { return };
    let (names, jsonl) = seed_lines(&dir);
    let out = run_stdin("cluster", jsonl.as_bytes());
    let story: HashMap<&str, &str> =
        names.iter().map(String::as_str).zip(out.iter().map(|v| v["story_id"].as_str().unwrap())).collect();
    assert_eq!(story["003"], story["004"], "003 and 004 report the same meeting");
    let distinct: HashSet<&str> = ["000", "001", "002", "003"].iter().map(|n| story[n]).collect();
    assert_eq!(distinct.len(), 4, "000, 001, 002 and 003/004 are different meetings: {story:?}");
    assert!(out.iter().all(|v| v["duplicate_of"].is_null()), "no seed duplicates another");
    // The story keeps the id of its first article.
    assert_eq!(story["003"], out[3]["id"].as_str().unwrap());
}

#[test]
fn finds_every_exact_duplicate_in_the_ant_sample() {
    let Some(dir) = data_dir() else { return };
    let raw = std::fs::read(dir.join("arabic/ant-sample.jsonl")).unwrap();
    let out = run_stdin("cluster", &raw);
    let input: Vec<Value> =
        raw.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
    assert_eq!(out.len(), input.len());
    // Ground truth: a later line with the URL or the text of an earlier line.
    let mut seen_url = HashSet::new();
    let mut seen_text = HashSet::new();
    let mut expected = 0;
    for (i, v) in input.iter().enumerate() {
        let repeat = !seen_url.insert(v["url"].as_str().unwrap()) | !seen_text.insert(v["text"].as_str().unwrap());
        if repeat {
            expected += 1;
            assert!(!out[i]["duplicate_of"].is_null(), "line {} is a repeat but not found", i + 1);
        }
    }
    assert_eq!(expected, 9);
    let found = out.iter().filter(|v| !v["duplicate_of"].is_null()).count();
    // Near duplicates beyond the exact ones are allowed, but few.
    assert!(found < expected + 30, "{found} duplicates flagged");
}

#[test]
fn bad_lines_get_an_error_and_the_rest_continues() {
    let huge = "كلمة word ١٢٣ ".repeat(800_000);
    let input = format!(
        "{}\nnot json\n[1,2]\n{}\n{}\n{}\n",
        serde_json::json!({"url": "https://a.test/1", "title": "عنوان", "text": "نص عربي قصير"}),
        serde_json::json!({"url": "https://a.test/2", "text": ""}),
        serde_json::json!({"url": "https://a.test/3", "text": huge, "published": "2020-06-04T10:00:00+03:00"}),
        serde_json::json!({"text": "Mixed عربي فارسی ۱۲۳ 你好", "published_raw": "Mon, 21 May 2018 10:56:16 +0400"}),
    );
    let out = run_stdin("cluster", input.as_bytes());
    assert_eq!(out.len(), 6);
    assert_eq!(out[1]["line"], 2);
    assert!(out[1]["error"].is_string());
    assert_eq!(out[2]["line"], 3);
    for i in [0, 3, 4, 5] {
        assert!(out[i]["story_id"].is_string(), "line {}: {}", i + 1, out[i]);
    }
    assert_eq!(out[5]["id"], "line-6");
}

#[test]
fn enrich_writes_one_result_per_line() {
    let input = format!(
        "{}\n{}\nnot json\n{}\n",
        serde_json::json!({"source_id": "s", "url": "https://a.test/1", "canonical_url": "https://a.test/1",
                           "fetched_at": null, "text": "قال الوزير إن الاجتماع مهم"}),
        // The shape `newsflow extract` writes: `published`, no source_id.
        serde_json::json!({"url": "https://a.test/2?utm_source=x", "title": "اجتماع",
                           "published": "Mon, 21 May 2018 10:56:16 +0400",
                           "text": "عقد الاجتماع يوم الخميس ٤ حزيران/يونيو في روما"}),
        serde_json::json!({"url": "https://a.test/3", "text": "  "}),
    );
    let out = run_stdin("enrich", input.as_bytes());
    assert_eq!(out.len(), 4);
    assert_eq!(out[0]["enrichment"]["language"], "ar");
    assert_eq!(out[1]["article"]["published_at"], "2018-05-21T10:56:16+04:00");
    assert_eq!(out[1]["extra"]["dedup"]["url_key"], "https://a.test/2");
    assert_eq!(out[1]["enrichment"]["dates_mentioned"][0], "--06-04");
    assert_eq!(out[2]["line"], 3);
    assert_eq!((out[3]["line"].clone(), out[3]["error"].as_str()), (serde_json::json!(4), Some("article has no text")));
}

#[test]
fn enrich_gives_entities_with_countries_amounts_quotes_keyphrases_and_summary() {
    let text = "أعلنت الولايات المتحدة تقديم 200 مليون دولار إلى 79 دولة. \
                وقال وزير الخارجية الأميركي أنتوني بلينكن في بغداد: «المساعدات ستصل إلى الدول المحتاجة قريبا». \
                Mixed script: the aid reaches 79 countries. #أنتوني_بلينكن";
    let input =
        serde_json::json!({"url": "https://a.test/aid", "title": "200 مليون دولار مساعدات أميركية", "text": text});
    let out = run_stdin("enrich", format!("{input}\n").as_bytes());
    let e = &out[0]["enrichment"];
    let entities = e["entities"].as_array().unwrap();
    let has = |kind: &str, key: &str| entities.iter().any(|x| x["kind"] == kind && x["key"] == key);
    assert!(has("PER", "انتوني بلينكن"), "{entities:?}");
    assert!(entities.iter().any(|x| x["key"] == "بغداد" && x["country"] == "IQ"), "{entities:?}");
    assert_eq!(e["amounts"][0]["unit"], "USD");
    assert_eq!(e["amounts"][0]["value"], 200e6);
    assert_eq!(e["quotes"][0]["speaker"], "أنتوني بلينكن");
    assert!(!e["keyphrases"].as_array().unwrap().is_empty());
    assert!(e["summary"].as_str().unwrap().starts_with("أعلنت الولايات المتحدة"));
    assert_eq!(e["hashtags"][0], "أنتوني بلينكن");
}
