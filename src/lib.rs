//! The `newsflow` binary's library: configuration, command-line, wiring of
//! the services, observability and the demo newsroom. `main.rs` only parses
//! arguments and calls [`app::main`].
//!
//! Layout:
//! - [`cli`]: clap arguments; [`config`]: the validated configuration.
//! - [`services`]: runs each service (its library's stage) against Kafka.
//! - [`app`]: one function per subcommand; [`cmd`]: the offline tools
//!   (extract, enrich, cluster, sources) in a file each.
//! - [`observe`]: logs, Prometheus metrics, health endpoints.
//! - [`progress`]: what `newsflow run` prints while it works.
//! - [`newsroom`]: the offline demo newsroom.

pub mod app;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod newsroom;
pub mod observe;
pub mod progress;
pub mod services;
