//! Zoom's user-level OAuth for the operator's user-managed app: a member links their own Zoom
//! account (authorization code with PKCE), and the bot keeps the rotating refresh token.
//!
//! Tokens, codes and verifiers travel only in form bodies and headers, never in URLs (Zoom
//! rejects tokens in query strings since 2023, and URLs end up in logs), and no error text
//! carries them.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::{OAuthErrorBody, ZoomError};
use super::transport_error;
use crate::secret::Secret;

/// Letters, digits and `-._` stay; everything else in a query value is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');

/// The operator's user-managed Zoom app (`ZOOM_USER_CLIENT_ID` / `ZOOM_USER_CLIENT_SECRET`).
#[derive(Debug, Clone)]
pub struct UserAppConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: Secret,
    /// The token endpoint, `ZOOM_OAUTH_URL` (e.g. `https://zoom.us/oauth/token`).
    pub token_url: String,
    /// `PUBLIC_URL` + `/zoom/oauth/callback`, as registered in the app.
    pub redirect_uri: String,
}

impl UserAppConfig {
    /// `ZOOM_OAUTH_URL` with its last path segment replaced: `…/oauth/authorize`. Derived rather
    /// than configured, so Zoom for Government (zoomgov.com) works with the one setting.
    pub fn authorize_url(&self) -> String {
        sibling(&self.token_url, "authorize")
    }

    /// `ZOOM_OAUTH_URL` with its last path segment replaced: `…/oauth/revoke`.
    pub fn revoke_url(&self) -> String {
        sibling(&self.token_url, "revoke")
    }
}

/// `url` with its last path segment (ignoring a trailing slash) replaced by `segment`.
fn sibling(url: &str, segment: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        // Only a path segment, not the host of a URL without a path ("https://zoom.us").
        Some((base, _)) if !base.ends_with('/') => format!("{base}/{segment}"),
        _ => format!("{trimmed}/{segment}"),
    }
}

/// 32 bytes from the OS RNG, base64url without padding: 43 characters.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// PKCE (RFC 7636, S256): a random 32-byte verifier, base64url without padding (43 chars), and
/// its challenge.
#[derive(Debug)]
pub struct Pkce {
    /// Kept by the bot until the callback, then sent with the code.
    pub verifier: Secret,
    /// Sent in the authorize link.
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier and its challenge.
    pub fn generate() -> Self {
        let verifier = random_token();
        let challenge = Self::challenge_of(&verifier);
        Self {
            verifier: Secret::new(verifier),
            challenge,
        }
    }

    /// The S256 challenge of `verifier`: base64url (no padding) of its SHA-256.
    pub fn challenge_of(verifier: &str) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    }
}

/// A random single-use state value (32 bytes from the OS RNG, base64url without padding).
pub fn random_state() -> String {
    random_token()
}

/// What Zoom granted.
#[derive(Debug)]
pub struct Grant {
    /// The member's bearer token.
    pub access_token: Secret,
    /// The next refresh token: Zoom rotates it on every refresh, so the old one is spent.
    pub refresh_token: Secret,
    /// The access token's lifetime.
    pub expires_in: Duration,
    /// The scopes granted, as the token response lists them.
    pub scopes: Vec<String>,
}

/// A failed grant request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Zoom refused the code or the refresh token (`error: invalid_grant`, whatever the 4xx
    /// status): the member must link again.
    #[error(
        "Zoom no longer accepts this member's authorization ({reason}): they must link their Zoom \
         account again."
    )]
    InvalidGrant {
        /// Zoom's `reason`.
        reason: String,
    },
    /// Zoom could not be asked, or answered 5xx or something unreadable. `sent` says whether the
    /// request may have reached Zoom: a refresh that may have reached Zoom may have rotated the
    /// token.
    #[error("{}", unavailable_text(detail, *sent))]
    Unavailable {
        /// What failed, without URLs or secrets.
        detail: String,
        /// Whether the request may have reached Zoom.
        sent: bool,
    },
    /// Any other refusal (`invalid_client`: the operator's app credentials are wrong, …).
    #[error(
        "Zoom's OAuth endpoint refused the request: HTTP {status} {error}: {reason}. Check \
         ZOOM_USER_CLIENT_ID, ZOOM_USER_CLIENT_SECRET and the app's redirect URL."
    )]
    Refused {
        /// HTTP status.
        status: u16,
        /// Zoom's `error`.
        error: String,
        /// Zoom's `reason`.
        reason: String,
    },
}

fn unavailable_text(detail: &str, sent: bool) -> String {
    if sent {
        format!(
            "Zoom's OAuth endpoint gave no usable answer ({detail}); the request may have reached \
             Zoom. Try again later."
        )
    } else {
        format!("Zoom's OAuth endpoint could not be reached ({detail}). Try again later.")
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Secret,
    refresh_token: Secret,
    expires_in: u64,
    #[serde(default)]
    scope: String,
}

/// The outcome of a token request from Zoom's answer: pure, so it is tested without a server.
fn grant_from(status: u16, body: &[u8]) -> Result<Grant, GrantError> {
    if !(200..300).contains(&status) {
        return Err(refusal(status, body));
    }
    // Only the error's position: serde's message could quote the body, which holds tokens.
    let parsed: TokenResponse =
        serde_json::from_slice(body).map_err(|e| GrantError::Unavailable {
            detail: format!(
                "the token response could not be read ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
            sent: true,
        })?;
    Ok(Grant {
        access_token: parsed.access_token,
        refresh_token: parsed.refresh_token,
        expires_in: Duration::from_secs(parsed.expires_in),
        scopes: parsed.scope.split_whitespace().map(str::to_owned).collect(),
    })
}

/// A non-2xx answer as an error.
fn refusal(status: u16, body: &[u8]) -> GrantError {
    if status >= 500 {
        return GrantError::Unavailable {
            detail: format!("HTTP {status}"),
            sent: true,
        };
    }
    let body: OAuthErrorBody = serde_json::from_slice(body).unwrap_or_default();
    if body.error == "invalid_grant" {
        GrantError::InvalidGrant {
            reason: body.reason,
        }
    } else {
        GrantError::Refused {
            status,
            error: body.error,
            reason: body.reason,
        }
    }
}

/// The outcome of a revoke from Zoom's answer: a token Zoom no longer knows needs no revoking.
fn revoke_from(status: u16, body: &[u8]) -> Result<(), GrantError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    match refusal(status, body) {
        GrantError::InvalidGrant { .. } => Ok(()),
        GrantError::Refused { error, reason, .. }
            if error == "invalid_token"
                || reason.to_ascii_lowercase().contains("invalid token") =>
        {
            Ok(())
        }
        other => Err(other),
    }
}

/// A request that failed before Zoom's whole answer arrived. A connect error never left; a
/// timeout or broken connection may have reached Zoom.
fn unavailable(err: &reqwest::Error) -> GrantError {
    match transport_error(err) {
        ZoomError::Transport { detail, sent } => GrantError::Unavailable {
            detail: format!("the request {detail}"),
            sent,
        },
        other => GrantError::Unavailable {
            detail: other.to_string(),
            sent: true,
        },
    }
}

/// The user app's client.
#[derive(Debug, Clone)]
pub struct UserApp {
    http: reqwest::Client,
    config: UserAppConfig,
}

impl UserApp {
    /// A client for `config` through `http`.
    pub fn new(http: reqwest::Client, config: UserAppConfig) -> Self {
        Self { http, config }
    }

    /// The app's configuration.
    pub fn config(&self) -> &UserAppConfig {
        &self.config
    }

    /// The URL a member opens to grant the app access: the authorize endpoint with
    /// `response_type=code`, `client_id`, `redirect_uri`, `state`, `code_challenge` and
    /// `code_challenge_method=S256`, each value percent-encoded.
    pub fn authorize_link(&self, state: &str, challenge: &str) -> String {
        let pairs = [
            ("response_type", "code"),
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect::<Vec<_>>()
            .join("&");
        format!("{}?{query}", self.config.authorize_url())
    }

    /// Trades the callback's `code` for a grant (`grant_type=authorization_code`, with the PKCE
    /// `verifier`).
    pub async fn exchange(&self, code: &str, verifier: &Secret) -> Result<Grant, GrantError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("code_verifier", verifier.expose()),
        ];
        let (status, body) = self.post(&self.config.token_url, &form).await?;
        grant_from(status, &body)
    }

    /// A new grant for `refresh_token` (`grant_type=refresh_token`). Zoom rotates the refresh
    /// token: once this may have reached Zoom, only the returned one is good.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<Grant, GrantError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        let (status, body) = self.post(&self.config.token_url, &form).await?;
        grant_from(status, &body)
    }

    /// Revokes `token` (`token=…` at the revoke endpoint). Ok also when Zoom says the token is
    /// already unknown: then there is nothing to revoke.
    pub async fn revoke(&self, token: &Secret) -> Result<(), GrantError> {
        let form = [("token", token.expose())];
        let (status, body) = self.post(&self.config.revoke_url(), &form).await?;
        revoke_from(status, &body)
    }

    /// POSTs `form` to `url` with the app's Basic credentials; Zoom's status and body.
    async fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<(u16, bytes::Bytes), GrantError> {
        let response = self
            .http
            .post(url)
            .basic_auth(
                &self.config.client_id,
                Some(self.config.client_secret.expose()),
            )
            .form(form)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        let status = response.status().as_u16();
        // The answer started arriving: whatever breaks now, Zoom got the request.
        let body = response.bytes().await.map_err(|e| match unavailable(&e) {
            GrantError::Unavailable { detail, .. } => {
                GrantError::Unavailable { detail, sent: true }
            }
            other => other,
        })?;
        Ok((status, body))
    }
}

#[cfg(test)]
mod tests;
