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
    /// List the configured sources.
    List,
    /// Each source's health from the fetcher's state: last poll, last
    /// success, last error, new items.
    Status,
}

pub async fn run(cfg: Config, args: SourcesArgs) -> Result<()> {
    match args.command {
        SourcesCommand::List => {
            for s in &cfg.sources {
                println!("{}\t{}", s.source_id(), s.url);
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
