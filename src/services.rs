//! Wiring: each service is its library's stage or loop, run against Kafka.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use newsflow_enrich::EnrichStage;
use newsflow_ingest::state::FetchState;
use newsflow_ingest::{Fetcher, ScrapeStage};
use newsflow_kafka::admin::ensure_topics;
use newsflow_kafka::embedded::{EmbeddedBroker, EmbeddedOptions};
use newsflow_kafka::{Producer, RunnerOptions, Stage, run_stage};
use newsflow_sink::{SinkStage, Store};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::config::Config;

/// Use the configured cluster, or start the embedded broker when none is
/// configured and `allow_embedded`. The returned broker must be stopped
/// after the services.
pub async fn connect(cfg: &mut Config, allow_embedded: bool, service: &str) -> Result<Option<EmbeddedBroker>> {
    if !cfg.kafka.brokers.trim().is_empty() {
        return Ok(None);
    }
    if !allow_embedded {
        bail!(
            "the {service} service needs a Kafka cluster: pass --brokers HOST:PORT (or set kafka.brokers); \
             `newsflow run` starts an embedded broker, `newsflow broker` runs one in the foreground"
        );
    }
    let opts = EmbeddedOptions {
        dir: cfg.data_dir.join("broker"),
        port: cfg.embedded.port,
        in_memory: cfg.embedded.in_memory,
        install: cfg.embedded.install,
    };
    let broker = EmbeddedBroker::start(&opts).await?;
    cfg.kafka.brokers = broker.address().to_owned();
    Ok(Some(broker))
}

/// Create or verify the topics, waiting for the cluster if needed.
pub async fn prepare_topics(cfg: &Config) -> Result<()> {
    let states = ensure_topics(&cfg.kafka).await?;
    for (topic, state) in states {
        tracing::debug!(%topic, ?state, "topic ready");
    }
    Ok(())
}

async fn consume<S: Stage>(cfg: &Config, stage: S, producer: Producer, cancel: CancellationToken) -> Result<()> {
    let opts = RunnerOptions::from_config(&cfg.kafka, stage.name());
    run_stage(&cfg.kafka, opts, Arc::new(stage), producer, cancel).await?;
    Ok(())
}

pub async fn fetch(cfg: &Config, producer: Producer, cancel: CancellationToken) -> Result<()> {
    if cfg.sources.is_empty() {
        bail!("no sources to poll: add --feed URL or [[sources]] in the config file");
    }
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| format!("data_dir {}", cfg.data_dir.display()))?;
    let state_path = cfg.data_dir.join("fetcher-state.sqlite");
    let state = Arc::new(FetchState::open(&state_path).with_context(|| format!("{}", state_path.display()))?);
    let fetcher = Fetcher::new(cfg.fetcher.clone(), state, producer, cfg.kafka.topics())?;
    // One member of the fetch group: several `newsflow fetch` share the
    // sources, one owner per host (see newsflow_ingest::scaleout).
    newsflow_ingest::scaleout::run_shared(fetcher, cfg.sources.clone(), &cfg.kafka, cancel).await?;
    Ok(())
}

pub async fn scrape(cfg: &Config, producer: Producer, cancel: CancellationToken) -> Result<()> {
    consume(cfg, ScrapeStage::new(cfg.scraper.clone()), producer, cancel).await
}

/// The enricher stage, its index following the `enriched` topic (every
/// instance's decisions, the last `enricher.window_hours` rebuilt at start;
/// see newsflow_enrich::follow) unless `enricher.follow` is off.
pub async fn enrich(cfg: &Config, producer: Producer, cancel: CancellationToken) -> Result<()> {
    let mut stage = EnrichStage::new(cfg.enricher.cluster_config());
    if cfg.enricher.follow {
        let follower = newsflow_enrich::follow::Follower::start(&cfg.kafka, stage.clusterer(), cfg.enricher.window())
            .await
            .context("following the enriched topic")?;
        stage = stage.with_follower(follower);
    }
    consume(cfg, stage, producer, cancel).await
}

pub async fn open_store(cfg: &Config) -> Result<Arc<Store>> {
    let url = cfg.database_url();
    let store =
        Store::open(&url).await.with_context(|| format!("database_url {}", newsflow_sink::postgres::redact(&url)))?;
    Ok(Arc::new(store))
}

/// The dashboard's options from the config: the store's URL, and the
/// fetcher's state file for source health.
pub fn web_options(cfg: &Config) -> newsflow_sink::web::WebOptions {
    let mut opts = newsflow_sink::web::WebOptions::new(cfg.web.listen.clone(), cfg.database_url());
    opts.token = cfg.web.token.clone();
    opts.fetcher_state = Some(cfg.data_dir.join("fetcher-state.sqlite"));
    opts
}

/// Serve the dashboard and JSON API until `cancel`, and say where.
pub async fn web(cfg: &Config, store: Arc<Store>, cancel: CancellationToken) -> Result<newsflow_sink::web::Running> {
    let running = newsflow_sink::web::serve(store, web_options(cfg), cancel).await?;
    let token = newsflow_sink::web::effective_token(cfg.web.token.as_deref()).is_some();
    let hint = if token { " (token required: open it once as /?token=TOKEN)" } else { "" };
    println!("dashboard: http://{}/{hint}", running.addr);
    Ok(running)
}

pub async fn sink(cfg: &Config, store: Arc<Store>, producer: Producer, cancel: CancellationToken) -> Result<()> {
    consume(cfg, SinkStage::new(store), producer, cancel).await
}

/// The alert stage (enriched → alerts, after storing the config's rules)
/// and the notify stage (alerts → webhooks), side by side; one failing
/// stops the other.
pub async fn alerts(cfg: &Config, store: Arc<Store>, producer: Producer, cancel: CancellationToken) -> Result<()> {
    use newsflow_sink::alerts::{AlertStage, NotifyStage};
    let stage = AlertStage::start(&store, &cfg.alerts).await.context("storing the alert rules of the config")?;
    let notify = NotifyStage::new(&store, &cfg.alerts);
    let stop_on_error = |r: Result<()>| {
        if r.is_err() {
            cancel.cancel();
        }
        r
    };
    let (a, n) =
        tokio::join!(async { stop_on_error(consume(cfg, stage, producer.clone(), cancel.clone()).await) }, async {
            stop_on_error(consume(cfg, notify, producer.clone(), cancel.clone()).await)
        },);
    a.and(n)
}

/// The archive stage (enriched → hourly JSONL files) on the configured
/// directory.
pub async fn archive(cfg: &Config, producer: Producer, cancel: CancellationToken) -> Result<()> {
    use newsflow_sink::archive::{Archive, ArchiveStage};
    let dir = cfg.archive_dir();
    let archive = tokio::task::spawn_blocking(move || Archive::open(dir)).await??;
    consume(cfg, ArchiveStage::new(archive), producer, cancel).await
}

/// Which service to run alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Fetch,
    Scrape,
    Enrich,
    Sink,
    Alerts,
    Archive,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Fetch => "fetch",
            Service::Scrape => "scrape",
            Service::Enrich => "enrich",
            Service::Sink => "sink",
            Service::Alerts => "alerts",
            Service::Archive => "archive",
        }
    }
}

/// Run one service until `cancel`.
pub async fn run_one(cfg: &Config, service: Service, cancel: CancellationToken) -> Result<()> {
    prepare_topics(cfg).await?;
    let producer = Producer::new(&cfg.kafka)?;
    info!(service = service.name(), brokers = %cfg.kafka.brokers, "service starting");
    let result = match service {
        Service::Fetch => fetch(cfg, producer.clone(), cancel).await,
        Service::Scrape => scrape(cfg, producer.clone(), cancel).await,
        Service::Enrich => enrich(cfg, producer.clone(), cancel).await,
        Service::Sink => {
            let store = open_store(cfg).await?;
            sink(cfg, store, producer.clone(), cancel).await
        }
        Service::Alerts => {
            let store = open_store(cfg).await?;
            alerts(cfg, store, producer.clone(), cancel).await
        }
        Service::Archive => archive(cfg, producer.clone(), cancel).await,
    };
    producer.flush(std::time::Duration::from_secs(10));
    result
}

/// Run every service in this process until `cancel`; returns the store so
/// the caller can report on it.
pub async fn run_all(cfg: &Config, store: Arc<Store>, cancel: CancellationToken) -> Result<()> {
    prepare_topics(cfg).await?;
    let producer = Producer::new(&cfg.kafka)?;
    let mut tasks = tokio::task::JoinSet::new();
    {
        let (c, p, k) = (cfg.clone(), producer.clone(), cancel.clone());
        tasks.spawn(async move { scrape(&c, p, k).await });
    }
    {
        let (c, p, k) = (cfg.clone(), producer.clone(), cancel.clone());
        tasks.spawn(async move { enrich(&c, p, k).await });
    }
    {
        let (c, p, k, s) = (cfg.clone(), producer.clone(), cancel.clone(), store.clone());
        tasks.spawn(async move { sink(&c, s, p, k).await });
    }
    {
        let (c, p, k, s) = (cfg.clone(), producer.clone(), cancel.clone(), store.clone());
        tasks.spawn(async move { alerts(&c, s, p, k).await });
    }
    if cfg.archive.enabled {
        let (c, p, k) = (cfg.clone(), producer.clone(), cancel.clone());
        tasks.spawn(async move { archive(&c, p, k).await });
    }
    if !cfg.sources.is_empty() {
        let (c, p, k) = (cfg.clone(), producer.clone(), cancel.clone());
        tasks.spawn(async move { fetch(&c, p, k).await });
    } else {
        tracing::warn!("no sources configured: the fetcher is idle (add --feed URL or --demo)");
    }
    let mut first_err = None;
    while let Some(res) = tasks.join_next().await {
        let res = res.map_err(anyhow::Error::from).and_then(|r| r);
        if let Err(e) = res {
            // One service failing stops the others: a half pipeline would
            // silently pile up lag.
            cancel.cancel();
            first_err.get_or_insert(e);
        }
    }
    producer.flush(std::time::Duration::from_secs(10));
    first_err.map_or(Ok(()), Err)
}

/// Re-extract every raw page still retained in `raw-pages`: the scrape stage
/// under a fresh consumer group, from the earliest offset, until it has
/// caught up with what was there at start. The articles flow on through the
/// enricher and the sink as usual (the sink's upserts make re-extraction
/// idempotent). Returns (pages replayed, pages retained).
pub async fn replay(cfg: &Config, cancel: CancellationToken) -> Result<(i64, i64)> {
    prepare_topics(cfg).await?;
    let producer = Producer::new(&cfg.kafka)?;
    let topic = cfg.kafka.topics().name(newsflow_wire::TopicKind::RawPages);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let mut opts = RunnerOptions::from_config(&cfg.kafka, "scrape");
    opts.group_id = format!("{}replay-{stamp}", cfg.kafka.group_prefix);
    let group = opts.group_id.clone();
    let stage = Arc::new(ScrapeStage::new(cfg.scraper.clone()));
    let (kcfg, p, k) = (cfg.kafka.clone(), producer.clone(), cancel.child_token());
    let stop = k.clone();
    let runner = tokio::spawn(async move { run_stage(&kcfg, opts, stage, p, k).await });
    let mut last = (0, 0);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            _ = cancel.cancelled() => break,
        }
        let (c, g, t) = (cfg.kafka.clone(), group.clone(), topic.clone());
        let (done, total) =
            tokio::task::spawn_blocking(move || newsflow_kafka::admin::group_progress(&c, &g, &t)).await??;
        if (done, total) != last {
            println!("replayed {done} of {total} raw pages");
            last = (done, total);
        }
        if done >= total {
            break;
        }
    }
    stop.cancel();
    runner.await??;
    producer.flush(std::time::Duration::from_secs(10));
    Ok(last)
}
