//! `newsflow cluster FILE|-`: duplicates and story clusters over article
//! JSON lines.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Article JSON lines, or - for stdin.
    pub input: PathBuf,
}

pub fn run(args: ClusterArgs) -> Result<()> {
    bail!("cluster {}: story clustering is not built yet (issue 5)", args.input.display())
}
