//! The HTTP client's limits and the SSRF guard against hostile local servers:
//! each route below misbehaves in one way and the client must cut it cleanly.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{Redirect, Response};
use axum::routing::get;
use newsflow_ingest::FetcherConfig;
use newsflow_ingest::charset::decode_html;
use newsflow_ingest::http::{Accept, Conditional, FetchError, HttpClient};

const ARABIC: &str = "<p>أعلنت الحكومة اليوم عن خطة جديدة لدعم التعليم في المدن والقرى، وقال الوزير إن الخطة تشمل بناء مدارس جديدة وتدريب المعلمين.</p>";

fn gzip_bomb() -> Vec<u8> {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(make_gzip_bomb).clone()
}

fn make_gzip_bomb() -> Vec<u8> {
    // 32 MiB of zeros compress to about 32 KiB.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..32 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

/// 32 MiB of zeros, brotli-compressed (a few KiB), made once.
fn brotli_bomb() -> Vec<u8> {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| brotli(&vec![0u8; 32 * 1024 * 1024])).clone()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 5, 24);
    w.write_all(data).unwrap();
    drop(w);
    out
}

/// 32 MiB of zeros, zstd-compressed (a few KiB), made once.
fn zstd_bomb() -> Vec<u8> {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| zstd::encode_all(&vec![0u8; 32 * 1024 * 1024][..], 3).unwrap()).clone()
}

fn cp1256(html: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1256.encode(html);
    assert!(!unmappable);
    bytes.into_owned()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    addr
}

/// The hostile server: one route per misbehaviour. `other` is a second
/// server's port (for the redirect-to-another-port SSRF case).
async fn hostile(other: u16) -> SocketAddr {
    let bomb = gzip_bomb();
    let router = Router::new()
        .route(
            "/endless",
            get(|| async {
                let chunk = Bytes::from(vec![b'a'; 16 * 1024]);
                let stream = futures::stream::repeat_with(move || Ok::<_, Infallible>(chunk.clone()));
                ([(header::CONTENT_TYPE, "text/html")], Body::from_stream(stream))
            }),
        )
        .route(
            "/drip",
            get(|| async {
                let stream = futures::stream::unfold((), |()| async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Ok::<_, Infallible>(Bytes::from_static(b"<")), ()))
                });
                ([(header::CONTENT_TYPE, "text/html")], Body::from_stream(stream))
            }),
        )
        .route("/loop/a", get(|| async { Redirect::temporary("/loop/b") }))
        .route("/loop/b", get(|| async { Redirect::temporary("/loop/a") }))
        .route("/chain/{n}", get(|axum::extract::Path(n): axum::extract::Path<u32>| async move {
            Redirect::temporary(&format!("/chain/{}", n + 1))
        }))
        .route("/hop", get(|| async { Redirect::temporary("/page") }))
        .route(
            "/bomb",
            get(move || {
                let bomb = bomb.clone();
                async move { ([(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "gzip")], bomb) }
            }),
        )
        .route("/bomb-br", get(|| async { ([(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "br")], brotli_bomb()) }))
        .route("/bomb-zstd", get(|| async { ([(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "zstd")], zstd_bomb()) }))
        .route("/small-br", get(|| async { ([(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "br")], brotli(ARABIC.as_bytes())) }))
        .route("/small-zstd", get(|| async {
            ([(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "zstd")], zstd::encode_all(ARABIC.as_bytes(), 3).unwrap())
        }))
        .route("/page", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], "<p>ok</p>") }))
        .route(
            "/ar/header",
            get(|| async {
                let html = format!("<html><body>{ARABIC}</body></html>");
                ([(header::CONTENT_TYPE, "text/html; charset=windows-1256")], cp1256(&html))
            }),
        )
        .route(
            "/ar/meta",
            get(|| async {
                let html = format!(
                    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1256\"></head><body>{ARABIC}</body></html>"
                );
                ([(header::CONTENT_TYPE, "text/html")], cp1256(&html))
            }),
        )
        .route(
            "/ar/sniff",
            get(|| async {
                let html = format!("<html><body>{ARABIC}{ARABIC}</body></html>");
                ([(header::CONTENT_TYPE, "text/html")], cp1256(&html))
            }),
        )
        .route(
            "/ar/iso-8859-6",
            get(|| async {
                let html = format!("<html><body>{ARABIC}</body></html>");
                let (bytes, _, unmappable) = encoding_rs::ISO_8859_6.encode(&html);
                assert!(!unmappable);
                ([(header::CONTENT_TYPE, "text/html; charset=iso-8859-6")], bytes.into_owned())
            }),
        )
        .route("/pdf", get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], b"%PDF-1.4".to_vec()) }))
        .route("/xml", get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], "<rss/>") }))
        .route("/untyped", get(|| async { Response::new(Body::from("<p>no type</p>")) }))
        .route("/to-other-port", get(move || async move { Redirect::temporary(&format!("http://127.0.0.1:{other}/page")) }))
        .route("/to-localhost", get(move || async move { Redirect::temporary(&format!("http://localhost:{other}/page")) }))
        .route("/to-metadata", get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }));
    serve(router).await
}

async fn other_server() -> SocketAddr {
    serve(Router::new().route("/page", get(|| async { ([(header::CONTENT_TYPE, "text/html")], "secret") }))).await
}

struct Setup {
    base: String,
    other: SocketAddr,
    client: HttpClient,
}

/// A client allowed to reach the hostile server's exact host:port only.
async fn setup() -> Setup {
    let other = other_server().await;
    let addr = hostile(other.port()).await;
    let cfg = FetcherConfig {
        request_timeout_secs: 2,
        max_body_bytes: 256 * 1024,
        max_redirects: 5,
        allow_hosts: vec![addr.to_string()],
        ..Default::default()
    };
    Setup { base: format!("http://{addr}"), other, client: HttpClient::new(&cfg).unwrap() }
}

async fn fetch(s: &Setup, path: &str) -> Result<newsflow_ingest::http::Fetched, FetchError> {
    s.client.get_as(&format!("{}{path}", s.base), &Conditional::default(), Accept::Page).await
}

#[tokio::test]
async fn endless_body_is_cut_at_the_size_cap() {
    let s = setup().await;
    let started = Instant::now();
    let err = fetch(&s, "/endless").await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { limit: 262_144 }), "{err}");
    assert!(!err.is_transient());
    assert!(started.elapsed() < Duration::from_secs(2), "cut by size, not by time");
}

#[tokio::test]
async fn slow_drip_is_cut_at_the_time_cap() {
    let s = setup().await;
    let started = Instant::now();
    let err = fetch(&s, "/drip").await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, FetchError::Timeout(2)), "{err}");
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_secs(4), "{took:?}");
}

#[tokio::test]
async fn redirect_loop_and_long_chain_are_refused() {
    let s = setup().await;
    let err = fetch(&s, "/loop/a").await.unwrap_err();
    assert!(matches!(&err, FetchError::Redirects(m) if m.contains("redirect loop")), "{err}");
    let err = fetch(&s, "/chain/0").await.unwrap_err();
    assert!(matches!(&err, FetchError::Redirects(m) if m.contains("more than 5 redirects")), "{err}");
    // A plain redirect is followed.
    let ok = fetch(&s, "/hop").await.unwrap();
    assert!(ok.final_url.ends_with("/page"), "{}", ok.final_url);
}

#[tokio::test]
async fn gzip_bomb_is_cut_by_the_decompressed_size_cap() {
    let s = setup().await;
    let err = fetch(&s, "/bomb").await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
}

#[tokio::test]
async fn brotli_and_zstd_bombs_are_cut_by_the_decompressed_size_cap() {
    let s = setup().await;
    let (br, zst) = (brotli_bomb().len(), zstd_bomb().len());
    assert!(br < 64 * 1024 && zst < 64 * 1024, "the bombs are small on the wire: {br}, {zst}");
    for path in ["/bomb-br", "/bomb-zstd"] {
        let started = Instant::now();
        let err = fetch(&s, path).await.unwrap_err();
        assert!(matches!(err, FetchError::TooLarge { limit: 262_144 }), "{path}: {err}");
        assert!(started.elapsed() < Duration::from_secs(2), "{path}: cut by size, not by time");
    }
    // The same encodings on an ordinary page decode.
    for path in ["/small-br", "/small-zstd"] {
        let page = fetch(&s, path).await.unwrap();
        assert_eq!(String::from_utf8(page.body.to_vec()).unwrap(), ARABIC, "{path}");
    }
}

#[tokio::test]
async fn windows_1256_and_iso_8859_6_pages_decode_correctly() {
    let s = setup().await;
    for path in ["/ar/header", "/ar/meta", "/ar/sniff"] {
        let page = fetch(&s, path).await.unwrap();
        let (text, charset) = decode_html(&page.body, page.content_type().as_deref());
        assert!(text.contains(ARABIC), "{path}: {text}");
        assert_eq!(charset, "windows-1256", "{path}");
    }
    let page = fetch(&s, "/ar/iso-8859-6").await.unwrap();
    let (text, charset) = decode_html(&page.body, page.content_type().as_deref());
    assert!(text.contains(ARABIC), "{text}");
    assert_eq!(charset, "ISO-8859-6");
}

#[tokio::test]
async fn article_pages_must_be_html_or_xml() {
    let s = setup().await;
    let err = fetch(&s, "/pdf").await.unwrap_err();
    assert!(matches!(&err, FetchError::ContentType(ct) if ct == "application/pdf"), "{err}");
    assert!(err.to_string().contains("not HTML or XML"), "{err}");
    assert!(!err.is_transient());
    fetch(&s, "/xml").await.unwrap();
    fetch(&s, "/untyped").await.unwrap();
    // Feeds are fetched with `Accept::Any`.
    let pdf = s.client.get(&format!("{}/pdf", s.base), &Conditional::default()).await.unwrap();
    assert_eq!(pdf.body, b"%PDF-1.4");
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let s = setup().await;
    // The other server is on 127.0.0.1 too, but only the hostile server's
    // host:port is allowed.
    let direct = format!("http://127.0.0.1:{}/page", s.other.port());
    let err = s.client.get(&direct, &Conditional::default()).await.unwrap_err();
    assert!(matches!(err, FetchError::Blocked(_)), "{err}");
    assert_eq!(err.kind(), "blocked");
    assert!(!err.is_transient());

    let strict = HttpClient::new(&FetcherConfig::default()).unwrap();
    for url in [
        direct.clone(),
        format!("http://localhost:{}/page", s.other.port()),
        format!("http://[::1]:{}/page", s.other.port()),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        let err = strict.get(&url, &Conditional::default()).await.unwrap_err();
        assert!(matches!(err, FetchError::Blocked(_)), "{url}: {err}");
    }

    let open = HttpClient::new(&FetcherConfig { allow_hosts: vec!["127.0.0.1".into()], ..Default::default() }).unwrap();
    let page = open.get(&direct, &Conditional::default()).await.unwrap();
    assert_eq!(page.body, b"secret");
}

#[tokio::test]
async fn redirects_to_internal_addresses_are_refused() {
    let s = setup().await;
    for path in ["/to-other-port", "/to-localhost", "/to-metadata"] {
        let err = fetch(&s, path).await.unwrap_err();
        assert!(matches!(err, FetchError::Blocked(_)), "{path}: {err}");
    }
}
