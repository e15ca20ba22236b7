//! What the short-lived records (sliding-window slots, deliveries seen, leases) mean, written
//! once for the backends that keep them in memory or in sled; PostgreSQL says the same in SQL.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// When a slot taken at `taken` frees up again in a `window`.
pub fn frees_at(taken: Timestamp, window: Duration) -> Timestamp {
    SignedDuration::try_from(window)
        .ok()
        .and_then(|w| taken.checked_add(w).ok())
        .unwrap_or(Timestamp::MAX)
}

/// Takes a slot in `slots` (the times the key's slots were taken) at `now`: the ones out of the
/// window are dropped first. [`crate::store::Store::take_slot`].
pub fn take_slot(
    slots: &mut Vec<Timestamp>,
    count: u32,
    window: Duration,
    now: Timestamp,
) -> Result<Timestamp, Timestamp> {
    slots.retain(|taken| frees_at(*taken, window) > now);
    slots.sort_unstable();
    if slots.len() < usize::try_from(count).unwrap_or(usize::MAX) {
        slots.push(now);
        return Ok(now);
    }
    // `count` is 0 only when nothing is ever free: then nothing frees up either.
    Err(slots
        .first()
        .map_or(Timestamp::MAX, |oldest| frees_at(*oldest, window)))
}

/// Gives back one slot taken at `taken`. [`crate::store::Store::give_back_slot`].
pub fn give_back_slot(slots: &mut Vec<Timestamp>, taken: Timestamp) {
    if let Some(at) = slots.iter().position(|t| *t == taken) {
        slots.remove(at);
    }
}

/// A lease: who holds it, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it.
    pub owner: String,
    /// When it expires.
    pub until: Timestamp,
}

impl Lease {
    /// Whether `owner` may take (or renew) it at `now`. [`crate::store::Store::take_lease`].
    pub fn takeable(&self, owner: &str, now: Timestamp) -> bool {
        self.until < now || self.owner == owner
    }
}
