//! The callback's half of `/zoom link`: the state taken once, the code exchanged, the Zoom user
//! read, the link stored, the member told.

use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::tokens::{self, Tokens};
use super::{Accounts, LinkOutcome, LinkStatus, state_key};
use crate::secret::Secret;
use crate::store::{MemberLink, PendingLink};
use crate::zoom::user_auth::GrantError;

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
pub(super) fn unavailable(detail: &dyn std::fmt::Display) -> LinkError {
    tracing::warn!(error = %detail, "a Zoom link could not be finished");
    LinkError::Unavailable(detail.to_string())
}

/// What the pending link keeps sealed: the PKCE verifier and the interaction to edit.
#[derive(Serialize, Deserialize)]
pub(super) struct PendingSecrets {
    #[serde(rename = "v")]
    pub(super) verifier: String,
    #[serde(rename = "i")]
    pub(super) interaction: String,
}

impl Accounts {
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
}
