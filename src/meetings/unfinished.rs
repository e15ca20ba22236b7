//! Interactions taken up and not answered yet. Each is kept in the store (sealed: it holds its
//! token) from its acknowledgement until its answer, under the name of the process handling it.
//! Every process renews a heartbeat lease of its own; one whose heartbeat ran out has died, and
//! what it left unfinished is handed over, exactly once, to a process that takes its heartbeat —
//! on PostgreSQL another replica, on sled the next start (one process has the directory, so
//! every earlier owner is gone).

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::{Meetings, ServiceError};
use crate::sealed::Sealer;
use crate::store::Unfinished;

/// How often a process renews its heartbeat and looks for what dead ones left.
pub const LOOK_EVERY: Duration = Duration::from_secs(5);

/// How to keep interactions and when to take them over.
pub struct Journal {
    sealer: Sealer,
    /// When this process began: it takes nothing over before `settle` has passed since.
    began: Timestamp,
    /// How long a heartbeat lasts unless renewed (every [`LOOK_EVERY`]).
    alive_for: SignedDuration,
    /// A create a process sent just before it died may still be under way at Zoom: what it left
    /// is taken over only this long after it can have sent anything.
    settle: SignedDuration,
}

/// Interactions this old are not finished by anyone: whoever asked has long given up.
const GIVE_UP_AFTER: SignedDuration = SignedDuration::from_hours(24);

impl Journal {
    /// Keeps interactions sealed by `sealer`, with a heartbeat of 20 s and 15 s to settle.
    pub fn new(sealer: Sealer) -> Self {
        Self::timed(
            sealer,
            SignedDuration::from_secs(20),
            SignedDuration::from_secs(15),
        )
    }

    /// With other times (tests).
    pub fn timed(sealer: Sealer, alive_for: SignedDuration, settle: SignedDuration) -> Self {
        Self {
            sealer,
            began: Timestamp::now(),
            alive_for,
            settle,
        }
    }
}

/// An interaction a process that died left unfinished, this process's to finish now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenOver {
    /// Discord's interaction id.
    pub id: u64,
    /// When the process that died took it up.
    pub since: Timestamp,
    /// The interaction as Discord sent it.
    pub raw: Vec<u8>,
}

fn heartbeat(owner: &str) -> String {
    format!("process:{owner}")
}

impl Meetings {
    /// Keeps interactions taken up until they are answered, so none is lost with its process.
    #[must_use]
    pub fn with_journal(mut self, journal: Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Keeps the interaction `id` (`raw`: as Discord sent it) until [`Meetings::finished`];
    /// durable before this returns. Without a journal, nothing.
    pub async fn hold(&self, id: u64, raw: &[u8], at: Timestamp) -> Result<(), ServiceError> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let unfinished = Unfinished {
            id,
            owner: self.owner.clone(),
            at,
            sealed: journal.sealer.seal(raw, &id.to_be_bytes()),
        };
        self.store.put_unfinished(&unfinished).await?;
        self.store.flush().await?;
        Ok(())
    }

    /// The interaction `id` was answered. Not flushed: should the forgetting be lost, the
    /// interaction is taken up again and found answered.
    pub async fn finished(&self, id: u64) {
        if self.journal.is_some()
            && let Err(err) = self.store.finish_unfinished(id).await
        {
            tracing::warn!(error = %err, "could not forget an answered interaction");
        }
    }

    /// Takes or renews this process's heartbeat: before the first [`Meetings::hold`], so no other
    /// process takes this one for dead, and every [`LOOK_EVERY`] after.
    pub async fn beat(&self) -> Result<(), ServiceError> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let now = Timestamp::now();
        let (name, until) = (heartbeat(&self.owner), now + journal.alive_for);
        let coordination = self.store.coordination();
        coordination
            .take_lease(&name, &self.owner, until, now)
            .await?;
        Ok(())
    }

    /// Renews this process's heartbeat, then takes over what processes whose heartbeat ran out
    /// left unfinished: each returned is this process's now, to finish, then
    /// [`Meetings::finished`].
    pub async fn take_over(&self) -> Result<Vec<TakenOver>, ServiceError> {
        let Some(journal) = &self.journal else {
            return Ok(Vec::new());
        };
        self.beat().await?;
        let leases = self.store.coordination();
        let now = Timestamp::now();
        let until = now + journal.alive_for;
        if now < journal.began + journal.settle {
            return Ok(Vec::new());
        }
        // Whether each owner met has died: its heartbeat is free, or this process's already.
        let mut dead: HashMap<String, bool> = HashMap::new();
        let mut taken = Vec::new();
        for left in self.store.unfinished().await? {
            if left.owner == self.owner {
                continue;
            }
            let gone = if let Some(gone) = dead.get(&left.owner) {
                *gone
            } else {
                let gone = leases
                    .take_lease(&heartbeat(&left.owner), &self.owner, until, now)
                    .await?;
                dead.insert(left.owner.clone(), gone);
                gone
            };
            if !gone
                || !self
                    .store
                    .claim_unfinished(left.id, &left.owner, &self.owner)
                    .await?
            {
                continue;
            }
            let raw = journal.sealer.open(&left.sealed, &left.id.to_be_bytes());
            match raw {
                Ok(raw) if now.duration_since(left.at) < GIVE_UP_AFTER => taken.push(TakenOver {
                    id: left.id,
                    since: left.at,
                    raw,
                }),
                Ok(_) => {
                    tracing::warn!(
                        interaction_id = left.id,
                        "an interaction left unfinished a day ago was dropped"
                    );
                    self.finished(left.id).await;
                }
                Err(err) => {
                    tracing::warn!(interaction_id = left.id, error = %err, "an interaction left unfinished does not open (was the bot's token changed?); dropped");
                    self.finished(left.id).await;
                }
            }
        }
        Ok(taken)
    }
}
