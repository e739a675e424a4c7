//! Errors of the Kafka plumbing.

/// What went wrong talking to Kafka or the embedded broker.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("kafka client error: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
    #[error("cannot reach the Kafka brokers at {brokers} after {waited_secs} s: {detail}")]
    Unreachable { brokers: String, waited_secs: u64, detail: String },
    #[error("topic {topic}: {detail}")]
    Topic { topic: String, detail: String },
    #[error("embedded broker: {0}")]
    Embedded(String),
    #[error("invalid kafka config: {0}")]
    Config(String),
}
