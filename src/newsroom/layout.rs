//! Reading `demo/newsroom.toml` and the seed texts into [`DemoArticle`]s.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::DateTime;
use serde::Deserialize;

use super::{Block, DemoArticle, Metadata};

const MANIFEST: &str = include_str!("../../demo/newsroom.toml");

#[derive(Debug, thiserror::Error)]
pub enum NewsroomError {
    #[error("seed articles not found; looked in: {}. Pass --seeds DIR (the shared/data/seeds folder)", .0.join(", "))]
    NoSeeds(Vec<String>),
    #[error("cannot read seed {0}: {1}")]
    Read(String, std::io::Error),
    #[error("demo/newsroom.toml: {0}")]
    Manifest(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    article: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    seed: String,
    slug: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    title_line: Option<usize>,
    site: String,
    #[serde(default)]
    author: Option<String>,
    published: String,
    metadata: String,
    #[serde(default)]
    charset: Option<String>,
    #[serde(default)]
    byline: Option<usize>,
    #[serde(default)]
    masthead: Vec<usize>,
    #[serde(default)]
    breadcrumb: Vec<usize>,
    #[serde(default)]
    captions: Vec<usize>,
    #[serde(default)]
    subheads: Vec<usize>,
    #[serde(default)]
    counters: Vec<usize>,
    #[serde(default)]
    newsletter: Vec<usize>,
    #[serde(default)]
    credits: Vec<usize>,
    #[serde(default)]
    comments: Vec<usize>,
    #[serde(default)]
    drop: Vec<usize>,
}

/// Collapse the no-break and other odd spaces the scraped seeds carry.
fn tidy(line: &str) -> String {
    line.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

pub(super) fn load(seeds: &Path) -> Result<Vec<DemoArticle>, NewsroomError> {
    let manifest: Manifest = toml::from_str(MANIFEST).map_err(|e| NewsroomError::Manifest(e.to_string()))?;
    manifest.article.into_iter().map(|e| build(seeds, e)).collect()
}

fn build(seeds: &Path, e: Entry) -> Result<DemoArticle, NewsroomError> {
    let path = seeds.join(&e.seed);
    let raw = std::fs::read_to_string(&path).map_err(|err| NewsroomError::Read(path.display().to_string(), err))?;
    let lines: Vec<String> = raw.lines().map(tidy).collect();
    let line = |n: usize| lines.get(n.wrapping_sub(1)).cloned().unwrap_or_default();
    let pick = |ns: &[usize]| ns.iter().map(|&n| line(n)).filter(|l| !l.is_empty()).collect::<Vec<_>>();

    let title = match (&e.title, e.title_line) {
        (Some(t), _) => t.clone(),
        (None, Some(n)) => line(n),
        (None, None) => return Err(NewsroomError::Manifest(format!("{}: needs title or title_line", e.seed))),
    };
    let furniture: BTreeSet<usize> = e
        .masthead
        .iter()
        .chain(&e.breadcrumb)
        .chain(&e.counters)
        .chain(&e.newsletter)
        .chain(&e.credits)
        .chain(&e.comments)
        .chain(&e.drop)
        .chain(e.title_line.iter())
        .chain(e.byline.iter())
        .copied()
        .collect();
    let captions: BTreeSet<usize> = e.captions.iter().copied().collect();
    let subheads: BTreeSet<usize> = e.subheads.iter().copied().collect();

    let mut blocks: Vec<Block> = Vec::new();
    for (i, text) in lines.iter().enumerate() {
        let n = i + 1;
        if text.is_empty() || furniture.contains(&n) {
            continue;
        }
        if captions.contains(&n) {
            if let Some(Block::Figure { caption, twice }) = blocks.last_mut()
                && caption == text
            {
                *twice = true;
                continue;
            }
            blocks.push(Block::Figure { caption: text.clone(), twice: false });
        } else if subheads.contains(&n) {
            blocks.push(Block::Subhead(text.clone()));
        } else if let Some(item) = text.strip_prefix('•') {
            match blocks.last_mut() {
                Some(Block::Bullets(items)) => items.push(item.trim().to_owned()),
                _ => blocks.push(Block::Bullets(vec![item.trim().to_owned()])),
            }
        } else {
            blocks.push(Block::Para(text.clone()));
        }
    }
    let metadata = match e.metadata.as_str() {
        "jsonld" => Metadata::JsonLd,
        "opengraph" => Metadata::OpenGraph,
        "visible-date" => Metadata::VisibleDate,
        other => return Err(NewsroomError::Manifest(format!("{}: unknown metadata {other:?}", e.seed))),
    };
    let published = DateTime::parse_from_rfc3339(&e.published)
        .map_err(|err| NewsroomError::Manifest(format!("{}: published: {err}", e.seed)))?;
    Ok(DemoArticle {
        slug: e.slug,
        title,
        site: e.site,
        author: e.author.or_else(|| e.byline.map(line)),
        published,
        metadata,
        charset: e.charset.unwrap_or_else(|| "utf-8".into()),
        masthead: pick(&e.masthead),
        breadcrumb: pick(&e.breadcrumb),
        counters: pick(&e.counters),
        blocks,
        newsletter: pick(&e.newsletter),
        credits: pick(&e.credits),
        comments: pick(&e.comments),
    })
}
