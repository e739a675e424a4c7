//! Kafka plumbing. Only this crate talks to Kafka.
//!
//! Layout:
//! - [`config`]: [`KafkaConfig`], the serde config of the client and topics.
//! - [`stage`]: the [`Stage`] trait every consuming service implements
//!   (`process(message) -> records to produce`) and its [`StageError`] with a
//!   retry hint.
//! - [`runner`]: the one loop that owns a consumer: decode, process, produce,
//!   await delivery reports, then store the offset; dead letters; drain on
//!   shutdown.
//! - [`producer`]: an idempotent producer that sends records and waits for the
//!   broker's acknowledgement, retrying transient failures.
//! - [`admin`]: create or verify topics idempotently.
//! - [`assign`]: fetcher coordination: source ownership through a consumer
//!   group on the compacted `fetch-state` topic, and the shared seen-record.
//! - [`embedded`]: the local Kafka-compatible broker (tansu) run as a managed
//!   child process for zero-setup use.

pub mod admin;
pub mod assign;
pub mod config;
pub mod embedded;
pub mod error;
pub mod producer;
pub mod runner;
pub mod stage;

pub use config::{KafkaConfig, TopicOverride, TopicSettings};
pub use error::KafkaError;
pub use producer::Producer;
pub use runner::{RunnerOptions, run_stage};
pub use stage::{Incoming, Outgoing, Stage, StageError};
