//! Meeting records: the codec's bytes beside the columns the queries read (server, Zoom id, end,
//! next due time), kept in step with the record by the statement that writes it.

use jiff::Timestamp;
use tokio_postgres::Row;

use super::{PgStore, sql_id};
use crate::ids::GuildId;
use crate::store::codec::{decode, encode};
use crate::store::{MeetingChange, MeetingRecord, StoreError};

const MEETING: &str = "meeting record";

fn read(row: &Row) -> Result<MeetingRecord, StoreError> {
    decode(MEETING, row.get::<_, &[u8]>(0))
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgStore {
    /// [`crate::store::Store::put_meeting`].
    pub(super) async fn write_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO meetings (guild, zoom_id, ends_at, reminder_due, record) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (guild, zoom_id) DO UPDATE SET ends_at = EXCLUDED.ends_at, \
             reminder_due = EXCLUDED.reminder_due, record = EXCLUDED.record",
            &[
                &sql_id(record.guild.0),
                &record.zoom_id,
                &record.end(),
                &record.reminder_due,
                &encode(record),
            ],
        )
        .await
        .map(drop)
    }

    /// [`crate::store::Store::meeting`].
    pub(super) async fn read_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.one(
            "SELECT record FROM meetings WHERE guild = $1 AND zoom_id = $2",
            &[&sql_id(guild.0), &zoom_id],
        )
        .await
    }

    /// [`crate::store::Store::update_meeting`]: a compare-and-swap, as on sled. The record is
    /// read, changed, and written back only if the row still holds the bytes read; otherwise
    /// another change (from any replica) landed in between, and this one is made again on top
    /// of it. Concurrent changes apply one after the other, none lost, in two round trips and
    /// without holding a row lock across them.
    pub(super) async fn change_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
        change: &MeetingChange,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        let guild = sql_id(guild.0);
        let client = self.client().await?;
        let select = client
            .prepare_cached("SELECT record FROM meetings WHERE guild = $1 AND zoom_id = $2")
            .await
            .map_err(self.fail.db())?;
        let swap = client
            .prepare_cached(
                "UPDATE meetings SET ends_at = $3, reminder_due = $4, record = $5 \
                 WHERE guild = $1 AND zoom_id = $2 AND record = $6",
            )
            .await
            .map_err(self.fail.db())?;
        loop {
            let Some(row) = client
                .query_opt(&select, &[&guild, &zoom_id])
                .await
                .map_err(self.fail.db())?
            else {
                return Ok(None);
            };
            // An unreadable or newer record is refused here and stays as it is.
            let mut record = read(&row)?;
            let old: &[u8] = row.get(0);
            change.apply(&mut record);
            let swapped = client
                .execute(
                    &swap,
                    &[
                        &guild,
                        &zoom_id,
                        &record.end(),
                        &record.reminder_due,
                        &encode(&record),
                        &old,
                    ],
                )
                .await
                .map_err(self.fail.db())?;
            if swapped == 1 {
                return Ok(Some(record));
            }
        }
    }

    /// [`crate::store::Store::guild_meetings`].
    pub(super) async fn meetings_of(
        &self,
        guild: GuildId,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.all(
            "SELECT record FROM meetings WHERE guild = $1 ORDER BY zoom_id",
            &[&sql_id(guild.0)],
        )
        .await
    }

    /// [`crate::store::Store::meetings_ending_after`], through the index by server and end.
    pub(super) async fn meetings_after(
        &self,
        guild: GuildId,
        after: Timestamp,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.all(
            "SELECT record FROM meetings WHERE guild = $1 AND ends_at > $2 \
             ORDER BY ends_at, zoom_id",
            &[&sql_id(guild.0), &after],
        )
        .await
    }

    /// [`crate::store::Store::zoom_meeting`].
    pub(super) async fn meeting_numbered(
        &self,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.one(
            "SELECT record FROM meetings WHERE zoom_id = $1 ORDER BY guild LIMIT 1",
            &[&zoom_id],
        )
        .await
    }

    /// [`crate::store::Store::due_reminders`]. One unreadable record must not hold up every
    /// server's reminders: it leaves the index (its due time is cleared, the record itself is
    /// left as it is), as sled drops its index entry, so it cannot fill every batch.
    pub(super) async fn due(
        &self,
        until: Timestamp,
        limit_to: usize,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT record, guild, zoom_id FROM meetings WHERE reminder_due <= $1 \
                 ORDER BY reminder_due, guild, zoom_id LIMIT $2",
            )
            .await
            .map_err(self.fail.db())?;
        let rows = client
            .query(&statement, &[&until, &limit(limit_to)])
            .await
            .map_err(self.fail.db())?;
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            match read(row) {
                Ok(record) => due.push(record),
                Err(err) => {
                    let (guild, zoom_id): (i64, i64) = (row.get(1), row.get(2));
                    tracing::warn!(error = %err, meeting_id = zoom_id, "a meeting's reminder is dropped: its record cannot be read");
                    // Only while the record is still the unreadable one.
                    client
                        .execute(
                            "UPDATE meetings SET reminder_due = NULL \
                             WHERE guild = $1 AND zoom_id = $2 AND record = $3",
                            &[&guild, &zoom_id, &row.get::<_, &[u8]>(0)],
                        )
                        .await
                        .map_err(self.fail.db())?;
                }
            }
        }
        Ok(due)
    }

    /// [`crate::store::Store::next_reminder`].
    pub(super) async fn next_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT min(reminder_due) FROM meetings", &[])
            .await
            .map_err(self.fail.db())?;
        Ok(row.get(0))
    }

    /// [`crate::store::Store::prune_meetings`], through the index by end.
    pub(super) async fn prune(&self, ended_before: Timestamp) -> Result<usize, StoreError> {
        let pruned = self
            .execute("DELETE FROM meetings WHERE ends_at < $1", &[&ended_before])
            .await?;
        Ok(usize::try_from(pruned).unwrap_or(usize::MAX))
    }

    /// The record the query selects (in its first column), if any.
    async fn one(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<MeetingRecord>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(self.fail.db())?;
        client
            .query_opt(&statement, params)
            .await
            .map_err(self.fail.db())?
            .as_ref()
            .map(read)
            .transpose()
    }

    /// Every record the query selects (in its first column).
    async fn all(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(self.fail.db())?;
        client
            .query(&statement, params)
            .await
            .map_err(self.fail.db())?
            .iter()
            .map(read)
            .collect()
    }
}
