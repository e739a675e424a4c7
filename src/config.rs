//! The whole configuration: defaults, then the TOML file, then `NEWSFLOW_*`
//! environment variables (`NEWSFLOW_KAFKA__BROKERS=host:9092`: sections
//! separated by a double underscore), then command-line flags.
//! `newsflow.example.toml` documents every field with its default.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use newsflow_ingest::{FetcherConfig, ScraperConfig, SourceConfig};
use newsflow_kafka::KafkaConfig;
use serde::Deserialize;

/// Errors loading or validating the configuration. Each names the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: {0}")]
    Load(Box<figment::Error>),
    #[error("config file {0} does not exist")]
    Missing(PathBuf),
    #[error("config: {0}")]
    Invalid(String),
}

/// Top-level sections that environment variables may set (other
/// `NEWSFLOW_*` variables, like `NEWSFLOW_TANSU_BIN`, are not config).
const SECTIONS: &[&str] = &[
    "data_dir",
    "database_url",
    "kafka",
    "fetcher",
    "scraper",
    "enricher",
    "sources",
    "metrics",
    "log",
    "embedded",
    "web",
    "alerts",
    "archive",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Local state: the embedded broker's storage, the SQLite database and
    /// the fetcher's seen-record. Default `newsflow-data`.
    pub data_dir: PathBuf,
    /// Storage: `sqlite:PATH` or `postgres://USER@HOST/DB`. Empty (default)
    /// means `sqlite:<data_dir>/newsflow.db`.
    pub database_url: String,
    pub kafka: KafkaConfig,
    pub fetcher: FetcherConfig,
    pub scraper: ScraperConfig,
    /// `[enricher]`: the dedup and story index (window, size, following
    /// the `enriched` topic).
    pub enricher: newsflow_enrich::EnricherConfig,
    /// Feeds to poll (`[[sources]]`).
    pub sources: Vec<SourceConfig>,
    pub metrics: MetricsConfig,
    pub log: LogConfig,
    pub embedded: EmbeddedConfig,
    pub web: WebConfig,
    /// `[alerts]`: rules over the enriched stream and their webhooks.
    pub alerts: newsflow_sink::alerts::AlertsConfig,
    /// `[archive]`: the optional JSONL archive of enriched articles.
    pub archive: newsflow_sink::archive::ArchiveConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("newsflow-data"),
            database_url: String::new(),
            kafka: KafkaConfig::default(),
            fetcher: FetcherConfig::default(),
            scraper: ScraperConfig::default(),
            enricher: Default::default(),
            sources: Vec::new(),
            metrics: MetricsConfig::default(),
            log: LogConfig::default(),
            embedded: EmbeddedConfig::default(),
            web: WebConfig::default(),
            alerts: Default::default(),
            archive: Default::default(),
        }
    }
}

/// `[metrics]`: the Prometheus and health endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address serving `/metrics`, `/healthz` and `/readyz`. Empty disables
    /// it. Default `127.0.0.1:9898` (localhost only). Several services on
    /// one host need one port each.
    pub listen: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { listen: "127.0.0.1:9898".into() }
    }
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` (default, for people) or `json` (for log shippers).
    pub format: String,
    /// Filter in `RUST_LOG` syntax. Default `info`. `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: "text".into(), level: "info".into() }
    }
}

/// `[embedded]`: the local broker `newsflow run` starts when
/// `kafka.brokers` is empty.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddedConfig {
    /// Port on 127.0.0.1; 0 (default) picks a free one at each start.
    pub port: u16,
    /// Keep topics in memory instead of `<data_dir>/broker/tansu.db`.
    /// Default false: a restart keeps undelivered messages and offsets.
    pub in_memory: bool,
    /// Build tansu with cargo on first use when it is not installed.
    /// Default true.
    pub install: bool,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self { port: 0, in_memory: false, install: true }
    }
}

/// `[web]`: the dashboard and its JSON API (`newsflow run`, `newsflow
/// serve`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Serve the dashboard from `newsflow run`. Default true: it is how a
    /// laptop user watches the pipeline. (`newsflow serve` always serves.)
    pub enabled: bool,
    /// Address of the dashboard and API. Default `127.0.0.1:7070`
    /// (localhost only). An address beyond loopback requires `token`.
    pub listen: String,
    /// Bearer token the API requires (`Authorization: Bearer TOKEN`; the
    /// dashboard takes it once as `/?token=TOKEN`). Default none. A secret:
    /// set it with the NEWSFLOW_WEB__TOKEN environment variable.
    pub token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { enabled: true, listen: "127.0.0.1:7070".into(), token: None }
    }
}

/// Never prints the token.
impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("enabled", &self.enabled)
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Config {
    /// Load from an optional TOML file and the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Missing(path.to_owned()));
            }
            fig = fig.merge(Toml::file(path));
        }
        let env = Env::prefixed("NEWSFLOW_")
            .split("__")
            // Keys arrive split ("KAFKA.BROKERS") and in their original case.
            .filter(|k| {
                let k = k.as_str().to_ascii_lowercase();
                SECTIONS.contains(&k.split('.').next().unwrap_or_default())
            });
        fig.merge(env).extract().map_err(|e| ConfigError::Load(Box::new(e)))
    }

    /// Cross-field and value checks, naming the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.kafka.validate().map_err(|e| ConfigError::Invalid(e.to_string()))?;
        self.fetcher.validate().map_err(ConfigError::Invalid)?;
        for (i, s) in self.sources.iter().enumerate() {
            s.validate(i).map_err(ConfigError::Invalid)?;
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError::Invalid(format!("log.format: must be text or json, got {:?}", self.log.format)));
        }
        if !self.metrics.listen.is_empty() && self.metrics.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "metrics.listen: {:?} is not an address like 127.0.0.1:9898",
                self.metrics.listen
            )));
        }
        if self.web.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "web.listen: {:?} is not an address like 127.0.0.1:7070",
                self.web.listen
            )));
        }
        self.alerts.validate().map_err(ConfigError::Invalid)?;
        self.archive.validate().map_err(ConfigError::Invalid)?;
        self.enricher.validate().map_err(ConfigError::Invalid)?;
        // The index is rebuilt from the enriched topic: it must still hold
        // the window.
        let enriched = self.kafka.topics.get("enriched").and_then(|o| o.retention_hours);
        let retention = enriched.unwrap_or(self.kafka.retention_hours);
        if self.enricher.follow && self.enricher.window_hours > retention {
            return Err(ConfigError::Invalid(format!(
                "enricher.window_hours ({}) is longer than the enriched topic's retention ({retention} h): \
                 a restarted enricher could not rebuild its index",
                self.enricher.window_hours
            )));
        }
        if !self.database_url.is_empty() {
            newsflow_sink::store::DbUrl::parse(&self.database_url)
                .map_err(|e| ConfigError::Invalid(format!("database_url: {e}")))?;
        }
        Ok(())
    }

    /// The storage URL, defaulting to SQLite in the data directory.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite:{}", self.data_dir.join("newsflow.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The archive's directory: `archive.dir`, under `data_dir` when
    /// relative (as the default SQLite database is).
    pub fn archive_dir(&self) -> PathBuf {
        self.data_dir.join(&self.archive.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_documents_exactly_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("newsflow.example.toml");
        let loaded = Config::load(Some(&path)).expect("newsflow.example.toml loads");
        assert_eq!(format!("{loaded:?}"), format!("{:?}", Config::default()));
        loaded.validate().unwrap();
    }

    #[test]
    fn the_archive_dir_is_under_data_dir_unless_absolute() {
        let mut cfg = Config::default();
        assert_eq!(cfg.archive_dir(), Path::new("newsflow-data/archive"));
        cfg.archive.dir = PathBuf::from("/srv/archive");
        assert_eq!(cfg.archive_dir(), Path::new("/srv/archive"));
        cfg.archive.dir = PathBuf::new();
        assert!(cfg.validate().is_err(), "an empty archive.dir is refused");
    }

    #[test]
    fn the_enricher_window_must_fit_in_the_enriched_retention() {
        let mut cfg = Config::default();
        cfg.validate().unwrap();
        cfg.enricher.window_hours = cfg.kafka.retention_hours + 1;
        assert!(cfg.validate().is_err());
        cfg.enricher.follow = false;
        cfg.validate().unwrap();
        cfg.enricher.follow = true;
        let longer = newsflow_kafka::TopicOverride { retention_hours: Some(1000), ..Default::default() };
        cfg.kafka.topics.insert("enriched".into(), longer);
        cfg.validate().unwrap();
    }
}
