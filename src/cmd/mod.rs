//! Offline command-line tools, one file each.

pub mod cluster;
pub mod enrich;
pub mod extract;
pub mod sources;
