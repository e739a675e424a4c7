//! What a user sees from the command line: help, config errors that name
//! the field, a clear error (not a panic) for an unreachable broker, and the
//! offline tools.

mod support;

use std::process::Command;

fn newsflow(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_newsflow"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("panicked"), "newsflow panicked:\n{text}");
    (out.status.success(), text)
}

#[test]
fn help_lists_every_service() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, text) = newsflow(&["--help"], &[], dir.path());
    assert!(ok);
    for cmd in ["run", "fetch", "scrape", "enrich", "sink", "topics", "broker", "feed", "extract"] {
        assert!(text.contains(cmd), "--help lacks {cmd}:\n{text}");
    }
    let (ok, text) = newsflow(&["run", "--help"], &[], dir.path());
    assert!(ok && text.contains("--feed") && text.contains("--brokers") && text.contains("--db"), "{text}");
}

#[test]
fn config_errors_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[kafka]\npartitions = \"six\"\n", "partitions"),
        ("[kafka]\nbrokerz = \"x:1\"\n", "brokerz"),
        ("[fetcher]\nper_host_rps = -1.0\n", "fetcher.per_host_rps"),
        ("[kafka]\ndrain_deadline_ms = 90000\n", "kafka.drain_deadline_ms"),
        ("[[sources]]\nurl = \"ftp://example.com/feed\"\n", "sources[0].url"),
        ("database_url = \"mysql://x\"\n", "database_url"),
    ];
    for (toml, field) in cases {
        std::fs::write(dir.path().join("bad.toml"), toml).unwrap();
        let (ok, text) = newsflow(&["run", "--config", "bad.toml"], &[], dir.path());
        assert!(!ok, "{toml:?} was accepted");
        assert!(text.contains(field), "error for {toml:?} does not name {field}:\n{text}");
    }
    let (ok, text) = newsflow(&["scrape", "--brokers", "no-port-here"], &[], dir.path());
    assert!(!ok && text.contains("kafka.brokers"), "{text}");
    let (ok, text) = newsflow(&["run"], &[("NEWSFLOW_KAFKA__PARTITIONS", "0")], dir.path());
    assert!(!ok && text.contains("kafka.partitions"), "env override is validated too:\n{text}");
    let (ok, text) = newsflow(&["run", "--config", "missing.toml"], &[], dir.path());
    assert!(!ok && text.contains("missing.toml"), "{text}");
    let (ok, text) = newsflow(&["run", "--no-such-flag"], &[], dir.path());
    assert!(!ok && text.contains("--no-such-flag"), "{text}");
}

#[test]
fn unreachable_broker_is_retried_then_reported() {
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let brokers = format!("127.0.0.1:{port}");
    let env = [("NEWSFLOW_KAFKA__CONNECT_TIMEOUT_SECS", "4"), ("NO_COLOR", "1")];
    let (ok, text) = newsflow(&["scrape", "--brokers", &brokers, "--metrics-listen", ""], &env, dir.path());
    assert!(!ok);
    assert!(text.contains("unreachable, retrying"), "no retry warnings:\n{text}");
    assert!(text.contains(&format!("cannot reach the Kafka brokers at {brokers}")), "{text}");
}

#[test]
fn feed_and_extract_work_offline() {
    let dir = tempfile::tempdir().unwrap();
    let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><title>خبر</title><link>https://example.com/a?utm_source=x</link></item></channel></rss>"#;
    std::fs::write(dir.path().join("feed.xml"), rss).unwrap();
    let (ok, text) = newsflow(&["feed", "feed.xml"], &[], dir.path());
    assert!(ok, "{text}");
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["title"], "خبر");
    let (ok, text) = newsflow(&["feed", "missing.xml"], &[], dir.path());
    assert!(!ok && text.contains("missing.xml"));
    std::fs::write(dir.path().join("broken.xml"), "<rss><channel><item>").unwrap();
    let (ok, text) = newsflow(&["feed", "broken.xml"], &[], dir.path());
    assert!(!ok && text.contains("not a readable feed"), "{text}");

    let html = "<html lang=ar><head><title>عنوان الخبر | الموقع</title></head><body><nav><a href=/>الرئيسية</a></nav>\
        <article><h1>عنوان الخبر</h1><p>اجتمع وزراء خارجية دول التحالف الدولي في العاصمة الإيطالية روما لبحث الحرب على تنظيم داعش في العراق وسوريا.</p>\
        <p>وأكد الوزراء في بيان مشترك عزمهم على مواصلة القتال حتى هزيمة التنظيم هزيمة نهائية ودائمة.</p></article></body></html>";
    std::fs::write(dir.path().join("a.html"), html).unwrap();
    let (ok, text) = newsflow(&["extract", "a.html"], &[], dir.path());
    assert!(ok, "{text}");
    let a: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(a["title"], "عنوان الخبر");
    assert_eq!(a["language"], "ar");
    assert!(a["text"].as_str().unwrap().contains("عزمهم على مواصلة القتال"));
}

#[test]
fn sources_import_an_opml_list_into_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let opml = r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="عربي">
        <outline type="rss" text="بي بي سي عربي" xmlUrl="https://feeds.bbci.co.uk/arabic/rss.xml"/></outline>
        <outline text="Le Monde" xmlUrl="https://www.lemonde.fr/rss/une.xml"/></body></opml>"#;
    std::fs::write(dir.path().join("subs.opml"), opml).unwrap();
    let (ok, text) = newsflow(&["sources", "import", "subs.opml", "--into", "nf.toml"], &[], dir.path());
    assert!(ok && text.contains("2 sources appended"), "{text}");
    let (ok, text) = newsflow(&["-c", "nf.toml", "sources", "list"], &[], dir.path());
    assert!(ok, "{text}");
    assert!(text.contains("بي-بي-سي-عربي\thttps://feeds.bbci.co.uk/arabic/rss.xml"), "{text}");
    assert!(text.contains("le-monde\thttps://www.lemonde.fr/rss/une.xml"), "{text}");
    // Importing again adds nothing; a broken file is a clear error.
    let (ok, text) = newsflow(&["-c", "nf.toml", "sources", "import", "subs.opml"], &[], dir.path());
    assert!(ok && text.contains("no new sources"), "{text}");
    std::fs::write(dir.path().join("bad.opml"), "<opml><body><outline").unwrap();
    let (ok, text) = newsflow(&["sources", "import", "bad.opml"], &[], dir.path());
    assert!(!ok && text.contains("bad.opml"), "{text}");
}
