//! The transport every Zoom call goes through: one pooled HTTP client, bearer tokens from the
//! [`TokenProvider`], Zoom's error bodies decoded, and three retry policies as separate steps,
//! innermost first: [`ZoomClient::with_fresh_token`] (a token Zoom rejects is replaced, once),
//! [`ZoomClient::within_rate_limits`] (per-second 429s are waited out, within a budget) and
//! [`ZoomClient::execute`] (transient failures retried with backoff — a POST only when it cannot
//! have reached Zoom). One request helper per verb sits on top.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use backon::Retryable;
use bytes::Bytes;
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::answer::{Limited, decode_error, json_body, parse, rate_limit};
use super::auth::{Bearer, Credentials, Token, TokenProvider};
use super::error::{ApiErrorBody, AuthProblem, ZoomError};
pub use super::retry::RetryPolicy;
use super::transport_error;
use crate::config::{IDLE_CONNECTIONS_PER_HOST, ZoomConfig};
use crate::metrics::Metrics;

/// A Zoom API client: cheap to share behind an `Arc`, safe to call from many tasks at once.
#[derive(Debug)]
pub struct ZoomClient {
    http: reqwest::Client,
    api_base: String,
    host_user: String,
    allowed_host_users: Vec<String>,
    auth: Arc<TokenProvider>,
    /// A member's own tokens, for a client acting as that member ([`ZoomClient::acting_as`]);
    /// `None`: the Server-to-Server app's.
    member: Option<Arc<dyn Bearer>>,
    policy: RetryPolicy,
    /// Creates of the same host, topic and start are serialised through one of these, so an
    /// ambiguous create can never adopt a twin that a concurrent request is creating.
    create_stripes: Arc<[tokio::sync::Mutex<()>]>,
    /// Meetings this process created or adopted: never adopted a second time.
    pub(crate) issued: Arc<super::meetings::Issued>,
    metrics: Option<Arc<Metrics>>,
}

/// How many create stripes: enough that unrelated creates rarely wait for each other.
const CREATE_STRIPES: usize = 1024;

/// A request, kept so that it can be sent again.
struct Call<'a> {
    method: Method,
    /// The path's template, like `/meetings/{meetingId}`: the metrics' label, whose values must
    /// not grow with ids.
    endpoint: &'static str,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    body: Option<Bytes>,
}

/// What one call has spent, across all its attempts, of its single token refresh and of its
/// budget for per-second 429 waits.
#[derive(Default)]
struct Spent {
    refreshed: AtomicBool,
    rate_limit_wait_us: AtomicU64,
}

impl ZoomClient {
    /// A client for the account and endpoints in `config`.
    pub fn new(config: &ZoomConfig) -> Result<Self, ZoomError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_HOST)
            .user_agent(concat!("zoombot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| transport_error(&e))?;
        let credentials = Credentials {
            account_id: config.account_id.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
        };
        Ok(Self {
            auth: Arc::new(TokenProvider::new(
                http.clone(),
                config.oauth_url.clone(),
                credentials,
            )),
            member: None,
            http,
            api_base: config.api_base.clone(),
            host_user: config.host_user.clone(),
            allowed_host_users: config.allowed_host_users.clone(),
            policy: RetryPolicy::default(),
            create_stripes: (0..CREATE_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            issued: Arc::default(),
            metrics: None,
        })
    }

    /// Records request latencies, 429s and token fetches in `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        if let Some(auth) = Arc::get_mut(&mut self.auth) {
            auth.set_metrics(Arc::clone(&metrics));
        }
        self.metrics = Some(metrics);
        self
    }

    /// The same client acting as a member through their own tokens: their `me` is the host, and
    /// the connection pool, create locks and metrics are shared with this one.
    #[must_use]
    pub fn acting_as(&self, member: Arc<dyn Bearer>) -> Self {
        Self {
            http: self.http.clone(),
            api_base: self.api_base.clone(),
            host_user: "me".to_owned(),
            allowed_host_users: Vec::new(),
            auth: Arc::clone(&self.auth),
            member: Some(member),
            policy: self.policy.clone(),
            create_stripes: Arc::clone(&self.create_stripes),
            issued: Arc::clone(&self.issued),
            metrics: self.metrics.clone(),
        }
    }

    /// The HTTP client every call goes through (the member OAuth flow shares its pool).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn bearer(&self) -> &dyn Bearer {
        match &self.member {
            Some(member) => member.as_ref(),
            None => self.auth.as_ref(),
        }
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

    /// Sends a GET to `path` (an instance of `endpoint`) and reads the answer as a `T`.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ZoomError> {
        let call = Call {
            method: Method::GET,
            endpoint,
            path,
            query,
            body: None,
        };
        parse(&self.execute(&call).await?)
    }

    /// Sends `body` (JSON) to `path` in a POST and returns the answer's body unread: a create must tell an
    /// unreadable answer (Zoom made the meeting) from a failed request.
    pub(crate) async fn post(
        &self,
        endpoint: &'static str,
        path: &str,
        body: Bytes,
    ) -> Result<Bytes, ZoomError> {
        let call = Call {
            method: Method::POST,
            endpoint,
            path,
            query: &[],
            body: Some(body),
        };
        self.execute(&call).await
    }

    /// Sends `body` as JSON to `path` in a PATCH.
    pub(crate) async fn patch(
        &self,
        endpoint: &'static str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<(), ZoomError> {
        let call = Call {
            method: Method::PATCH,
            endpoint,
            path,
            query: &[],
            body: Some(json_body(body)?),
        };
        self.execute(&call).await.map(drop)
    }

    /// Sends a DELETE to `path`.
    pub(crate) async fn delete(&self, endpoint: &'static str, path: &str) -> Result<(), ZoomError> {
        let call = Call {
            method: Method::DELETE,
            endpoint,
            path,
            query: &[],
            body: None,
        };
        self.execute(&call).await.map(drop)
    }

    /// Sends `call` and returns the body of a 2xx answer, retrying transient failures with
    /// backoff: any method's that cannot have reached Zoom, and those of idempotent methods.
    /// A POST that may have reached Zoom is never sent again here (see `create_meeting_unless`).
    async fn execute(&self, call: &Call<'_>) -> Result<Bytes, ZoomError> {
        let idempotent = call.method != Method::POST;
        let url = format!("{}{}", self.api_base, call.path);
        let spent = Spent::default();
        (|| self.within_rate_limits(call, &url, &spent))
            .retry(self.policy.backoff())
            .sleep(tokio::time::sleep)
            .when(|err: &ZoomError| err.is_transient() && (idempotent || !err.is_ambiguous()))
            .notify(|err: &ZoomError, wait: Duration| {
                tracing::debug!(error = %err, wait_ms = wait.as_millis(), path = call.path, "Zoom call failed; retrying");
            })
            .await
    }

    /// Sends `call`, waiting out per-second 429s (Retry-After, else a backoff) as long as the
    /// call's waits stay within `max_rate_limit_wait`; past that, or for the daily limit, a
    /// [`ZoomError::RateLimited`].
    async fn within_rate_limits(
        &self,
        call: &Call<'_>,
        url: &str,
        spent: &Spent,
    ) -> Result<Bytes, ZoomError> {
        loop {
            let wait = match self.with_fresh_token(call, url, spent).await {
                Ok(body) => return Ok(body),
                Err(Limited::Error(err)) => return Err(err),
                Err(Limited::PerSecond(wait)) => {
                    wait.unwrap_or_else(|| self.policy.rate_limit_fallback())
                }
            };
            let waited = Duration::from_micros(spent.rate_limit_wait_us.load(Ordering::Relaxed));
            if waited + wait > self.policy.max_rate_limit_wait {
                return Err(ZoomError::RateLimited {
                    daily: false,
                    retry_at: jiff::SignedDuration::try_from(wait)
                        .ok()
                        .and_then(|w| Timestamp::now().checked_add(w).ok()),
                });
            }
            let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
            spent
                .rate_limit_wait_us
                .fetch_add(micros, Ordering::Relaxed);
            tracing::debug!(
                wait_ms = wait.as_millis(),
                path = call.path,
                "Zoom rate limit: waiting"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends `call` with a valid token. When Zoom says the token is no longer valid (401, code
    /// 124: revoked, or expired early) it is dropped and the call sent once more with a fresh
    /// one; a fresh token rejected too is an error.
    async fn with_fresh_token(
        &self,
        call: &Call<'_>,
        url: &str,
        spent: &Spent,
    ) -> Result<Bytes, Limited> {
        loop {
            let token = self.bearer().token().await.map_err(Limited::Error)?;
            match self.send(call, url, &token).await {
                Err(Failure::TokenRejected) => {
                    if spent.refreshed.swap(true, Ordering::Relaxed) {
                        return Err(Limited::Error(ZoomError::Auth(AuthProblem::Other {
                            status: 401,
                            error: "124".to_owned(),
                            reason: "a freshly issued token was rejected".to_owned(),
                        })));
                    }
                    self.bearer().invalidate(&token);
                }
                Err(Failure::Limited(limited)) => return Err(limited),
                Ok(body) => return Ok(body),
            }
        }
    }

    /// One exchange with Zoom: the request, its latency in the metrics, the answer classified.
    async fn send(&self, call: &Call<'_>, url: &str, token: &Token) -> Result<Bytes, Failure> {
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
        let (status, headers, body) = answer.map_err(|e| Failure::error(transport_error(&e)))?;
        if status.is_success() {
            return Ok(body);
        }
        let error = ApiErrorBody::parse(&body);
        Err(match status {
            StatusCode::UNAUTHORIZED if error.code == Some(124) => Failure::TokenRejected,
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
                Failure::Limited(limit.unwrap_or_else(Limited::Error))
            }
            _ => Failure::error(decode_error(status, error)),
        })
    }
}

/// How one exchange failed, for [`ZoomClient::with_fresh_token`].
enum Failure {
    /// 401 with code 124: the token is no longer valid.
    TokenRejected,
    Limited(Limited),
}

impl Failure {
    fn error(err: ZoomError) -> Self {
        Self::Limited(Limited::Error(err))
    }
}
