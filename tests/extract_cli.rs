//! `newsflow extract` end to end: the real binary on pages written here
//! (English and Arabic, with boilerplate), the `--jsonl` batch mode, and bad
//! input, which must end in a clear error or a best-effort result: never a
//! panic, a stack overflow or a hang.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const FIELDS: [&str; 13] = [
    "url",
    "canonical_url",
    "title",
    "authors",
    "published",
    "modified",
    "language",
    "site_name",
    "description",
    "text",
    "top_image",
    "tags",
    "categories",
];

const NAV: &str = r#"<header class="masthead"><a href="/">The Daily Example</a>
<nav class="main-nav"><ul><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/culture">Culture</a></li></ul></nav></header>"#;

const FOOTER: &str = r##"<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/a">Another story about harbours that you may like</a></li>
<li><a href="/b">Ten things to know about the weather this week</a></li></ul></aside>
<div class="newsletter">Subscribe to our newsletter for the best stories every morning.</div>
<div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
<section id="comments"><h3>Comments</h3><p>Comments are closed.</p></section>
<footer><p>© 2024 The Daily Example. All rights reserved.</p><a href="/privacy">Privacy</a></footer>"##;

fn english_page() -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Harbour reopens after storm repairs | The Daily Example</title>
<meta property="og:title" content="Harbour reopens after storm repairs">
<meta property="og:site_name" content="The Daily Example">
<meta property="og:image" content="/img/harbour.jpg">
<meta name="description" content="The harbour is open again after three months of repairs.">
<meta property="article:published_time" content="2024-03-15T09:30:00+01:00">
<meta property="article:tag" content="harbour">
<meta property="article:section" content="Local">
<link rel="canonical" href="https://news.example.com/local/harbour-reopens">
</head><body>{NAV}
<main><article><h1>Harbour reopens after storm repairs</h1>
<p class="byline">By <a rel="author" href="/authors/jane">Jane Smith</a></p>
<p>The town's harbour reopened on Friday after three months of repairs to the sea wall, which was breached during the January storms.</p>
<p>Fishing boats returned to their moorings in the morning, and the harbour master said traffic should be back to normal within a week.</p>
<h2>What changed</h2>
<p>The rebuilt wall is a metre higher than the old one and was designed to withstand the strongest storms recorded in the last century.</p>
<blockquote><p>"We built it for the next hundred years, not the last one," the chief engineer said at the opening ceremony.</p></blockquote>
<ul><li>Cost of the works: 12 million euros, shared by the region and the town.</li>
<li>Length of the new wall: 480 metres along the northern quay.</li></ul>
</article></main>{FOOTER}</body></html>"#
    )
}

const ARABIC_TITLE: &str = "افتتاح معرض الكتاب الدولي في الرياض";

fn arabic_page() -> String {
    format!(
        r#"<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="windows-1256">
<title>{ARABIC_TITLE} - صحيفة المثال</title>
<meta property="og:site_name" content="صحيفة المثال">
</head><body>
<nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/news">أخبار</a></li><li><a href="/sport">رياضة</a></li></ul></nav>
<article><h1>{ARABIC_TITLE}</h1>
<div class="author">بقلم: أحمد علي</div>
<time>١٥ مارس ٢٠٢٤</time>
<p>افتُتح اليوم معرض الكتاب الدولي في الرياض بمشاركة أكثر من ألف دار نشر من ثلاثين دولة، ويستمر المعرض عشرة أيام.</p>
<p>وقال رئيس اللجنة المنظمة إنّ المعرض يضم هذا العام جناحاً خاصاً للأطفال وبرنامجاً ثقافياً يشمل ندوات وأمسيات شعرية.</p>
<p>ويتوقع المنظمون أن يزور المعرض أكثر من مليون زائر، مع توفير حافلات مجانية من وسط المدينة إلى مقر المعرض.</p>
</article>
<div class="share">شارك على فيسبوك شارك على تويتر</div>
<footer>جميع الحقوق محفوظة لصحيفة المثال ٢٠٢٤</footer>
</body></html>"#
    )
}

/// The Arabic page as a legacy Windows-1256 file, as many Arabic sites serve.
fn arabic_bytes() -> Vec<u8> {
    let page = arabic_page();
    // Windows-1256 has no Eastern Arabic digits: encoding_rs writes them as
    // numeric character references (&#1633;), as a legacy site's CMS does.
    let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode(&page);
    bytes.into_owned()
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the binary with a deadline; a hang or a panic fails the test.
fn newsflow(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsflow"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut s).unwrap();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("newsflow {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(f) = feeder {
        f.join().unwrap();
    }
    let run = Run {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "newsflow {args:?} panicked:\n{}", run.stderr);
    assert!(status.code().is_some(), "newsflow {args:?} was killed by a signal: {status}");
    run
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

fn has_every_field(v: &Value) {
    for f in FIELDS {
        assert!(v.get(f).is_some(), "field {f} missing in {v}");
    }
    assert!(v["authors"].is_array() && v["tags"].is_array() && v["categories"].is_array(), "{v}");
}

#[test]
fn english_page_prints_every_field_without_boilerplate() {
    let dir = tempfile::tempdir().unwrap();
    let page = write(dir.path(), "en.html", english_page().as_bytes());
    let run = newsflow(&["extract", "--url", "https://news.example.com/local/harbour-reopens?utm=x", &page], None);
    assert!(run.ok, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    has_every_field(&v);
    assert_eq!(v["title"], "Harbour reopens after storm repairs");
    assert_eq!(v["authors"], serde_json::json!(["Jane Smith"]));
    assert_eq!(v["published"], "2024-03-15T09:30:00+01:00");
    assert_eq!(v["language"], "en");
    assert_eq!(v["site_name"], "The Daily Example");
    assert_eq!(v["canonical_url"], "https://news.example.com/local/harbour-reopens");
    assert_eq!(v["top_image"], "https://news.example.com/img/harbour.jpg");
    assert_eq!(v["tags"], serde_json::json!(["harbour"]));
    assert_eq!(v["categories"], serde_json::json!(["Local"]));
    let text = v["text"].as_str().unwrap();
    for kept in ["The town's harbour reopened", "What changed", "We built it for the next hundred years", "480 metres"]
    {
        assert!(text.contains(kept), "{kept:?} missing from the body:\n{text}");
    }
    for dropped in
        ["Politics", "Related stories", "Subscribe", "Share on", "Comments are closed", "All rights reserved"]
    {
        assert!(!text.contains(dropped), "boilerplate {dropped:?} left in the body:\n{text}");
    }
    assert!(text.contains("\n\n"), "paragraphs are separated by blank lines:\n{text}");
}

#[test]
fn arabic_page_in_a_legacy_charset_is_decoded_and_extracted() {
    let dir = tempfile::tempdir().unwrap();
    let page = write(dir.path(), "ar.html", &arabic_bytes());
    let run = newsflow(&["extract", &page], None);
    assert!(run.ok, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    has_every_field(&v);
    assert_eq!(v["title"], ARABIC_TITLE);
    assert_eq!(v["language"], "ar");
    assert_eq!(v["direction"], "rtl");
    assert!(v["published"].as_str().is_some_and(|d| d.starts_with("2024-03-15")), "{}", v["published"]);
    let text = v["text"].as_str().unwrap();
    // Diacritics (damma on افتُتح, shadda on إنّ) survive exactly.
    assert!(text.contains("افتُتح اليوم معرض الكتاب") && text.contains("إنّ المعرض"), "{text}");
    assert!(!text.contains("شارك على") && !text.contains("الرئيسية"), "boilerplate left:\n{text}");
}

#[test]
fn text_format_reads_stdin_and_prints_the_body() {
    let run = newsflow(&["extract", "--format", "text", "-"], Some(english_page().as_bytes()));
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.starts_with("The town's harbour reopened"), "{}", run.stdout);
    assert!(!run.stdout.trim_start().starts_with('{'));
    let run = newsflow(&["extract", "--format", "yaml", "-"], Some(b"<p>x</p>"));
    assert!(!run.ok && run.stderr.contains("yaml"), "{}", run.stderr);
}

#[test]
fn jsonl_answers_every_line_in_order_and_survives_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let en = write(dir.path(), "en.html", english_page().as_bytes());
    let ar = write(dir.path(), "ar.html", &arabic_bytes());
    let missing = dir.path().join("missing.html");
    let mut lines = vec![
        serde_json::json!({"path": en, "url": "https://news.example.com/x"}).to_string(),
        serde_json::json!({"path": ar}).to_string(),
        "{not json".to_string(),
        serde_json::json!({"path": missing}).to_string(),
        serde_json::json!({"html": "just some plain text, no markup"}).to_string(),
        serde_json::json!({"html": arabic_page(), "url": "https://ar.example.com/a"}).to_string(),
        serde_json::json!({"url": "https://x.example"}).to_string(),
        String::new(),
    ];
    // Enough lines to keep every worker and the reorder buffer busy.
    for i in 0..40 {
        lines.push(
            serde_json::json!({"html": english_page(), "url": format!("https://news.example.com/{i}")}).to_string(),
        );
    }
    let input = lines.join("\n") + "\n";
    let file = write(dir.path(), "in.jsonl", input.as_bytes());

    for args in [vec!["extract", "--jsonl", file.as_str()], vec!["extract", "--jsonl", "--jobs", "3"]] {
        let stdin = (args.len() == 4).then_some(input.as_bytes());
        let run = newsflow(&args, stdin);
        assert!(run.ok, "{}", run.stderr);
        let out: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(out.len(), lines.len(), "{}", run.stdout);
        has_every_field(&out[0]);
        assert_eq!(out[0]["title"], "Harbour reopens after storm repairs");
        assert_eq!(out[1]["title"], ARABIC_TITLE);
        for (i, needle) in [(2, "bad JSON"), (3, "missing.html"), (4, "not HTML"), (6, "neither"), (7, "empty")] {
            assert_eq!(out[i]["line"], i + 1, "{}", out[i]);
            assert!(out[i]["error"].as_str().unwrap().contains(needle), "line {}: {}", i + 1, out[i]);
        }
        assert_eq!(out[5]["title"], ARABIC_TITLE);
        assert_eq!(out[5]["url"], "https://ar.example.com/a");
        for (i, v) in out.iter().enumerate().skip(8) {
            assert_eq!(v["url"], format!("https://news.example.com/{}", i - 8), "out of order");
        }
    }
}

/// Bad input ends in a clear error or a best-effort article: never a panic,
/// a stack overflow or a hang.
fn survives(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, bytes);
    let started = Instant::now();
    let run = newsflow(&["extract", &path], None);
    if run.ok {
        has_every_field(&serde_json::from_str(&run.stdout).unwrap());
    } else {
        assert!(run.stderr.starts_with("error: ") && run.stdout.is_empty(), "{name}: unclear failure:\n{}", run.stderr);
    }
    eprintln!("{name}: ok={} in {:?}: {}", run.ok, started.elapsed(), run.stderr.trim());
}

#[test]
fn non_html_binary_and_empty_input_fail_clearly() {
    survives("plain.txt", "Just a sentence of plain text, with no markup at all.\n".repeat(50).as_bytes());
    survives("data.json", br#"{"title": "not a page", "items": [1, 2, 3]}"#);
    let binary: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    survives("binary.bin", &binary);
    survives("empty.html", b"");
    survives("blank.html", b"   \n\t  \n");
    survives("invalid-utf8.html", b"<html><body><p>\xff\xfe\xfd caf\xe9 \x80\x81</p></body></html>");
}

#[test]
fn truncated_pages_give_a_best_effort_result() {
    let page = english_page();
    for cut in [page.len() / 4, page.len() / 2, page.len() * 3 / 4, page.len() - 10] {
        let mut end = cut;
        while !page.is_char_boundary(end) {
            end -= 1;
        }
        survives("truncated.html", &page.as_bytes()[..end]);
    }
    // Cut in the middle of a multi-byte character and inside a tag.
    let ar = arabic_page();
    survives("truncated-ar.html", &ar.as_bytes()[..ar.len() / 2 + 1]);
    survives("open-tag.html", b"<html><body><p>Some text<div class=\"x");
}

#[test]
fn deep_nesting_is_refused_or_parsed_without_overflow() {
    let depth = 100_000;
    for tag in ["div", "span", "b", "blockquote"] {
        let mut page = String::from("<html><body>");
        page.push_str(&format!("<{tag}>").repeat(depth));
        page.push_str("<p>Deep inside the nesting there is a paragraph of text.</p>");
        page.push_str(&format!("</{tag}>").repeat(depth));
        page.push_str("</body></html>");
        survives(&format!("nested-{tag}.html"), page.as_bytes());
    }
    // Unclosed, too.
    survives("nested-unclosed.html", "<div><p>x".repeat(depth).as_bytes());
}

#[test]
fn a_50_mb_page_is_handled() {
    let para = "<p>This paragraph repeats to make a very large page, far larger than any real article.</p>\n";
    let mut page = english_page().replace("</article>", "");
    while page.len() < 50 * 1024 * 1024 {
        page.push_str(para);
    }
    page.push_str("</article></body></html>");
    // Best effort, not a refusal: the article from the first 20 MiB, with a warning.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "huge.html", page.as_bytes());
    let run = newsflow(&["extract", &path], None);
    assert!(run.ok, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    has_every_field(&v);
    assert!(v["text"].as_str().unwrap().contains("This paragraph repeats"));
    let warnings = v["warnings"].as_array().expect("a warnings field");
    assert!(warnings[0].as_str().unwrap().contains("extracted from the first"), "{warnings:?}");
}
