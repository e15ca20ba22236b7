//! The transport every Zoom call goes through: one pooled HTTP client, bearer tokens from the
//! [`TokenProvider`], Zoom's error bodies decoded, 429s waited out or reported, and transient
//! failures of idempotent requests retried with backoff.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

use super::auth::{Credentials, Token, TokenProvider};
use super::error::{ApiErrorBody, AuthProblem, Missing, ZoomError};
use super::transport_error;
use crate::config::ZoomConfig;
use crate::metrics::Metrics;

/// How long and how often the client retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// The most time spent waiting out per-second 429s for one call.
    pub max_rate_limit_wait: Duration,
    /// Attempts for a call whose failures are transient (5xx, transport), first one included.
    pub max_attempts: u32,
    /// The first backoff; it doubles per attempt, with jitter.
    pub base_backoff: Duration,
    /// The longest single backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_rate_limit_wait: Duration::from_secs(10),
            max_attempts: 4,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`: exponential, capped, with jitter in [½, 1] of it.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_backoff);
        let jitter = RandomState::new().hash_one(attempt) % 1000;
        cap / 2 + cap / 2 * u32::try_from(jitter).unwrap_or(0) / 1000
    }
}

/// A Zoom API client: cheap to share behind an `Arc`, safe to call from many tasks at once.
#[derive(Debug)]
pub struct ZoomClient {
    http: reqwest::Client,
    api_base: String,
    host_user: String,
    allowed_host_users: Vec<String>,
    auth: TokenProvider,
    policy: RetryPolicy,
    /// Creates of the same host, topic and start are serialised through one of these, so an
    /// ambiguous create can never adopt a twin that a concurrent request is creating.
    create_stripes: Vec<tokio::sync::Mutex<()>>,
    /// Meetings this process created or adopted: never adopted a second time.
    pub(crate) issued: super::meetings::Issued,
    metrics: Option<Arc<Metrics>>,
}

/// How many create stripes: enough that unrelated creates rarely wait for each other.
const CREATE_STRIPES: usize = 1024;

/// A request, kept so that it can be sent again.
pub(crate) struct Call<'a> {
    pub method: Method,
    /// The path's template, like `/meetings/{meetingId}`: the metrics' label, whose values must
    /// not grow with ids.
    pub endpoint: &'static str,
    pub path: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    pub body: Option<Vec<u8>>,
}

impl<'a> Call<'a> {
    /// A `method` request to `path`, an instance of `endpoint`, without query or body.
    pub fn new(method: Method, endpoint: &'static str, path: &'a str) -> Self {
        Self {
            method,
            endpoint,
            path,
            query: &[],
            body: None,
        }
    }

    /// With `query`.
    pub fn query(self, query: &'a [(&'a str, &'a str)]) -> Self {
        Self { query, ..self }
    }

    /// With a JSON `body`.
    pub fn body(self, body: Vec<u8>) -> Self {
        Self {
            body: Some(body),
            ..self
        }
    }
}

impl ZoomClient {
    /// A client for the account and endpoints in `config`.
    pub fn new(config: &ZoomConfig) -> Result<Self, ZoomError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("zoombot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| transport_error(&e))?;
        let credentials = Credentials {
            account_id: config.account_id.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
        };
        Ok(Self {
            auth: TokenProvider::new(http.clone(), config.oauth_url.clone(), credentials),
            http,
            api_base: config.api_base.clone(),
            host_user: config.host_user.clone(),
            allowed_host_users: config.allowed_host_users.clone(),
            policy: RetryPolicy::default(),
            create_stripes: (0..CREATE_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            issued: super::meetings::Issued::default(),
            metrics: None,
        })
    }

    /// Records request latencies, 429s and token fetches in `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.auth.set_metrics(Arc::clone(&metrics));
        self.metrics = Some(metrics);
        self
    }

    /// Replaces the retry policy.
    #[must_use]
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The Zoom user meetings are created under by default (`ZOOM_HOST_USER`).
    pub fn host_user(&self) -> &str {
        &self.host_user
    }

    /// Whether a server may have its meetings created under `user`: the default host user, or
    /// one the operator listed in `ZOOM_HOST_USERS` (`*` for any). Emails compare without case.
    pub fn may_host(&self, user: &str) -> bool {
        std::iter::once(&self.host_user)
            .chain(&self.allowed_host_users)
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(user))
    }

    /// The lock that serialises creates that look alike (same `key`).
    pub(crate) fn create_stripe(&self, key: &impl std::hash::Hash) -> &tokio::sync::Mutex<()> {
        // A fixed hasher: the same key must always map to the same stripe within this process.
        let hash =
            std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                .hash_one(key);
        let index = usize::try_from(hash % CREATE_STRIPES as u64).unwrap_or(0);
        &self.create_stripes[index]
    }

    /// The token provider, for `doctor` and metrics.
    pub fn tokens(&self) -> &TokenProvider {
        &self.auth
    }

    /// Sends `call` and returns the body of a 2xx answer. Idempotent methods are retried on
    /// transient failures; a POST only when it cannot have reached Zoom.
    pub(crate) async fn execute(&self, call: &Call<'_>) -> Result<bytes::Bytes, ZoomError> {
        let idempotent = call.method != Method::POST;
        let url = format!("{}{}", self.api_base, call.path);
        let mut failures = 0;
        let mut rate_limit_waited = Duration::ZERO;
        let mut refreshed = false;
        loop {
            let outcome = self.attempt(call, &url).await;
            let err = match outcome {
                Ok(body) => return Ok(body),
                Err(Failure::TokenRejected(token)) if !refreshed => {
                    refreshed = true;
                    self.auth.invalidate(&token);
                    continue;
                }
                Err(Failure::TokenRejected(_)) => ZoomError::Auth(AuthProblem::Other {
                    status: 401,
                    error: "124".to_owned(),
                    reason: "a freshly issued token was rejected".to_owned(),
                }),
                Err(Failure::PerSecondLimit(wait)) => {
                    let wait = wait.unwrap_or_else(|| self.policy.backoff(1));
                    if rate_limit_waited + wait <= self.policy.max_rate_limit_wait {
                        rate_limit_waited += wait;
                        tracing::debug!(
                            wait_ms = wait.as_millis(),
                            path = call.path,
                            "Zoom rate limit: waiting"
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    ZoomError::RateLimited {
                        daily: false,
                        retry_at: jiff::SignedDuration::try_from(wait)
                            .ok()
                            .and_then(|w| Timestamp::now().checked_add(w).ok()),
                    }
                }
                Err(Failure::Error(err)) => err,
            };
            failures += 1;
            // A failure that cannot have reached Zoom is safe to retry whatever the method.
            let retryable = err.is_transient() && (idempotent || !err.is_ambiguous());
            if !retryable || failures >= self.policy.max_attempts {
                return Err(err);
            }
            let wait = self.policy.backoff(failures);
            tracing::debug!(error = %err, wait_ms = wait.as_millis(), path = call.path, "Zoom call failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, call: &Call<'_>, url: &str) -> Result<bytes::Bytes, Failure> {
        let token = self.auth.token().await?;
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .bearer_auth(token.value.expose())
            .query(call.query);
        if let Some(body) = &call.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let started = tokio::time::Instant::now();
        let answer = async {
            let response = request.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;
        if let Some(metrics) = &self.metrics {
            let status = answer
                .as_ref()
                .map_or_else(|_| "error".to_owned(), |(s, ..)| s.as_u16().to_string());
            let endpoint = format!("{} {}", call.method, call.endpoint);
            metrics
                .zoom_request_seconds
                .observe(&[&endpoint, &status], started.elapsed());
        }
        let (status, headers, body) = answer.map_err(|e| transport_error(&e))?;
        if status.is_success() {
            return Ok(body);
        }
        let error = ApiErrorBody::parse(&body);
        Err(match status {
            StatusCode::UNAUTHORIZED if error.code == Some(124) => Failure::TokenRejected(token),
            StatusCode::TOO_MANY_REQUESTS => {
                let limit = rate_limit(&headers, &error);
                if let Some(metrics) = &self.metrics {
                    let kind = if limit.is_err() {
                        "daily"
                    } else {
                        "per_second"
                    };
                    metrics.zoom_rate_limited.inc(&[kind]);
                }
                limit?
            }
            _ => Failure::Error(decode_error(status, error)),
        })
    }
}

/// An attempt's failure, before the retry decision.
enum Failure {
    TokenRejected(Arc<Token>),
    PerSecondLimit(Option<Duration>),
    Error(ZoomError),
}

impl From<ZoomError> for Failure {
    fn from(err: ZoomError) -> Self {
        Self::Error(err)
    }
}

/// Classifies a 429: the daily limit is an error (`Err`), a per-second limit a wait (`Ok`).
fn rate_limit(headers: &HeaderMap, error: &ApiErrorBody) -> Result<Failure, ZoomError> {
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
    Ok(Failure::PerSecondLimit(wait))
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

fn decode_error(status: StatusCode, error: ApiErrorBody) -> ZoomError {
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
    fn backoff_grows_and_stays_within_its_cap() {
        let policy = RetryPolicy::default();
        for attempt in 1..10 {
            let d = policy.backoff(attempt);
            assert!(d <= policy.max_backoff, "{d:?}");
            let full = policy
                .base_backoff
                .saturating_mul(1 << (attempt - 1))
                .min(policy.max_backoff);
            assert!(d >= full / 2, "attempt {attempt}: {d:?} < half of {full:?}");
        }
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
