//! How much one member, one server and one Zoom host may ask of Zoom: the per-server cooldown a
//! server's admins set, and the operator's limits no server setting lifts.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::scheduling::Cooldown;

/// The operator's limits (from the environment), the same for every server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Meetings one server may create per UTC day, whatever its cooldown.
    pub per_server_per_day: u32,
    /// Meetings one member may create across every server.
    pub per_member: Cooldown,
    /// Host links one member may ask for: each is a Zoom request.
    pub host_links: Cooldown,
    /// Meetings created under one Zoom host user per UTC day: Zoom's own limit, counted here
    /// so servers are refused before Zoom is asked.
    pub per_host_per_day: u32,
}

impl Limits {
    /// A quarter of a host's day per server; ten meetings an hour per member; ten host links a
    /// minute per member.
    pub const DEFAULT: Self = Self {
        per_server_per_day: 25,
        per_member: Cooldown {
            count: 10,
            window_minutes: 60,
        },
        host_links: Cooldown {
            count: 10,
            window_minutes: 1,
        },
        per_host_per_day: 100,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Today's date in UTC (Zoom's and our daily limits reset at 00:00 UTC), and when it ends.
pub fn utc_day() -> (Date, Timestamp) {
    let now = Timestamp::now();
    let today = now.to_zoned(TimeZone::UTC).date();
    let reset = today
        .tomorrow()
        .ok()
        .and_then(|d| d.to_zoned(TimeZone::UTC).ok())
        .map_or(now + SignedDuration::from_hours(24), |z| z.timestamp());
    (today, reset)
}

/// When each key's recent uses were, for a [`Cooldown`]. In memory: a restart forgets it, which
/// errs on the member's side.
pub struct Recent<K>(Mutex<HashMap<K, VecDeque<Instant>>>);

impl<K> Default for Recent<K> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

/// Above this many keys tracked, keys with nothing recent are dropped.
const RECENT_PRUNE_AT: usize = 10_000;

impl<K: Hash + Eq + Copy> Recent<K> {
    /// Takes one of `key`'s slots under `rule`, or says when the next one frees up.
    pub fn take(&self, key: K, rule: Cooldown) -> Result<Instant, Timestamp> {
        let mut recent = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Read under the lock, so each key's times stay in order.
        let now = Instant::now();
        if recent.len() > RECENT_PRUNE_AT {
            // Rules' windows differ: drop only what no window can still count.
            recent.retain(|_, times| times.back().is_some_and(|t| now - *t < Cooldown::LONGEST));
        }
        let times = recent.entry(key).or_default();
        while times.front().is_some_and(|t| now - *t >= rule.window()) {
            times.pop_front();
        }
        if times.len() >= rule.count as usize {
            let frees_in = times
                .front()
                .map_or(rule.window(), |t| rule.window().saturating_sub(now - *t));
            return Err(SignedDuration::try_from(frees_in)
                .ok()
                .and_then(|d| Timestamp::now().checked_add(d).ok())
                .unwrap_or_else(Timestamp::now));
        }
        times.push_back(now);
        Ok(now)
    }

    /// Gives back a slot taken for something that did not happen.
    pub fn give_back(&self, key: K, taken: Instant) {
        let mut recent = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(times) = recent.get_mut(&key) {
            if let Some(at) = times.iter().position(|t| *t == taken) {
                times.remove(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_refuses_past_its_count_and_a_slot_given_back_is_free_again() {
        let recent = Recent::default();
        let rule = Cooldown {
            count: 2,
            window_minutes: 10,
        };
        let first = recent.take(1, rule).unwrap();
        recent.take(1, rule).unwrap();
        let retry_at = recent.take(1, rule).unwrap_err();
        assert!(retry_at > Timestamp::now() + SignedDuration::from_mins(9));
        recent.take(2, rule).expect("another key has its own slots");
        recent.give_back(1, first);
        recent.take(1, rule).expect("the slot given back");
    }

    #[test]
    fn the_utc_day_ends_at_the_next_midnight_utc() {
        let (today, reset) = utc_day();
        let reset = reset.to_zoned(TimeZone::UTC);
        assert_eq!(reset.date(), today.tomorrow().unwrap());
        assert_eq!((reset.hour(), reset.minute(), reset.second()), (0, 0, 0));
    }
}
