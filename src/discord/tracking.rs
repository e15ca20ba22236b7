//! Which interactions are being handled and which were seen: shutdown waits for the first, and
//! the second keeps a redelivered interaction from being acted on twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

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

/// Interaction ids seen lately. A gateway resume can deliver an interaction again; the second
/// delivery must not create a second meeting (and could not be answered anyway).
#[derive(Debug, Default)]
pub struct Seen(std::sync::Mutex<SeenInner>);

#[derive(Debug, Default)]
struct SeenInner {
    ids: std::collections::HashSet<u64>,
    order: std::collections::VecDeque<(std::time::Instant, u64)>,
}

/// How long an interaction can be answered (its token's lifetime), so how long to remember it.
const SEEN_FOR: Duration = Duration::from_secs(15 * 60);
/// A bound on memory whatever the rate.
const SEEN_MAX: usize = 100_000;

impl Seen {
    /// Whether `id` is new; remembers it.
    pub fn first_time(&self, id: u64) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(&(at, old)) = seen.order.front() {
            if now - at < SEEN_FOR && seen.order.len() < SEEN_MAX {
                break;
            }
            seen.order.pop_front();
            seen.ids.remove(&old);
        }
        if !seen.ids.insert(id) {
            return false;
        }
        seen.order.push_back((now, id));
        true
    }
}

/// Where every interaction comes in, however it arrived (gateway, HTTP, or unreadable by
/// serenity): the replay guard and the in-flight count, applied in this one place so that moving
/// [`Seen`] (behind the store, for replicas) changes nothing else.
#[derive(Debug, Clone, Default)]
pub struct Intake {
    seen: Arc<Seen>,
    in_flight: Arc<InFlight>,
}

impl Intake {
    /// Interactions counted in `in_flight`, each taken once.
    pub fn new(in_flight: Arc<InFlight>) -> Self {
        Self {
            seen: Arc::new(Seen::default()),
            in_flight,
        }
    }

    /// The guard to hold while interaction `id` is handled, or `None` when it was taken before
    /// (logged: a redelivery, or a replayed request).
    pub fn admit(&self, id: u64) -> Option<InFlightGuard> {
        if !self.seen.first_time(id) {
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

    #[test]
    fn an_interaction_id_is_new_once_and_memory_stays_bounded() {
        let seen = Seen::default();
        assert!(seen.first_time(1));
        assert!(!seen.first_time(1));
        for id in 2..=(SEEN_MAX as u64 + 1) {
            assert!(seen.first_time(id));
        }
        let inner = seen.0.lock().unwrap();
        assert!(inner.ids.len() <= SEEN_MAX && inner.order.len() <= SEEN_MAX);
        assert!(!inner.ids.contains(&1), "the oldest was forgotten");
    }

    #[test]
    fn an_interaction_is_admitted_once_and_counted_while_handled() {
        let intake = Intake::new(Arc::new(InFlight::default()));
        let guard = intake.admit(5).expect("new");
        assert_eq!(intake.in_flight().count(), 1);
        assert!(
            intake.admit(5).is_none(),
            "a second delivery is not admitted"
        );
        assert_eq!(intake.in_flight().count(), 1);
        drop(guard);
        assert_eq!(intake.in_flight().count(), 0);
    }
}
