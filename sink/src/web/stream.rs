//! `/api/stream`: new articles as Server-Sent Events (`event: article`,
//! the summary as JSON, `id:` the stream's cursor).
//!
//! The stream polls the store about every second for rows after its cursor
//! `(stored_at, id)`, so it works whether the sink writes in this process
//! or elsewhere. It starts from `Last-Event-ID` (a browser reconnecting),
//! else `?after=CURSOR` (the newest article the page already shows), else
//! the newest stored row.
//!
//! Rows can commit out of `stored_at` order (PostgreSQL stamps a row when
//! its transaction starts; several sinks commit concurrently), so each
//! poll also looks [`LOOKBACK`] behind the cursor for ids it has not sent.
//! Memory per stream is bounded: one page of rows and the ids sent within
//! the lookback window (at most [`MAX_REMEMBERED`]). Concurrent streams are
//! capped by a semaphore; a stream ends when the client goes away (noticed
//! at the latest at the next keep-alive) or at shutdown.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt, stream};
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::AppState;
use super::api::{ApiError, Query, cursor};
use crate::query::{ArticleSummary, Cursor, QueryError, Reader};

/// Rows sent per poll; a full page polls again at once.
const PAGE: usize = 100;
/// How far behind the cursor to look for rows that committed late.
const LOOKBACK: Duration = Duration::from_secs(10);
/// Ids read per late-row check.
const LATE_SCAN: usize = 1000;
/// Sent ids remembered for the late-row check.
const MAX_REMEMBERED: usize = 4096;
/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StreamParams {
    after: Option<String>,
}

/// One client's position in the stream.
struct Tail {
    reader: Arc<Reader>,
    cursor: Option<Cursor>,
    /// Sent (or already shown) rows within the lookback window.
    sent: BTreeSet<(DateTime<Utc>, String)>,
    poll: Duration,
    again_at_once: bool,
    cancel: CancellationToken,
    _permit: OwnedSemaphorePermit,
}

fn instant(c: &Cursor) -> DateTime<Utc> {
    c.instant().unwrap_or_default()
}

impl Tail {
    /// Remember what the client already has: the rows of the lookback
    /// window up to the cursor.
    async fn seed(&mut self) -> Result<(), QueryError> {
        if let Some(c) = self.cursor.clone() {
            let since = instant(&c) - LOOKBACK;
            for seen in self.reader.ids_between(since, c, LATE_SCAN).await? {
                self.sent.insert((instant(&seen), seen.id));
            }
        }
        Ok(())
    }

    fn remember(&mut self, a: &ArticleSummary) {
        if let Ok(c) = Cursor::parse(&a.cursor) {
            self.sent.insert((instant(&c), c.id));
        }
        while self.sent.len() > MAX_REMEMBERED {
            self.sent.pop_first();
        }
    }

    fn event(&self, a: &ArticleSummary) -> Event {
        let event = Event::default().event("article").json_data(a).unwrap_or_else(|_| Event::default().comment("?"));
        // The id resumes the stream after a reconnect: the high-water mark.
        match self.cursor.as_ref().map(Cursor::encode) {
            Some(id) if !id.contains(['\n', '\r', '\0']) => event.id(id),
            _ => event,
        }
    }

    async fn poll_once(&mut self) -> Result<Vec<Event>, QueryError> {
        let fresh = self.reader.newer(self.cursor.clone(), PAGE).await?;
        self.again_at_once = fresh.len() == PAGE;
        let mut events = Vec::with_capacity(fresh.len());
        for a in &fresh {
            self.cursor = Cursor::parse(&a.cursor).ok().or(self.cursor.take());
            self.remember(a);
            events.push(self.event(a));
        }
        let Some(upto) = self.cursor.clone() else { return Ok(events) };
        let since = instant(&upto) - LOOKBACK;
        let late: Vec<String> = self
            .reader
            .ids_between(since, upto, LATE_SCAN)
            .await?
            .into_iter()
            .filter(|c| !self.sent.contains(&(instant(c), c.id.clone())))
            .map(|c| c.id)
            .collect();
        if !late.is_empty() {
            debug!(rows = late.len(), "live stream: rows committed late");
            for a in self.reader.summaries(late).await? {
                self.remember(&a);
                events.push(self.event(&a));
            }
        }
        // Forget what fell out of the window.
        self.sent = self.sent.split_off(&(since, String::new()));
        Ok(events)
    }

    /// The next events; `None` ends the stream (shutdown).
    async fn next_events(&mut self) -> Option<Vec<Event>> {
        loop {
            if !std::mem::take(&mut self.again_at_once) {
                tokio::select! {
                    _ = self.cancel.cancelled() => return None,
                    _ = tokio::time::sleep(self.poll) => {}
                }
            }
            if self.cancel.is_cancelled() {
                return None;
            }
            match self.poll_once().await {
                Ok(events) if !events.is_empty() => return Some(events),
                Ok(_) => {}
                Err(e) => warn!(error = %e, "live stream poll failed"),
            }
        }
    }
}

fn events(tail: Tail) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(tail, |mut tail| async move {
        let events = tail.next_events().await?;
        Some((stream::iter(events.into_iter().map(Ok)), tail))
    })
    .flatten()
}

/// `GET /api/stream?after=CURSOR`.
pub(crate) async fn stream(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<StreamParams>,
) -> Result<Response, ApiError> {
    let permit =
        st.streams.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "too many live streams open: try again later")
        })?;
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let start = match resume {
        // A stale or foreign Last-Event-ID is not the client's fault.
        Some(id) => Cursor::parse(id).ok(),
        None => cursor(p.after.as_deref(), "after")?,
    };
    let start = match start {
        Some(c) => Some(c),
        None => st.reader.latest().await?,
    };
    let mut tail = Tail {
        reader: st.reader.clone(),
        cursor: start,
        sent: BTreeSet::new(),
        poll: st.poll_interval,
        again_at_once: true,
        cancel: st.cancel.clone(),
        _permit: permit,
    };
    tail.seed().await?;
    let sse = Sse::new(events(tail)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"));
    let mut response = sse.into_response();
    // Reverse proxies (nginx) must not buffer the stream.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
