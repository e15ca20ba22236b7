//! What can go wrong talking to Zoom, decoded from Zoom's error bodies, with what to do about it.

use std::fmt;

use jiff::Timestamp;
use serde::Deserialize;

/// An error from the Zoom client. Each Display text says what happened and what to do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ZoomError {
    /// The token endpoint refused the credentials, or the API refused the token.
    #[error("Zoom refused the bot's credentials: {0}")]
    Auth(AuthProblem),
    /// A 429. `daily`: the per-host daily create/update limit, not retried.
    #[error("{}", rate_limited_text(*daily, *retry_at))]
    RateLimited {
        /// The daily limit of 100 creates/updates per host (resets 00:00 UTC), not a per-second one.
        daily: bool,
        /// When requests may resume, if known.
        retry_at: Option<Timestamp>,
    },
    /// A 404 with Zoom's code 1001 (user) or 3001 (meeting).
    #[error("{0}")]
    NotFound(Missing),
    /// A request Zoom (or the client, before sending) found invalid: code 300 with field errors.
    #[error("Zoom refused the request as invalid: {message}{}", field_text(errors))]
    Invalid {
        /// Zoom's message.
        message: String,
        /// Per-field problems.
        errors: Vec<FieldError>,
    },
    /// Any other answer from Zoom.
    #[error("Zoom answered HTTP {status}{}: {message}. If this persists, check https://status.zoom.us.", code.map(|c| format!(" (code {c})")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// Zoom's error code, when the body had one.
        code: Option<i64>,
        /// Zoom's message.
        message: String,
    },
    /// A create failed ambiguously and Zoom then had several meetings like it that no one was
    /// given: none is adopted, since any could be someone else's.
    #[error(
        "creating the meeting failed, and Zoom now has {} meetings that look like it ({}); none was taken, \
         so no one gets another's host link. Check them in Zoom and delete the ones no one scheduled.",
        .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    LookAlikes(Vec<i64>),
    /// A 2xx answer whose body is not what Zoom documents: whatever was asked may have been done.
    #[error(
        "Zoom's answer could not be read ({0}). If this persists, check https://status.zoom.us."
    )]
    Unreadable(String),
    /// The member's linked Zoom account no longer accepts the bot (they removed the app, or the
    /// link was dropped): the link is gone and the member must link again.
    #[error("the member's Zoom account is no longer linked")]
    Unlinked,
    /// Zoom could not be reached, or the answer could not be read.
    #[error("{}", transport_text(detail, *sent))]
    Transport {
        /// What failed, without URLs' query strings or bodies.
        detail: String,
        /// Whether the request may have reached Zoom (a timeout after sending) — then a create is
        /// ambiguous: Zoom may have made the meeting.
        sent: bool,
    },
}

impl ZoomError {
    /// Whether Zoom may have acted on a request that failed: a 5xx, or a timeout after sending.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status >= 500,
            Self::Transport { sent, .. } => *sent,
            // One of the look-alikes may be this request's own.
            Self::LookAlikes(_) => true,
            _ => false,
        }
    }

    /// Whether retrying an idempotent request might succeed.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Self::Api { status, .. } if *status >= 500)
            || matches!(self, Self::Transport { .. })
    }
}

/// Why Zoom refused the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthProblem {
    /// `invalid_client`: wrong client id or secret.
    InvalidClient,
    /// The account id does not match the app.
    InvalidAccount,
    /// The app exists but is not activated.
    NotActivated,
    /// The token lacks scopes a call needs.
    MissingScopes(String),
    /// The token endpoint answered with something else.
    Other {
        /// HTTP status.
        status: u16,
        /// Zoom's `error` field.
        error: String,
        /// Zoom's `reason` field.
        reason: String,
    },
}

impl fmt::Display for AuthProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidClient => f.write_str(
                "the client id or client secret is wrong. Copy both again from the app's App \
                 Credentials page into ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (regenerating the \
                 secret invalidates the old one).",
            ),
            Self::InvalidAccount => f.write_str(
                "the account id does not belong to this app. Copy the Account ID from the app's \
                 App Credentials page into ZOOM_ACCOUNT_ID.",
            ),
            Self::NotActivated => f.write_str(
                "the Server-to-Server OAuth app is not activated. Open it in the Zoom App \
                 Marketplace and press Activate on its Activation page.",
            ),
            Self::MissingScopes(detail) => write!(
                f,
                "the app lacks a scope this needs ({detail}). Add the scopes listed in the README \
                 on the app's Scopes page, then run `zoombot doctor`."
            ),
            Self::Other {
                status,
                error,
                reason,
            } => write!(
                f,
                "the token endpoint answered HTTP {status} {error}: {reason}. Check the app's \
                 credentials and activation, then run `zoombot doctor`."
            ),
        }
    }
}

/// What Zoom could not find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// Code 1001.
    User(String),
    /// Code 3001.
    Meeting(String),
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(message) => write!(
                f,
                "Zoom has no such user ({message}). Set ZOOM_HOST_USER to the email or id of a \
                 user on the app's account, or \"me\" for the account owner."
            ),
            Self::Meeting(message) => write!(
                f,
                "Zoom has no such meeting ({message}). It may have been deleted in Zoom."
            ),
        }
    }
}

/// One field Zoom found invalid.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    /// The field's name.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

fn field_text(errors: &[FieldError]) -> String {
    use std::fmt::Write;
    errors.iter().fold(String::new(), |mut out, e| {
        let _ = write!(out, "; {}: {}", e.field, e.message);
        out
    })
}

fn rate_limited_text(daily: bool, retry_at: Option<Timestamp>) -> String {
    let when = retry_at.map_or_else(String::new, |t| {
        format!(
            " Requests may resume at {}.",
            t.strftime("%Y-%m-%d %H:%M:%S UTC")
        )
    });
    if daily {
        format!(
            "The Zoom host user has reached Zoom's daily limit of 100 meeting creations and updates. \
             It resets at 00:00 UTC.{when}"
        )
    } else {
        format!("Zoom is rate limiting the bot; try again in a few seconds.{when}")
    }
}

fn transport_text(detail: &str, sent: bool) -> String {
    if sent {
        format!(
            "Zoom did not answer in time ({detail}). The request may still have been carried out: \
             check before trying again."
        )
    } else {
        format!(
            "Zoom could not be reached ({detail}). Check the network and ZOOM_API_BASE, or try again later."
        )
    }
}

/// Zoom's API error body: `{"code": 124, "message": "…", "errors": [...]}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ApiErrorBody {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

impl ApiErrorBody {
    pub(crate) fn parse(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }
}

/// Zoom's OAuth error body: `{"reason": "…", "error": "invalid_client"}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OAuthErrorBody {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub error: String,
}

impl OAuthErrorBody {
    /// Names the likely cause of a token-endpoint error.
    pub(crate) fn into_problem(self, status: u16) -> AuthProblem {
        let reason = self.reason.to_ascii_lowercase();
        // "The app has been disabled" comes with error invalid_client too: check it first.
        if reason.contains("activ") || reason.contains("disabled") {
            AuthProblem::NotActivated
        } else if self.error == "invalid_client" || reason.contains("client_id or client_secret") {
            AuthProblem::InvalidClient
        } else if reason.contains("account") {
            AuthProblem::InvalidAccount
        } else if reason.contains("scope") {
            AuthProblem::MissingScopes(self.reason)
        } else {
            AuthProblem::Other {
                status,
                error: self.error,
                reason: self.reason,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, body: &str) -> AuthProblem {
        serde_json::from_str::<OAuthErrorBody>(body)
            .unwrap()
            .into_problem(status)
    }

    #[test]
    fn token_endpoint_errors_name_the_likely_cause() {
        assert_eq!(
            problem(
                401,
                r#"{"reason":"Invalid client_id or client_secret","error":"invalid_client"}"#
            ),
            AuthProblem::InvalidClient
        );
        assert_eq!(
            problem(
                400,
                r#"{"reason":"Invalid account_id","error":"invalid_request"}"#
            ),
            AuthProblem::InvalidAccount
        );
        assert_eq!(
            problem(
                400,
                r#"{"reason":"The app has not been activated","error":"invalid_request"}"#
            ),
            AuthProblem::NotActivated
        );
        assert!(matches!(
            problem(400, r#"{"reason":"odd","error":"x"}"#),
            AuthProblem::Other { status: 400, .. }
        ));
    }

    #[test]
    fn only_5xx_and_sent_timeouts_are_ambiguous() {
        assert!(
            ZoomError::Api {
                status: 502,
                code: None,
                message: String::new()
            }
            .is_ambiguous()
        );
        assert!(
            !ZoomError::Api {
                status: 400,
                code: None,
                message: String::new()
            }
            .is_ambiguous()
        );
        assert!(
            ZoomError::Transport {
                detail: "timeout".into(),
                sent: true
            }
            .is_ambiguous()
        );
        assert!(
            !ZoomError::Transport {
                detail: "refused".into(),
                sent: false
            }
            .is_ambiguous()
        );
    }

    #[test]
    fn the_daily_limit_says_when_it_resets() {
        let at: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        let text = ZoomError::RateLimited {
            daily: true,
            retry_at: Some(at),
        }
        .to_string();
        assert!(
            text.contains("daily limit") && text.contains("2026-11-26 00:00:00 UTC"),
            "{text}"
        );
    }
}
