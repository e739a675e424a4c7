//! Which rules an article matches, the rules in force (reloaded from the
//! database so API edits reach a running service), and trying a rule
//! against stored articles.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use newsflow_enrich::normalize::normalize;
use newsflow_wire::EnrichedArticle;
use serde::Serialize;
use tokio::sync::Mutex;
use tracing::warn;

use super::log::{AlertLog, LogError, StoredArticle};
use super::query::Doc;
use super::rule::{Rule, Subject};

/// The rules `article` matches (its text is prepared once for all).
pub fn matching<'r>(rules: &'r [Rule], article: &EnrichedArticle) -> Vec<&'r Rule> {
    if rules.is_empty() {
        return Vec::new();
    }
    let (a, e) = (&article.article, &article.enrichment);
    let doc = Doc::new(a.title.as_deref(), &a.text);
    let subject = Subject {
        language: e.language.as_deref().or(a.language.as_deref()),
        source: &a.source_id,
        entities: e.entities.iter().map(|x| normalize(&x.key)).collect(),
    };
    rules.iter().filter(|r| r.matches(&doc, &subject)).collect()
}

/// The stored rules, compiled, reloaded at most every `every`. Cheap to
/// ask: between reloads it hands out the same `Arc`.
pub struct RuleBook {
    log: Arc<AlertLog>,
    every: Duration,
    state: Mutex<Loaded>,
}

#[derive(Default)]
struct Loaded {
    at: Option<Instant>,
    rules: Arc<Vec<Rule>>,
}

impl RuleBook {
    pub fn new(log: Arc<AlertLog>, every: Duration) -> Self {
        Self { log, every, state: Mutex::new(Loaded::default()) }
    }

    /// The rules in force. A failed reload keeps the previous rules (and is
    /// retried on the next call); only the first load's failure is an error.
    pub async fn rules(&self) -> Result<Arc<Vec<Rule>>, LogError> {
        let mut state = self.state.lock().await;
        if state.at.is_some_and(|t| t.elapsed() < self.every) {
            return Ok(state.rules.clone());
        }
        self.reload(&mut state).await
    }

    /// One rule by name. A rule not known yet (added through the API since
    /// the last reload) is looked for again in the database at once.
    pub async fn rule(&self, name: &str) -> Result<Option<Rule>, LogError> {
        let find = |rules: &[Rule]| rules.iter().find(|r| r.name() == name).cloned();
        if let Some(r) = find(&self.rules().await?) {
            return Ok(Some(r));
        }
        let mut state = self.state.lock().await;
        Ok(find(&self.reload(&mut state).await?))
    }

    async fn reload(&self, state: &mut Loaded) -> Result<Arc<Vec<Rule>>, LogError> {
        match self.log.rules().await {
            Ok(stored) => {
                let rules = stored
                    .into_iter()
                    .filter_map(|s| match Rule::compile(s.def) {
                        Ok(r) => Some(r),
                        Err(e) => {
                            warn!(error = %e, "stored alert rule does not compile; skipped");
                            None
                        }
                    })
                    .collect();
                state.rules = Arc::new(rules);
                state.at = Some(Instant::now());
                Ok(state.rules.clone())
            }
            Err(e) if state.at.is_some() => {
                warn!(error = %e, "reloading alert rules failed; keeping the previous ones");
                Ok(state.rules.clone())
            }
            Err(e) => Err(e),
        }
    }
}

/// Stored articles scanned by default when trying a rule (the newest).
pub const DEFAULT_SCAN: usize = 20_000;
const PAGE: usize = 200;

/// What trying a rule against stored articles found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TestReport {
    pub rule: String,
    /// Articles looked at (the newest, up to the scan limit).
    pub scanned: u64,
    /// How many of them match.
    pub matched: u64,
    /// Whether older articles were left unscanned.
    pub truncated: bool,
    /// The newest matches, up to the limit asked for.
    pub items: Vec<StoredArticle>,
}

/// Try `rule` against up to `scan` stored articles, newest first; keep up
/// to `limit` matches. Matching runs off the async threads.
pub async fn test_rule(log: &AlertLog, rule: &Rule, limit: usize, scan: usize) -> Result<TestReport, LogError> {
    let mut report = TestReport { rule: rule.name().to_owned(), ..TestReport::default() };
    let mut last: Option<StoredArticle> = None;
    loop {
        let want = PAGE.min(scan - report.scanned as usize);
        if want == 0 {
            // Anything older left unscanned?
            report.truncated = !log.articles_page(last.as_ref(), 1).await?.is_empty();
            break;
        }
        let page = log.articles_page(last.as_ref(), want).await?;
        let Some(tail) = page.last().cloned() else { break };
        let mut entities: HashMap<String, Vec<String>> = HashMap::new();
        if rule.needs_entities() {
            let ids: Vec<String> = page.iter().map(|a| a.id.clone()).collect();
            for (id, key) in log.entity_keys(&ids).await? {
                entities.entry(id).or_default().push(normalize(&key));
            }
        }
        let n = page.len();
        let r = rule.clone();
        let hits = tokio::task::spawn_blocking(move || {
            page.into_iter()
                .filter(|a| {
                    let subject = Subject {
                        language: a.language.as_deref(),
                        source: &a.source,
                        entities: entities.get(&a.id).cloned().unwrap_or_default(),
                    };
                    r.matches(&Doc::new(a.title.as_deref(), &a.text), &subject)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| LogError::Unavailable(format!("matching task failed: {e}")))?;
        report.scanned += n as u64;
        report.matched += hits.len() as u64;
        let room = limit.saturating_sub(report.items.len());
        report.items.extend(hits.into_iter().take(room));
        if n < want {
            break;
        }
        last = Some(tail);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use newsflow_wire::{ArticleMsg, Enrichment, Entity};

    use super::*;
    use crate::alerts::rule::RuleDef;

    fn article(title: &str, text: &str, lang: &str, source: &str, entities: &[&str]) -> EnrichedArticle {
        EnrichedArticle {
            article: ArticleMsg {
                source_id: source.into(),
                title: Some(title.into()),
                text: text.into(),
                ..Default::default()
            },
            enrichment: Enrichment {
                language: Some(lang.into()),
                entities: entities.iter().map(|k| Entity { key: (*k).into(), ..Default::default() }).collect(),
                ..Default::default()
            },
        }
    }

    fn rule(name: &str, query: &str, f: impl FnOnce(&mut RuleDef)) -> Rule {
        let mut def = RuleDef::inline(name, query);
        f(&mut def);
        Rule::compile(def).unwrap()
    }

    #[test]
    fn an_article_is_matched_against_every_rule() {
        let rules = vec![
            rule("iraq", "العراق", |_| {}),
            rule("iraq-en", "العراق", |d| d.languages = vec!["en".into()]),
            rule("rome", "روما", |d| d.entities = vec!["Rome".into()]),
            rule("wire", "العراق", |d| d.sources = vec!["wire".into()]),
        ];
        let a = article("اجتماع روما", "بشأن تهديد داعش للعراق", "ar", "demo", &["rome"]);
        let names: Vec<&str> = matching(&rules, &a).iter().map(|r| r.name()).collect();
        assert_eq!(names, ["iraq", "rome"]);
        assert!(matching(&[], &a).is_empty());
    }
}
