//! Reading Zoom's answers: JSON bodies, 429s (per-second or daily, and when to come back) and
//! error bodies decoded into [`ZoomError`]s.

use std::time::Duration;

use bytes::Bytes;
use jiff::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{ApiErrorBody, AuthProblem, Missing, ZoomError};

/// How a call with a valid token failed, for `ZoomClient::within_rate_limits`.
pub(super) enum Limited {
    /// A per-second 429, with the wait Zoom asked for if it said.
    PerSecond(Option<Duration>),
    Error(ZoomError),
}

/// `value` as JSON, for a request body.
pub(crate) fn json_body(value: &impl Serialize) -> Result<Bytes, ZoomError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| ZoomError::Invalid {
            message: e.to_string(),
            errors: Vec::new(),
        })
}

/// An answer's body as a `T`, or [`ZoomError::Unreadable`].
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ZoomError> {
    serde_json::from_slice(body).map_err(|e| {
        // Not `{e}`: serde quotes the offending value, and values can be secrets.
        ZoomError::Unreadable(format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

/// Classifies a 429: the daily limit is an error (`Err`), a per-second limit a wait (`Ok`).
pub(super) fn rate_limit(headers: &HeaderMap, error: &ApiErrorBody) -> Result<Limited, ZoomError> {
    let now = Timestamp::now();
    let retry_at = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    let kind = headers
        .get("x-ratelimit-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let daily = kind.to_ascii_lowercase().contains("daily")
        || error
            .message
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().contains("daily"));
    if daily {
        return Err(ZoomError::RateLimited {
            daily: true,
            retry_at: Some(retry_at.unwrap_or_else(|| next_utc_midnight(now))),
        });
    }
    // A Retry-After in the past (clock skew) means "now", not "that long".
    let wait = retry_at.map(|at| {
        at.duration_since(now)
            .max(jiff::SignedDuration::ZERO)
            .unsigned_abs()
    });
    Ok(Limited::PerSecond(wait))
}

/// Retry-After as delay seconds, an HTTP date, or the RFC 3339 instant Zoom sends for daily limits.
pub(crate) fn parse_retry_after(value: &str, now: Timestamp) -> Option<Timestamp> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u32>() {
        return now
            .checked_add(jiff::SignedDuration::from_secs(i64::from(secs)))
            .ok();
    }
    value
        .parse::<Timestamp>()
        .ok()
        .or_else(|| jiff::fmt::rfc2822::parse(value).ok().map(|z| z.timestamp()))
}

fn next_utc_midnight(now: Timestamp) -> Timestamp {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    today
        .tomorrow()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
        .map_or(now, |z| z.timestamp())
}

pub(super) fn decode_error(status: StatusCode, error: ApiErrorBody) -> ZoomError {
    let message = error
        .message
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    if message.contains("does not contain scopes") || error.code == Some(4711) {
        return ZoomError::Auth(AuthProblem::MissingScopes(message));
    }
    match (status, error.code) {
        (StatusCode::NOT_FOUND, Some(1001)) => ZoomError::NotFound(Missing::User(message)),
        (StatusCode::NOT_FOUND, Some(3001)) => ZoomError::NotFound(Missing::Meeting(message)),
        (StatusCode::BAD_REQUEST, Some(300)) => ZoomError::Invalid {
            message,
            errors: error.errors,
        },
        (StatusCode::UNAUTHORIZED, _) => ZoomError::Auth(AuthProblem::Other {
            status: 401,
            error: error.code.map(|c| c.to_string()).unwrap_or_default(),
            reason: message,
        }),
        _ => ZoomError::Api {
            status: status.as_u16(),
            code: error.code,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-25T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn retry_after_reads_seconds_http_dates_and_rfc3339() {
        assert_eq!(
            parse_retry_after("3", now()),
            Some("2026-11-25T10:00:03Z".parse().unwrap())
        );
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 10:00:05 GMT", now()),
            Some("2026-11-25T10:00:05Z".parse().unwrap())
        );
        assert_eq!(
            parse_retry_after("2026-11-26T00:00:00Z", now()),
            Some("2026-11-26T00:00:00Z".parse().unwrap())
        );
        assert_eq!(parse_retry_after("soon", now()), None);
    }

    #[test]
    fn the_daily_limit_resets_at_the_next_utc_midnight() {
        assert_eq!(
            next_utc_midnight(now()),
            "2026-11-26T00:00:00Z".parse().unwrap()
        );
    }

    #[test]
    fn zoom_error_codes_become_typed_errors() {
        let body = |s: &str| ApiErrorBody::parse(s.as_bytes());
        assert!(matches!(
            decode_error(
                StatusCode::NOT_FOUND,
                body(r#"{"code":3001,"message":"Meeting does not exist: 1."}"#)
            ),
            ZoomError::NotFound(Missing::Meeting(_))
        ));
        assert!(matches!(
            decode_error(
                StatusCode::NOT_FOUND,
                body(r#"{"code":1001,"message":"User does not exist: x."}"#)
            ),
            ZoomError::NotFound(Missing::User(_))
        ));
        let invalid = decode_error(
            StatusCode::BAD_REQUEST,
            body(
                r#"{"code":300,"message":"Validation Failed.","errors":[{"field":"topic","message":"too long"}]}"#,
            ),
        );
        assert!(
            matches!(&invalid, ZoomError::Invalid { errors, .. } if errors[0].field == "topic")
        );
        assert!(matches!(
            decode_error(
                StatusCode::BAD_REQUEST,
                body(
                    r#"{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:write:meeting:admin]"}"#
                )
            ),
            ZoomError::Auth(AuthProblem::MissingScopes(_))
        ));
        assert!(matches!(
            decode_error(StatusCode::BAD_GATEWAY, body("<html>")),
            ZoomError::Api {
                status: 502,
                code: None,
                ..
            }
        ));
    }
}
