//! The shape of a consuming stage: a small trait that is pure enough to test
//! without Kafka. The [`crate::runner`] owns everything Kafka.

use async_trait::async_trait;
use newsflow_wire::{DecodeError, Envelope, TopicKind};
use serde::de::DeserializeOwned;

/// One consumed message, copied out of the consumer so it can move to a task.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

impl Incoming {
    /// Decode the value as an envelope of `T`. A decode failure is permanent:
    /// the same bytes never decode, so the message is dead-lettered.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Envelope<T>, StageError> {
        Envelope::decode(self.value.as_deref(), self.key.as_deref())
            .map_err(|e: DecodeError| StageError::Permanent(format!("undecodable message: {e}")))
    }
}

/// One record a stage wants produced. The runner waits for the broker's
/// acknowledgement of every record before it stores the input's offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub topic: TopicKind,
    pub key: String,
    pub value: Vec<u8>,
}

impl Outgoing {
    /// A record carrying `env`, keyed by its item id.
    pub fn envelope<T: serde::Serialize>(topic: TopicKind, env: &Envelope<T>) -> Self {
        Self { topic, key: env.id.clone(), value: env.encode() }
    }
}

/// A stage error with its retry hint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StageError {
    /// Worth retrying (a database or broker briefly away): retried with capped
    /// exponential backoff; the offset does not advance meanwhile.
    #[error("transient: {0}")]
    Transient(String),
    /// Will fail the same way every time (bad input): the message goes to the
    /// dead-letter topic with this reason and the offset advances.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// A consuming stage: scrape, enrich, sink.
#[async_trait]
pub trait Stage: Send + Sync + 'static {
    /// Short lowercase name: used for the consumer group, logs, metrics and
    /// dead letters.
    fn name(&self) -> &'static str;

    /// The topic this stage consumes.
    fn input(&self) -> TopicKind;

    /// Handle one message. Whatever is durable when this returns `Ok` (a sink
    /// write) must be idempotent on the item id: after a crash the message is
    /// delivered again.
    async fn process(&self, msg: &Incoming) -> Result<Vec<Outgoing>, StageError>;
}
