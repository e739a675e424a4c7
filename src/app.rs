//! One function per subcommand.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::cli::{BrokerArgs, Cli, Command, FeedArgs, NewsroomArgs, RunArgs, ServeArgs, ServiceArgs};
use crate::config::Config;
use crate::newsroom::{Newsroom, find_seeds};
use crate::observe::{Readiness, init_tracing, serve_metrics};
use crate::services::{self, Service};

pub async fn main(cli: Cli) -> Result<()> {
    let mut cfg = Config::load(cli.config.as_deref())?;
    if let Some(f) = &cli.log_format {
        cfg.log.format = f.clone();
    }
    match cli.command {
        Command::Run(args) => run(cfg, args).await,
        Command::Fetch(a) => service(cfg, a, Service::Fetch).await,
        Command::Scrape(a) => service(cfg, a, Service::Scrape).await,
        Command::Enrich(a) => match a.input {
            Some(input) => crate::cmd::enrich::run(&input),
            None => service(cfg, a.service, Service::Enrich).await,
        },
        Command::Cluster(a) => crate::cmd::cluster::run(a),
        Command::Sources(a) => crate::cmd::sources::run(cfg, a).await,
        Command::Sink(a) => service(cfg, a, Service::Sink).await,
        Command::Alerts(a) => match a.command {
            crate::cmd::alerts::AlertsCommand::Run(s) => service(cfg, s, Service::Alerts).await,
            other => crate::cmd::alerts::run(cfg, other).await,
        },
        Command::Archive(a) => service(cfg, a, Service::Archive).await,
        Command::Serve(a) => serve(cfg, a).await,
        Command::Topics(a) => topics(cfg, a).await,
        Command::Replay(a) => replay(cfg, a).await,
        Command::Broker(a) => broker(cfg, a).await,
        Command::Newsroom(a) => newsroom(cfg, a).await,
        Command::Feed(a) => feed(cfg, a).await,
        Command::Extract(a) => crate::cmd::extract::run(a),
    }
}

fn finish_config(cfg: &mut Config, args: &ServiceArgs) -> Result<()> {
    args.apply(cfg);
    cfg.validate()?;
    init_tracing(&cfg.log);
    Ok(())
}

/// Cancel on SIGINT or SIGTERM; a second signal exits at once.
pub fn shutdown_on_signals(cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM");
                return;
            }
        };
        for round in 0..2 {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            if round == 0 {
                info!("shutting down: draining in-flight messages (signal again to exit at once)");
                cancel.cancel();
            } else {
                std::process::exit(130);
            }
        }
    });
}

async fn start_metrics(cfg: &Config, ready: Readiness, cancel: &CancellationToken) -> Result<()> {
    crate::observe::metrics_handle();
    if !cfg.metrics.listen.is_empty() {
        serve_metrics(&cfg.metrics.listen, ready, cancel.clone()).await?;
    }
    Ok(())
}

async fn run(mut cfg: Config, args: RunArgs) -> Result<()> {
    match args.web_listen.as_deref() {
        Some("") => cfg.web.enabled = false,
        Some(addr) => cfg.web.listen = addr.to_owned(),
        None => {}
    }
    finish_config(&mut cfg, &args.service)?;
    if cfg.web.enabled {
        newsflow_sink::web::check_exposure(&cfg.web.listen, cfg.web.token.as_deref())?;
    }
    let cancel = CancellationToken::new();
    shutdown_on_signals(cancel.clone());
    if let Some(secs) = args.duration {
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            c.cancel();
        });
    }
    let ready = Readiness::default();
    start_metrics(&cfg, ready.clone(), &cancel).await?;
    let newsroom_cancel = CancellationToken::new();
    if args.demo {
        let seeds = find_seeds(args.seeds.as_deref())?;
        let addr = Newsroom::from_seeds(&seeds)?.spawn("127.0.0.1:0", newsroom_cancel.clone()).await?;
        let feed = format!("http://{addr}/feed.xml");
        println!("demo newsroom: http://{addr}/ (feed {feed})");
        cfg.sources.push(newsflow_ingest::SourceConfig {
            id: Some("demo-newsroom".into()),
            url: feed,
            interval_secs: Some(cfg.fetcher.default_interval_secs.min(10)),
            min_interval_secs: None,
            max_interval_secs: None,
            language: Some("ar".into()),
            timezone: None,
            tags: Vec::new(),
        });
        // The demo's pages all live on one host: let them through quickly.
        cfg.fetcher.per_host_rps = cfg.fetcher.per_host_rps.max(20.0);
        // The newsroom is on loopback, which the SSRF guard refuses by default.
        cfg.fetcher.allow_hosts.push(addr.to_string());
        // Something for the dashboard's alert log, unless rules are configured.
        if cfg.alerts.rules.is_empty() {
            let rule = newsflow_sink::alerts::RuleDef::inline("demo-coalition", "داعش AND \"التحالف الدولي\"");
            println!("demo alert rule {}: {}", rule.name, rule.query);
            cfg.alerts.rules.push(rule);
        }
    }
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| format!("data_dir {}", cfg.data_dir.display()))?;
    let broker = services::connect(&mut cfg, true, "run").await?;
    println!(
        "newsflow: brokers {}{} · storage {}",
        cfg.kafka.brokers,
        if broker.is_some() { " (embedded)" } else { "" },
        newsflow_sink::postgres::redact(&cfg.database_url())
    );
    let store = services::open_store(&cfg).await?;
    // The dashboard is a window on the pipeline, not part of it: a busy
    // port (another `run` on this machine) is a warning, not a failure.
    let web = if cfg.web.enabled {
        services::web(&cfg, store.clone(), cancel.clone())
            .await
            .map_err(|e| warn!(error = %format!("{e:#}"), "dashboard not served"))
            .ok()
    } else {
        None
    };
    let progress = tokio::spawn(crate::progress::report(store.clone(), Duration::from_secs(2), cancel.clone()));
    ready.set(true);
    let result = services::run_all(&cfg, store.clone(), cancel.clone()).await;
    cancel.cancel();
    let _ = progress.await;
    if let Some(web) = web {
        let _ = tokio::time::timeout(Duration::from_secs(5), web.done).await;
    }
    if let Ok(s) = store.summary(5).await {
        println!("stored articles: {}", s.count);
    }
    newsroom_cancel.cancel();
    if let Some(b) = broker {
        b.stop().await;
    }
    result
}

async fn service(mut cfg: Config, args: ServiceArgs, which: Service) -> Result<()> {
    finish_config(&mut cfg, &args)?;
    let cancel = CancellationToken::new();
    shutdown_on_signals(cancel.clone());
    let ready = Readiness::default();
    start_metrics(&cfg, ready.clone(), &cancel).await?;
    services::connect(&mut cfg, false, which.name()).await?;
    ready.set(true);
    services::run_one(&cfg, which, cancel).await
}

/// `newsflow serve`: the dashboard and API over the store, until a signal.
async fn serve(mut cfg: Config, args: ServeArgs) -> Result<()> {
    args.apply(&mut cfg);
    cfg.validate()?;
    init_tracing(&cfg.log);
    newsflow_sink::web::check_exposure(&cfg.web.listen, cfg.web.token.as_deref())?;
    let cancel = CancellationToken::new();
    shutdown_on_signals(cancel.clone());
    let ready = Readiness::default();
    // The dashboard does not depend on its metrics endpoint: a taken port
    // (another newsflow on this host) is reported, not fatal.
    if let Err(e) = start_metrics(&cfg, ready.clone(), &cancel).await {
        tracing::warn!(error = %e, listen = %cfg.metrics.listen, "metrics endpoint not started");
    }
    let store = services::open_store(&cfg).await?;
    let running = services::web(&cfg, store, cancel).await?;
    ready.set(true);
    running.done.await?;
    Ok(())
}

async fn replay(mut cfg: Config, args: ServiceArgs) -> Result<()> {
    finish_config(&mut cfg, &args)?;
    let cancel = CancellationToken::new();
    shutdown_on_signals(cancel.clone());
    services::connect(&mut cfg, false, "replay").await?;
    let (done, total) = services::replay(&cfg, cancel).await?;
    println!("replay finished: {done} of {total} raw pages re-extracted");
    Ok(())
}

async fn topics(mut cfg: Config, args: ServiceArgs) -> Result<()> {
    finish_config(&mut cfg, &args)?;
    services::connect(&mut cfg, false, "topics").await?;
    for (name, state) in newsflow_kafka::admin::ensure_topics(&cfg.kafka).await? {
        println!("{name}\t{state:?}");
    }
    Ok(())
}

async fn broker(cfg: Config, args: BrokerArgs) -> Result<()> {
    cfg.validate()?;
    init_tracing(&cfg.log);
    let opts = newsflow_kafka::embedded::EmbeddedOptions {
        dir: args.data_dir.unwrap_or_else(|| cfg.data_dir.join("broker")),
        port: args.port,
        in_memory: args.in_memory,
        install: cfg.embedded.install,
    };
    let b = newsflow_kafka::embedded::EmbeddedBroker::start(&opts).await?;
    println!("broker listening on {} (Ctrl-C to stop)", b.address());
    let cancel = CancellationToken::new();
    shutdown_on_signals(cancel.clone());
    cancel.cancelled().await;
    b.stop().await;
    Ok(())
}

async fn newsroom(cfg: Config, args: NewsroomArgs) -> Result<()> {
    cfg.validate()?;
    init_tracing(&cfg.log);
    let seeds = find_seeds(args.seeds.as_deref())?;
    let cancel = CancellationToken::new();
    shutdown_on_signals(cancel.clone());
    let addr = Newsroom::from_seeds(&seeds)?.spawn(&args.listen, cancel.clone()).await?;
    println!("demo newsroom on http://{addr}/ — feed http://{addr}/feed.xml (Ctrl-C to stop)");
    cancel.cancelled().await;
    Ok(())
}

async fn feed(mut cfg: Config, args: FeedArgs) -> Result<()> {
    use newsflow_ingest::sitemap::{Sitemap, looks_like_sitemap, parse_sitemap};
    cfg.fetcher.allow_hosts.extend(args.allow_hosts.iter().cloned());
    cfg.validate()?;
    let (bytes, base, content_type) = if args.source.starts_with("http://") || args.source.starts_with("https://") {
        let client = newsflow_ingest::http::HttpClient::new(&cfg.fetcher)?;
        let f = client.get(&args.source, &Default::default()).await?;
        let content_type = f.content_type();
        (f.body, Some(f.final_url), content_type)
    } else {
        (std::fs::read(&args.source).with_context(|| args.source.clone())?, None, None)
    };
    // Sitemaps and feeds are told apart by content, as the fetcher does.
    if looks_like_sitemap(&bytes) {
        match parse_sitemap(&bytes, base.as_deref(), cfg.fetcher.max_body_bytes)? {
            Sitemap::Urls(entries) => {
                for e in entries {
                    println!("{}", serde_json::to_string(&e)?);
                }
            }
            Sitemap::Index(urls) => {
                for u in urls {
                    println!("{}", serde_json::json!({ "sitemap": u }));
                }
            }
        }
        return Ok(());
    }
    let entries = newsflow_ingest::feeds::parse_feed_with_type(&bytes, base.as_deref(), content_type.as_deref())?;
    for e in entries {
        println!("{}", serde_json::to_string(&e)?);
    }
    Ok(())
}
