//! Interactions taken up and not answered yet. The owner is a column beside the record, so
//! handing one over is one conditional `UPDATE`.

use super::{PgStore, from_sql_id, sql_id};
use crate::store::codec::{decode, encode};
use crate::store::{StoreError, Unfinished};

const UNFINISHED: &str = "unfinished interaction record";

impl PgStore {
    /// [`crate::store::Store::put_unfinished`].
    pub(super) async fn keep_unfinished(&self, unfinished: &Unfinished) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO unfinished (id, owner, record) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, record = EXCLUDED.record",
            &[
                &sql_id(unfinished.id),
                &unfinished.owner,
                &encode(unfinished),
            ],
        )
        .await
        .map(drop)
    }

    /// [`crate::store::Store::unfinished`]: the record's owner is the column's, which a claim
    /// changes.
    pub(super) async fn all_unfinished(&self) -> Result<Vec<Unfinished>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT id, owner, record FROM unfinished ORDER BY id", &[])
            .await
            .map_err(self.fail.db())?;
        rows.iter()
            .map(|row| {
                let mut record: Unfinished = decode(UNFINISHED, row.get::<_, &[u8]>(2))?;
                record.id = from_sql_id(row.get(0));
                record.owner = row.get(1);
                Ok(record)
            })
            .collect()
    }

    /// [`crate::store::Store::claim_unfinished`]: one conditional `UPDATE`, so of two claims
    /// exactly one changes the row.
    pub(super) async fn claim(&self, id: u64, from: &str, to: &str) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                "UPDATE unfinished SET owner = $3 WHERE id = $1 AND owner = $2",
                &[&sql_id(id), &from, &to],
            )
            .await?;
        Ok(changed == 1)
    }

    /// [`crate::store::Store::finish_unfinished`].
    pub(super) async fn finish(&self, id: u64) -> Result<(), StoreError> {
        self.execute("DELETE FROM unfinished WHERE id = $1", &[&sql_id(id)])
            .await
            .map(drop)
    }
}
