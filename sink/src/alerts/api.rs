//! The alerts HTTP API (JSON). No authentication here: the server that
//! mounts the router puts it in front.
//!
//! - `GET /api/alerts?limit=&rule=`: alerts, newest first.
//! - `GET /api/rules`: every stored rule with its origin.
//! - `PUT /api/rules/{name}`: create or replace an API rule (the JSON rule
//!   body; 400 when invalid, 409 for a rule of the config file).
//! - `DELETE /api/rules/{name}`: 204; 404 unknown; 409 for a config rule.
//! - `POST /api/rules/{name}/test?limit=&scan=`: the stored articles the
//!   rule matches; with a JSON rule body, tries that definition instead
//!   (check a rule before saving it).
//!
//! Errors are `{"error": "..."}`; a database that is away is a 503.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::engine::{DEFAULT_SCAN, test_rule};
use super::log::{AlertLog, DeleteOutcome, LogError, PutOutcome, StoredRule};
use super::rule::{Rule, RuleDef};
use crate::Store;

/// Most alerts or matches one request returns.
pub const MAX_LIMIT: usize = 500;
const DEFAULT_LIMIT: usize = 50;

#[derive(Clone)]
struct Api {
    log: Arc<AlertLog>,
    /// When known, rules may only name these webhooks.
    webhooks: Option<Arc<BTreeSet<String>>>,
}

/// The API over `store`'s alert tables. Rules may name any webhook (one
/// the service does not know is skipped, with a warning, at delivery).
pub fn router(store: Arc<Store>) -> Router {
    routes(Api { log: Arc::new(AlertLog::for_store(&store)), webhooks: None })
}

/// The API, refusing rules that name webhooks other than `webhooks`.
pub fn router_with_webhooks(store: Arc<Store>, webhooks: BTreeSet<String>) -> Router {
    routes(Api { log: Arc::new(AlertLog::for_store(&store)), webhooks: Some(Arc::new(webhooks)) })
}

fn routes(api: Api) -> Router {
    Router::new()
        .route("/api/alerts", get(list_alerts))
        .route("/api/rules", get(list_rules))
        .route("/api/rules/{name}", put(put_rule).delete(delete_rule))
        .route("/api/rules/{name}/test", post(test))
        .with_state(api)
}

struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::Unavailable(_) => ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            LogError::Rule(r) => ApiError(StatusCode::BAD_REQUEST, r.to_string()),
            LogError::Failed(_) => ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

/// A numeric query parameter in `1..=max`.
fn number(params: &HashMap<String, String>, key: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match params.get(key) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad(format!("{key}: expected a number from 1 to {max}, got {v:?}"))),
        },
    }
}

fn rule_json(r: &StoredRule) -> Value {
    let d = &r.def;
    json!({
        "name": d.name,
        "origin": r.origin,
        "query": d.query,
        "languages": d.languages,
        "sources": d.sources,
        "entities": d.entities,
        "max_per_hour": d.max_per_hour,
        "webhooks": d.webhooks,
        "notify_updates": d.notify_updates,
        "updated_at": r.updated_at,
    })
}

async fn list_alerts(
    State(api): State<Api>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = number(&params, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let items = api.log.alerts(limit, params.get("rule").map(String::as_str)).await?;
    Ok(Json(json!({ "items": items })).into_response())
}

async fn list_rules(State(api): State<Api>) -> Result<Response, ApiError> {
    let items: Vec<Value> = api.log.rules().await?.iter().map(rule_json).collect();
    Ok(Json(json!({ "items": items })).into_response())
}

/// A rule from a JSON body; its name, if given, must be the one in the URL.
fn rule_from_body(name: &str, body: &[u8]) -> Result<RuleDef, ApiError> {
    let mut def: RuleDef = serde_json::from_slice(body).map_err(|e| bad(format!("invalid rule: {e}")))?;
    if !def.name.is_empty() && def.name != name {
        return Err(bad(format!("the body names rule {:?} but the URL {name:?}", def.name)));
    }
    def.name = name.to_owned();
    Ok(def)
}

async fn put_rule(State(api): State<Api>, Path(name): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let def = rule_from_body(&name, &body)?;
    def.validate(api.webhooks.as_deref()).map_err(|e| bad(e.to_string()))?;
    let status = match api.log.put_api_rule(&def).await? {
        PutOutcome::Created => StatusCode::CREATED,
        PutOutcome::Updated => StatusCode::OK,
        PutOutcome::ConfigRule => {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!("rule {name:?} comes from the config file; change it there"),
            ));
        }
    };
    let stored = api.log.rule(&name).await?;
    let body = stored.as_ref().map(rule_json).unwrap_or(Value::Null);
    Ok((status, Json(body)).into_response())
}

async fn delete_rule(State(api): State<Api>, Path(name): Path<String>) -> Result<Response, ApiError> {
    match api.log.delete_api_rule(&name).await? {
        DeleteOutcome::Deleted => Ok(StatusCode::NO_CONTENT.into_response()),
        DeleteOutcome::NotFound => Err(ApiError(StatusCode::NOT_FOUND, format!("no rule named {name:?}"))),
        DeleteOutcome::ConfigRule => {
            Err(ApiError(StatusCode::CONFLICT, format!("rule {name:?} comes from the config file; remove it there")))
        }
    }
}

async fn test(
    State(api): State<Api>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let limit = number(&params, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let scan = number(&params, "scan", DEFAULT_SCAN, 10 * DEFAULT_SCAN)?;
    let def = if body.iter().all(u8::is_ascii_whitespace) {
        match api.log.rule(&name).await? {
            Some(stored) => stored.def,
            None => return Err(ApiError(StatusCode::NOT_FOUND, format!("no rule named {name:?}"))),
        }
    } else {
        rule_from_body(&name, &body)?
    };
    let rule = Rule::compile(def).map_err(|e| bad(e.to_string()))?;
    let report = test_rule(&api.log, &rule, limit, scan).await?;
    Ok(Json(report).into_response())
}
