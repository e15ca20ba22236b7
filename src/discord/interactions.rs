//! `POST /discord/interactions` (`DISCORD_MODE=http`): Discord posts each interaction, signed
//! with the application's Ed25519 key, and takes the HTTP response as its first response.
//!
//! A request is checked before anything is done with it: its size (1 MiB at most, refused from
//! `Content-Length` before a byte is read), its signature over `X-Signature-Timestamp` + the raw
//! body, and its timestamp (at most [`MAX_CLOCK_SKEW`] from now, so a signed request copied off
//! the wire cannot be replayed later). Discord sends badly signed requests on purpose and drops
//! an endpoint that accepts one. A PING is answered with a PONG; every other interaction goes to
//! the same [`Router`] as the gateway's, in a task of its own, through an [`Ack`] that hands the
//! router's first response back to this request. The router acknowledges before any I/O, so the
//! request waits for that alone; follow-ups go by REST as on the gateway.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use serde_json::Value;
use serenity::all::{CreateInteractionResponse, Interaction};
use serenity::interactions_endpoint::Verifier;
use tokio::sync::oneshot;

use super::rest::{Rest, Target};
use super::router::{Ack, Router};
use super::tracking::Intake;
use super::unreadable;
use crate::config::PublicKey;
use crate::metrics::Metrics;

/// The largest body taken: Discord's interactions are a few kB; more is not Discord.
pub const MAX_BODY: usize = 1024 * 1024;

/// How far a request's timestamp may be from the bot's clock, either way. Discord signs each
/// request as it sends it, so a fresh one is seconds old; five minutes leaves room for a clock
/// that is off, while a captured request stops working soon after (and within that window the
/// replay guard refuses an interaction id it has taken).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// How long a request waits for the router's acknowledgement: inside Discord's 3 s, with room
/// for the way back. The router acknowledges before any I/O, so only a stalled process waits
/// this long.
pub const ACK_WAIT: Duration = Duration::from_millis(2500);

/// Why a request was turned away; each is a `reason` of `zoombot_interactions_rejected_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rejected {
    MissingSignature,
    BadSignature,
    StaleTimestamp,
    TooLarge,
    Malformed,
    Duplicate,
    ShuttingDown,
}

impl Rejected {
    fn reason(self) -> &'static str {
        match self {
            Self::MissingSignature => "missing_signature",
            Self::BadSignature => "bad_signature",
            Self::StaleTimestamp => "stale_timestamp",
            Self::TooLarge => "too_large",
            Self::Malformed => "malformed",
            Self::Duplicate => "duplicate",
            Self::ShuttingDown => "shutting_down",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::MissingSignature | Self::BadSignature | Self::StaleTimestamp => {
                StatusCode::UNAUTHORIZED
            }
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Malformed => StatusCode::BAD_REQUEST,
            Self::Duplicate => StatusCode::CONFLICT,
            Self::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// The endpoint: the key that checks requests, the router that answers them, and where each
/// interaction is admitted (once, counted in flight).
pub struct Endpoint {
    verifier: Verifier,
    router: Router,
    rest: Rest,
    intake: Intake,
    metrics: Arc<Metrics>,
    open: AtomicBool,
}

impl Endpoint {
    /// Checks requests with `public_key`, hands interactions to `router` (follow-ups through
    /// `rest`), each once and counted in flight by `intake`; counts refusals in `metrics`.
    pub fn new(
        public_key: &PublicKey,
        router: Router,
        rest: Rest,
        intake: Intake,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            verifier: public_key.verifier().clone(),
            router,
            rest,
            intake,
            metrics,
            open: AtomicBool::new(true),
        }
    }

    /// Takes no new interactions from now on (shutdown): each is answered 503, while those
    /// already taken finish.
    pub fn close(&self) {
        self.open.store(false, Ordering::SeqCst);
    }

    /// Answers one request.
    pub async fn receive(self: Arc<Self>, request: Request) -> Response {
        match self.answer(request).await {
            Ok(response) => response,
            Err(rejected) => {
                // Never the signature or the body: the reason is all an operator needs.
                tracing::info!(
                    reason = rejected.reason(),
                    "refused a request to the interactions endpoint"
                );
                self.metrics.interactions_rejected.inc(&[rejected.reason()]);
                (rejected.status(), rejected.reason()).into_response()
            }
        }
    }

    async fn answer(self: &Arc<Self>, request: Request) -> Result<Response, Rejected> {
        if !self.open.load(Ordering::SeqCst) {
            return Err(Rejected::ShuttingDown);
        }
        let headers = request.headers().clone();
        let declared =
            header(&headers, header::CONTENT_LENGTH.as_str()).and_then(|n| n.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(Rejected::TooLarge);
        }
        // The route's body limit stops reading a body without a length once it passes MAX_BODY.
        let body = match Bytes::from_request(request, &()).await {
            Ok(body) => body,
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(Rejected::TooLarge);
            }
            Err(_) => return Err(Rejected::Malformed),
        };
        let signature = header(&headers, "x-signature-ed25519");
        let timestamp = header(&headers, "x-signature-timestamp");
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Err(Rejected::MissingSignature);
        };
        if self.verifier.verify(signature, timestamp, &body).is_err() {
            return Err(Rejected::BadSignature);
        }
        if !fresh(timestamp, jiff::Timestamp::now()) {
            return Err(Rejected::StaleTimestamp);
        }
        let payload: Value = serde_json::from_slice(&body).map_err(|_| Rejected::Malformed)?;
        if payload["type"].as_u64() == Some(1) {
            return Ok(json(&serde_json::json!({ "type": 1 })));
        }
        let id = payload["id"]
            .as_str()
            .and_then(|id| id.parse::<u64>().ok())
            .filter(|id| *id != 0)
            .ok_or(Rejected::Malformed)?;
        let guard = self.intake.admit(id).await.ok_or(Rejected::Duplicate)?;
        // Follow-ups need the application id. The start-up check sets it; when Discord could not
        // be asked then, a signed interaction names it.
        if self.rest.http.application_id().is_none()
            && let Some(application) = payload["application_id"]
                .as_str()
                .and_then(|a| a.parse::<u64>().ok())
                .filter(|a| *a != 0)
        {
            self.rest
                .http
                .set_application_id(serenity::all::ApplicationId::new(application));
        }
        let kind = payload["type"].as_u64().unwrap_or_default();
        let interaction = match serde_json::from_value::<Interaction>(payload) {
            Ok(interaction) => interaction,
            Err(err) => {
                tracing::warn!(interaction_id = id, kind, error = %err, "an interaction serenity could not read");
                let answer = unreadable::answer_for(kind).ok_or(Rejected::Malformed)?;
                return Ok(json(&answer));
            }
        };
        let (sender, acknowledged) = oneshot::channel();
        let endpoint = Arc::clone(self);
        // Spawned: the router goes on with follow-ups after this request is answered, and a
        // client that hangs up does not stop it. The guard keeps shutdown waiting for it.
        tokio::spawn(async move {
            let _guard = guard;
            let ack = HttpAck(Mutex::new(Some(sender)));
            endpoint
                .router
                .handle(&endpoint.rest, &ack, &interaction)
                .await;
        });
        match tokio::time::timeout(ACK_WAIT, acknowledged).await {
            Ok(Ok(response)) => Ok(json(&response)),
            Ok(Err(_)) => {
                tracing::warn!(
                    interaction_id = id,
                    "the router finished without acknowledging"
                );
                Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response())
            }
            Err(_) => {
                tracing::warn!(
                    interaction_id = id,
                    waited = %humantime::format_duration(ACK_WAIT),
                    "the router did not acknowledge in time"
                );
                Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response())
            }
        }
    }
}

/// The route of `POST /discord/interactions` to `endpoint`, with its body limit.
pub fn route<S: Clone + Send + Sync + 'static>(endpoint: Arc<Endpoint>) -> MethodRouter<S> {
    post(move |request: Request| Arc::clone(&endpoint).receive(request))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// The first response, handed back to the waiting request instead of sent by REST.
struct HttpAck(Mutex<Option<oneshot::Sender<CreateInteractionResponse>>>);

#[serenity::async_trait]
impl Ack for HttpAck {
    async fn acknowledge(
        &self,
        _target: &Target<'_>,
        response: CreateInteractionResponse,
    ) -> serenity::Result<()> {
        let sender = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(sender) = sender else {
            return Err(serenity::Error::Other(
                "the interaction was acknowledged already",
            ));
        };
        sender.send(response).map_err(|_| {
            serenity::Error::Other("the HTTP request no longer waits for the acknowledgement")
        })
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `timestamp` (Unix seconds, as Discord signs it) is within [`MAX_CLOCK_SKEW`] of `now`.
fn fresh(timestamp: &str, now: jiff::Timestamp) -> bool {
    let Ok(seconds) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    let skew = now.as_second().abs_diff(seconds);
    skew <= MAX_CLOCK_SKEW.as_secs()
}

fn json(body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "could not write an interaction response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_is_fresh_within_five_minutes_either_way() {
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        for (timestamp, fresh_enough) in [
            ("1800000000", true),
            ("1799999700", true),
            ("1800000300", true),
            ("1799999699", false),
            ("1800000301", false),
            ("", false),
            ("soon", false),
            ("1.8e9", false),
        ] {
            assert_eq!(fresh(timestamp, now), fresh_enough, "{timestamp:?}");
        }
    }

    #[tokio::test]
    async fn the_first_acknowledgement_is_handed_over_and_a_second_is_refused() {
        let (sender, acknowledged) = oneshot::channel();
        let ack = HttpAck(Mutex::new(Some(sender)));
        let user = serenity::all::User::default();
        let target = Target {
            id: serenity::all::InteractionId::new(1),
            token: "tok",
            user: &user,
            channel: serenity::all::ChannelId::new(2),
        };
        ack.acknowledge(&target, CreateInteractionResponse::Pong)
            .await
            .unwrap();
        assert!(
            ack.acknowledge(&target, CreateInteractionResponse::Pong)
                .await
                .is_err()
        );
        let response = acknowledged.await.unwrap();
        assert_eq!(serde_json::to_value(&response).unwrap()["type"], 1);
    }

    #[tokio::test]
    async fn an_acknowledgement_nobody_waits_for_is_an_error() {
        let (sender, acknowledged) = oneshot::channel();
        drop(acknowledged);
        let ack = HttpAck(Mutex::new(Some(sender)));
        let user = serenity::all::User::default();
        let target = Target {
            id: serenity::all::InteractionId::new(1),
            token: "tok",
            user: &user,
            channel: serenity::all::ChannelId::new(2),
        };
        assert!(
            ack.acknowledge(&target, CreateInteractionResponse::Pong)
                .await
                .is_err()
        );
    }
}
