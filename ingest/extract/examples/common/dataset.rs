//! Loading the Fundus evaluation pages (`index.jsonl` + gzipped HTML),
//! shared by the `quality` and `bench` examples. Files are read at run time
//! from the data directory given on the command line.

use flate2::read::GzDecoder;
use serde::Deserialize;
use std::io::{BufRead, Read};
use std::path::Path;

/// One line of `index.jsonl` (only the fields the examples use).
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub html: String,
    pub url: Option<String>,
    pub language: String,
    pub title: String,
    #[serde(default)]
    pub authors: Vec<String>,
    pub published: Option<String>,
    pub body: String,
}

pub struct Page {
    pub row: Row,
    pub html: String,
}

pub fn load(dir: &Path) -> Result<Vec<Page>, String> {
    let index = dir.join("index.jsonl");
    let f = std::fs::File::open(&index).map_err(|e| format!("{}: {e}", index.display()))?;
    let mut pages = Vec::new();
    for line in std::io::BufReader::new(f).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(&line).map_err(|e| format!("index.jsonl: {e}"))?;
        let path = dir.join(&row.html);
        let gz = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut bytes = Vec::new();
        GzDecoder::new(gz).read_to_end(&mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let html = String::from_utf8_lossy(&bytes).into_owned();
        pages.push(Page { row, html });
    }
    Ok(pages)
}
