//! What processes sharing a store must agree on but need not keep: cooldown slots, interactions
//! already delivered, and leases. A sled or memory store belongs to one process, so theirs live
//! in that process's memory (a restart forgets them, which errs on the member's side); the
//! PostgreSQL store keeps them in tables every replica sees.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::{Coordination, StoreError};

/// Above this many keys with slots, keys whose slots are all older than `slots_before` of the
/// last [`Transient::forget`] (or the longest cooldown) are dropped on the next take.
const SLOT_KEYS_PRUNE_AT: usize = 10_000;
/// A bound on remembered deliveries whatever the rate: the oldest go first.
const DELIVERIES_MAX: usize = 100_000;
/// The longest window any cooldown has (a day): slots older than it count for nothing.
const LONGEST_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// The in-memory form.
#[derive(Debug, Default)]
pub struct Transient {
    slots: Mutex<HashMap<String, VecDeque<Timestamp>>>,
    deliveries: Mutex<Deliveries>,
    leases: Mutex<HashMap<String, (String, Timestamp)>>,
}

#[derive(Debug, Default)]
struct Deliveries {
    until: HashMap<String, Timestamp>,
    /// Keys in the order first seen, to forget the oldest past [`DELIVERIES_MAX`].
    order: VecDeque<String>,
}

/// When a slot taken at `taken` frees up again in a `window`.
pub fn frees_at(taken: Timestamp, window: Duration) -> Timestamp {
    SignedDuration::try_from(window)
        .ok()
        .and_then(|w| taken.checked_add(w).ok())
        .unwrap_or(Timestamp::MAX)
}

/// A new name for a lease owner: unique across processes (and across services in one, as
/// tests run two replicas in one process).
pub fn new_owner() -> String {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore;
    format!("{}-{:016x}", std::process::id(), OsRng.next_u64())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Transient {
    /// [`super::Coordination::take_slot`].
    pub fn take_slot(
        &self,
        key: &str,
        count: u32,
        window: Duration,
        now: Timestamp,
    ) -> Result<Timestamp, Timestamp> {
        let mut slots = lock(&self.slots);
        if slots.len() > SLOT_KEYS_PRUNE_AT {
            slots.retain(|_, times| times.back().is_some_and(|t| now - LONGEST_WINDOW < *t));
        }
        let times = slots.entry(key.to_owned()).or_default();
        while times.front().is_some_and(|t| frees_at(*t, window) <= now) {
            times.pop_front();
        }
        if times.len() >= count as usize {
            return Err(frees_at(times.front().copied().unwrap_or(now), window));
        }
        // Kept in order even if the clock stepped back: the oldest stays at the front.
        let taken = times.back().map_or(now, |last| now.max(*last));
        times.push_back(taken);
        Ok(taken)
    }

    /// [`super::Coordination::give_back_slot`].
    pub fn give_back_slot(&self, key: &str, taken: Timestamp) {
        let mut slots = lock(&self.slots);
        if let Some(times) = slots.get_mut(key)
            && let Some(at) = times.iter().position(|t| *t == taken)
        {
            times.remove(at);
        }
    }

    /// [`super::Coordination::first_delivery`].
    pub fn first_delivery(&self, key: &str, until: Timestamp) -> bool {
        let mut deliveries = lock(&self.deliveries);
        if deliveries.until.contains_key(key) {
            return false;
        }
        if deliveries.until.insert(key.to_owned(), until).is_none() {
            deliveries.order.push_back(key.to_owned());
        }
        while deliveries.order.len() > DELIVERIES_MAX {
            if let Some(old) = deliveries.order.pop_front() {
                deliveries.until.remove(&old);
            }
        }
        true
    }

    /// [`super::Coordination::take_lease`].
    pub fn take_lease(&self, name: &str, owner: &str, until: Timestamp, now: Timestamp) -> bool {
        let mut leases = lock(&self.leases);
        match leases.get(name) {
            Some((holder, expires)) if holder != owner && *expires >= now => false,
            _ => {
                leases.insert(name.to_owned(), (owner.to_owned(), until));
                true
            }
        }
    }

    /// [`super::Coordination::release_lease`].
    pub fn release_lease(&self, name: &str, owner: &str) {
        let mut leases = lock(&self.leases);
        if leases.get(name).is_some_and(|(holder, _)| holder == owner) {
            leases.remove(name);
        }
    }

    /// [`super::Coordination::forget_transient`].
    pub fn forget(&self, now: Timestamp, slots_before: Timestamp) -> usize {
        let mut forgotten = 0;
        {
            let mut deliveries = lock(&self.deliveries);
            let before = deliveries.until.len();
            deliveries.until.retain(|_, until| *until >= now);
            let Deliveries { until, order } = &mut *deliveries;
            order.retain(|key| until.contains_key(key));
            forgotten += before - until.len();
        }
        {
            let mut leases = lock(&self.leases);
            let before = leases.len();
            leases.retain(|_, (_, until)| *until >= now);
            forgotten += before - leases.len();
        }
        let mut slots = lock(&self.slots);
        for times in slots.values_mut() {
            let before = times.len();
            times.retain(|t| *t >= slots_before);
            forgotten += before - times.len();
        }
        slots.retain(|_, times| !times.is_empty());
        forgotten
    }
}

#[async_trait]
impl Coordination for Transient {
    async fn take_slot(
        &self,
        key: &str,
        count: u32,
        window: Duration,
        now: Timestamp,
    ) -> Result<Result<Timestamp, Timestamp>, StoreError> {
        Ok(Transient::take_slot(self, key, count, window, now))
    }
    async fn give_back_slot(&self, key: &str, taken: Timestamp) -> Result<(), StoreError> {
        Transient::give_back_slot(self, key, taken);
        Ok(())
    }
    async fn first_delivery(&self, key: &str, until: Timestamp) -> Result<bool, StoreError> {
        Ok(Transient::first_delivery(self, key, until))
    }
    async fn take_lease(
        &self,
        name: &str,
        owner: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(Transient::take_lease(self, name, owner, until, now))
    }
    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        Transient::release_lease(self, name, owner);
        Ok(())
    }
    async fn forget_transient(
        &self,
        now: Timestamp,
        slots_before: Timestamp,
    ) -> Result<usize, StoreError> {
        Ok(self.forget(now, slots_before))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn a_window_refuses_past_its_count_until_the_oldest_slot_ages_out() {
        let t = Transient::default();
        let first = t.take_slot("k", 2, 10 * MINUTE, at(0)).unwrap();
        t.take_slot("k", 2, 10 * MINUTE, at(60)).unwrap();
        assert_eq!(t.take_slot("k", 2, 10 * MINUTE, at(120)), Err(at(600)));
        t.take_slot("other", 2, 10 * MINUTE, at(120))
            .expect("another key has its own slots");
        assert_eq!(t.take_slot("k", 2, 10 * MINUTE, at(600)), Ok(at(600)));
        t.give_back_slot("k", first);
        assert_eq!(t.take_slot("k", 2, 10 * MINUTE, at(601)), Err(at(660)));
    }

    #[test]
    fn a_slot_given_back_is_free_again() {
        let t = Transient::default();
        let taken = t.take_slot("k", 1, MINUTE, at(0)).unwrap();
        assert!(t.take_slot("k", 1, MINUTE, at(1)).is_err());
        t.give_back_slot("k", taken);
        assert!(t.take_slot("k", 1, MINUTE, at(1)).is_ok());
    }

    #[test]
    fn a_delivery_is_new_once_until_it_is_forgotten() {
        let t = Transient::default();
        assert!(t.first_delivery("i:1", at(900)));
        assert!(!t.first_delivery("i:1", at(900)));
        assert_eq!(t.forget(at(800), at(0)), 0, "kept until its time");
        assert!(!t.first_delivery("i:1", at(900)));
        assert_eq!(t.forget(at(901), at(0)), 1);
        assert!(t.first_delivery("i:1", at(1900)));
    }

    #[test]
    fn deliveries_stay_bounded() {
        let t = Transient::default();
        for id in 0..=DELIVERIES_MAX {
            assert!(t.first_delivery(&id.to_string(), at(900)));
        }
        let deliveries = lock(&t.deliveries);
        assert!(deliveries.until.len() <= DELIVERIES_MAX);
        assert!(!deliveries.until.contains_key("0"), "the oldest went first");
    }

    #[test]
    fn a_lease_is_exclusive_until_it_expires_or_is_released() {
        let t = Transient::default();
        assert!(t.take_lease("r", "a", at(30), at(0)));
        assert!(!t.take_lease("r", "b", at(40), at(10)));
        assert!(
            t.take_lease("r", "a", at(60), at(20)),
            "renewed by its owner"
        );
        assert!(!t.take_lease("r", "b", at(70), at(60)));
        assert!(
            t.take_lease("r", "b", at(90), at(61)),
            "taken over after expiry"
        );
        t.release_lease("r", "a");
        assert!(
            !t.take_lease("r", "a", at(95), at(62)),
            "only the owner releases"
        );
        t.release_lease("r", "b");
        assert!(t.take_lease("r", "a", at(95), at(62)));
    }
}
