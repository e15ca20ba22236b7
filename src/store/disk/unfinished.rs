//! Interactions taken up and not answered yet, by id: few at a time (those in flight).

use super::SledStore;
use super::{decode, encode};
use crate::store::{StoreError, Unfinished};

const UNFINISHED: &str = "unfinished interaction record";

impl SledStore {
    /// [`crate::store::Store::put_unfinished`].
    pub(super) fn keep_unfinished(&self, unfinished: &Unfinished) -> Result<(), StoreError> {
        self.unfinished
            .insert(unfinished.id.to_be_bytes(), encode(unfinished))
            .map_err(self.err())
            .map(drop)
    }

    /// [`crate::store::Store::unfinished`].
    pub(super) fn all_unfinished(&self) -> Result<Vec<Unfinished>, StoreError> {
        self.unfinished
            .iter()
            .map(|entry| {
                let (_, bytes) = entry.map_err(self.err())?;
                decode(UNFINISHED, &bytes)
            })
            .collect()
    }

    /// [`crate::store::Store::claim_unfinished`]: a compare-and-swap of the record read, so of
    /// two claims exactly one lands.
    pub(super) fn claim(&self, id: u64, from: &str, to: &str) -> Result<bool, StoreError> {
        let key = id.to_be_bytes();
        let Some(old) = self.unfinished.get(key).map_err(self.err())? else {
            return Ok(false);
        };
        let mut record: Unfinished = decode(UNFINISHED, &old)?;
        if record.owner != from {
            return Ok(false);
        }
        to.clone_into(&mut record.owner);
        Ok(self
            .unfinished
            .compare_and_swap(key, Some(old), Some(encode(&record)))
            .map_err(self.err())?
            .is_ok())
    }

    /// [`crate::store::Store::finish_unfinished`].
    pub(super) fn finish(&self, id: u64) -> Result<(), StoreError> {
        self.unfinished
            .remove(id.to_be_bytes())
            .map_err(self.err())
            .map(drop)
    }
}
