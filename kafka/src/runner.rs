//! The one loop that owns a consumer.
//!
//! For each message: spawn `Stage::process`, produce its outputs and wait
//! for every acknowledgement, and only then store the message's offset.
//! Offsets are committed in the background by librdkafka
//! (`enable.auto.commit=true`) from the *stored* offsets only
//! (`enable.auto.offset.store=false`), so a crash at any moment redelivers
//! whatever was not fully handled: at-least-once, and the stages' writes are
//! idempotent on the item id.
//!
//! Messages are handled concurrently (up to `max_in_flight`) but completions
//! are taken in consumption order (`FuturesOrdered`), so an offset is never
//! stored past a message that is still in flight.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::Retryable;
use chrono::Utc;
use futures::stream::FuturesOrdered;
use futures::{FutureExt, StreamExt};
use newsflow_wire::{DeadLetter, Envelope, TopicKind, Topics};
use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{ClientContext, Statistics};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::producer::{SendError, apply_user_settings, backoff, base_client_config};
use crate::stage::{Incoming, Stage, StageError};
use crate::{KafkaConfig, KafkaError, Producer};

/// How a stage runs.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    pub group_id: String,
    pub max_in_flight: usize,
    pub drain_deadline: Duration,
    /// Rejoin the group after this long without partitions (None: never).
    pub rejoin_when_idle: Option<Duration>,
}

impl RunnerOptions {
    pub fn from_config(cfg: &KafkaConfig, stage: &str) -> Self {
        Self {
            group_id: cfg.group_id(stage),
            max_in_flight: if stage == "sink" { cfg.sink_max_in_flight } else { cfg.max_in_flight },
            drain_deadline: cfg.drain_deadline(),
            rejoin_when_idle: (cfg.rejoin_when_idle_secs > 0).then(|| Duration::from_secs(cfg.rejoin_when_idle_secs)),
        }
    }
}

/// Notices a consumer left without partitions for too long.
pub(crate) struct IdleWatch {
    limit: Option<Duration>,
    since: Option<Instant>,
}

impl IdleWatch {
    pub(crate) fn new(limit: Option<Duration>) -> Self {
        Self { limit, since: None }
    }

    /// Whether the consumer has had no partitions for longer than the limit
    /// (and the clock restarts, so rejoins are spaced by the limit).
    pub(crate) fn stuck(&mut self, assigned: usize) -> bool {
        let Some(limit) = self.limit else { return false };
        if assigned > 0 {
            self.since = None;
            return false;
        }
        let since = *self.since.get_or_insert_with(Instant::now);
        if since.elapsed() >= limit {
            self.since = Some(Instant::now());
            return true;
        }
        false
    }
}

/// How one message ended.
enum Outcome {
    /// Outputs acknowledged (or dead-lettered): the offset may advance.
    Done,
    /// Shutdown came first: the offset must not advance.
    Abandoned,
}

struct LogContext {
    stage: &'static str,
    group: String,
}

impl ClientContext for LogContext {
    /// librdkafka's statistics (every `statistics.interval.ms`): export the
    /// consumer lag of each assigned partition (high watermark minus the
    /// offset stored after the downstream write was acknowledged).
    fn stats(&self, statistics: Statistics) {
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                // -1 is librdkafka's "internal unassigned" partition; a lag of
                // -1 means not known yet (partition not assigned here).
                if *partition < 0 || p.consumer_lag_stored < 0 {
                    continue;
                }
                metrics::gauge!(crate_metrics::CONSUMER_LAG, "stage" => self.stage, "group" => self.group.clone(),
                    "topic" => topic.clone(), "partition" => partition.to_string())
                .set(p.consumer_lag_stored as f64);
            }
        }
    }
}

impl ConsumerContext for LogContext {
    fn post_rebalance(&self, _: &rdkafka::consumer::BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => info!(stage = self.stage, partitions = tpl.count(), "partitions assigned"),
            Rebalance::Revoke(tpl) => info!(stage = self.stage, partitions = tpl.count(), "partitions revoked"),
            Rebalance::Error(e) => warn!(stage = self.stage, error = %e, "rebalance error"),
        }
    }
}

/// Run `stage` until `cancel` fires, then drain and commit.
pub async fn run_stage<S: Stage>(
    cfg: &KafkaConfig,
    opts: RunnerOptions,
    stage: Arc<S>,
    producer: Producer,
    cancel: CancellationToken,
) -> Result<(), KafkaError> {
    let topics = cfg.topics();
    let input = topics.name(stage.input());
    let mut cc = base_client_config(cfg);
    cc.set("group.id", &opts.group_id)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.commit.interval.ms", "1000")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", cfg.session_timeout_ms.to_string())
        .set("fetch.wait.max.ms", cfg.fetch_wait_max_ms.to_string())
        .set("enable.partition.eof", "false")
        // A subscribed topic missing from one metadata answer (a broker just
        // restarted) leaves the consumer with no partitions until the next
        // refresh: keep that short (librdkafka's default is 5 minutes).
        .set("topic.metadata.refresh.interval.ms", "5000")
        .set("statistics.interval.ms", "5000");
    apply_user_settings(&mut cc, cfg);
    let context = LogContext { stage: stage.name(), group: opts.group_id.clone() };
    let consumer: StreamConsumer<LogContext> = cc.create_with_context(context)?;
    consumer.subscribe(&[&input])?;
    info!(stage = stage.name(), topic = %input, group = %opts.group_id, "stage started");

    let ctx = Arc::new(TaskCtx { stage: stage.clone(), producer, topics, cancel: cancel.clone() });
    let mut inflight: FuturesOrdered<JoinHandle<(Incoming, Outcome)>> = FuturesOrdered::new();
    let mut storing = true;
    let mut recv_errors = 0u32;
    let mut idle = IdleWatch::new(opts.rejoin_when_idle);
    let mut tick = tokio::time::interval(Duration::from_secs(5));

    loop {
        tokio::select! {
            biased;
            // Acknowledgements first: they free room and advance offsets.
            Some(done) = inflight.next(), if !inflight.is_empty() => {
                storing = finish(&consumer, stage.name(), done, storing);
            }
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {
                let assigned = consumer.assignment().map(|a| a.count()).unwrap_or(0);
                if idle.stuck(assigned) {
                    // tansu 0.6 can hand a member an empty assignment after a
                    // broker restart or after the group's leader was killed,
                    // and never rebalance again. Joining afresh repairs it.
                    warn!(stage = stage.name(), "no partitions assigned for a while; rejoining the group");
                    consumer.unsubscribe();
                    consumer.subscribe(&[&input])?;
                }
            }
            msg = consumer.recv(), if inflight.len() < opts.max_in_flight => match msg {
                Ok(m) => {
                    recv_errors = 0;
                    let inc = Incoming {
                        topic: m.topic().to_owned(),
                        partition: m.partition(),
                        offset: m.offset(),
                        key: m.key().map(<[u8]>::to_vec),
                        value: m.payload().map(<[u8]>::to_vec),
                    };
                    metrics::counter!(crate_metrics::ITEMS_IN, "stage" => stage.name()).increment(1);
                    let ctx = ctx.clone();
                    inflight.push_back(tokio::spawn(async move { let o = ctx.handle(&inc).await; (inc, o) }));
                }
                Err(e) => {
                    recv_errors += 1;
                    warn!(stage = stage.name(), error = %e, attempt = recv_errors, "consume failed");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(recv_errors.min(25)))).await;
                }
            }
        }
    }

    // Drain: finish what is in flight within the deadline, then commit.
    let started = Instant::now();
    let deadline = tokio::time::sleep(opts.drain_deadline);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            done = inflight.next() => match done {
                Some(done) => storing = finish(&consumer, stage.name(), done, storing),
                None => break,
            },
            _ = &mut deadline => {
                warn!(stage = stage.name(), left = inflight.len(), "drain deadline reached; the rest will be redelivered");
                break;
            }
        }
    }
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        // Nothing stored since the last auto-commit is also a "failure" here.
        debug!(stage = stage.name(), error = %e, "final commit");
    }
    info!(stage = stage.name(), drained_ms = started.elapsed().as_millis() as u64, "stage stopped");
    Ok(())
}

/// Take one completion in order; store its offset if everything before it
/// was stored too. Returns whether offsets may still be stored.
fn finish<C: ConsumerContext>(
    consumer: &StreamConsumer<C>,
    stage: &'static str,
    done: Result<(Incoming, Outcome), tokio::task::JoinError>,
    storing: bool,
) -> bool {
    match done {
        Ok((inc, Outcome::Done)) if storing => {
            // `store_offset` takes the message's own offset: librdkafka
            // stores offset + 1, the next one to read.
            if let Err(e) = consumer.store_offset(&inc.topic, inc.partition, inc.offset) {
                // The partition was revoked meanwhile: its new owner redoes
                // the message (at-least-once).
                debug!(stage, error = %e, partition = inc.partition, "offset not stored");
            }
            true
        }
        Ok((_, Outcome::Done)) => false,
        Ok((_, Outcome::Abandoned)) => false,
        Err(e) => {
            error!(stage, error = %e, "message task failed; stopping offset storage");
            false
        }
    }
}

struct TaskCtx<S> {
    stage: Arc<S>,
    producer: Producer,
    topics: Topics,
    cancel: CancellationToken,
}

impl<S: Stage> TaskCtx<S> {
    async fn handle(&self, inc: &Incoming) -> Outcome {
        let name = self.stage.name();
        let started = Instant::now();
        let attempt = || async {
            AssertUnwindSafe(self.stage.process(inc))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err(StageError::Permanent("stage panicked on this message".into())))
        };
        // In-flight work runs to completion even during shutdown (that is
        // the drain); only waiting to retry a transient failure stops.
        let result = attempt
            .retry(backoff())
            .when(|e| matches!(e, StageError::Transient(_)) && !self.cancel.is_cancelled())
            .notify(
                |e, wait| warn!(stage = name, offset = inc.offset, error = %e, ?wait, "processing failed, retrying"),
            )
            .await;
        if matches!(result, Err(StageError::Transient(_))) {
            return Outcome::Abandoned;
        }
        let outputs = match result {
            Ok(outputs) => outputs,
            Err(e) => return self.dead_letter(inc, &e.to_string()).await,
        };
        for out in &outputs {
            let topic = self.topics.name(out.topic);
            match self.producer.send(&topic, &out.key, &out.value, &self.cancel).await {
                Ok(()) => {}
                Err(SendError::Cancelled(_)) => return Outcome::Abandoned,
                Err(SendError::Rejected(why)) => {
                    return self.dead_letter(inc, &format!("output to {topic} rejected: {why}")).await;
                }
            }
        }
        metrics::counter!(crate_metrics::ITEMS_OUT, "stage" => name).increment(outputs.len() as u64);
        metrics::histogram!(crate_metrics::LATENCY, "stage" => name).record(started.elapsed().as_secs_f64());
        Outcome::Done
    }

    async fn dead_letter(&self, inc: &Incoming, reason: &str) -> Outcome {
        let name = self.stage.name();
        warn!(stage = name, partition = inc.partition, offset = inc.offset, %reason, "dead-lettering message");
        let key = inc.key.as_ref().map(|k| String::from_utf8_lossy(k).into_owned());
        let (value, value_base64) = match inc.value.as_ref().map(|v| String::from_utf8(v.clone())) {
            Some(Ok(s)) => (Some(s), None),
            Some(Err(e)) => (None, Some(base64_encode(e.as_bytes()))),
            None => (None, None),
        };
        let id = key.clone().unwrap_or_else(|| format!("{}-{}-{}", inc.topic, inc.partition, inc.offset));
        let letter = DeadLetter {
            stage: name.to_owned(),
            reason: reason.to_owned(),
            topic: inc.topic.clone(),
            partition: inc.partition,
            offset: inc.offset,
            key,
            value,
            value_base64,
            failed_at: Utc::now(),
        };
        let env = Envelope::new(id.clone(), newsflow_wire::new_trace_id(), letter);
        let topic = self.topics.name(TopicKind::DeadLetters);
        match self.producer.send(&topic, &id, &env.encode(), &self.cancel).await {
            Ok(()) => {
                metrics::counter!(crate_metrics::DEAD_LETTERED, "stage" => name).increment(1);
                Outcome::Done
            }
            Err(SendError::Cancelled(_)) => Outcome::Abandoned,
            Err(SendError::Rejected(why)) => {
                // Not even the dead letter fits: log it loudly and move on
                // rather than wedge the partition forever.
                error!(stage = name, offset = inc.offset, %why, "dead letter rejected; skipping message");
                Outcome::Done
            }
        }
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Metric names of the stage runner, declared in one place.
pub mod crate_metrics {
    pub const ITEMS_IN: &str = "newsflow_stage_items_in_total";
    pub const ITEMS_OUT: &str = "newsflow_stage_items_out_total";
    pub const DEAD_LETTERED: &str = "newsflow_stage_dead_lettered_total";
    pub const LATENCY: &str = "newsflow_stage_process_seconds";
    /// Messages of a partition not yet processed by the group (gauge; labels
    /// stage, group, topic, partition).
    pub const CONSUMER_LAG: &str = "newsflow_consumer_lag";
    /// The `_count` series Prometheus renders for the latency histogram:
    /// messages fully handled (outputs acknowledged or written).
    pub const LATENCY_COUNT: &str = "newsflow_stage_process_seconds_count";
}
