//! `newsflow alerts`: try a rule (or a query) on the stored articles, list
//! the rules in force. `newsflow alerts run` (the alert and notify stages
//! as a service) is wired in `app.rs` like the other services.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use newsflow_sink::Store;
use newsflow_sink::alerts::engine::DEFAULT_SCAN;
use newsflow_sink::alerts::log::StoredArticle;
use newsflow_sink::alerts::rule::effective_rules;
use newsflow_sink::alerts::{AlertLog, Rule, RuleDef, test_rule};
use newsflow_sink::store::DbUrl;

use crate::cli::ServiceArgs;
use crate::config::Config;

#[derive(Debug, Clone, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: AlertsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AlertsCommand {
    /// Try a rule (by name: from the config file or added with the API) or
    /// an inline query on the stored articles, newest first.
    Test(TestArgs),
    /// List the rules in force: the config file's and the API's.
    List(ListArgs),
    /// Run the alert and notify stages (enriched → alerts → webhooks).
    Run(ServiceArgs),
}

/// Which database to read.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Storage URL: sqlite:PATH or postgres://USER@HOST/DB (database_url).
    #[arg(long)]
    pub db: Option<String>,
    /// Directory for local state (data_dir), where the default SQLite
    /// database is.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    /// A rule's name, or a query when no rule has that name, e.g.
    /// '"اجتماع افتراضي" OR (coalition -rome)'.
    pub rule_or_query: String,
    /// Matching articles to print (the newest).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Stored articles to look at (the newest).
    #[arg(long, default_value_t = DEFAULT_SCAN)]
    pub scan: usize,
    /// Print JSON lines instead of a table (the summary goes to stderr).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub async fn run(cfg: Config, command: AlertsCommand) -> Result<()> {
    match command {
        AlertsCommand::Test(a) => test(cfg, a).await,
        AlertsCommand::List(a) => list(cfg, a).await,
        AlertsCommand::Run(_) => bail!("`newsflow alerts run` is a service: it is started by app.rs"),
    }
}

/// Open the configured store; a SQLite file that does not exist yet is an
/// error here (nothing to read), not a new database.
async fn open(cfg: &mut Config, args: &StoreArgs) -> Result<Store> {
    if let Some(db) = &args.db {
        cfg.database_url = db.clone();
    }
    if let Some(d) = &args.data_dir {
        cfg.data_dir = d.clone();
    }
    cfg.validate()?;
    crate::observe::init_tracing(&cfg.log);
    let url = cfg.database_url();
    if let DbUrl::Sqlite(path) = DbUrl::parse(&url)?
        && !path.exists()
    {
        bail!("no database at {} (has the pipeline run with this data_dir? see --db, --data-dir)", path.display());
    }
    Store::open(&url).await.with_context(|| format!("database_url {}", newsflow_sink::postgres::redact(&url)))
}

/// The rules in force, (origin, definition), by name.
async fn rules(cfg: &Config, log: &AlertLog) -> Result<Vec<(String, RuleDef)>> {
    let stored = log.rules().await?.into_iter().map(|r| (r.origin, r.def)).collect();
    Ok(effective_rules(&cfg.alerts.rules, stored))
}

async fn test(mut cfg: Config, args: TestArgs) -> Result<()> {
    if args.scan == 0 {
        bail!("--scan: must be at least 1");
    }
    let store = open(&mut cfg, &args.store).await?;
    let log = AlertLog::for_store(&store);
    let wanted = args.rule_or_query.trim();
    let (def, what) = match rules(&cfg, &log).await?.into_iter().find(|(_, d)| d.name == wanted) {
        Some((origin, def)) => {
            let what = format!("rule {} ({origin}: {})", def.name, def.query);
            (def, what)
        }
        None => (RuleDef::inline("query", wanted), format!("query {wanted}")),
    };
    let rule = Rule::compile(def).map_err(|e| match e {
        newsflow_sink::alerts::RuleError::Query { source, .. } => {
            anyhow::anyhow!("no rule is named {wanted:?}, and as a query it does not parse: {source}")
        }
        other => other.into(),
    })?;
    let report = test_rule(&log, &rule, args.limit, args.scan).await?;
    if args.json {
        for a in &report.items {
            println!("{}", serde_json::to_string(a)?);
        }
    } else if !report.items.is_empty() {
        print_table(&report.items);
    }
    let mut summary = format!("{} of {} stored articles match {what}", report.matched, report.scanned);
    if report.truncated {
        summary.push_str(&format!(" (only the newest {} were looked at; see --scan)", report.scanned));
    }
    if (report.items.len() as u64) < report.matched {
        summary.push_str(&format!("; showing the newest {} (see --limit)", report.items.len()));
    }
    if args.json {
        eprintln!("{summary}")
    } else {
        println!("{summary}")
    }
    Ok(())
}

/// Cut `s` to `n` characters (with an ellipsis).
fn cut(s: &str, n: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= n { s } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

fn print_table(items: &[StoredArticle]) {
    println!("{:<16}  {:<4}  {:<16}  {:<60}  URL", "STORED", "LANG", "SOURCE", "TITLE");
    for a in items {
        println!(
            "{:<16}  {:<4}  {:<16}  {:<60}  {}",
            a.stored_at.format("%Y-%m-%d %H:%M"),
            a.language.as_deref().unwrap_or("-"),
            cut(&a.source, 16),
            cut(a.title.as_deref().unwrap_or("(no title)"), 60),
            a.url
        );
    }
}

async fn list(mut cfg: Config, args: ListArgs) -> Result<()> {
    let store = open(&mut cfg, &args.store).await?;
    let log = AlertLog::for_store(&store);
    let rules = rules(&cfg, &log).await?;
    if args.json {
        for (origin, def) in &rules {
            let mut v = serde_json::to_value(def)?;
            v["origin"] = origin.as_str().into();
            println!("{v}");
        }
        return Ok(());
    }
    if rules.is_empty() {
        println!("no alert rules: add [[alerts.rules]] to the config file or PUT /api/rules/NAME");
        return Ok(());
    }
    println!("{:<24}  {:<6}  {:<48}  {:<28}  WEBHOOKS", "NAME", "ORIGIN", "QUERY", "FILTERS");
    for (origin, d) in &rules {
        let mut filters = Vec::new();
        let mut add = |label: &str, v: &[String]| {
            if !v.is_empty() {
                filters.push(format!("{label}={}", v.join(",")));
            }
        };
        add("lang", &d.languages);
        add("source", &d.sources);
        add("entity", &d.entities);
        let filters = if filters.is_empty() { "-".to_owned() } else { filters.join(" ") };
        let mut hooks = if d.webhooks.is_empty() { "-".to_owned() } else { d.webhooks.join(",") };
        if d.notify_updates {
            hooks.push_str(" (+updates)");
        }
        println!(
            "{:<24}  {:<6}  {:<48}  {:<28}  {hooks} · max {}/h",
            d.name,
            origin,
            cut(&d.query, 48),
            cut(&filters, 28),
            d.max_per_hour
        );
    }
    Ok(())
}
