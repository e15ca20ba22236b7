//! A member's tokens: sealed in the store, cached in memory, refreshed by one caller at a time
//! per member however many commands wait, and written durably before a refreshed token is used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::Accounts;
use crate::ids::MemberId;
use crate::sealed::{SealError, Sealer};
use crate::secret::Secret;
use crate::store::MemberLink;
use crate::zoom::ZoomError;
use crate::zoom::auth::{Bearer, Token, refresh_margin};
use crate::zoom::user_auth::{Grant, GrantError};

/// What a link keeps sealed.
#[derive(Serialize, Deserialize)]
pub(super) struct Tokens {
    #[serde(rename = "a")]
    pub access_token: Secret,
    #[serde(rename = "r")]
    pub refresh_token: Secret,
    #[serde(rename = "s", default)]
    pub scopes: Vec<String>,
    #[serde(skip)]
    pub expires_at: Timestamp,
    #[serde(skip)]
    lifetime: Duration,
}

/// The sealed tokens' associated data: the member they belong to.
fn context(member: MemberId) -> Vec<u8> {
    format!("member-tokens:{member}").into_bytes()
}

impl Tokens {
    pub(super) fn from_grant(grant: &Grant, now: Timestamp) -> Self {
        let lifetime = grant.expires_in;
        Self {
            access_token: grant.access_token.clone(),
            refresh_token: grant.refresh_token.clone(),
            scopes: grant.scopes.clone(),
            expires_at: now + SignedDuration::try_from(lifetime).unwrap_or(SignedDuration::ZERO),
            lifetime,
        }
    }

    pub(super) fn open(sealer: &Sealer, link: &MemberLink) -> Result<Self, SealError> {
        let plain = sealer.open(&link.sealed, &context(link.member))?;
        let mut tokens: Self = serde_json::from_slice(&plain).map_err(|_| SealError::Malformed)?;
        tokens.expires_at = link.expires_at;
        tokens.lifetime = Duration::from_secs(3600);
        Ok(tokens)
    }

    pub(super) fn seal(&self, sealer: &Sealer, member: MemberId) -> String {
        // Two strings and a list: serialising into memory cannot fail.
        let plain = serde_json::to_vec(self).unwrap_or_default();
        sealer.seal(&plain, &context(member))
    }

    /// The access token as the client uses it, replaced a margin before it expires.
    pub(super) fn access_token(&self, now: Timestamp) -> Arc<Token> {
        let left = Duration::try_from(self.expires_at.duration_since(now)).unwrap_or_default();
        let refresh_in = left.saturating_sub(refresh_margin(self.lifetime));
        Arc::new(Token::new(
            self.access_token.clone(),
            self.scopes.clone(),
            self.lifetime,
            tokio::time::Instant::now() + refresh_in,
        ))
    }
}

/// The access tokens in use, and one lock per member for the single flight.
#[derive(Default)]
pub(super) struct TokenCache {
    tokens: Mutex<HashMap<MemberId, Arc<Token>>>,
    flights: Mutex<HashMap<MemberId, Arc<tokio::sync::Mutex<()>>>>,
    /// The access token Zoom rejected, per member: refreshed next if the store still holds it,
    /// however fresh it looks (many calls may report the same token; it is refreshed once).
    rejected: Mutex<HashMap<MemberId, Secret>>,
    /// A refreshed link the store refused to take (disk full): the only copy of the refresh
    /// token Zoom now accepts, written again before anything else is done for the member.
    unsaved: Mutex<HashMap<MemberId, MemberLink>>,
    /// Per member: how many refreshes were tried, and how the last one failed. The callers that
    /// waited behind a failed refresh get its error instead of each asking Zoom again in turn.
    attempts: Mutex<HashMap<MemberId, (u64, Option<ZoomError>)>>,
    /// Who this process is in the store's leases (replicas sharing a store refresh a member's
    /// token one at a time).
    owner: std::sync::OnceLock<String>,
}

/// How long a replica may hold a member's refresh lease: a refresh (with its retries) and the
/// save take well under it; one that died holding it is waited out.
const REFRESH_LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TokenCache {
    fn fresh(&self, member: MemberId) -> Option<Arc<Token>> {
        lock(&self.tokens)
            .get(&member)
            .filter(|t| !t.is_due())
            .cloned()
    }

    fn keep(&self, member: MemberId, token: &Arc<Token>) {
        lock(&self.tokens).insert(member, Arc::clone(token));
    }

    fn owner(&self) -> &str {
        self.owner.get_or_init(crate::store::transient::new_owner)
    }

    pub(super) fn forget(&self, member: MemberId) {
        lock(&self.tokens).remove(&member);
    }

    pub(super) fn flight(&self, member: MemberId) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(lock(&self.flights).entry(member).or_default())
    }

    /// Drops `stale` if it is still the member's token: the next caller refreshes.
    fn invalidate(&self, member: MemberId, stale: &Arc<Token>) {
        let mut tokens = lock(&self.tokens);
        if tokens.get(&member).is_some_and(|t| Arc::ptr_eq(t, stale)) {
            tokens.remove(&member);
        }
        lock(&self.rejected).insert(member, stale.value.clone());
    }

    /// Whether Zoom rejected `token` (the one the store holds for `member`).
    fn was_rejected(&self, member: MemberId, token: &Secret) -> bool {
        lock(&self.rejected)
            .get(&member)
            .is_some_and(|r| r.expose() == token.expose())
    }

    fn refreshed(&self, member: MemberId) {
        lock(&self.rejected).remove(&member);
    }

    /// How many refreshes of `member` were tried so far.
    fn tried(&self, member: MemberId) -> u64 {
        lock(&self.attempts).get(&member).map_or(0, |(n, _)| *n)
    }

    /// The error of a refresh tried since `seen`, if it failed.
    fn failed_since(&self, member: MemberId, seen: u64) -> Option<ZoomError> {
        lock(&self.attempts)
            .get(&member)
            .filter(|(n, _)| *n != seen)
            .and_then(|(_, err)| err.clone())
    }

    fn attempted(&self, member: MemberId, failure: Option<ZoomError>) {
        let mut attempts = lock(&self.attempts);
        let entry = attempts.entry(member).or_default();
        *entry = (entry.0 + 1, failure);
    }
}

impl Accounts {
    /// A valid access token of `member`'s, refreshing it first when it is due or Zoom
    /// rejected it.
    pub(super) async fn member_token(&self, member: MemberId) -> Result<Arc<Token>, ZoomError> {
        if let Some(token) = self.cache.fresh(member) {
            return Ok(token);
        }
        let seen = self.cache.tried(member);
        let flight = self.cache.flight(member);
        let _flight = flight.lock().await;
        if let Some(token) = self.cache.fresh(member) {
            return Ok(token);
        }
        if let Some(err) = self.cache.failed_since(member, seen) {
            return Err(err);
        }
        // The same flight across replicas sharing the store: whoever holds the member's lease
        // reads, refreshes and saves; the others then read what it saved.
        let lease = format!("member-token:{}", member.0);
        let owner = self.cache.owner();
        self.hold_lease(&lease, owner).await?;
        let token = self.flown(member).await;
        let released = self.store.coordination().release_lease(&lease, owner).await;
        if let Err(err) = released {
            tracing::debug!(error = %err, "a member's refresh lease was not given back; it runs out");
        }
        token
    }

    /// Waits (bounded) for the lease `name`: another replica refreshing the member's token
    /// gives it back once it saved what Zoom returned.
    async fn hold_lease(&self, name: &str, owner: &str) -> Result<(), ZoomError> {
        let deadline = Timestamp::now() + REFRESH_LEASE;
        let mut pause = std::time::Duration::from_millis(20);
        loop {
            let now = Timestamp::now();
            let held = self
                .store
                .coordination()
                .take_lease(name, owner, now + REFRESH_LEASE, now)
                .await
                .map_err(|e| ZoomError::Transport {
                    detail: format!("the member's Zoom link could not be read ({e})"),
                    sent: false,
                })?;
            if held {
                return Ok(());
            }
            if now > deadline {
                return Err(ZoomError::Transport {
                    detail: "another replica is still refreshing the member's Zoom token"
                        .to_owned(),
                    sent: false,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(500));
        }
    }

    /// The flight itself, under the member's lease.
    async fn flown(&self, member: MemberId) -> Result<Arc<Token>, ZoomError> {
        let unsaved = |e: crate::store::StoreError| ZoomError::Transport {
            detail: format!("the member's Zoom link could not be read or saved ({e})"),
            sent: false,
        };
        let pending_write = lock(&self.cache.unsaved).get(&member).cloned();
        let link = match pending_write {
            // Written first: until it is, the store holds a refresh token Zoom refuses.
            Some(link) => {
                self.store.put_member_link(&link).await.map_err(unsaved)?;
                self.store.flush().await.map_err(unsaved)?;
                lock(&self.cache.unsaved).remove(&member);
                link
            }
            None => self
                .store
                .member_link(member)
                .await
                .map_err(unsaved)?
                .ok_or(ZoomError::Unlinked)?,
        };
        let tokens = match Tokens::open(&self.sealer, &link) {
            Ok(tokens) => tokens,
            Err(err) => {
                // Sealed under another key (the user app's secret changed): unusable for good.
                tracing::warn!(member = %member, error = %err, "a member's Zoom link could not be opened; it is dropped");
                self.drop_link(member, "unreadable").await;
                return Err(ZoomError::Unlinked);
            }
        };
        let now = Timestamp::now();
        let token = tokens.access_token(now);
        if !token.is_due() && !self.cache.was_rejected(member, &tokens.access_token) {
            // Another process (or an earlier flight) refreshed it already.
            self.cache.keep(member, &token);
            return Ok(token);
        }
        let refreshed = self.refresh(link, &tokens).await;
        self.cache
            .attempted(member, refreshed.as_ref().err().cloned());
        refreshed
    }

    async fn refresh(&self, link: MemberLink, old: &Tokens) -> Result<Arc<Token>, ZoomError> {
        let member = link.member;
        let grant = match self.app.refresh(&old.refresh_token).await {
            Ok(grant) => grant,
            Err(GrantError::InvalidGrant { reason }) => {
                tracing::info!(member = %member, reason, "Zoom refused a member's refresh token; the link is dropped");
                self.count(|m| &m.accounts.refreshes, "invalid_grant");
                self.drop_link(member, "invalid_grant").await;
                return Err(ZoomError::Unlinked);
            }
            Err(GrantError::Unavailable { detail, .. }) => {
                self.count(|m| &m.accounts.refreshes, "unavailable");
                return Err(ZoomError::Transport {
                    detail: format!("token refresh {detail}"),
                    // A failed token request sent no API request: nothing else happened.
                    sent: false,
                });
            }
            Err(GrantError::Refused {
                status,
                error,
                reason,
            }) => {
                self.count(|m| &m.accounts.refreshes, "refused");
                return Err(ZoomError::Auth(crate::zoom::AuthProblem::Other {
                    status,
                    error,
                    reason,
                }));
            }
        };
        let now = Timestamp::now();
        let tokens = Tokens::from_grant(&grant, now);
        let renewed = MemberLink {
            expires_at: tokens.expires_at,
            sealed: tokens.seal(&self.sealer, member),
            ..link
        };
        // Durable before use: Zoom accepts only this refresh token from now on.
        let saved = async {
            self.store.put_member_link(&renewed).await?;
            self.store.flush().await
        }
        .await;
        let token = tokens.access_token(now);
        self.cache.refreshed(member);
        if let Err(err) = saved {
            tracing::error!(member = %member, error = %err, "a member's refreshed Zoom token could not be saved");
            self.count(|m| &m.accounts.refreshes, "unsaved");
            // Not used until it is durable: kept in memory and written again first at the
            // member's next command (a restart before that loses it: the member links again).
            lock(&self.cache.unsaved).insert(member, renewed);
            return Err(ZoomError::Transport {
                detail: "the refreshed Zoom token could not be saved".to_owned(),
                sent: false,
            });
        }
        self.count(|m| &m.accounts.refreshes, "ok");
        self.cache.keep(member, &token);
        Ok(token)
    }

    async fn drop_link(&self, member: MemberId, reason: &str) {
        self.cache.forget(member);
        let dropped = async {
            self.store.delete_member_link(member).await?;
            self.store.flush().await
        }
        .await;
        if let Err(err) = dropped {
            tracing::error!(member = %member, error = %err, "could not drop a member's Zoom link");
        }
        self.count(|m| &m.accounts.links_dropped, reason);
    }
}

/// A member's tokens as the Zoom client's [`Bearer`].
pub struct MemberBearer {
    pub(super) member: MemberId,
    pub(super) accounts: Arc<Accounts>,
}

impl std::fmt::Debug for MemberBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberBearer")
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Bearer for MemberBearer {
    async fn token(&self) -> Result<Arc<Token>, ZoomError> {
        self.accounts.member_token(self.member).await
    }

    fn invalidate(&self, stale: &Arc<Token>) {
        self.accounts.cache.invalidate(self.member, stale);
    }
}

/// One token, as given: the first call after a code exchange, before anything is stored.
#[derive(Debug)]
pub(super) struct Fixed(pub Arc<Token>);

#[async_trait]
impl Bearer for Fixed {
    async fn token(&self) -> Result<Arc<Token>, ZoomError> {
        Ok(Arc::clone(&self.0))
    }

    fn invalidate(&self, _: &Arc<Token>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_in: i64) -> Tokens {
        Tokens {
            access_token: Secret::new("access"),
            refresh_token: Secret::new("refresh"),
            scopes: Vec::new(),
            expires_at: Timestamp::now() + SignedDuration::from_secs(expires_in),
            lifetime: Duration::from_secs(3600),
        }
    }

    #[test]
    fn a_token_is_refreshed_five_minutes_before_it_expires() {
        let now = Timestamp::now();
        assert!(!tokens(3600).access_token(now).is_due());
        assert!(!tokens(330).access_token(now).is_due());
        assert!(tokens(290).access_token(now).is_due());
        assert!(tokens(-10).access_token(now).is_due(), "already expired");
    }

    #[test]
    fn sealed_tokens_open_only_for_their_member() {
        let key = Sealer::derive(&Secret::new("user app secret"));
        let sealed = tokens(3600).seal(&key, MemberId(7));
        assert!(!sealed.contains("access") && !sealed.contains("refresh"));
        let link = |member| MemberLink {
            member: MemberId(member),
            zoom_user: "u".into(),
            email: "e".into(),
            linked_at: Timestamp::now(),
            expires_at: Timestamp::now(),
            sealed: sealed.clone(),
        };
        let opened = Tokens::open(&key, &link(7)).expect("opens");
        assert_eq!(opened.refresh_token.expose(), "refresh");
        assert!(
            Tokens::open(&key, &link(8)).is_err(),
            "moved to another member"
        );
        let other = Sealer::derive(&Secret::new("another secret"));
        assert!(Tokens::open(&other, &link(7)).is_err(), "another key");
    }
}
