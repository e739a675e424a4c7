//! `newsflow extract`: article extraction from HTML files.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ExtractArgs {
    /// HTML file, or - for stdin.
    pub input: PathBuf,
    /// The page's URL (resolves relative links, helps dates).
    #[arg(long)]
    pub url: Option<String>,
    /// Output format: json or text.
    #[arg(long, default_value = "json")]
    pub format: String,
}

pub fn run(args: ExtractArgs) -> Result<()> {
    let bytes = if args.input == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        buf
    } else {
        std::fs::read(&args.input).with_context(|| args.input.display().to_string())?
    };
    let (html, _) = newsflow_ingest::charset::decode_html(&bytes, None);
    let opts = newsflow_extract::Options { url: args.url.clone(), ..Default::default() };
    let article = newsflow_extract::extract(&html, &opts)?;
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&article)?),
        "text" => println!("{}", article.text),
        other => bail!("--format: must be json or text, got {other:?}"),
    }
    Ok(())
}
