//! The daily quotas: one [`DailyCount`] per counter name, changed by compare-and-swap.

use jiff::civil::Date;

use super::SledStore;
use super::{decode, encode};
use crate::store::{DailyCount, StoreError};

const DAILY: &str = "daily quota record";

impl SledStore {
    /// [`crate::store::Store::take_daily`]: a compare-and-swap loop, so concurrent takes of
    /// one counter never count past the limit.
    pub(super) fn take_day(
        &self,
        counter: &str,
        day: Date,
        limit: u32,
    ) -> Result<bool, StoreError> {
        loop {
            let old = self.daily.get(counter).map_err(self.err())?;
            let now = match &old {
                Some(bytes) => decode(DAILY, bytes)?,
                None => DailyCount { day, count: 0 },
            };
            let Some(taken) = now.taken(day, limit) else {
                return Ok(false);
            };
            let swapped = self
                .daily
                .compare_and_swap(counter, old, Some(encode(&taken)))
                .map_err(self.err())?;
            if swapped.is_ok() {
                return Ok(true);
            }
        }
    }

    /// [`crate::store::Store::give_back_daily`].
    pub(super) fn give_back_day(&self, counter: &str, day: Date) -> Result<(), StoreError> {
        loop {
            let Some(old) = self.daily.get(counter).map_err(self.err())? else {
                return Ok(());
            };
            let now: DailyCount = decode(DAILY, &old)?;
            let swapped = self
                .daily
                .compare_and_swap(counter, Some(old), Some(encode(&now.given_back(day))))
                .map_err(self.err())?;
            if swapped.is_ok() {
                return Ok(());
            }
        }
    }
}
