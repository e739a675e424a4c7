//! An idempotent producer that waits for the broker's acknowledgement.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use rdkafka::ClientConfig;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::util::Timeout;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::{KafkaConfig, KafkaError};

/// Why a record was not acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// The broker will never take this record (too large, invalid).
    #[error("record rejected: {0}")]
    Rejected(String),
    /// Shutdown was requested while still retrying.
    #[error("cancelled while retrying: {0}")]
    Cancelled(String),
}

/// Shared, cheap to clone.
#[derive(Clone)]
pub struct Producer {
    inner: Arc<RwLock<FutureProducer>>,
    config: Arc<ClientConfig>,
}

/// Failed attempts of one send after which the client is rebuilt: an
/// idempotent producer whose broker lost its producer state (tansu after a
/// restart) fails every retry until it gets a new producer id.
const RESET_AFTER: u32 = 3;

/// Settings every client shares: brokers and the user's librdkafka extras.
pub(crate) fn base_client_config(cfg: &KafkaConfig) -> ClientConfig {
    let mut cc = ClientConfig::new();
    cc.set("bootstrap.servers", &cfg.brokers).set("client.id", "newsflow").set("log_level", "4");
    apply_user_settings(&mut cc, cfg);
    cc
}

/// The user's librdkafka properties and the SASL password from the
/// environment. Applied again after a client's own settings, so the user's
/// always win.
pub(crate) fn apply_user_settings(cc: &mut ClientConfig, cfg: &KafkaConfig) {
    for (k, v) in &cfg.librdkafka {
        cc.set(k, v);
    }
    // Secrets come from the environment only, never the config file.
    if let Ok(password) = std::env::var("NEWSFLOW_KAFKA_SASL_PASSWORD") {
        cc.set("sasl.password", password);
    }
}

impl Producer {
    pub fn new(cfg: &KafkaConfig) -> Result<Self, KafkaError> {
        let mut cc = base_client_config(cfg);
        cc.set("enable.idempotence", "true")
            .set("acks", "all")
            .set("compression.type", &cfg.compression)
            .set("linger.ms", "5")
            .set("message.max.bytes", "16777216")
            // Surface failures after 30 s so our own retry loop (which can be
            // cancelled at shutdown) takes over from librdkafka's.
            .set("message.timeout.ms", "30000");
        apply_user_settings(&mut cc, cfg);
        Ok(Self { inner: Arc::new(RwLock::new(cc.create()?)), config: Arc::new(cc) })
    }

    fn current(&self) -> FutureProducer {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replace the client with a fresh one (new producer id).
    fn reset(&self) {
        match self.config.create::<FutureProducer>() {
            Ok(fresh) => {
                let old = std::mem::replace(&mut *self.inner.write().unwrap_or_else(|p| p.into_inner()), fresh);
                // Dropping a client waits for its queue: not on this task.
                std::thread::spawn(move || drop(old));
                warn!("producer rebuilt after repeated failures");
            }
            Err(e) => warn!(error = %e, "cannot rebuild the producer"),
        }
    }

    /// Send one record and wait until the broker acknowledges it. Transient
    /// failures are retried with capped exponential backoff until `cancel`.
    pub async fn send(
        &self,
        topic: &str,
        key: &str,
        value: &[u8],
        cancel: &CancellationToken,
    ) -> Result<(), SendError> {
        let mut failures = 0u32;
        let attempt = || async {
            let record = FutureRecord::to(topic).key(key).payload(value);
            match self.current().send(record, Timeout::After(Duration::from_secs(60))).await {
                Ok(_) => Ok(()),
                Err((e, _)) => Err(classify(e)),
            }
        };
        let retried = attempt
            .retry(backoff())
            .when(|e| matches!(e, Attempt::Transient(_)) && !cancel.is_cancelled())
            .notify(|e, wait| {
                warn!(%topic, error = %e, ?wait, "produce failed, retrying");
                failures += 1;
                if failures.is_multiple_of(RESET_AFTER) {
                    self.reset();
                }
            });
        // A send under way completes (the drain at shutdown waits for it);
        // only retrying stops once shutdown was asked for.
        let res = retried.await;
        match res {
            Ok(()) => Ok(()),
            Err(Attempt::Permanent(msg)) => Err(SendError::Rejected(msg)),
            Err(Attempt::Transient(msg)) => Err(SendError::Cancelled(msg)),
        }
    }

    /// Wait for every queued record to be delivered (at shutdown).
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.current().flush(Timeout::After(timeout)) {
            warn!(error = %e, "producer flush incomplete");
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum Attempt {
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Permanent(String),
}

fn classify(e: rdkafka::error::KafkaError) -> Attempt {
    use RDKafkaErrorCode::*;
    match e.rdkafka_error_code() {
        Some(MessageSizeTooLarge | InvalidMessage | InvalidMessageSize | InvalidRecord | TopicAuthorizationFailed) => {
            Attempt::Permanent(e.to_string())
        }
        _ => Attempt::Transient(e.to_string()),
    }
}

/// Capped exponential backoff with jitter, retrying until told otherwise.
/// The 10 s cap bounds how long a stage stays idle after its dependency
/// (the database, the broker) is back: tests/faults_pg.rs measures it.
pub(crate) fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(10))
        .with_jitter()
        .without_max_times()
}
