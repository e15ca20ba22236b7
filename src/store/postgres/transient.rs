//! The short-lived records every replica shares: sliding-window slots, deliveries seen, leases.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::PgStore;
use crate::store::StoreError;
use crate::store::transient::frees_at;

fn count(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

impl PgStore {
    /// [`crate::store::Store::take_slot`]: one call of `take_slot` (migration 3), which counts
    /// and takes under an advisory lock on the key, so concurrent takers of one key (in any
    /// replica) count one after the other; other keys do not wait.
    pub(super) async fn slot(
        &self,
        key: &str,
        count: u32,
        window: Duration,
        now: Timestamp,
    ) -> Result<Result<Timestamp, Timestamp>, StoreError> {
        // The slots out of the window are free again (a window longer than time itself frees
        // none).
        let cutoff = SignedDuration::try_from(window)
            .ok()
            .and_then(|w| now.checked_sub(w).ok());
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT took, oldest_held FROM take_slot($1, $2, $3, $4)")
            .await
            .map_err(self.fail.db())?;
        let row = client
            .query_one(&statement, &[&key, &i64::from(count), &cutoff, &now])
            .await
            .map_err(self.fail.db())?;
        let (taken, oldest): (bool, Option<Timestamp>) = (row.get(0), row.get(1));
        Ok(if taken {
            Ok(now)
        } else {
            Err(oldest.map_or(Timestamp::MAX, |t| frees_at(t, window)))
        })
    }

    /// [`crate::store::Store::give_back_slot`]: one of the key's slots taken then, not all.
    pub(super) async fn unslot(&self, key: &str, taken: Timestamp) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM slots WHERE id = \
                 (SELECT id FROM slots WHERE key = $1 AND taken = $2 LIMIT 1)",
            &[&key, &taken],
        )
        .await?;
        Ok(())
    }

    /// [`crate::store::Store::first_delivery`]: the primary key lets exactly one insert in.
    pub(super) async fn delivered(&self, key: &str, until: Timestamp) -> Result<bool, StoreError> {
        let inserted = self
            .execute(
                "INSERT INTO deliveries (key, until) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key, &until],
            )
            .await?;
        Ok(inserted == 1)
    }

    /// [`crate::store::Store::take_lease`]: one conditional upsert; no row changes when
    /// another owner holds an unexpired lease.
    pub(super) async fn lease(
        &self,
        name: &str,
        owner: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let taken = self
            .execute(
                "INSERT INTO leases AS l (name, owner, until) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until \
                 WHERE l.until < $4 OR l.owner = EXCLUDED.owner",
                &[&name, &owner, &until, &now],
            )
            .await?;
        Ok(taken == 1)
    }

    /// [`crate::store::Store::release_lease`].
    pub(super) async fn unlease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM leases WHERE name = $1 AND owner = $2",
            &[&name, &owner],
        )
        .await?;
        Ok(())
    }

    /// [`crate::store::Store::forget_transient`].
    pub(super) async fn forget_short_lived(
        &self,
        now: Timestamp,
        slots_before: Timestamp,
    ) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let mut forgotten = 0;
        for (sql, at) in [
            ("DELETE FROM deliveries WHERE until < $1", &now),
            ("DELETE FROM leases WHERE until < $1", &now),
            ("DELETE FROM slots WHERE taken < $1", &slots_before),
        ] {
            forgotten += count(client.execute(sql, &[at]).await.map_err(self.fail.db())?);
        }
        Ok(forgotten)
    }
}
