//! Discord REST calls that must not be lost: a 429 is waited out (behind a REST proxy serenity's
//! own rate limiter is off, so a 429 reaches the bot), and every failure is counted. Everything
//! goes by interaction id and token, so the same calls answer a command, a button click or (later)
//! an interaction that arrived over HTTP.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    Builder, CreateInteractionResponse, CreateInteractionResponseFollowup, CreateMessage,
    EditInteractionResponse, Http, HttpError, InteractionId, Message, User,
};

use super::reply;
use super::telemetry::rest_error_labels;
use crate::metrics::Metrics;
use crate::store::MeetingRecord;

/// Waits before each new attempt after a 429: 1.4 s in all, so a retried acknowledgement can
/// still make Discord's 3 s (serenity's error drops Discord's `retry_after`, so these are fixed).
const AFTER_429: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
];

/// Over HTTP the first response goes back in the endpoint's own HTTP response, and a webhook call
/// made right after it can reach Discord before Discord has taken that response: Discord then
/// answers 10015 (Unknown Webhook). Such a call is tried again after each of these waits (1.5 s
/// in all; for a token past its 15 minutes, where 10015 is final, that is all it costs).
const BEFORE_THE_ACK_IS_TAKEN: [Duration; 5] = [
    Duration::from_millis(20),
    Duration::from_millis(80),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
];

/// Discord's JSON error code of a failed call, if it is one.
pub fn error_code(err: &serenity::Error) -> Option<isize> {
    match err {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(e)) => Some(e.error.code),
        _ => None,
    }
}

fn rate_limited(err: &serenity::Error) -> bool {
    matches!(err, serenity::Error::Http(HttpError::UnsuccessfulRequest(e)) if e.status_code.as_u16() == 429)
}

/// serenity's REST client, with the metrics its failures are counted in.
#[derive(Clone)]
pub struct Rest {
    /// serenity's REST client.
    pub http: Arc<Http>,
    metrics: Arc<Metrics>,
}

/// An interaction to answer: enough of it to reach it again by REST.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Its id.
    pub id: InteractionId,
    /// Its token (valid 15 minutes).
    pub token: &'a str,
    /// Who sent it.
    pub user: &'a User,
    /// Where.
    pub channel: serenity::all::ChannelId,
}

impl Rest {
    /// REST through `http`, counting failures in `metrics`.
    pub fn new(http: Arc<Http>, metrics: Arc<Metrics>) -> Self {
        Self { http, metrics }
    }

    /// The metrics calls are counted in.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Counts a failed Discord REST call by HTTP status and Discord's JSON error code.
    pub fn failed(&self, err: &serenity::Error) {
        let (status, code) = rest_error_labels(err);
        self.metrics.discord_rest_errors.inc(&[&status, &code]);
    }

    /// Runs `call`, again after each 429 (bounded). Every failure is counted in the metrics.
    ///
    /// Each call's future (serenity's request, several kilobytes) is boxed, so it takes memory
    /// only while the request is under way, not for the whole life of every interaction that
    /// awaits REST at some point: a burst of /meets spends most of its time waiting on Zoom.
    pub async fn patiently<T, F, Fut>(&self, mut call: F) -> serenity::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = serenity::Result<T>>,
    {
        for wait in AFTER_429 {
            match Box::pin(call()).await {
                Err(err) if rate_limited(&err) => {
                    self.failed(&err);
                    tracing::debug!(wait_ms = wait.as_millis(), "Discord rate limit: waiting");
                    tokio::time::sleep(wait).await;
                }
                Err(err) => {
                    self.failed(&err);
                    return Err(err);
                }
                ok => return ok,
            }
        }
        let last = Box::pin(call()).await;
        if let Err(err) = &last {
            self.failed(err);
        }
        last
    }

    /// A direct message to `user`; closed DMs (50007) are expected and only logged at debug.
    pub async fn direct(&self, user: &User, message: CreateMessage) -> bool {
        match self
            .patiently(|| user.direct_message(&self.http, message.clone()))
            .await
        {
            Ok(_) => true,
            Err(err) if error_code(&err) == Some(50007) => {
                tracing::debug!("the member's DMs are closed");
                false
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not send a direct message");
                false
            }
        }
    }

    /// The interaction's first response.
    pub async fn respond(
        &self,
        target: &Target<'_>,
        response: CreateInteractionResponse,
    ) -> serenity::Result<()> {
        self.patiently(|| {
            response
                .clone()
                .execute(&self.http, (target.id, target.token))
        })
        .await
    }

    /// Replaces an acknowledged interaction's answer.
    pub async fn answer(
        &self,
        target: &Target<'_>,
        answer: EditInteractionResponse,
    ) -> serenity::Result<()> {
        let result = self
            .on_webhook(|| answer.clone().execute(&self.http, target.token))
            .await;
        if let Err(err) = &result {
            tracing::warn!(error = %err, "could not answer the interaction");
        }
        result.map(|_| ())
    }

    /// A follow-up message of an answered interaction.
    pub async fn follow_up(
        &self,
        target: &Target<'_>,
        message: CreateInteractionResponseFollowup,
    ) -> serenity::Result<Message> {
        self.on_webhook(|| message.clone().execute(&self.http, (None, target.token)))
            .await
    }

    /// [`Self::patiently`] for a call on the interaction's webhook, again after a 10015 that
    /// may only mean Discord has not taken the first response yet ([`BEFORE_THE_ACK_IS_TAKEN`]).
    async fn on_webhook<T, F, Fut>(&self, mut call: F) -> serenity::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = serenity::Result<T>>,
    {
        for wait in BEFORE_THE_ACK_IS_TAKEN {
            match self.patiently(&mut call).await {
                Err(err) if error_code(&err) == Some(10015) => tokio::time::sleep(wait).await,
                done => return done,
            }
        }
        self.patiently(call).await
    }

    /// Marks the public message of a cancelled meeting (if it has one) as cancelled, `by` whom
    /// when known.
    pub async fn mark_cancelled(&self, record: &MeetingRecord, by: Option<u64>) {
        let Some(message) = record.message else {
            return;
        };
        let edit = reply::cancelled_meeting(record, by);
        let marked = self
            .patiently(|| {
                serenity::all::ChannelId::new(record.channel.0).edit_message(
                    &self.http,
                    serenity::all::MessageId::new(message.0),
                    edit.clone(),
                )
            })
            .await;
        if let Err(err) = marked {
            tracing::warn!(error = %err, "could not mark the public message as cancelled");
        }
    }
}
