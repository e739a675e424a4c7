//! `newsflow sources`: the fetcher's sources and their health.

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::config::Config;

#[derive(Debug, Clone, Args)]
pub struct SourcesArgs {
    #[command(subcommand)]
    pub command: SourcesCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SourcesCommand {
    /// Import an OPML feed list: print the feeds as `[[sources]]` TOML to
    /// add to the config file (or append them to it with --into).
    Import {
        /// The OPML file (as feed readers export it).
        file: std::path::PathBuf,
        /// Append to this config file instead of printing.
        #[arg(long, value_name = "CONFIG")]
        into: Option<std::path::PathBuf>,
    },
    /// List the configured sources (id, URL, tags, time zone, language).
    List,
    /// Each source's health from the fetcher's state: last poll, last
    /// success, last error, new items.
    Status,
}

pub async fn run(cfg: Config, args: SourcesArgs) -> Result<()> {
    match args.command {
        SourcesCommand::Import { file, into } => {
            use anyhow::Context;
            let text = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
            let sources = newsflow_ingest::opml::parse_opml(&text).with_context(|| file.display().to_string())?;
            let known: Vec<&str> = cfg.sources.iter().map(|s| s.url.as_str()).collect();
            let fresh: Vec<_> = sources.into_iter().filter(|s| !known.contains(&s.url.as_str())).collect();
            if fresh.is_empty() {
                eprintln!("no new sources in {}", file.display());
                return Ok(());
            }
            #[derive(serde::Serialize)]
            struct Block<'a> {
                sources: &'a [newsflow_ingest::SourceConfig],
            }
            let toml = toml::to_string(&Block { sources: &fresh })?;
            match into {
                Some(path) => {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
                    writeln!(f, "\n# imported from {}\n{toml}", file.display())?;
                    eprintln!("{} sources appended to {}", fresh.len(), path.display());
                }
                None => print!("{toml}"),
            }
        }
        SourcesCommand::List => {
            for s in &cfg.sources {
                let mut line = format!("{}\t{}", s.source_id(), s.url);
                if !s.tags.is_empty() {
                    line.push_str(&format!("\ttags: {}", s.tags.join(", ")));
                }
                if let Some(z) = &s.timezone {
                    line.push_str(&format!("\ttimezone: {z}"));
                }
                if let Some(l) = &s.language {
                    line.push_str(&format!("\tlanguage: {l}"));
                }
                println!("{line}");
            }
        }
        SourcesCommand::Status => {
            let path = cfg.data_dir.join("fetcher-state.sqlite");
            if !path.exists() {
                anyhow::bail!("no fetcher state at {} (has the fetcher run with this data_dir?)", path.display());
            }
            let state = newsflow_ingest::state::FetchState::open(&path)?;
            for h in state.health()? {
                println!("{}", serde_json::to_string(&h)?);
            }
        }
    }
    Ok(())
}
