//! Which replica applies the inbox: whoever holds its lease. Replicas sharing a store apply it
//! one at a time, so its events keep their order; one that takes the lease over may follow a
//! replica that stopped half-way.

use std::sync::atomic::Ordering;

use jiff::{SignedDuration, Timestamp};

use super::super::{Meetings, ServiceError};

/// The lease whose holder applies the inbox.
const INBOX_LEASE: &str = "webhook-inbox";
/// How long the holder has it without renewing (it renews before each event).
const INBOX_LEASE_FOR: SignedDuration = SignedDuration::from_secs(60);

impl Meetings {
    /// Takes (or renews) the inbox's lease; `false`: another replica applies it now. Taking it
    /// over from another means its last event may have been shown without being noted.
    pub(super) async fn hold_inbox(&self) -> Result<bool, ServiceError> {
        let now = Timestamp::now();
        let held = self
            .store
            .coordination()
            .take_lease(INBOX_LEASE, &self.owner, now + INBOX_LEASE_FOR, now)
            .await?;
        let was = self.inbox_held.swap(held, Ordering::SeqCst);
        if held && !was {
            self.webhooks_resumed.store(false, Ordering::SeqCst);
        }
        Ok(held)
    }

    /// Gives the inbox's lease back after a pass, so another replica need not wait it out.
    pub(super) async fn let_go_of_inbox(&self) {
        let released = self
            .store
            .coordination()
            .release_lease(INBOX_LEASE, &self.owner)
            .await;
        if let Err(err) = released {
            tracing::debug!(error = %err, "the inbox's lease was not given back; it runs out");
        }
        self.inbox_held.store(false, Ordering::SeqCst);
    }
}
