//! Server-to-Server OAuth tokens: fetched with the account credentials grant, cached until shortly
//! before they expire, fetched by one caller at a time however many are waiting, and dropped when
//! Zoom says a token is no longer valid (401, code 124).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::error::{OAuthErrorBody, ZoomError};
use super::transport_error;
use crate::metrics::Metrics;
use crate::secret::Secret;

/// An access token and what Zoom said about it.
#[derive(Debug)]
pub struct Token {
    /// The bearer token.
    pub value: Secret,
    /// The scopes Zoom granted, as listed in the token response.
    pub scopes: Vec<String>,
    /// The lifetime Zoom gave it.
    pub lifetime: Duration,
    refresh_at: Instant,
}

impl Token {
    /// A token to be replaced at `refresh_at` (a member's, read back from the store).
    pub fn new(
        value: Secret,
        scopes: Vec<String>,
        lifetime: Duration,
        refresh_at: Instant,
    ) -> Self {
        Self {
            value,
            scopes,
            lifetime,
            refresh_at,
        }
    }

    /// Whether it is past the time it is replaced at.
    pub fn is_due(&self) -> bool {
        Instant::now() >= self.refresh_at
    }
}

/// Where a call's bearer token comes from: the Server-to-Server provider, or a member's own
/// linked account.
#[async_trait::async_trait]
pub trait Bearer: Send + Sync + std::fmt::Debug {
    /// A token valid for a while yet.
    async fn token(&self) -> Result<Arc<Token>, ZoomError>;
    /// Zoom rejected `stale` (401, code 124): the next [`Bearer::token`] must not return it.
    fn invalidate(&self, stale: &Arc<Token>);
}

#[async_trait::async_trait]
impl Bearer for TokenProvider {
    async fn token(&self) -> Result<Arc<Token>, ZoomError> {
        TokenProvider::token(self).await
    }

    fn invalidate(&self, stale: &Arc<Token>) {
        TokenProvider::invalidate(self, stale);
    }
}

/// The account's credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Zoom account id.
    pub account_id: String,
    /// App client id.
    pub client_id: String,
    /// App client secret.
    pub client_secret: Secret,
}

/// Hands out valid tokens; see the module docs.
#[derive(Debug)]
pub struct TokenProvider {
    http: reqwest::Client,
    oauth_url: String,
    credentials: Credentials,
    cached: RwLock<Option<Arc<Token>>>,
    /// Held while a fetch is in flight: the single flight.
    fetching: tokio::sync::Mutex<()>,
    /// Bumped after every fetch, so callers that waited on a failed fetch share its error
    /// instead of each trying again in turn.
    fetches: AtomicU64,
    last_failure: Mutex<Option<ZoomError>>,
    metrics: Option<Arc<Metrics>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Secret,
    expires_in: u64,
    #[serde(default)]
    scope: String,
}

/// A failed token request: whatever happened, no API request was sent, so it is never ambiguous.
fn not_sent(err: &reqwest::Error) -> ZoomError {
    match transport_error(err) {
        ZoomError::Transport { detail, .. } => ZoomError::Transport {
            detail: format!("token request {detail}"),
            sent: false,
        },
        other => other,
    }
}

/// How long before expiry a token is replaced: a tenth of its lifetime, at most five minutes.
pub fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

impl TokenProvider {
    /// A provider that fetches from `oauth_url` through `http`.
    pub fn new(http: reqwest::Client, oauth_url: String, credentials: Credentials) -> Self {
        Self {
            http,
            oauth_url,
            credentials,
            cached: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
            last_failure: Mutex::new(None),
            metrics: None,
        }
    }

    /// Counts token requests in `metrics`.
    pub(crate) fn set_metrics(&mut self, metrics: Arc<Metrics>) {
        self.metrics = Some(metrics);
    }

    /// How many token requests this provider has sent.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// A token that is valid for a while yet, fetching one if needed.
    pub async fn token(&self) -> Result<Arc<Token>, ZoomError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.fetch_count();
        let _flight = self.fetching.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        if self.fetch_count() != seen {
            // A fetch finished while we waited and left no token: it failed; share its error.
            let failure = self
                .last_failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(err) = failure {
                return Err(err);
            }
        }
        let result = self.fetch().await.map(Arc::new);
        self.fetches.fetch_add(1, Ordering::Relaxed);
        if let Some(metrics) = &self.metrics {
            let outcome = if result.is_ok() { "ok" } else { "error" };
            metrics.zoom_token_fetches.inc(&[outcome]);
        }
        *self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = result.as_ref().err().cloned();
        if let Ok(token) = &result {
            *self.cached.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(token));
        }
        result
    }

    /// Drops `stale` if it is still the cached token (Zoom rejected it), so the next caller
    /// fetches a fresh one. Many callers may report the same token; only the first one counts.
    pub fn invalidate(&self, stale: &Arc<Token>) {
        let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
        if cached.as_ref().is_some_and(|t| Arc::ptr_eq(t, stale)) {
            *cached = None;
        }
    }

    fn fresh(&self) -> Option<Arc<Token>> {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        cached
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .cloned()
    }

    async fn fetch(&self) -> Result<Token, ZoomError> {
        let started = Instant::now();
        let response = self
            .http
            .post(&self.oauth_url)
            .basic_auth(
                &self.credentials.client_id,
                Some(self.credentials.client_secret.expose()),
            )
            .form(&[
                ("grant_type", "account_credentials"),
                ("account_id", self.credentials.account_id.as_str()),
            ])
            .send()
            .await
            .map_err(|e| not_sent(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| not_sent(&e))?;
        if status.is_server_error() {
            // No API request was sent, so nothing can have happened: not an ambiguous failure.
            return Err(ZoomError::Transport {
                detail: format!("the token endpoint answered HTTP {}", status.as_u16()),
                sent: false,
            });
        }
        if !status.is_success() {
            let problem = serde_json::from_slice::<OAuthErrorBody>(&body)
                .unwrap_or_default()
                .into_problem(status.as_u16());
            return Err(ZoomError::Auth(problem));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| ZoomError::Api {
            status: status.as_u16(),
            code: None,
            message: format!(
                "the token response could not be read ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
        })?;
        let lifetime = Duration::from_secs(parsed.expires_in);
        tracing::debug!(
            lifetime_s = parsed.expires_in,
            "fetched a Zoom access token"
        );
        Ok(Token {
            value: parsed.access_token,
            scopes: parsed.scope.split_whitespace().map(str::to_owned).collect(),
            lifetime,
            refresh_at: started + lifetime.saturating_sub(refresh_margin(lifetime)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refresh_margin_scales_with_the_lifetime() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3600)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
    }
}

/// A capability the bot needs, and the scopes that grant it.
#[derive(Debug)]
pub struct ScopeNeed {
    /// What the bot does with it.
    pub purpose: &'static str,
    /// The granular scope (apps created since 2024).
    pub granular: &'static str,
    /// The classic scope that also grants it.
    pub classic: &'static str,
}

impl ScopeNeed {
    /// Whether `scopes` (as the token response lists them) grant this need.
    pub fn granted_by(&self, scopes: &[String]) -> bool {
        scopes
            .iter()
            .any(|s| s == self.granular || s == self.classic)
    }
}

/// Every scope the bot needs, from the security requirements of Zoom's Meetings spec.
pub const REQUIRED_SCOPES: &[ScopeNeed] = &[
    ScopeNeed {
        purpose: "create meetings",
        granular: "meeting:write:meeting:admin",
        classic: "meeting:write:admin",
    },
    ScopeNeed {
        purpose: "read a meeting",
        granular: "meeting:read:meeting:admin",
        classic: "meeting:read:admin",
    },
    ScopeNeed {
        purpose: "list meetings",
        granular: "meeting:read:list_meetings:admin",
        classic: "meeting:read:admin",
    },
    ScopeNeed {
        purpose: "update meetings",
        granular: "meeting:update:meeting:admin",
        classic: "meeting:write:admin",
    },
    ScopeNeed {
        purpose: "delete meetings",
        granular: "meeting:delete:meeting:admin",
        classic: "meeting:write:admin",
    },
    ScopeNeed {
        purpose: "check the host user",
        granular: "user:read:user:admin",
        classic: "user:read:admin",
    },
];
