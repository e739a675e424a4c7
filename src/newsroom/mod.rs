//! The offline demo newsroom: a local HTTP server with an RSS feed and
//! realistic article pages built from the seed articles
//! (`../shared/data/seeds`) and the layout in `demo/newsroom.toml`.
//!
//! Used by `newsflow run --demo`, `newsflow newsroom` and the end-to-end
//! tests. Articles can be added while it runs ([`Newsroom::push`]) to show
//! new items flowing in.

mod layout;
mod render;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use layout::NewsroomError;

/// One block of an article body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(String),
    Subhead(String),
    Bullets(Vec<String>),
    /// A photo with its caption; `twice` repeats the caption as an overlay,
    /// as many sites do.
    Figure {
        caption: String,
        twice: bool,
    },
}

/// How a page announces its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metadata {
    JsonLd,
    OpenGraph,
    /// Only a visible Arabic date under the headline.
    VisibleDate,
}

/// One demo article page.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoArticle {
    /// URL path after the host, without the leading slash.
    pub slug: String,
    pub title: String,
    pub site: String,
    pub author: Option<String>,
    pub published: DateTime<FixedOffset>,
    pub metadata: Metadata,
    /// Encoding of the served bytes ("utf-8" or a legacy label).
    pub charset: String,
    pub masthead: Vec<String>,
    pub breadcrumb: Vec<String>,
    pub counters: Vec<String>,
    pub blocks: Vec<Block>,
    pub newsletter: Vec<String>,
    pub credits: Vec<String>,
    pub comments: Vec<String>,
}

impl DemoArticle {
    /// The body text an extractor should find: paragraphs, sub-headings and
    /// list items, without captions or page furniture.
    pub fn expected_text(&self) -> String {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Para(p) | Block::Subhead(p) => Some(p.clone()),
                Block::Bullets(items) => Some(items.join("\n")),
                Block::Figure { .. } => None,
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// The newsroom: its articles, newest last.
#[derive(Clone)]
pub struct Newsroom {
    articles: Arc<RwLock<Vec<DemoArticle>>>,
}

impl Newsroom {
    /// Build the five seed pages from `seeds` (the folder of seed texts).
    pub fn from_seeds(seeds: &Path) -> Result<Self, NewsroomError> {
        let articles = layout::load(seeds)?;
        Ok(Self { articles: Arc::new(RwLock::new(articles)) })
    }

    /// Publish one more article (it appears in the feed at once).
    pub fn push(&self, article: DemoArticle) {
        self.articles.write().unwrap_or_else(|p| p.into_inner()).push(article);
    }

    pub fn articles(&self) -> Vec<DemoArticle> {
        self.read(<[DemoArticle]>::to_vec)
    }

    /// Look at the articles under the read lock, without copying them: a
    /// page or feed request must not clone every article (with 10,000
    /// published, that was ~80 MB copied per request).
    fn read<R>(&self, f: impl FnOnce(&[DemoArticle]) -> R) -> R {
        f(&self.articles.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Serve on `listener` until `cancel`.
    pub async fn serve(self, listener: TcpListener, cancel: CancellationToken) -> std::io::Result<()> {
        let app = Router::new()
            .route("/", get(home))
            .route("/feed.xml", get(feed))
            .route("/{*slug}", get(page))
            .with_state(self);
        axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned()).await
    }

    /// Bind `addr`, serve in the background, return the bound address.
    pub async fn spawn(self, addr: &str, cancel: CancellationToken) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        tokio::spawn(self.serve(listener, cancel));
        Ok(local)
    }
}

async fn home(State(nr): State<Newsroom>) -> Response {
    let html = nr.read(render::home);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

async fn feed(State(nr): State<Newsroom>, headers: axum::http::HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let xml = nr.read(|all| render::rss(all, &format!("http://{host}")));
    ([(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")], xml).into_response()
}

async fn page(State(nr): State<Newsroom>, UrlPath(slug): UrlPath<String>) -> Response {
    let Some((html, charset)) = nr.read(|all| {
        let a = all.iter().find(|a| a.slug == slug)?;
        Some((render::article(a, all), a.charset.clone()))
    }) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let encoding = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let bytes = encoding.encode(&html).0.into_owned();
    let content_type = format!("text/html; charset={}", encoding.name().to_ascii_lowercase());
    ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
}

/// Where the seed articles are: `--seeds`, `$NEWSFLOW_SEEDS`,
/// `../shared/data/seeds` from the working directory, or next to the source
/// tree.
pub fn find_seeds(explicit: Option<&Path>) -> Result<PathBuf, NewsroomError> {
    let candidates: Vec<PathBuf> = explicit
        .map(Path::to_path_buf)
        .into_iter()
        .chain(std::env::var_os("NEWSFLOW_SEEDS").map(PathBuf::from))
        .chain([
            PathBuf::from("../shared/data/seeds"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/seeds"),
        ])
        .collect();
    candidates
        .iter()
        .find(|p| p.join("000_44c25ae1cc615a7a.txt").is_file())
        .cloned()
        .ok_or_else(|| NewsroomError::NoSeeds(candidates.iter().map(|p| p.display().to_string()).collect()))
}
