//! `POST /zoom/webhook`: Zoom's Event Subscriptions. The URL-validation challenge is answered
//! here; every other event must carry Zoom's signature, fresh, and is handed to the [`Inbox`],
//! whose answer alone Zoom waits for (never Discord). Zoom retries on anything but 2xx, so only
//! a failure to keep the event is a 5xx; what is wrong with the request itself is a 4xx.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::HttpState;
use crate::meetings::webhooks::{Inbox, Received};
use crate::secret::Secret;
use crate::zoom::webhook::{
    KNOWN_EVENTS, Payload, URL_VALIDATION, WebhookEvent, url_validation, verify,
};

/// The largest body taken: Zoom's events are a few kB; more is not Zoom.
pub const MAX_BODY: usize = 64 * 1024;

/// The longest `plainToken` answered: Zoom's are a few dozen characters.
const MAX_PLAIN_TOKEN: usize = 1024;

/// What the endpoint needs: the Secret Token and where verified events go.
#[derive(Clone)]
pub struct Webhooks {
    /// `ZOOM_WEBHOOK_SECRET_TOKEN`.
    pub secret: Secret,
    /// Keeps each event durably before Zoom hears 200.
    pub inbox: Arc<dyn Inbox>,
}

/// One answer, with the labels it is counted under.
struct Answer {
    event: &'static str,
    outcome: &'static str,
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn new(event: &'static str, outcome: &'static str, status: StatusCode, body: Value) -> Self {
        Self {
            event,
            outcome,
            status,
            body,
        }
    }

    fn refused(event: &'static str, outcome: &'static str, status: StatusCode, why: &str) -> Self {
        Self::new(event, outcome, status, json!({ "error": why }))
    }
}

/// The metrics' `event` label: a type the bot reads, the validation, or `other` (a bounded set
/// whatever a stranger posts).
fn label(event: &str) -> &'static str {
    KNOWN_EVENTS
        .iter()
        .chain(std::iter::once(&URL_VALIDATION))
        .find(|known| **known == event)
        .copied()
        .unwrap_or("other")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn is_json(headers: &HeaderMap) -> bool {
    header(headers, header::CONTENT_TYPE.as_str())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The handler of `POST /zoom/webhook`.
pub(super) async fn receive(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(&state, state.webhooks.as_ref(), &headers, body).await
}

/// The handler of `POST /zoom/user-webhook`: the user app's events, signed with its own secret.
pub(super) async fn receive_user(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(&state, state.user_webhooks.as_ref(), &headers, body).await
}

async fn respond(
    state: &HttpState,
    webhooks: Option<&Webhooks>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(webhooks) = webhooks else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let answer = answer(webhooks, headers, body).await;
    state.metrics.webhooks.inc(&[answer.event, answer.outcome]);
    (
        answer.status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body.to_string(),
    )
        .into_response()
}

async fn answer(
    webhooks: &Webhooks,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    if !is_json(headers) {
        tracing::warn!("refused a Zoom webhook: its content type is not JSON");
        let why = "the body must be application/json";
        return Answer::refused(
            "other",
            "malformed",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            why,
        );
    }
    let raw = match body {
        Ok(raw) => raw,
        Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            tracing::warn!(
                limit = MAX_BODY,
                "refused a Zoom webhook: its body is too large"
            );
            let why = "the body is over 64 KiB";
            return Answer::refused("other", "too_large", StatusCode::PAYLOAD_TOO_LARGE, why);
        }
        Err(err) => {
            tracing::warn!(status = %err.status(), "could not read a Zoom webhook's body");
            return Answer::refused("other", "malformed", err.status(), "unreadable body");
        }
    };
    let event = match parse(&raw) {
        Ok(event) => event,
        Err(label) => {
            return Answer::refused(
                label,
                "malformed",
                StatusCode::BAD_REQUEST,
                "malformed event",
            );
        }
    };
    let label = label(&event.event);
    let timestamp = header(headers, "x-zm-request-timestamp");
    let signature = header(headers, "x-zm-signature");
    let signed = timestamp.is_some() || signature.is_some();
    // Zoom signs its validation requests too; an unsigned one is still answered, since the
    // answer proves only that this end knows the secret.
    if event.event != URL_VALIDATION || signed {
        let now = jiff::Timestamp::now();
        if let Err(why) = verify(&webhooks.secret, timestamp, signature, &raw, now) {
            tracing::warn!(event = label, reason = %why, "refused a Zoom webhook");
            return Answer::refused(
                label,
                why.outcome(),
                StatusCode::UNAUTHORIZED,
                &why.to_string(),
            );
        }
    }
    if event.event == URL_VALIDATION {
        return validation(&webhooks.secret, &event.payload);
    }
    match webhooks.inbox.receive(&event, &raw).await {
        Ok(received) => {
            let outcome = match received {
                Received::New => "received",
                Received::Duplicate => "duplicate",
                Received::Ignored => "ignored",
            };
            tracing::info!(
                event = label,
                outcome,
                meeting = event.meeting(),
                "Zoom webhook"
            );
            Answer::new(label, outcome, StatusCode::OK, json!({}))
        }
        Err(err) => {
            // 500: Zoom retries, and the inbox keeps nothing twice.
            tracing::error!(event = label, error = %err, "could not keep a Zoom webhook");
            let why = "could not keep the event";
            Answer::refused(label, "failed", StatusCode::INTERNAL_SERVER_ERROR, why)
        }
    }
}

/// The event in `raw`, or the label of the malformed one. JSON nested deeper than `serde_json`'s
/// limit (128) is refused while read into a value. An event type the bot does not read, whose
/// payload has another shape (a user's id of letters, say), is kept by its type alone: refusing
/// it would have Zoom retry it for nothing.
fn parse(raw: &[u8]) -> Result<WebhookEvent, &'static str> {
    let value: Value = serde_json::from_slice(raw).map_err(|err| {
        // The error's position and class only: its text may quote the body.
        tracing::warn!(line = err.line(), column = err.column(), kind = ?err.classify(),
            "refused a Zoom webhook: its body is not JSON");
        "other"
    })?;
    let Some(kind) = value
        .get("event")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        tracing::warn!("refused a Zoom webhook: it names no event");
        return Err("other");
    };
    let event_ts = value.get("event_ts").and_then(Value::as_i64).unwrap_or(0);
    let label = label(&kind);
    match serde_json::from_value::<WebhookEvent>(value) {
        Ok(event) => Ok(event),
        Err(_) if label == "other" => Ok(WebhookEvent {
            event: kind,
            event_ts,
            payload: Payload::default(),
        }),
        Err(err) => {
            tracing::warn!(event = label, kind = ?err.classify(),
                "refused a Zoom webhook: its payload is not the event's shape");
            Err(label)
        }
    }
}

/// The answer to `endpoint.url_validation`.
fn validation(secret: &Secret, payload: &Payload) -> Answer {
    let token = payload.plain_token.as_deref().unwrap_or_default();
    if token.is_empty() || token.len() > MAX_PLAIN_TOKEN {
        tracing::warn!(
            len = token.len(),
            "refused a URL validation: bad plainToken"
        );
        let why = "plainToken must be 1 to 1024 bytes";
        return Answer::refused(URL_VALIDATION, "malformed", StatusCode::BAD_REQUEST, why);
    }
    tracing::info!("answered Zoom's URL validation");
    let body = json!({ "plainToken": token, "encryptedToken": url_validation(secret, token) });
    Answer::new(URL_VALIDATION, "received", StatusCode::OK, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(
            r#"{{"event":"meeting.started","payload":{{"x":{}1{}}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    }

    #[test]
    fn json_is_refused_only_past_serde_jsons_nesting_limit() {
        assert!(parse(nested(100).as_bytes()).is_ok());
        assert_eq!(parse(nested(200).as_bytes()).err(), Some("other"));
    }

    #[test]
    fn a_known_event_in_the_wrong_shape_is_malformed_under_its_own_label() {
        let body = br#"{"event":"meeting.ended","payload":{"object":{"id":"abc"}}}"#;
        assert_eq!(parse(body).err(), Some("meeting.ended"));
        assert_eq!(label("meeting.participant_joined"), "other");
        assert_eq!(label(URL_VALIDATION), URL_VALIDATION);
    }
}
