//! Command-line arguments. Parsed here, then applied onto [`Config`] and
//! validated there (ripgrep-style: arguments, then a validated config).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;

/// newsflow: streaming news ingestion over Kafka.
///
/// Feeds are polled, new article pages fetched politely, extracted,
/// enriched and stored; services pass items along Kafka topics
/// (raw-pages → articles → enriched). `newsflow run --demo` runs everything
/// on a laptop with an embedded broker, SQLite and an offline demo newsroom.
#[derive(Debug, Parser)]
#[command(name = "newsflow", version, propagate_version = true)]
pub struct Cli {
    /// TOML config file (see newsflow.example.toml); env NEWSFLOW_* and
    /// flags override it.
    #[arg(long, short = 'c', global = true, env = "NEWSFLOW_CONFIG")]
    pub config: Option<PathBuf>,

    /// Log format: text or json.
    #[arg(long, global = true)]
    pub log_format: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every service in one process (still through Kafka). Starts an
    /// embedded broker when no brokers are configured.
    Run(RunArgs),
    /// Run the fetcher: poll feeds, fetch new pages → raw-pages.
    Fetch(ServiceArgs),
    /// Run the scraper: raw-pages → article extraction → articles.
    Scrape(ServiceArgs),
    /// Run the enricher service (articles → enriched); with FILE (or -),
    /// enrich article JSON lines offline and print enriched JSON lines.
    Enrich(EnrichArgs),
    /// Mark duplicates and same-story clusters in article JSON lines, in
    /// order, as the stream would see them.
    Cluster(crate::cmd::cluster::ClusterArgs),
    /// Manage sources: import OPML, list them, show their health.
    Sources(crate::cmd::sources::SourcesArgs),
    /// Run the sink: enriched → database.
    Sink(ServiceArgs),
    /// Alerts: try a rule on stored articles, list rules, or run the alert
    /// and notify stages (enriched → alerts → webhooks) as a service.
    Alerts(crate::cmd::alerts::AlertsArgs),
    /// Run the archive: enriched → hourly JSON lines files
    /// (archive.dir, under data_dir), for analytics.
    Archive(ServiceArgs),
    /// Serve the dashboard and JSON API over the store (live stream,
    /// search, stories, sources, alerts); `run` serves it too.
    Serve(ServeArgs),
    /// Re-extract the raw pages still retained in Kafka (after improving the
    /// extractor or a site's selectors), then exit; the new articles flow on
    /// through the running enricher and sink.
    Replay(ServiceArgs),
    /// Create missing topics and verify existing ones, then exit.
    Topics(ServiceArgs),
    /// Run the embedded broker (tansu) in the foreground, for running the
    /// services as separate processes on one machine.
    Broker(BrokerArgs),
    /// Serve the offline demo newsroom (an RSS feed and article pages built
    /// from the seed articles).
    Newsroom(NewsroomArgs),
    /// Print a feed's entries as JSON lines (a URL or a file).
    Feed(FeedArgs),
    /// Extract an article from an HTML file (or - for stdin) as JSON.
    Extract(crate::cmd::extract::ExtractArgs),
}

/// Flags shared by every service.
#[derive(Debug, Clone, Args, Default)]
pub struct ServiceArgs {
    /// Kafka bootstrap servers, host:port,… (kafka.brokers).
    #[arg(long)]
    pub brokers: Option<String>,
    /// Directory for local state (data_dir).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Storage URL: sqlite:PATH or postgres://USER@HOST/DB (database_url).
    #[arg(long)]
    pub db: Option<String>,
    /// A feed to poll; repeatable (adds to [[sources]]).
    #[arg(long = "feed", value_name = "URL")]
    pub feeds: Vec<String>,
    /// Fixed poll interval in seconds (sets fetcher.default_interval_secs,
    /// min_interval_secs and max_interval_secs; otherwise intervals adapt to
    /// each source's publishing rate).
    #[arg(long, value_name = "SECS")]
    pub poll_interval: Option<u64>,
    /// Address for /metrics, /healthz and /readyz; "" disables
    /// (metrics.listen).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Prefix of topic names (kafka.topic_prefix).
    #[arg(long)]
    pub topic_prefix: Option<String>,
    /// Let the fetcher reach this host or host:port although it is a
    /// loopback, private or link-local address; repeatable (adds to
    /// fetcher.allow_hosts).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Also serve the offline demo newsroom and poll its feed.
    #[arg(long)]
    pub demo: bool,
    /// Folder of seed articles for --demo.
    #[arg(long, value_name = "DIR")]
    pub seeds: Option<PathBuf>,
    /// Stop after this many seconds (for scripted runs); default: until
    /// Ctrl-C.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,
    /// Address of the dashboard and API (web.listen); "" disables it
    /// (web.enabled = false).
    #[arg(long, value_name = "ADDR")]
    pub web_listen: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address of the dashboard and API (web.listen, default
    /// 127.0.0.1:7070). Beyond loopback a token is required: set
    /// NEWSFLOW_WEB__TOKEN.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Storage URL: sqlite:PATH or postgres://USER@HOST/DB (database_url).
    #[arg(long)]
    pub db: Option<String>,
    /// Directory for local state (data_dir): the default SQLite database
    /// and the fetcher's state, for source health.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl ServeArgs {
    /// Apply the flags onto a loaded config.
    pub fn apply(&self, cfg: &mut Config) {
        if let Some(l) = &self.listen {
            cfg.web.listen = l.clone();
        }
        if let Some(db) = &self.db {
            cfg.database_url = db.clone();
        }
        if let Some(d) = &self.data_dir {
            cfg.data_dir = d.clone();
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct BrokerArgs {
    /// Directory for the broker's storage (default <data_dir>/broker).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 9092)]
    pub port: u16,
    /// Keep everything in memory.
    #[arg(long)]
    pub in_memory: bool,
}

#[derive(Debug, Clone, Args)]
pub struct NewsroomArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Folder of seed articles.
    #[arg(long, value_name = "DIR")]
    pub seeds: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct FeedArgs {
    /// Feed or sitemap: a URL or a file path.
    pub source: String,
    /// Let the fetch reach this host even if it is internal
    /// (fetcher.allow_hosts); repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct EnrichArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Article JSON (one object or JSON lines), or - for stdin: enrich
    /// offline instead of running the service.
    pub input: Option<PathBuf>,
}

impl ServiceArgs {
    /// Apply the flags onto a loaded config.
    pub fn apply(&self, cfg: &mut Config) {
        if let Some(b) = &self.brokers {
            cfg.kafka.brokers = b.clone();
        }
        if let Some(d) = &self.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(db) = &self.db {
            cfg.database_url = db.clone();
        }
        if let Some(secs) = self.poll_interval {
            // A poll interval given on the command line is fixed.
            cfg.fetcher.default_interval_secs = secs;
            cfg.fetcher.min_interval_secs = secs;
            cfg.fetcher.max_interval_secs = secs;
        }
        if let Some(m) = &self.metrics_listen {
            cfg.metrics.listen = m.clone();
        }
        if let Some(p) = &self.topic_prefix {
            cfg.kafka.topic_prefix = p.clone();
        }
        for f in &self.feeds {
            cfg.sources.push(newsflow_ingest::SourceConfig::from_url(f));
        }
        cfg.fetcher.allow_hosts.extend(self.allow_hosts.iter().cloned());
    }
}
