//! Which interactions are being handled and which were seen: shutdown waits for the first, and
//! the second keeps a redelivered interaction from being acted on twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::store::Store;

/// Counts interactions being handled, so shutdown can wait for them.
#[derive(Debug, Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held while an interaction is handled.
pub struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    /// Marks one interaction as started until the guard drops.
    pub fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(Arc::clone(self))
    }

    /// How many are being handled.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Waits until none is being handled, at most `bound`. Returns whether they all finished.
    pub async fn wait_idle(&self, bound: Duration) -> bool {
        tokio::time::timeout(bound, async {
            loop {
                let idle = self.idle.notified();
                if self.count() == 0 {
                    return;
                }
                idle.await;
            }
        })
        .await
        .is_ok()
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Interaction ids seen lately, through the store so replicas sharing it agree. A gateway resume
/// can deliver an interaction again, and behind a load balancer a retried request can reach
/// another replica; the second delivery must not create a second meeting (and could not be
/// answered anyway).
pub struct Seen(Arc<dyn Store>);

/// How long an interaction can be answered (its token's lifetime), so how long to remember it.
const SEEN_FOR: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

impl Seen {
    /// Remembers interactions in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self(store)
    }

    /// Whether `id` is new; remembers it. A store that cannot say lets it through: refusing
    /// would drop a member's command, and one whose store fails will say so anyway.
    pub async fn first_time(&self, id: u64) -> bool {
        let until = jiff::Timestamp::now() + SEEN_FOR;
        let key = format!("interaction:{id}");
        match self.0.coordination().first_delivery(&key, until).await {
            Ok(first) => first,
            Err(err) => {
                tracing::warn!(error = %err, "the replay guard could not ask the store");
                true
            }
        }
    }
}

/// Where every interaction comes in, however it arrived (gateway, HTTP, or unreadable by
/// serenity): the replay guard and the in-flight count, applied in this one place so that moving
/// [`Seen`] (behind the store, for replicas) changes nothing else.
#[derive(Clone)]
pub struct Intake {
    seen: Arc<Seen>,
    in_flight: Arc<InFlight>,
}

impl Intake {
    /// Interactions counted in `in_flight`, each taken once across every process sharing
    /// `store`.
    pub fn new(in_flight: Arc<InFlight>, store: Arc<dyn Store>) -> Self {
        Self {
            seen: Arc::new(Seen::new(store)),
            in_flight,
        }
    }

    /// The guard to hold while interaction `id` is handled, or `None` when it was taken before
    /// (logged: a redelivery, or a replayed request).
    pub async fn admit(&self, id: u64) -> Option<InFlightGuard> {
        if !self.seen.first_time(id).await {
            tracing::info!(id, "ignored an interaction delivered twice");
            return None;
        }
        Some(self.in_flight.enter())
    }

    /// The interactions being handled.
    pub fn in_flight(&self) -> &Arc<InFlight> {
        &self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn an_interaction_is_admitted_once_across_intakes_on_one_store_and_counted_while_handled()
    {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let intake = Intake::new(Arc::new(InFlight::default()), Arc::clone(&store));
        let other_replica = Intake::new(Arc::new(InFlight::default()), store);
        let guard = intake.admit(5).await.expect("new");
        assert_eq!(intake.in_flight().count(), 1);
        assert!(
            intake.admit(5).await.is_none(),
            "a second delivery is not admitted"
        );
        assert!(
            other_replica.admit(5).await.is_none(),
            "nor one to another process on the same store"
        );
        assert!(other_replica.admit(6).await.is_some());
        assert_eq!(intake.in_flight().count(), 1);
        drop(guard);
        assert_eq!(intake.in_flight().count(), 0);
    }
}
