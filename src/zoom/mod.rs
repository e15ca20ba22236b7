//! Zoom's REST API through one Server-to-Server OAuth app. Knows nothing of Discord.

mod answer;
pub mod auth;
pub mod client;
pub mod error;
pub mod meetings;
pub mod model;
mod retry;
pub mod user_auth;
pub mod webhook;

pub use client::{RetryPolicy, ZoomClient};
pub use error::{AuthProblem, FieldError, Missing, ZoomError};

/// Turns a reqwest error into a [`ZoomError::Transport`], telling apart failures before the
/// request left (connect) from those after (timeouts, broken connections): only the latter may
/// have reached Zoom.
pub(crate) fn transport_error(err: &reqwest::Error) -> ZoomError {
    let sent = !err.is_connect() && !err.is_builder();
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    // Without the URL: error text may end up in a log line, and URLs can carry query strings.
    let mut source: &dyn std::error::Error = err;
    while let Some(inner) = source.source() {
        source = inner;
    }
    ZoomError::Transport {
        detail: format!("{kind}: {source}"),
        sent,
    }
}
