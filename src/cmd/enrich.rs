//! `newsflow enrich FILE|-`: offline enrichment of article JSON lines.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, Result};
use newsflow_wire::{ArticleMsg, EnrichedArticle};

/// Read article JSON (one object per line), write enriched JSON lines. A bad
/// line yields an error object for that line and the rest continues.
pub fn run(input: &Path) -> Result<()> {
    let reader: Box<dyn BufRead> = if input == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(input).with_context(|| input.display().to_string())?))
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ArticleMsg>(&line) {
            Ok(article) => {
                let enrichment = newsflow_enrich::enrich(&article);
                serde_json::to_writer(&mut out, &EnrichedArticle { article, enrichment })?;
            }
            Err(e) => serde_json::to_writer(&mut out, &serde_json::json!({"line": n + 1, "error": e.to_string()}))?,
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}
