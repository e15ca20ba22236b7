//! Members' own Zoom accounts: `/zoom link` (authorization code with PKCE), its callback,
//! status, unlink, Zoom's deauthorization, and each member's tokens — refreshed one request at a
//! time per member, with the rotated refresh token durable before the new access token is used.
//!
//! Zoom rotates the refresh token on every refresh and accepts only the latest one. So the order
//! is: refresh → seal → store → flush → use. A crash before the flush loses only what Zoom sent
//! in that one answer; Zoom has then already rotated, and the next refresh is refused
//! (`invalid_grant`): the link is dropped and the member is told to link again, never silently
//! served by the server's host.

mod callback;
mod tokens;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::webhooks::{Inbox, Received};
use super::{Requester, ServiceError, Zoom};
use crate::ids::MemberId;
use crate::metrics::Metrics;
use crate::sealed::Sealer;
use crate::secret::Secret;
use crate::store::{MemberLink, PendingLink, Store};
use crate::zoom::user_auth::{Pkce, UserApp, random_state};
use crate::zoom::webhook::WebhookEvent;

pub use callback::LinkError;
use callback::PendingSecrets;
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
