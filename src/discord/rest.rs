//! Discord REST calls that must not be lost: a 429 is waited out (behind a REST proxy serenity's
//! own rate limiter is off, so a 429 reaches the bot), and a command that could not be
//! acknowledged is reported to the member by direct message instead.

use std::future::Future;
use std::time::Duration;

use serenity::all::{
    CommandInteraction, ComponentInteraction, Context, CreateMessage, EditInteractionResponse,
    HttpError, User,
};

use super::reply;
use super::telemetry::rest_failed;

/// Waits before each new attempt after a 429: 1.4 s in all, so a retried acknowledgement can
/// still make Discord's 3 s (serenity's error drops Discord's `retry_after`, so these are fixed).
const AFTER_429: [Duration; 3] = [
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

/// Runs `call`, again after each 429 (bounded). Every failure is counted in the metrics.
pub async fn patiently<T, F, Fut>(ctx: &Context, mut call: F) -> serenity::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = serenity::Result<T>>,
{
    for wait in AFTER_429 {
        match call().await {
            Err(err) if rate_limited(&err) => {
                rest_failed(ctx, &err).await;
                tracing::debug!(wait_ms = wait.as_millis(), "Discord rate limit: waiting");
                tokio::time::sleep(wait).await;
            }
            Err(err) => {
                rest_failed(ctx, &err).await;
                return Err(err);
            }
            ok => return ok,
        }
    }
    let last = call().await;
    if let Err(err) = &last {
        rest_failed(ctx, err).await;
    }
    last
}

/// A direct message to `user`; closed DMs (50007) are expected and only logged at debug.
pub async fn direct(ctx: &Context, user: &User, message: CreateMessage) -> bool {
    match patiently(ctx, || user.direct_message(&ctx.http, message.clone())).await {
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

async fn deferred(ctx: &Context, user: &User, result: serenity::Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %err, "could not acknowledge the interaction");
            // Discord shows the member "did not respond"; say that nothing was done, and why.
            direct(ctx, user, reply::too_late()).await;
            false
        }
    }
}

/// Acknowledges a command privately; `false` when it cannot be answered (nothing may be done then).
pub async fn defer(ctx: &Context, command: &CommandInteraction) -> bool {
    let result = patiently(ctx, || command.defer_ephemeral(&ctx.http)).await;
    deferred(ctx, &command.user, result).await
}

/// Acknowledges a button click privately.
pub async fn defer_click(ctx: &Context, component: &ComponentInteraction) -> bool {
    let result = patiently(ctx, || component.defer_ephemeral(&ctx.http)).await;
    deferred(ctx, &component.user, result).await
}

/// Replaces a deferred command's private answer.
pub async fn answer(
    ctx: &Context,
    command: &CommandInteraction,
    answer: EditInteractionResponse,
) -> serenity::Result<()> {
    let result = patiently(ctx, || command.edit_response(&ctx.http, answer.clone())).await;
    if let Err(err) = &result {
        tracing::warn!(error = %err, "could not answer the interaction");
    }
    result.map(|_| ())
}

/// Replaces a deferred click's private answer.
pub async fn answer_click(
    ctx: &Context,
    component: &ComponentInteraction,
    answer: EditInteractionResponse,
) -> serenity::Result<()> {
    let result = patiently(ctx, || component.edit_response(&ctx.http, answer.clone())).await;
    if let Err(err) = &result {
        tracing::warn!(error = %err, "could not answer the button click");
    }
    result.map(|_| ())
}
