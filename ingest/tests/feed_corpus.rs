//! Every file of the feedparser test corpus through `feeds::parse_feed`.
//! The corpus lives outside the repository (`../shared/data/feeds/feedparser`
//! next to the workspace, or `NEWSFLOW_FEEDPARSER_DIR`) and is walked at run
//! time, never copied.

use std::path::{Path, PathBuf};

use newsflow_ingest::feeds::parse_feed_with_type;

/// Formats we do not read (Microsoft CDF): a clear error is right.
const UNSUPPORTED: &[&str] = &["wellformed/base/cdf_item_abstract_xml_base.xml"];

/// The `Header: Content-type: …` and `Expect: …` lines of the file's header
/// comment (ASCII-compatible files; UTF-16/32 ones yield none).
fn header_field(bytes: &[u8], key: &str) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    head.lines().find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_owned()))
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NEWSFLOW_FEEDPARSER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/feeds/feedparser"));
    dir.is_dir().then_some(dir)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml" || e == "rdf" || e == "atom" || e == "rss") {
            out.push(path);
        }
    }
}

#[test]
fn every_feedparser_file_parses_or_fails_clearly() {
    let Some(dir) = corpus_dir() else {
        eprintln!("feedparser corpus not found; set NEWSFLOW_FEEDPARSER_DIR");
        return;
    };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    let (mut ok, mut failed) = (0, Vec::new());
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let rel = path.strip_prefix(&dir).unwrap().display().to_string();
        let content_type = header_field(&bytes, "Header:").and_then(|h| {
            h.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.trim().to_owned())
        });
        let well_formed = header_field(&bytes, "Expect:").is_some_and(|e| e.starts_with("not bozo"));
        match parse_feed_with_type(&bytes, Some("http://example.com/feed.xml"), content_type.as_deref()) {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(e.to_string().starts_with("not a readable feed: "), "{rel}: {e}");
                assert!(!well_formed || UNSUPPORTED.contains(&rel.as_str()), "well-formed {rel} refused: {e}");
                failed.push(format!("{rel}: {e}"));
            }
        }
    }
    eprintln!("{ok} parsed, {} refused:\n{}", failed.len(), failed.join("\n"));
    assert!(files.len() > 500, "walked {} files", files.len());
    // What is refused is ill-formed XML (an unclosed tag, a raw `&`, a
    // truncated CDATA, an empty document) or CDF.
    assert!(failed.len() <= 12, "{} refused", failed.len());
}
