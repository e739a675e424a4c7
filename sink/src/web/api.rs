//! The JSON endpoints. Lists are `{"items": […]}` (with `"next"`, a cursor,
//! where they page); errors are `{"error": "…"}` with a 4xx/5xx status.
//! Page sizes are clamped to `1..=200`.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::warn;

use super::AppState;
use super::fetcher::{self, FetcherHealth};
use crate::query::{Cursor, QueryError, SearchRequest, clamp_limit};

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        let unavailable = match &e {
            QueryError::BadRequest(m) => return Self::bad_request(m.clone()),
            QueryError::Unavailable(_) => true,
            QueryError::Sqlite(s) => matches!(
                s.sqlite_error_code(),
                Some(
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::CannotOpen
                        | rusqlite::ErrorCode::SystemIoFailure
                )
            ),
            QueryError::Postgres(p) => p.is_closed() || p.code().is_none(),
        };
        warn!(error = %e, "api read failed");
        if unavailable {
            Self::new(StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable: try again shortly")
        } else {
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "the query failed (see the server log)")
        }
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Query parameters, with a JSON error when they do not parse.
pub(crate) struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// A path parameter, with a JSON error when it does not parse.
pub(crate) struct Path<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// The `limit` parameter: a whole number, clamped.
pub(crate) fn limit(raw: Option<&str>) -> Result<usize, ApiError> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            s.trim().parse::<usize>().map_err(|_| ApiError::bad_request(format!("limit: {s:?} is not a whole number")))
        })
        .transpose()
        .map(clamp_limit)
}

pub(crate) fn cursor(raw: Option<&str>, name: &str) -> Result<Option<Cursor>, ApiError> {
    raw.filter(|s| !s.is_empty())
        .map(|s| Cursor::parse(s).map_err(|_| ApiError::bad_request(format!("{name}: not a cursor from this API"))))
        .transpose()
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    limit: Option<String>,
    before: Option<String>,
    source: Option<String>,
}

/// `GET /api/articles?limit=&before=&source=`: newest first.
pub(crate) async fn articles(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> ApiResult<crate::query::Page<crate::query::ArticleSummary>> {
    let limit = limit(p.limit.as_deref())?;
    let before = cursor(p.before.as_deref(), "before")?;
    Ok(Json(st.reader.recent(before, nonempty(p.source), limit).await?))
}

/// `GET /api/articles/{id}`.
pub(crate) async fn article(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    match st.reader.article(id.clone()).await {
        Ok(Some(a)) => Json(a).into_response(),
        Ok(None) => ApiError::not_found(format!("no article {id:?}")).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
    limit: Option<String>,
    lang: Option<String>,
    source: Option<String>,
}

/// `GET /api/search?q=&limit=&lang=&source=`: relevance, then recency.
pub(crate) async fn search(State(st): State<AppState>, Query(p): Query<SearchParams>) -> ApiResult<serde_json::Value> {
    let q = nonempty(p.q).ok_or_else(|| ApiError::bad_request("q: the search words are missing"))?;
    let req = SearchRequest {
        q: q.clone(),
        language: nonempty(p.lang),
        source: nonempty(p.source),
        limit: limit(p.limit.as_deref())?,
    };
    let items = st.reader.search(req).await?;
    Ok(Json(json!({ "query": q, "items": items })))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LimitParams {
    limit: Option<String>,
}

/// `GET /api/stories?limit=`: most recently active first.
pub(crate) async fn stories(State(st): State<AppState>, Query(p): Query<LimitParams>) -> ApiResult<serde_json::Value> {
    let items = st.reader.stories(limit(p.limit.as_deref())?).await?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/stories/{id}`: the story and its articles across sources.
pub(crate) async fn story(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    match st.reader.story(id.clone()).await {
        Ok(Some(s)) => Json(s).into_response(),
        Ok(None) => ApiError::not_found(format!("no story {id:?}")).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// One source: what the store holds from it and, when the fetcher's state
/// is known, how its polling goes.
#[derive(Debug, Serialize)]
pub(crate) struct SourceView {
    id: String,
    site_name: Option<String>,
    articles: i64,
    first_article_at: Option<String>,
    last_article_at: Option<String>,
    fetcher: Option<FetcherHealth>,
}

/// `GET /api/sources`.
pub(crate) async fn sources(State(st): State<AppState>) -> ApiResult<serde_json::Value> {
    let stored = st.reader.sources().await?;
    let mut health = match &st.fetcher_state {
        Some(path) => fetcher::health(path.as_ref().clone()).await,
        None => Vec::new(),
    };
    let mut items: Vec<SourceView> = stored
        .into_iter()
        .map(|s| {
            let fetcher = health.iter().position(|h| h.source_id == s.id).map(|i| health.swap_remove(i));
            SourceView {
                id: s.id,
                site_name: s.site_name,
                articles: s.articles,
                first_article_at: s.first_article_at,
                last_article_at: s.last_article_at,
                fetcher,
            }
        })
        .collect();
    // Sources polled but with nothing stored yet (new, or failing).
    health.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    items.extend(health.into_iter().map(|h| SourceView {
        id: h.source_id.clone(),
        site_name: None,
        articles: 0,
        first_article_at: None,
        last_article_at: None,
        fetcher: Some(h),
    }));
    Ok(Json(json!({ "items": items, "fetcher_state": st.fetcher_state.is_some() })))
}

/// `GET /api/stats`: how much is stored.
pub(crate) async fn stats(State(st): State<AppState>) -> ApiResult<crate::query::Counts> {
    Ok(Json(st.reader.counts().await?))
}

/// Anything else.
pub(crate) async fn no_such_endpoint(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {method} {}", uri.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_clamp() {
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some("")).unwrap(), 50);
        assert_eq!(limit(Some("7")).unwrap(), 7);
        assert_eq!(limit(Some("100000")).unwrap(), 200);
        assert_eq!(limit(Some("0")).unwrap(), 1);
        let e = limit(Some("ten")).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(limit(Some("-1")).is_err());
    }
}
