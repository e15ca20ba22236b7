//! Zoom's user-level OAuth for a "General app" (`FakeZoom::USER_CLIENT_ID`): the authorization
//! code grant with PKCE (S256 only) and rotating refresh tokens, and what a user-level token may
//! do in the API.
//!
//! As Zoom documents it:
//! - `GET /oauth/authorize` stands for the consent page of the signed-in user (`sign_in`, default
//!   the first user); Allow (default, `set_consent`) redirects `302` to
//!   `{redirect_uri}?code=…&state=…`, Deny to `{redirect_uri}?error=access_denied&state=…`.
//! - A code is single use (the first exchange burns it, even a failing one), lives 5 minutes and is
//!   bound to the user, client, `redirect_uri` and `code_challenge`; a bad exchange is 400
//!   `{"reason":"Invalid authorization code","error":"invalid_grant"}`.
//! - Refresh tokens rotate strictly: only the grant's latest refresh token refreshes; each refresh
//!   issues a new access and refresh token, the old refresh token is dead at once (the old access
//!   token lives until it expires). Anything else is 400
//!   `{"reason":"Invalid Token!","error":"invalid_grant"}`.
//!
//! Where Zoom is silent, the fake chooses:
//! - The authorize endpoint's own errors (bad `response_type`, unknown client, missing
//!   `redirect_uri` or `code_challenge`, a method other than `S256`, missing too) are 400 plain
//!   text; any `redirect_uri` is accepted (no allow list). Without `state` none is echoed.
//! - One grant per user (one user app): a new code exchange for a user with a grant replaces it —
//!   the old refresh token is dead, the old access tokens live until they expire.
//! - A user-level token naming another user (`/users/{other}`, `/users/{other}/meetings`) gets 404
//!   code 1001 "User does not exist", as an unknown user does; a meeting of another host is 404
//!   code 3001, as an unknown meeting. `schedule_for` is not restricted.
//! - The user client with `account_credentials` is 400 `unsupported_grant_type`; a wrong user
//!   client secret is 401 `invalid_client`. User-client token requests are not counted in
//!   `token_requests` and ignore `set_token_failure` (they have their own switches).
//! - `POST /oauth/revoke` of an unknown or already revoked token answers 200
//!   `{"status":"success"}` too (as RFC 7009 says) and is not counted in `revocations`; a missing
//!   `token` is 400 `invalid_request`. `remove_app` is not counted in `revocations` either.
//! - `code_exchanges` counts accepted exchanges; `user_refresh_requests` counts every
//!   `refresh_token` request, those answered by `set_user_token_failure` included.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::{
    Endpoint, FakeZoom, Inner, empty, lock, meeting_not_found, oauth_error, parse_pairs, read,
    respond, user_not_found, write,
};

/// How long an authorization code may be exchanged.
const CODE_TTL: Duration = Duration::from_secs(300);

/// The user app's state, kept in `Inner`.
pub(super) struct UserOAuth {
    state: Mutex<State>,
    consent: AtomicBool,
    ttl: AtomicU64,
    latency_ns: AtomicU64,
    /// `set_user_token_failure`: the status, 0 for none.
    failure: AtomicU64,
}

impl Default for UserOAuth {
    fn default() -> Self {
        UserOAuth {
            state: Mutex::new(State::default()),
            consent: AtomicBool::new(true),
            ttl: AtomicU64::new(3600),
            latency_ns: AtomicU64::new(0),
            failure: AtomicU64::new(0),
        }
    }
}

#[derive(Default)]
struct State {
    signed_in: Option<Arc<str>>,
    codes: HashMap<String, Code>,
    /// Per user: the one grant of the user app.
    grants: HashMap<Arc<str>, Grant>,
    refreshes: HashMap<Arc<str>, usize>,
    refresh_requests: usize,
    invalid_grants: usize,
    code_exchanges: usize,
    revocations: usize,
}

struct Code {
    user: Arc<str>,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    expires_at: Instant,
}

struct Grant {
    refresh_token: String,
    access_tokens: Vec<String>,
}

impl FakeZoom {
    /// The user-level ("General") app's client id.
    pub const USER_CLIENT_ID: &str = "user-client-id";
    /// The user-level app's client secret.
    pub const USER_CLIENT_SECRET: &str = "user-client-secret";
    /// The `scope` of user-level tokens (granular, not `:admin`).
    pub const USER_SCOPES: &str = "meeting:write:meeting meeting:read:meeting \
         meeting:read:list_meetings meeting:update:meeting meeting:delete:meeting user:read:user";

    /// The consent page, `url() + "/oauth/authorize"`.
    pub fn authorize_base(&self) -> String {
        format!("{}/oauth/authorize", self.url)
    }

    /// The revoke endpoint, `url() + "/oauth/revoke"`.
    pub fn revoke_url(&self) -> String {
        format!("{}/oauth/revoke", self.url)
    }

    /// The user (added with `add_user`, or the default one) who consents on the next authorize.
    ///
    /// # Panics
    /// When no such user exists.
    pub fn sign_in(&self, user_id: &str) {
        let user = self
            .inner
            .find_user(user_id)
            .unwrap_or_else(|| panic!("fake zoom: sign_in: no user {user_id}"));
        lock(&self.inner.user_oauth.state).signed_in = Some(Arc::clone(&user.id));
    }

    /// Whether the signed-in user clicks Allow (default) or Deny on the consent page.
    pub fn set_consent(&self, allow: bool) {
        self.inner.user_oauth.consent.store(allow, Relaxed);
    }

    /// While `Some(status)`, user-client token requests answer it with an empty body, nothing done.
    pub fn set_user_token_failure(&self, status: Option<u16>) {
        self.inner
            .user_oauth
            .failure
            .store(status.map_or(0, u64::from), Relaxed);
    }

    /// Extra delay for user-client token requests, after the grant's change is made and before
    /// the answer leaves.
    pub fn set_user_token_latency(&self, d: Duration) {
        self.inner
            .user_oauth
            .latency_ns
            .store(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }

    /// `expires_in` of user access tokens issued from now on (default 3600).
    pub fn set_user_token_ttl(&self, secs: u64) {
        self.inner.user_oauth.ttl.store(secs, Relaxed);
    }

    /// The member removed the app in Zoom: their grant is revoked as by `/oauth/revoke` (not
    /// counted in `revocations`). Send the deauthorization webhook yourself.
    pub fn remove_app(&self, user_id: &str) {
        let mut state = lock(&self.inner.user_oauth.state);
        revoke_grant(&self.inner, &mut state, user_id);
    }

    /// The user's access tokens expire now (401 code 124 "Access token is expired.").
    pub fn expire_user_tokens(&self, user_id: &str) {
        let now = Instant::now();
        for info in write(&self.inner.tokens).values_mut() {
            if info.user.as_deref() == Some(user_id) {
                info.expires_at = info.expires_at.min(now);
            }
        }
    }

    /// Accepted refresh grants for this user.
    pub fn user_refreshes(&self, user_id: &str) -> usize {
        let state = lock(&self.inner.user_oauth.state);
        state.refreshes.get(user_id).copied().unwrap_or(0)
    }

    /// Every `refresh_token` grant request of the user client, failed ones included.
    pub fn user_refresh_requests(&self) -> usize {
        lock(&self.inner.user_oauth.state).refresh_requests
    }

    /// Token requests answered `invalid_grant` (both grants).
    pub fn invalid_grants(&self) -> usize {
        lock(&self.inner.user_oauth.state).invalid_grants
    }

    /// Accepted authorization-code exchanges.
    pub fn code_exchanges(&self) -> usize {
        lock(&self.inner.user_oauth.state).code_exchanges
    }

    /// `/oauth/revoke` requests that revoked a grant.
    pub fn revocations(&self) -> usize {
        lock(&self.inner.user_oauth.state).revocations
    }

    /// The user's grant's one valid refresh token; `None` without a grant (or once revoked).
    pub fn current_refresh_token(&self, user_id: &str) -> Option<String> {
        let state = lock(&self.inner.user_oauth.state);
        state.grants.get(user_id).map(|g| g.refresh_token.clone())
    }

    /// A user-level access token of the user's that the API accepts now, if any.
    pub fn user_access_token(&self, user_id: &str) -> Option<String> {
        let now = Instant::now();
        read(&self.inner.tokens)
            .iter()
            .find(|(_, t)| t.user.as_deref() == Some(user_id) && t.expires_at > now)
            .map(|(token, _)| token.clone())
    }

    /// Whether the user holds a user-level access token that the API accepts now.
    pub fn user_access_tokens_valid(&self, user_id: &str) -> bool {
        let now = Instant::now();
        read(&self.inner.tokens)
            .values()
            .any(|t| t.user.as_deref() == Some(user_id) && t.expires_at > now)
    }
}

fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Whether a token request comes from the user app (by its client id).
pub(super) fn is_user_client(parts: &Parts) -> bool {
    basic_credentials(parts).is_some_and(|(id, _)| id == FakeZoom::USER_CLIENT_ID)
}

fn user_client_ok(parts: &Parts) -> bool {
    basic_credentials(parts).is_some_and(|(id, secret)| {
        id == FakeZoom::USER_CLIENT_ID && secret == FakeZoom::USER_CLIENT_SECRET
    })
}

fn params_of(parts: &Parts, body: &[u8]) -> Vec<(String, String)> {
    let mut params = parse_pairs(parts.uri.query().unwrap_or_default().as_bytes());
    params.extend(parse_pairs(body));
    params
}

fn find<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut resp = Response::new(axum::body::Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=UTF-8"),
    );
    resp
}

/// `GET /oauth/authorize`: the signed-in user's consent, answered as the browser's redirect.
pub(super) fn authorize(inner: &Inner, parts: &Parts) -> Response {
    if parts.method != Method::GET {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let params = parse_pairs(parts.uri.query().unwrap_or_default().as_bytes());
    let param = |name| find(&params, name);
    if param("response_type") != Some("code") {
        return plain(StatusCode::BAD_REQUEST, "Invalid response_type.");
    }
    if param("client_id") != Some(FakeZoom::USER_CLIENT_ID) {
        return plain(StatusCode::BAD_REQUEST, "Invalid client_id.");
    }
    let Some(redirect_uri) = param("redirect_uri") else {
        return plain(StatusCode::BAD_REQUEST, "Invalid redirect_uri.");
    };
    let Some(challenge) = param("code_challenge") else {
        return plain(StatusCode::BAD_REQUEST, "Missing code_challenge.");
    };
    if param("code_challenge_method") != Some("S256") {
        return plain(StatusCode::BAD_REQUEST, "Invalid code_challenge_method.");
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    if inner.user_oauth.consent.load(Relaxed) {
        let mut state = lock(&inner.user_oauth.state);
        let user = match &state.signed_in {
            Some(user) => Arc::clone(user),
            None => match read(&inner.users).first() {
                Some(user) => Arc::clone(&user.id),
                None => return plain(StatusCode::BAD_REQUEST, "No user signed in."),
            },
        };
        let code = inner.alnum(32);
        state.codes.insert(
            code.clone(),
            Code {
                user,
                client_id: FakeZoom::USER_CLIENT_ID.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                challenge: challenge.to_owned(),
                expires_at: Instant::now() + CODE_TTL,
            },
        );
        query.append_pair("code", &code);
    } else {
        query.append_pair("error", "access_denied");
    }
    if let Some(state) = params.iter().find(|(k, _)| k == "state") {
        query.append_pair("state", &state.1);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{}", query.finish());
    let mut resp = empty(StatusCode::FOUND);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

fn invalid_code() -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "Invalid authorization code",
        "invalid_grant",
    )
}

fn invalid_refresh() -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "Invalid Token!", "invalid_grant")
}

/// RFC 7636 S256: `BASE64URL-NOPAD(SHA256(verifier))`.
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `POST /oauth/token` from the user client.
pub(super) async fn token(inner: &Inner, parts: &Parts, body: &Bytes) -> Response {
    let answer = token_now(inner, parts, body);
    let latency = inner.user_oauth.latency_ns.load(Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_nanos(latency)).await;
    }
    answer
}

fn token_now(inner: &Inner, parts: &Parts, body: &Bytes) -> Response {
    let params = params_of(parts, body);
    let grant_type = find(&params, "grant_type");
    let oauth = &inner.user_oauth;
    if grant_type == Some("refresh_token") {
        lock(&oauth.state).refresh_requests += 1;
    }
    let failure = oauth.failure.load(Relaxed);
    if failure != 0 {
        return empty(super::status_of(u16::try_from(failure).unwrap_or(500)));
    }
    if parts.method != Method::POST {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    if !user_client_ok(parts) {
        return super::invalid_client();
    }
    match grant_type {
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "Missing grant type",
            "invalid_request",
        ),
        Some("authorization_code") => exchange(inner, &params),
        Some("refresh_token") => refresh(inner, find(&params, "refresh_token")),
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "Unsupported grant type",
            "unsupported_grant_type",
        ),
    }
}

fn exchange(inner: &Inner, params: &[(String, String)]) -> Response {
    let mut state = lock(&inner.user_oauth.state);
    // Burnt by the first attempt, whatever its outcome.
    let code = find(params, "code").and_then(|c| state.codes.remove(c));
    let valid = code.filter(|c| {
        Instant::now() < c.expires_at
            && c.client_id == FakeZoom::USER_CLIENT_ID
            && find(params, "redirect_uri") == Some(c.redirect_uri.as_str())
            && find(params, "code_verifier").is_some_and(|v| s256(v) == c.challenge)
    });
    let Some(code) = valid else {
        state.invalid_grants += 1;
        return invalid_code();
    };
    // One grant per user and app: a new one replaces the old (its access tokens live on).
    state.grants.remove(&code.user);
    state.code_exchanges += 1;
    let (access_token, refresh_token) = issue(inner, &mut state, &code.user);
    token_answer(inner, &access_token, &refresh_token)
}

fn refresh(inner: &Inner, presented: Option<&str>) -> Response {
    let mut state = lock(&inner.user_oauth.state);
    let user = presented.and_then(|token| {
        state
            .grants
            .iter()
            .find(|(_, g)| g.refresh_token == token)
            .map(|(user, _)| Arc::clone(user))
    });
    let Some(user) = user else {
        state.invalid_grants += 1;
        return invalid_refresh();
    };
    *state.refreshes.entry(Arc::clone(&user)).or_default() += 1;
    let (access_token, refresh_token) = issue(inner, &mut state, &user);
    token_answer(inner, &access_token, &refresh_token)
}

/// A new access token and the grant's new (only valid) refresh token.
fn issue(inner: &Inner, state: &mut State, user: &Arc<str>) -> (String, String) {
    let ttl = Duration::from_secs(inner.user_oauth.ttl.load(Relaxed));
    let access_token = inner.issue_token_as(
        ttl,
        Arc::from(FakeZoom::USER_SCOPES),
        Some(Arc::clone(user)),
    );
    let refresh_token = inner.token_string();
    let grant = state.grants.entry(Arc::clone(user)).or_insert(Grant {
        refresh_token: String::new(),
        access_tokens: Vec::new(),
    });
    grant.refresh_token.clone_from(&refresh_token);
    grant.access_tokens.push(access_token.clone());
    (access_token, refresh_token)
}

fn token_answer(inner: &Inner, access_token: &str, refresh_token: &str) -> Response {
    respond(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "token_type": "bearer",
            "refresh_token": refresh_token,
            "expires_in": inner.user_oauth.ttl.load(Relaxed),
            "scope": FakeZoom::USER_SCOPES,
            "api_url": inner.url,
        }),
    )
}

/// Ends a user's grant: its access tokens stop working, its refresh token is invalid. Whether
/// there was one.
fn revoke_grant(inner: &Inner, state: &mut State, user: &str) -> bool {
    let Some(grant) = state.grants.remove(user) else {
        return false;
    };
    let mut tokens = write(&inner.tokens);
    for token in &grant.access_tokens {
        tokens.remove(token);
    }
    true
}

/// `POST /oauth/revoke`: the grant the token (access or refresh) belongs to ends.
pub(super) fn revoke(inner: &Inner, parts: &Parts, body: &Bytes) -> Response {
    if parts.method != Method::POST {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    if !user_client_ok(parts) {
        return super::invalid_client();
    }
    let params = params_of(parts, body);
    let Some(token) = find(&params, "token") else {
        return oauth_error(StatusCode::BAD_REQUEST, "Missing token", "invalid_request");
    };
    let mut state = lock(&inner.user_oauth.state);
    let user = state
        .grants
        .iter()
        .find(|(_, g)| g.refresh_token == token || g.access_tokens.iter().any(|a| a == token))
        .map(|(user, _)| Arc::clone(user));
    if let Some(user) = user
        && revoke_grant(inner, &mut state, &user)
    {
        state.revocations += 1;
    }
    respond(StatusCode::OK, &json!({ "status": "success" }))
}

/// What a request of a user-level token acting as `user` may touch: the path parameter to use
/// (`me` and the user's own id or email become the id), or the refusal.
pub(super) fn act_as(
    inner: &Inner,
    user: &str,
    endpoint: Endpoint,
    param: String,
) -> Result<String, Box<Response>> {
    match endpoint {
        Endpoint::Create | Endpoint::List | Endpoint::GetUser => {
            let own = param == "me"
                || inner
                    .find_user(&param)
                    .is_some_and(|found| &*found.id == user);
            if own {
                Ok(user.to_owned())
            } else {
                Err(Box::new(user_not_found(&param)))
            }
        }
        Endpoint::Get | Endpoint::Update | Endpoint::Delete => {
            let store = lock(&inner.store);
            let host = param
                .parse::<i64>()
                .ok()
                .and_then(|n| store.meetings.get(&n))
                .map(|m| Arc::clone(&m.host_id));
            drop(store);
            if host.as_deref() == Some(user) {
                Ok(param)
            } else {
                Err(Box::new(meeting_not_found(&param)))
            }
        }
    }
}
