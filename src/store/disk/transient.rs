//! The short-lived records: sliding-window slots, deliveries seen and leases, each changed by
//! compare-and-swap so concurrent callers in this process never both win.

use jiff::Timestamp;

use super::SledStore;
use super::{decode, encode};
use crate::store::StoreError;
use crate::store::transient::{self, Lease};

const SLOTS: &str = "slot record";
const DELIVERY: &str = "delivery record";
const LEASE: &str = "lease record";

/// The trees of the short-lived records.
#[derive(Debug, Clone)]
pub(super) struct Trees {
    /// Key → when each of its slots was taken.
    slots: sled::Tree,
    /// Delivery key → until when it is remembered.
    deliveries: sled::Tree,
    /// Lease name → its [`Lease`].
    leases: sled::Tree,
}

impl Trees {
    pub(super) fn open(db: &sled::Db) -> sled::Result<Self> {
        Ok(Self {
            slots: db.open_tree("slots")?,
            deliveries: db.open_tree("deliveries")?,
            leases: db.open_tree("leases")?,
        })
    }
}

impl SledStore {
    /// Changes the record under `key` in `tree` by compare-and-swap until it lands; `change`
    /// returns the new record (`None`: removed) and what to answer.
    fn swap<T, R>(
        &self,
        tree: &sled::Tree,
        what: &'static str,
        key: &str,
        change: impl Fn(Option<T>) -> (Option<T>, R),
    ) -> Result<R, StoreError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        loop {
            let old = tree.get(key).map_err(self.err())?;
            let read = old.as_deref().map(|b| decode(what, b)).transpose()?;
            let (new, answer) = change(read);
            let swapped = tree
                .compare_and_swap(key, old, new.as_ref().map(encode))
                .map_err(self.err())?;
            if swapped.is_ok() {
                return Ok(answer);
            }
        }
    }

    /// [`crate::store::Store::take_slot`].
    pub(super) fn slot(
        &self,
        key: &str,
        count: u32,
        window: std::time::Duration,
        now: Timestamp,
    ) -> Result<Result<Timestamp, Timestamp>, StoreError> {
        self.swap(&self.transient.slots, SLOTS, key, |slots| {
            let mut slots: Vec<Timestamp> = slots.unwrap_or_default();
            let taken = transient::take_slot(&mut slots, count, window, now);
            (Some(slots), taken)
        })
    }

    /// [`crate::store::Store::give_back_slot`].
    pub(super) fn unslot(&self, key: &str, taken: Timestamp) -> Result<(), StoreError> {
        self.swap(&self.transient.slots, SLOTS, key, |slots| {
            let mut slots: Vec<Timestamp> = slots.unwrap_or_default();
            transient::give_back_slot(&mut slots, taken);
            ((!slots.is_empty()).then_some(slots), ())
        })
    }

    /// [`crate::store::Store::first_delivery`].
    pub(super) fn delivered(&self, key: &str, until: Timestamp) -> Result<bool, StoreError> {
        self.swap(
            &self.transient.deliveries,
            DELIVERY,
            key,
            |seen| match seen {
                Some(seen) => (Some(seen), false),
                None => (Some(until), true),
            },
        )
    }

    /// [`crate::store::Store::take_lease`].
    pub(super) fn lease(
        &self,
        name: &str,
        owner: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.swap(
            &self.transient.leases,
            LEASE,
            name,
            |lease: Option<Lease>| match lease {
                Some(held) if !held.takeable(owner, now) => (Some(held), false),
                _ => {
                    let owner = owner.to_owned();
                    (Some(Lease { owner, until }), true)
                }
            },
        )
    }

    /// [`crate::store::Store::release_lease`].
    pub(super) fn unlease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        self.swap(
            &self.transient.leases,
            LEASE,
            name,
            |lease: Option<Lease>| (lease.filter(|l| l.owner != owner), ()),
        )
    }

    /// [`crate::store::Store::forget_transient`]: unreadable records are left as they are.
    pub(super) fn forget_short_lived(
        &self,
        now: Timestamp,
        slots_before: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut forgotten = 0;
        for entry in &self.transient.deliveries {
            let (key, bytes) = entry.map_err(self.err())?;
            if decode::<Timestamp>(DELIVERY, &bytes).is_ok_and(|until| until < now) {
                let gone =
                    self.transient
                        .deliveries
                        .compare_and_swap(&key, Some(bytes), None::<&[u8]>);
                forgotten += usize::from(gone.map_err(self.err())?.is_ok());
            }
        }
        for entry in &self.transient.leases {
            let (key, bytes) = entry.map_err(self.err())?;
            if decode::<Lease>(LEASE, &bytes).is_ok_and(|l| l.until < now) {
                let gone = self
                    .transient
                    .leases
                    .compare_and_swap(&key, Some(bytes), None::<&[u8]>);
                forgotten += usize::from(gone.map_err(self.err())?.is_ok());
            }
        }
        let keys: Vec<_> = self
            .transient
            .slots
            .iter()
            .keys()
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        for key in keys {
            let key = String::from_utf8_lossy(&key).into_owned();
            forgotten += self.swap(&self.transient.slots, SLOTS, &key, |slots| {
                let mut slots: Vec<Timestamp> = slots.unwrap_or_default();
                let before = slots.len();
                slots.retain(|t| *t >= slots_before);
                let gone = before - slots.len();
                ((!slots.is_empty()).then_some(slots), gone)
            })?;
        }
        Ok(forgotten)
    }
}
