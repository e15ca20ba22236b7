//! Members' own Zoom accounts: `/zoom link` (authorization code with PKCE), its callback,
//! status, unlink, Zoom's deauthorization, and each member's tokens — refreshed one request at a
//! time per member, with the rotated refresh token durable before the new access token is used.
//!
//! Zoom rotates the refresh token on every refresh and accepts only the latest one. So the order
//! is: refresh → seal → store → flush → use. A crash before the flush loses only what Zoom sent
//! in that one answer; Zoom has then already rotated, and the next refresh is refused
//! (`invalid_grant`): the link is dropped and the member is told to link again, never silently
//! served by the server's host.

mod tokens;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::webhooks::{Inbox, Received};
use super::{Requester, ServiceError, Zoom};
use crate::ids::MemberId;
use crate::metrics::Metrics;
use crate::sealed::Sealer;
use crate::secret::Secret;
use crate::store::{MemberLink, PendingLink, Store};
use crate::zoom::user_auth::{GrantError, Pkce, UserApp, random_state};
use crate::zoom::webhook::WebhookEvent;

pub use tokens::MemberBearer;
use tokens::{TokenCache, Tokens};

/// How long a `/zoom link` may take: Discord's interaction token (to edit the answer) lives 15
/// minutes, and a link nobody finished should not stay usable.
pub const LINK_TTL: SignedDuration = SignedDuration::from_mins(10);

/// The Zoom deauthorization event.
pub const APP_DEAUTHORIZED: &str = "app_deauthorized";

/// Tells a member how their `/zoom link` ended, in the private answer they started it from.
#[async_trait]
pub trait LinkNotice: Send + Sync {
    /// Edits the answer of the interaction whose token is `interaction` to say `outcome`.
    async fn tell(&self, interaction: &Secret, outcome: &LinkOutcome);
}

/// How a `/zoom link` ended, for the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Linked to this Zoom user (its email).
    Linked(String),
    /// The member declined on Zoom's page.
    Denied,
    /// Zoom refused the code, or could not be asked.
    Failed,
}

/// A member's linked account, as shown to them (never a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStatus {
    /// The Zoom user's email.
    pub email: String,
    /// Since when.
    pub linked_at: Timestamp,
}

/// Why a callback did not link anything. Each is shown on the callback's page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// No `state` in the callback.
    #[error("the link has no state: start again with /zoom link in Discord")]
    NoState,
    /// A state that was never given, was used already, or another bot's.
    #[error("this link was already used or is not one the bot gave: start again with /zoom link")]
    UnknownState,
    /// Older than [`LINK_TTL`].
    #[error("this link expired (links last 10 minutes): start again with /zoom link")]
    Expired,
    /// The member declined on Zoom's page.
    #[error("you declined on Zoom's page, so nothing was linked")]
    Denied,
    /// Zoom's answer had no code.
    #[error("Zoom's answer had no authorization code: start again with /zoom link")]
    NoCode,
    /// Zoom refused the code.
    #[error("Zoom refused the authorization code: start again with /zoom link")]
    CodeRefused,
    /// Zoom could not be asked, or the link could not be kept. The detail is logged, never
    /// shown: the page is public.
    #[error("the link could not be finished: try /zoom link again in a minute")]
    Unavailable(String),
}

/// [`LinkError::Unavailable`], its detail logged for the operator.
fn unavailable(detail: &dyn std::fmt::Display) -> LinkError {
    tracing::warn!(error = %detail, "a Zoom link could not be finished");
    LinkError::Unavailable(detail.to_string())
}

/// What the pending link keeps sealed: the PKCE verifier and the interaction to edit.
#[derive(Serialize, Deserialize)]
struct PendingSecrets {
    #[serde(rename = "v")]
    verifier: String,
    #[serde(rename = "i")]
    interaction: String,
}

/// Members' Zoom accounts.
pub struct Accounts {
    app: UserApp,
    sealer: Sealer,
    store: Arc<dyn Store>,
    zoom: Arc<dyn Zoom>,
    cache: TokenCache,
    notice: OnceLock<Arc<dyn LinkNotice>>,
    metrics: Option<Arc<Metrics>>,
}

/// The store key of a state value: its hash, so the data directory holds nothing a callback
/// could be forged from.
pub(super) fn state_key(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

impl Accounts {
    /// Accounts through the user app `app`, sealing tokens with `sealer`, acting at Zoom through
    /// `zoom` (as each member).
    pub fn new(
        app: UserApp,
        sealer: Sealer,
        store: Arc<dyn Store>,
        zoom: Arc<dyn Zoom>,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        Self {
            app,
            sealer,
            store,
            zoom,
            cache: TokenCache::default(),
            notice: OnceLock::new(),
            metrics,
        }
    }

    /// Where a finished link is told (Discord, once connected).
    pub fn set_notice(&self, notice: Arc<dyn LinkNotice>) {
        let _ = self.notice.set(notice);
    }

    fn count(&self, pick: impl FnOnce(&Metrics) -> &crate::metrics::Counter, label: &str) {
        if let Some(metrics) = &self.metrics {
            pick(metrics).inc(&[label]);
        }
    }

    /// Begins a `/zoom link` for `who`: the URL of Zoom's consent page. `interaction` is the
    /// token of the member's private answer, edited once the link is done.
    pub async fn begin(&self, who: &Requester, interaction: &str) -> Result<String, ServiceError> {
        let state = random_state();
        let pkce = Pkce::generate();
        let key = state_key(&state);
        let secrets = PendingSecrets {
            verifier: pkce.verifier.expose().to_owned(),
            interaction: interaction.to_owned(),
        };
        let plain = serde_json::to_vec(&secrets).unwrap_or_default();
        let pending = PendingLink {
            member: who.member,
            guild: who.guild,
            expires_at: Timestamp::now() + LINK_TTL,
            sealed: self.sealer.seal(&plain, key.as_bytes()),
        };
        self.store.put_pending_link(&key, &pending).await?;
        self.store.flush().await?;
        Ok(self.app.authorize_link(&state, &pkce.challenge))
    }

    /// Finishes a link from Zoom's redirect: its `state`, and `code` or `error`.
    pub async fn finish(
        &self,
        state: Option<&str>,
        code: Option<&str>,
        error: Option<&str>,
    ) -> Result<LinkStatus, LinkError> {
        let state = state.filter(|s| !s.is_empty()).ok_or(LinkError::NoState)?;
        let key = state_key(state);
        let unavailable = |e: &dyn std::fmt::Display| unavailable(e);
        let pending = self
            .store
            .take_pending_link(&key)
            .await
            .map_err(|e| unavailable(&e))?
            .ok_or(LinkError::UnknownState)?;
        // Used now, whatever follows: flushed, so not even a crash makes it usable again.
        self.store.flush().await.map_err(|e| unavailable(&e))?;
        if pending.expires_at < Timestamp::now() {
            return Err(LinkError::Expired);
        }
        let secrets: PendingSecrets = self
            .sealer
            .open(&pending.sealed, key.as_bytes())
            .ok()
            .and_then(|plain| serde_json::from_slice::<PendingSecrets>(&plain).ok())
            .ok_or(LinkError::UnknownState)?;
        let interaction = Secret::new(secrets.interaction);
        let result = self
            .exchange(&pending, code, error, &Secret::new(secrets.verifier))
            .await;
        let outcome = match &result {
            Ok((status, _)) => LinkOutcome::Linked(status.email.clone()),
            Err(LinkError::Denied) => LinkOutcome::Denied,
            Err(_) => LinkOutcome::Failed,
        };
        let label = match &result {
            Ok((_, true)) => "relinked",
            Ok((_, false)) => "linked",
            Err(LinkError::Denied) => "denied",
            Err(LinkError::CodeRefused | LinkError::NoCode) => "refused",
            Err(_) => "failed",
        };
        self.count(|m| &m.accounts.links, label);
        if let Some(notice) = self.notice.get() {
            notice.tell(&interaction, &outcome).await;
        }
        result.map(|(status, _)| status)
    }

    /// The code exchanged, the Zoom user read, the link stored; `true` when it replaced one.
    async fn exchange(
        &self,
        pending: &PendingLink,
        code: Option<&str>,
        error: Option<&str>,
        verifier: &Secret,
    ) -> Result<(LinkStatus, bool), LinkError> {
        match error {
            Some("access_denied") => return Err(LinkError::Denied),
            Some(other) => {
                tracing::info!(error = other, "Zoom sent a member back with an error");
                return Err(LinkError::CodeRefused);
            }
            None => {}
        }
        let code = code.filter(|c| !c.is_empty()).ok_or(LinkError::NoCode)?;
        let grant = self
            .app
            .exchange(code, verifier)
            .await
            .map_err(|e| match e {
                GrantError::InvalidGrant { .. } => LinkError::CodeRefused,
                other => unavailable(&other),
            })?;
        let now = Timestamp::now();
        let tokens = Tokens::from_grant(&grant, now);
        let stored = self.store_link(pending, &tokens, now).await;
        if stored.is_err() {
            // Nothing is linked: the bot does not keep a grant at Zoom it cannot use.
            if let Err(err) = self.app.revoke(&tokens.refresh_token).await {
                tracing::warn!(error = %err, "could not revoke the grant of a failed link");
            }
        }
        stored
    }

    /// Reads the new account's user, stores the link (replacing the member's, and any other
    /// member's link to the same Zoom user: Zoom keeps one grant per user and app), and gives up
    /// the grant of an account it replaced.
    async fn store_link(
        &self,
        pending: &PendingLink,
        tokens: &Tokens,
        now: Timestamp,
    ) -> Result<(LinkStatus, bool), LinkError> {
        let bearer = Arc::new(tokens::Fixed(tokens.access_token(now)));
        let me = self
            .zoom
            .acting_as(bearer)
            .get_user("me")
            .await
            .map_err(|e| unavailable(&e))?;
        let link = MemberLink {
            member: pending.member,
            zoom_user: me.id.clone(),
            email: me.email.clone(),
            linked_at: now,
            expires_at: tokens.expires_at,
            sealed: tokens.seal(&self.sealer, pending.member),
        };
        let store_err = |e: crate::store::StoreError| unavailable(&e);
        // Under the member's flight: a refresh in progress must not write over the new link.
        let flight = self.cache.flight(pending.member);
        let _flight = flight.lock().await;
        let old = self
            .store
            .member_link(pending.member)
            .await
            .map_err(store_err)?;
        let others = self
            .store
            .zoom_user_links(&link.zoom_user)
            .await
            .map_err(store_err)?;
        for other in others.iter().filter(|o| o.member != pending.member) {
            // Their grant ended with this one: the other member links again when they want.
            self.store
                .delete_member_link(other.member)
                .await
                .map_err(store_err)?;
            self.cache.forget(other.member);
            self.count(|m| &m.accounts.links_dropped, "relinked_elsewhere");
        }
        self.store.put_member_link(&link).await.map_err(store_err)?;
        self.store.flush().await.map_err(store_err)?;
        self.cache.forget(pending.member);
        if let Some(old) = &old
            && old.zoom_user != link.zoom_user
        {
            // Another Zoom account replaced: the bot gives up its grant there. Zoom keeps one
            // grant per user and app, so the same account's old tokens are gone already.
            self.revoke(old).await;
        }
        tracing::info!(member = %pending.member, guild = %pending.guild, "a member linked their Zoom account");
        Ok((
            LinkStatus {
                email: link.email,
                linked_at: now,
            },
            old.is_some(),
        ))
    }

    async fn revoke(&self, link: &MemberLink) -> bool {
        let Ok(tokens) = Tokens::open(&self.sealer, link) else {
            return true;
        };
        match self.app.revoke(&tokens.refresh_token).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(member = %link.member, error = %err, "could not revoke a member's Zoom grant");
                false
            }
        }
    }

    /// The member's linked account, if any.
    pub async fn status(&self, member: MemberId) -> Result<Option<LinkStatus>, ServiceError> {
        Ok(self.store.member_link(member).await?.map(|l| LinkStatus {
            email: l.email,
            linked_at: l.linked_at,
        }))
    }

    /// Revokes the member's grant at Zoom, then forgets it. `None`: nothing was linked.
    pub async fn unlink(&self, member: MemberId) -> Result<Option<LinkStatus>, ServiceError> {
        let link = {
            let flight = self.cache.flight(member);
            let _flight = flight.lock().await;
            let Some(link) = self.store.delete_member_link(member).await? else {
                return Ok(None);
            };
            self.store.flush().await?;
            self.cache.forget(member);
            link
        };
        // Forgotten first, so the member can always stop the bot using their account; the
        // grant at Zoom is given up next, as far as Zoom answers.
        let revoked = self.revoke(&link).await;
        self.count(
            |m| &m.accounts.unlinks,
            if revoked { "unlinked" } else { "revoke_failed" },
        );
        Ok(Some(LinkStatus {
            email: link.email,
            linked_at: link.linked_at,
        }))
    }

    /// Forgets every member linked to `zoom_user` (Zoom says they removed the app); how many.
    pub async fn deauthorized(&self, zoom_user: &str) -> Result<usize, ServiceError> {
        let links = self.store.zoom_user_links(zoom_user).await?;
        for link in &links {
            let flight = self.cache.flight(link.member);
            let _flight = flight.lock().await;
            self.store.delete_member_link(link.member).await?;
            self.cache.forget(link.member);
            self.count(|m| &m.accounts.links_dropped, "deauthorized");
        }
        self.store.flush().await?;
        Ok(links.len())
    }

    /// The member's link, when they have one.
    pub async fn linked(&self, member: MemberId) -> Result<Option<MemberLink>, ServiceError> {
        Ok(self.store.member_link(member).await?)
    }

    /// Zoom, acting as `member` through their own tokens.
    pub fn zoom_as(self: &Arc<Self>, member: MemberId) -> Arc<dyn Zoom> {
        self.zoom.acting_as(Arc::new(MemberBearer {
            member,
            accounts: Arc::clone(self),
        }))
    }

    /// Forgets begun links that expired before `before`.
    pub async fn prune(&self, before: Timestamp) -> Result<usize, ServiceError> {
        Ok(self.store.forget_pending_links(before).await?)
    }
}

/// What the user app's Event Subscription posts (`POST /zoom/user-webhook`): `app_deauthorized`
/// forgets the member's link at once; the meeting events of members' own accounts (which only
/// the user app is subscribed to) go to the same inbox as the server app's.
pub struct UserAppInbox(pub Arc<super::Meetings>);

#[async_trait]
impl Inbox for UserAppInbox {
    async fn receive(&self, event: &WebhookEvent, raw: &[u8]) -> Result<Received, ServiceError> {
        if event.event != APP_DEAUTHORIZED {
            return self.0.receive(event, raw).await;
        }
        let (Some(accounts), Some(user)) = (self.0.accounts(), event.payload.user_id.as_deref())
        else {
            return Ok(Received::Ignored);
        };
        let dropped = accounts.deauthorized(user).await?;
        tracing::info!(dropped, "Zoom says a user removed the app");
        Ok(if dropped > 0 {
            Received::New
        } else {
            Received::Duplicate
        })
    }
}
