//! Sitemaps as sources through `Fetcher::poll_once`: an index pointing at a
//! gzipped Google News sitemap and a plain one, discovery from robots.txt,
//! and feed autodiscovery from a homepage. Articles are disallowed by robots.txt, so no broker is
//! needed: each new entry shows up as `failed` in the report.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use newsflow_ingest::state::FetchState;
use newsflow_ingest::{Fetcher, FetcherConfig, SourceConfig};
use newsflow_kafka::{KafkaConfig, Producer};
use newsflow_wire::Topics;
use tokio_util::sync::CancellationToken;

fn gz(s: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(s.as_bytes()).unwrap();
    enc.finish().unwrap()
}

async fn handle(State(addr): State<Arc<String>>, uri: Uri) -> Response {
    let a = addr.as_str();
    match uri.path() {
        "/robots.txt" => format!("User-agent: *\nDisallow: /a/\n\nSitemap: http://{a}/plain.xml\n").into_response(),
        "/index.xml" => format!(
            r#"<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>http://{a}/news.xml.gz</loc></sitemap><sitemap><loc>http://{a}/plain.xml</loc></sitemap>
            <sitemap><loc>http://{a}/missing.xml</loc></sitemap></sitemapindex>"#
        )
        .into_response(),
        "/news.xml.gz" => (
            [(header::CONTENT_TYPE, "application/gzip")],
            gz(&format!(
                r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
                <url><loc>http://{a}/a/news-1</loc><news:news><news:publication><news:name>X</news:name><news:language>ar</news:language></news:publication>
                <news:publication_date>2024-05-01</news:publication_date><news:title>عنوان</news:title></news:news></url>
                <url><loc>http://{a}/a/news-2</loc></url></urlset>"#
            )),
        )
            .into_response(),
        "/plain.xml" => format!(
            r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://{a}/a/plain-1</loc><lastmod>2024-05-02</lastmod></url></urlset>"#
        )
        .into_response(),
        "/home" => (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed.rss\"></head><body>hi</body></html>",
        )
            .into_response(),
        "/feed.rss" => "<rss version=\"2.0\"><channel><item><link>/a/from-feed</link></item></channel></rss>".into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().fallback(handle).with_state(Arc::new(addr.to_string()));
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    addr
}

fn fetcher(addr: SocketAddr) -> Fetcher {
    let cfg = FetcherConfig { per_host_rps: 100.0, allow_hosts: vec![addr.to_string()], ..Default::default() };
    let state = Arc::new(FetchState::in_memory().unwrap());
    // Never used: every article is disallowed by robots.txt.
    let producer = Producer::new(&KafkaConfig { brokers: "127.0.0.1:9".into(), ..Default::default() }).unwrap();
    Fetcher::new(cfg, state, producer, Topics::new("t")).unwrap()
}

#[tokio::test]
async fn sitemap_index_with_gzipped_news_sitemap() {
    let addr = serve().await;
    let f = fetcher(addr);
    let src = SourceConfig::from_url(&format!("http://{addr}/index.xml"));
    let report = f.poll_once(&src, &CancellationToken::new()).await.unwrap();
    // news-1, news-2 and plain-1; the missing child is skipped.
    assert_eq!((report.entries, report.failed), (3, 3), "{report:?}");
}

#[tokio::test]
async fn sitemaps_are_discovered_from_robots_txt() {
    let addr = serve().await;
    let f = fetcher(addr);
    let src = SourceConfig::from_url(&format!("http://{addr}/robots.txt"));
    let report = f.poll_once(&src, &CancellationToken::new()).await.unwrap();
    assert_eq!(report.entries, 1, "{report:?}");
}

#[tokio::test]
async fn a_plain_sitemap_is_a_source() {
    let addr = serve().await;
    let f = fetcher(addr);
    let src = SourceConfig::from_url(&format!("http://{addr}/plain.xml"));
    let report = f.poll_once(&src, &CancellationToken::new()).await.unwrap();
    assert_eq!(report.entries, 1, "{report:?}");
}

#[tokio::test]
async fn a_homepage_source_polls_the_feed_it_announces() {
    let addr = serve().await;
    let f = fetcher(addr);
    let src = SourceConfig::from_url(&format!("http://{addr}/home"));
    let report = f.poll_once(&src, &CancellationToken::new()).await.unwrap();
    assert_eq!((report.entries, report.failed), (1, 1), "{report:?}");
}
