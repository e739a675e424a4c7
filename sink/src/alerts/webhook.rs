//! Webhook payloads (CloudEvents 1.0 structured JSON, Slack) and delivery
//! with retries.
//!
//! Retried, with exponential backoff and jitter, up to the webhook's
//! `max_attempts`: connection errors, timeouts, 5xx, 408 and 429 (a
//! `Retry-After` of at most [`MAX_RETRY_AFTER`] is honoured). Any other
//! answer (4xx, and 3xx: redirects are not followed, a POST must not turn
//! into a GET) is permanent at once.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, SecondsFormat, Utc};
use newsflow_wire::Alert;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde_json::{Value, json};

use super::rule::{WebhookDef, WebhookFormat};

/// The longest `Retry-After` waited for; a longer one falls back to the
/// backoff (the message should not sit in flight for minutes).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The CloudEvents `type` of an alert event ("raised", "updated").
pub fn event_type(event: &str) -> String {
    format!("org.newsflow.alert.{event}")
}

/// The CloudEvents id: stable for one event of one alert, so receivers can
/// deduplicate redeliveries.
pub fn event_id(alert: &Alert) -> String {
    format!("{}:{}:{}", alert.alert_id, alert.event, alert.articles)
}

/// CloudEvents 1.0, structured mode: the attributes and the alert as
/// `data`. `time` is when the event happened.
pub fn cloudevent(alert: &Alert, time: DateTime<Utc>) -> Value {
    json!({
        "specversion": "1.0",
        "id": event_id(alert),
        "source": "newsflow",
        "type": event_type(&alert.event),
        "time": time.to_rfc3339_opts(SecondsFormat::Millis, true),
        "datacontenttype": "application/json",
        "subject": alert.rule,
        "data": alert,
    })
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped (they delimit links).
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A URL inside `<url|label>`: escaped, and `|` (the label separator)
/// percent-encoded.
fn slack_url(url: &str) -> String {
    slack_escape(url).replace('|', "%7C")
}

/// A Slack incoming-webhook message: `text` (notifications, fallbacks) and
/// `blocks` (the headline linked to the article, then rule and story size).
pub fn slack(alert: &Alert) -> Value {
    let title = slack_escape(alert.title.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or(&alert.url));
    let rule = slack_escape(&alert.rule);
    let size = match alert.articles {
        1 => "1 article".to_owned(),
        n => format!("{n} articles"),
    };
    let what = if alert.event == "raised" { "New alert" } else { "Alert updated" };
    let mut context = vec![format!("rule *{rule}*"), format!("story of {size}")];
    context.extend(alert.source_id.as_deref().map(|s| format!("source {}", slack_escape(s))));
    context.extend(alert.language.as_deref().map(slack_escape));
    json!({
        "text": format!("{what} ({rule}): {title}"),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": format!("{what}: *<{}|{title}>*", slack_url(&alert.url))},
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": context.join(" · ")}],
            },
        ],
    })
}

/// The body and content type of `alert` for `format`.
pub fn payload(format: WebhookFormat, alert: &Alert, time: DateTime<Utc>) -> (Vec<u8>, &'static str) {
    match format {
        WebhookFormat::CloudEvents => {
            (cloudevent(alert, time).to_string().into_bytes(), "application/cloudevents+json; charset=utf-8")
        }
        WebhookFormat::Slack => (slack(alert).to_string().into_bytes(), "application/json"),
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered {
        attempts: u32,
    },
    /// Given up: a permanent answer, or `max_attempts` used.
    Failed {
        attempts: u32,
        reason: String,
    },
}

/// Posts payloads to webhooks. One HTTP client (connection pool) for all.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    min_delay: Duration,
    max_delay: Duration,
}

/// What one attempt came to.
enum Attempt {
    Retry { reason: String, after: Option<Duration> },
    Permanent(String),
}

impl Sender {
    /// Backoff between attempts from 1 s, doubling, capped at 30 s.
    pub fn new() -> Self {
        Self::with_backoff(Duration::from_secs(1), Duration::from_secs(30))
    }

    /// Shorter waits for tests.
    pub fn with_backoff(min_delay: Duration, max_delay: Duration) -> Self {
        let client = reqwest::Client::builder()
            .user_agent(concat!("newsflow/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { client, min_delay, max_delay }
    }

    /// Post `alert` to `hook` until it is accepted or the attempts run out.
    pub async fn deliver(&self, hook: &WebhookDef, alert: &Alert, time: DateTime<Utc>) -> Outcome {
        let (body, content_type) = payload(hook.format, alert, time);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (k, v) in &hook.headers {
            // Checked when the config was validated.
            if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                headers.insert(k, v);
            }
        }
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_jitter()
            .without_max_times()
            .build();
        let max = hook.max_attempts.max(1);
        let timeout = Duration::from_secs(hook.timeout_secs.max(1));
        for attempt in 1..=max {
            let sent =
                self.client.post(&hook.url).headers(headers.clone()).timeout(timeout).body(body.clone()).send().await;
            let failure = match sent {
                Ok(resp) if resp.status().is_success() => return Outcome::Delivered { attempts: attempt },
                Ok(resp) => judge(resp).await,
                Err(e) if e.is_timeout() => {
                    Attempt::Retry { reason: format!("no answer within {} s", timeout.as_secs()), after: None }
                }
                Err(e) => Attempt::Retry { reason: error_chain(&e), after: None },
            };
            match failure {
                Attempt::Permanent(reason) => return Outcome::Failed { attempts: attempt, reason },
                Attempt::Retry { reason, .. } if attempt == max => {
                    return Outcome::Failed {
                        attempts: attempt,
                        reason: format!("gave up after {attempt} attempts: {reason}"),
                    };
                }
                Attempt::Retry { reason, after } => {
                    let wait = after.unwrap_or_else(|| delays.next().unwrap_or(self.max_delay));
                    tracing::warn!(url = %redact(&hook.url), attempt, %reason, ?wait, "webhook delivery failed, retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
        Outcome::Failed { attempts: max, reason: "no attempt made".into() }
    }
}

impl Default for Sender {
    fn default() -> Self {
        Self::new()
    }
}

/// Classify a non-success answer.
async fn judge(resp: reqwest::Response) -> Attempt {
    let status = resp.status();
    let after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .filter(|d| *d <= MAX_RETRY_AFTER);
    let reason = format!("HTTP {status}{}", body_excerpt(resp).await);
    let retry =
        status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS;
    if retry { Attempt::Retry { reason, after } } else { Attempt::Permanent(reason) }
}

/// The start of a response body, for the failure reason.
async fn body_excerpt(mut resp: reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < 300 {
        match tokio::time::timeout(Duration::from_secs(2), resp.chunk()).await {
            Ok(Ok(Some(chunk))) => buf.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text: String = String::from_utf8_lossy(&buf).chars().take(200).collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() { String::new() } else { format!(": {text}") }
}

/// An error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// A webhook URL for logs: scheme, host and path only (a token may hide in
/// the query or the user info).
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("{}://{}{}", u.scheme(), u.host_str().unwrap_or_default(), u.path()),
        Err(_) => "<invalid url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Alert {
        Alert {
            alert_id: "a1".into(),
            rule: "r<1>".into(),
            event: "raised".into(),
            item_id: "i1".into(),
            story_id: Some("s1".into()),
            title: Some("Q&A: <b>news</b>".into()),
            url: "https://example.com/a?x=1&y=|2".into(),
            source_id: Some("demo".into()),
            language: Some("en".into()),
            articles: 1,
            raised_at: DateTime::parse_from_rfc3339("2024-06-04T10:00:00Z").unwrap().to_utc(),
        }
    }

    #[test]
    fn cloudevent_attributes() {
        let a = alert();
        let ce = cloudevent(&a, a.raised_at);
        assert_eq!(ce["specversion"], "1.0");
        assert_eq!(ce["id"], "a1:raised:1");
        assert_eq!(ce["source"], "newsflow");
        assert_eq!(ce["type"], "org.newsflow.alert.raised");
        assert_eq!(ce["time"], "2024-06-04T10:00:00.000Z");
        assert_eq!(ce["datacontenttype"], "application/json");
        assert_eq!(ce["subject"], "r<1>");
        assert_eq!(ce["data"]["item_id"], "i1");
    }

    #[test]
    fn slack_text_is_escaped_and_the_title_linked() {
        let s = slack(&alert());
        let section = s["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(section, "New alert: *<https://example.com/a?x=1&amp;y=%7C2|Q&amp;A: &lt;b&gt;news&lt;/b&gt;>*");
        assert_eq!(s["text"], "New alert (r&lt;1&gt;): Q&amp;A: &lt;b&gt;news&lt;/b&gt;");
        let context = s["blocks"][1]["elements"][0]["text"].as_str().unwrap();
        assert_eq!(context, "rule *r&lt;1&gt;* · story of 1 article · source demo · en");
    }

    #[test]
    fn urls_in_logs_lose_query_and_credentials() {
        assert_eq!(redact("https://u:p@hooks.example/x/y?token=1"), "https://hooks.example/x/y");
    }
}
