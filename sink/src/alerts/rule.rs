//! Rules and webhooks as configured (`[alerts]`, or the rules API), their
//! validation, and a rule compiled for matching.

use std::collections::{BTreeMap, BTreeSet};

use newsflow_enrich::normalize::normalize;
use serde::{Deserialize, Serialize};

use super::query::{Doc, Query, QueryError};

/// Where a stored rule came from: the config file (read-only through the
/// API) or the API.
pub const ORIGIN_CONFIG: &str = "config";
pub const ORIGIN_API: &str = "api";

/// `[alerts]`: rules, the webhooks they deliver to, and how often a running
/// service picks up rules edited through the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// `[[alerts.rules]]`. Stored in the database at start (origin
    /// "config"); the API adds more. Default: none.
    pub rules: Vec<RuleDef>,
    /// `[alerts.webhooks.NAME]`: delivery targets rules refer to by name.
    /// Only the config defines URLs, so API users cannot point the service
    /// at arbitrary hosts. Default: none.
    pub webhooks: BTreeMap<String, WebhookDef>,
    /// How often the alert stage reloads rules from the database, so API
    /// edits take effect in a running service (s). Default 5: one small
    /// query every few seconds.
    pub reload_secs: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self { rules: Vec::new(), webhooks: BTreeMap::new(), reload_secs: 5 }
    }
}

/// One alert rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Slug: lowercase letters, digits, `-` and `_`, at most 64 characters.
    /// (From the URL in the API.)
    #[serde(default)]
    pub name: String,
    /// Boolean keyword query: words (AND), `AND`, `OR`, `NOT` or `-`,
    /// parentheses, "phrases", trailing `*` for prefixes.
    pub query: String,
    /// ISO 639-1 codes; the article's detected language must be one. Empty:
    /// any language.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Source ids; empty: any source.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Entity keys; the article must name at least one. Empty: no filter.
    #[serde(default)]
    pub entities: Vec<String>,
    /// Alerts this rule may raise per hour; more are suppressed (counted and
    /// logged). Updates of raised alerts are not limited. Default 60.
    #[serde(default = "default_max_per_hour")]
    pub max_per_hour: u32,
    /// Names of `[alerts.webhooks.NAME]` to deliver to.
    #[serde(default)]
    pub webhooks: Vec<String>,
    /// Also deliver "updated" events (later articles of the story) to the
    /// webhooks. Default false: webhooks hear of a story once.
    #[serde(default)]
    pub notify_updates: bool,
}

fn default_max_per_hour() -> u32 {
    60
}

/// `[alerts.webhooks.NAME]`. Its URL and headers may hold secrets (a
/// Slack webhook URL is one): `Debug` shows the host and header names only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookDef {
    /// http(s) URL to POST to.
    pub url: String,
    /// Payload shape. Default "cloudevents".
    #[serde(default)]
    pub format: WebhookFormat,
    /// Extra request headers (e.g. a token: set it from the environment,
    /// `NEWSFLOW_ALERTS__WEBHOOKS__NAME__HEADERS__AUTHORIZATION='Bearer …'`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Cap on one attempt (s). Default 10.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Attempts before giving up and dead-lettering. Default 5.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

impl std::fmt::Debug for WebhookDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = url::Url::parse(&self.url).ok().and_then(|u| u.host_str().map(str::to_owned));
        f.debug_struct("WebhookDef")
            .field("url", &format_args!("{}/***", host.as_deref().unwrap_or("<invalid>")))
            .field("format", &self.format)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("timeout_secs", &self.timeout_secs)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

fn default_timeout_secs() -> u64 {
    10
}

fn default_max_attempts() -> u32 {
    5
}

/// How a webhook's payload looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// CloudEvents 1.0, structured-mode JSON.
    #[default]
    CloudEvents,
    /// Slack incoming-webhook JSON (`text` + `blocks`).
    Slack,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::CloudEvents => "cloudevents",
            WebhookFormat::Slack => "slack",
        }
    }
}

/// A rule that cannot be used, naming it and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("rule {name:?}: query: {source}")]
    Query { name: String, source: QueryError },
    #[error("rule {name:?}: {field}: {msg}")]
    Field { name: String, field: &'static str, msg: String },
}

fn field(name: &str, field: &'static str, msg: impl Into<String>) -> RuleError {
    RuleError::Field { name: name.to_owned(), field, msg: msg.into() }
}

/// Whether `s` is a rule or webhook name: 1 to 64 of `a-z 0-9 - _`,
/// starting with a letter or digit.
pub fn is_slug(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

impl RuleDef {
    /// A rule with only a query (for `alerts test QUERY`).
    pub fn inline(name: &str, query: &str) -> Self {
        Self {
            name: name.to_owned(),
            query: query.to_owned(),
            languages: Vec::new(),
            sources: Vec::new(),
            entities: Vec::new(),
            max_per_hour: default_max_per_hour(),
            webhooks: Vec::new(),
            notify_updates: false,
        }
    }

    /// Check every field; `webhooks` are checked against `known` when given.
    pub fn validate(&self, known: Option<&BTreeSet<String>>) -> Result<(), RuleError> {
        Rule::compile(self.clone())?;
        if let Some(known) = known
            && let Some(w) = self.webhooks.iter().find(|w| !known.contains(*w))
        {
            let names = known.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
            return Err(field(&self.name, "webhooks", format!("no webhook named {w:?} (configured: [{names}])")));
        }
        Ok(())
    }
}

impl WebhookDef {
    fn validate(&self, name: &str) -> Result<(), String> {
        let at = |f: &str| format!("alerts.webhooks.{name}.{f}");
        if !is_slug(name) {
            return Err(format!("alerts.webhooks.{name}: names are 1-64 of a-z, 0-9, '-' and '_'"));
        }
        match url::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return Err(format!("{}: {:?} is not an http(s) URL", at("url"), self.url)),
        }
        if !(1..=300).contains(&self.timeout_secs) {
            return Err(format!("{}: must be 1 to 300, got {}", at("timeout_secs"), self.timeout_secs));
        }
        if !(1..=20).contains(&self.max_attempts) {
            return Err(format!("{}: must be 1 to 20, got {}", at("max_attempts"), self.max_attempts));
        }
        for (k, v) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                return Err(format!("{}: {k:?} is not a header name", at("headers")));
            }
            if reqwest::header::HeaderValue::from_str(v).is_err() {
                return Err(format!("{}: the value of {k:?} is not a valid header value", at("headers")));
            }
        }
        Ok(())
    }
}

impl AlertsConfig {
    /// Check every rule and webhook, naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=3600).contains(&self.reload_secs) {
            return Err(format!("alerts.reload_secs: must be 1 to 3600, got {}", self.reload_secs));
        }
        for (name, w) in &self.webhooks {
            w.validate(name)?;
        }
        let known: BTreeSet<String> = self.webhooks.keys().cloned().collect();
        let mut seen = BTreeSet::new();
        for (i, r) in self.rules.iter().enumerate() {
            r.validate(Some(&known)).map_err(|e| format!("alerts.rules[{i}]: {e}"))?;
            if !seen.insert(r.name.as_str()) {
                return Err(format!("alerts.rules[{i}]: rule {:?} is defined twice", r.name));
            }
        }
        Ok(())
    }

    /// Names of the configured webhooks.
    pub fn webhook_names(&self) -> BTreeSet<String> {
        self.webhooks.keys().cloned().collect()
    }
}

/// What a rule's filters look at besides the text.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// The enricher's language (ISO 639-1).
    pub language: Option<&'a str>,
    pub source: &'a str,
    /// Entity keys the article names, already through [`normalize`].
    pub entities: Vec<String>,
}

/// A rule ready to match.
#[derive(Debug, Clone)]
pub struct Rule {
    pub def: RuleDef,
    query: Query,
    languages: Vec<String>,
    entities: Vec<String>,
}

impl Rule {
    /// Validate and parse `def`.
    pub fn compile(def: RuleDef) -> Result<Self, RuleError> {
        let name = def.name.as_str();
        if !is_slug(name) {
            return Err(field(name, "name", "1-64 of a-z, 0-9, '-' and '_', starting with a letter or digit"));
        }
        let query = Query::parse(&def.query).map_err(|source| RuleError::Query { name: name.to_owned(), source })?;
        let mut languages = Vec::new();
        for l in &def.languages {
            let l = l.trim().to_ascii_lowercase();
            if l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(field(name, "languages", format!("{l:?} is not an ISO 639-1 code like \"ar\"")));
            }
            languages.push(l);
        }
        if def.sources.iter().any(|s| s.trim().is_empty()) {
            return Err(field(name, "sources", "empty source id"));
        }
        let entities: Vec<String> = def.entities.iter().map(|e| normalize(e)).collect();
        if let Some(i) = entities.iter().position(String::is_empty) {
            return Err(field(name, "entities", format!("{:?} has no letters", def.entities[i])));
        }
        if def.max_per_hour == 0 {
            return Err(field(name, "max_per_hour", "must be at least 1"));
        }
        if let Some(w) = def.webhooks.iter().find(|w| !is_slug(w)) {
            return Err(field(name, "webhooks", format!("{w:?} is not a webhook name")));
        }
        Ok(Self { def, query, languages, entities })
    }

    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Whether an article (its text as `doc`) matches: filters first (cheap),
    /// then the query.
    pub fn matches(&self, doc: &Doc, subject: &Subject<'_>) -> bool {
        if !self.languages.is_empty()
            && !subject.language.is_some_and(|l| self.languages.iter().any(|x| x.eq_ignore_ascii_case(l)))
        {
            return false;
        }
        if !self.def.sources.is_empty() && !self.def.sources.iter().any(|s| s == subject.source) {
            return false;
        }
        if !self.entities.is_empty() && !self.entities.iter().any(|e| subject.entities.contains(e)) {
            return false;
        }
        self.query.matches(doc)
    }

    /// Whether the rule filters on entities (callers can skip loading them).
    pub fn needs_entities(&self) -> bool {
        !self.entities.is_empty()
    }
}

/// The rules in force: those of the config file, then the API's (a config
/// rule wins over an API rule of the same name).
pub fn effective_rules(config: &[RuleDef], stored: Vec<(String, RuleDef)>) -> Vec<(String, RuleDef)> {
    let mut out: Vec<(String, RuleDef)> = config.iter().map(|r| (ORIGIN_CONFIG.to_owned(), r.clone())).collect();
    for (origin, def) in stored {
        if origin == ORIGIN_API && !config.iter().any(|c| c.name == def.name) {
            out.push((origin, def));
        }
    }
    out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    out
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;
