//! Servers' settings, members' preferences, daily quotas, the webhook inbox and members' links.
//! Each read-modify-write is one transaction holding the row (`FOR UPDATE`) or one conditional
//! statement, so concurrent callers in any replica never undo each other.

use jiff::Timestamp;
use jiff::civil::Date;

use super::{PgStore, from_sql_id, sql_id};
use crate::ids::{GuildId, MemberId};
use crate::store::codec::{decode, encode};
use crate::store::{
    GuildSettings, InboxEntry, MemberLink, MemberPrefs, PendingLink, SettingsChange, StoreError,
};

const SETTINGS: &str = "server settings record";
const PREFS: &str = "member preference record";
const ENTRY: &str = "webhook inbox record";
const LINK: &str = "member link record";
const PENDING: &str = "pending link record";

fn count(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

/// The record stored under one key of a `(key, record)` table, changed under its row lock.
/// `table` and `column` are this module's constants, never input.
struct Keyed {
    table: &'static str,
    column: &'static str,
    what: &'static str,
}

const GUILDS: Keyed = Keyed {
    table: "guild_settings",
    column: "guild",
    what: SETTINGS,
};
const MEMBERS: Keyed = Keyed {
    table: "member_prefs",
    column: "member",
    what: PREFS,
};

impl PgStore {
    async fn read_keyed<T>(&self, keyed: &Keyed, key: i64) -> Result<T, StoreError>
    where
        T: serde::de::DeserializeOwned + Default,
    {
        let client = self.client().await?;
        let sql = format!(
            "SELECT record FROM {} WHERE {} = $1",
            keyed.table, keyed.column
        );
        let statement = client.prepare_cached(&sql).await.map_err(self.fail.db())?;
        match client
            .query_opt(&statement, &[&key])
            .await
            .map_err(self.fail.db())?
        {
            Some(row) => decode(keyed.what, row.get::<_, &[u8]>(0)),
            None => Ok(T::default()),
        }
    }

    /// Applies `change` to the record under `key` in one transaction: the row is made if
    /// absent, then locked, read, changed and written. A record that cannot be read is refused
    /// and the transaction rolled back, so it stays as it is.
    async fn change_keyed<T>(
        &self,
        keyed: &Keyed,
        key: i64,
        change: impl FnOnce(&mut T),
    ) -> Result<T, StoreError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Default,
    {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(self.fail.db())?;
        // Inserting first makes a row to lock even for the first change: two first changes
        // then wait for each other rather than both inserting.
        let insert = format!(
            "INSERT INTO {} ({}, record) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            keyed.table, keyed.column
        );
        let insert = tx.prepare_cached(&insert).await.map_err(self.fail.db())?;
        tx.execute(&insert, &[&key, &encode(&T::default())])
            .await
            .map_err(self.fail.db())?;
        let select = format!(
            "SELECT record FROM {} WHERE {} = $1 FOR UPDATE",
            keyed.table, keyed.column
        );
        let select = tx.prepare_cached(&select).await.map_err(self.fail.db())?;
        let row = tx
            .query_one(&select, &[&key])
            .await
            .map_err(self.fail.db())?;
        let mut record: T = decode(keyed.what, row.get::<_, &[u8]>(0))?;
        change(&mut record);
        let update = format!(
            "UPDATE {} SET record = $2 WHERE {} = $1",
            keyed.table, keyed.column
        );
        let update = tx.prepare_cached(&update).await.map_err(self.fail.db())?;
        tx.execute(&update, &[&key, &encode(&record)])
            .await
            .map_err(self.fail.db())?;
        tx.commit().await.map_err(self.fail.db())?;
        Ok(record)
    }

    /// [`crate::store::Store::guild_settings`].
    pub(super) async fn read_settings(&self, guild: GuildId) -> Result<GuildSettings, StoreError> {
        self.read_keyed(&GUILDS, sql_id(guild.0)).await
    }

    /// [`crate::store::Store::update_guild_settings`].
    pub(super) async fn change_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError> {
        self.change_keyed(&GUILDS, sql_id(guild.0), |s| change.apply(s))
            .await
    }

    /// [`crate::store::Store::member_prefs`].
    pub(super) async fn read_prefs(&self, member: MemberId) -> Result<MemberPrefs, StoreError> {
        self.read_keyed(&MEMBERS, sql_id(member.0)).await
    }

    /// [`crate::store::Store::set_member_timezone`].
    pub(super) async fn change_timezone(
        &self,
        member: MemberId,
        timezone: Option<&str>,
    ) -> Result<MemberPrefs, StoreError> {
        self.change_keyed(&MEMBERS, sql_id(member.0), |p: &mut MemberPrefs| {
            p.timezone = timezone.map(str::to_owned);
        })
        .await
    }

    /// [`crate::store::Store::take_daily`]: one conditional upsert. The row changes only when
    /// the day turned or fewer than `limit` were counted; no row comes back otherwise.
    pub(super) async fn take_day(
        &self,
        counter: &str,
        day: Date,
        limit: u32,
    ) -> Result<bool, StoreError> {
        if limit == 0 {
            return Ok(false);
        }
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO daily_counts AS d (counter, day, count) VALUES ($1, $2, 1) \
                 ON CONFLICT (counter) DO UPDATE SET day = EXCLUDED.day, \
                 count = CASE WHEN d.day = EXCLUDED.day THEN d.count + 1 ELSE 1 END \
                 WHERE d.day <> EXCLUDED.day OR d.count < $3",
            )
            .await
            .map_err(self.fail.db())?;
        let taken = client
            .execute(&statement, &[&counter, &day, &limit])
            .await
            .map_err(self.fail.db())?;
        Ok(taken == 1)
    }

    /// [`crate::store::Store::give_back_daily`].
    pub(super) async fn give_back_day(&self, counter: &str, day: Date) -> Result<(), StoreError> {
        self.execute(
            "UPDATE daily_counts SET count = greatest(count - 1, 0) \
                 WHERE counter = $1 AND day = $2",
            &[&counter, &day],
        )
        .await?;
        Ok(())
    }

    /// [`crate::store::Store::receive_event`]: the key and the entry are written by one
    /// statement, so an event is kept exactly when its key is.
    pub(super) async fn receive(
        &self,
        key: &str,
        raw: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let seq: i64 = client
            .query_one("SELECT nextval('webhook_inbox_seq')", &[])
            .await
            .map_err(self.fail.db())?
            .get(0);
        let entry = InboxEntry {
            seq: from_sql_id(seq),
            key: key.to_owned(),
            received_at: at,
            raw: raw.to_owned(),
        };
        let statement = client
            .prepare_cached(
                "WITH k AS (INSERT INTO webhook_keys (key, received_at) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING RETURNING key) \
                 INSERT INTO webhook_inbox (seq, record) SELECT $3, $4 FROM k",
            )
            .await
            .map_err(self.fail.db())?;
        let kept = client
            .execute(&statement, &[&key, &at, &seq, &encode(&entry)])
            .await
            .map_err(self.fail.db())?;
        Ok(kept == 1)
    }

    /// [`crate::store::Store::pending_events`].
    pub(super) async fn pending(&self, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        client
            .query(
                "SELECT record FROM webhook_inbox ORDER BY seq LIMIT $1",
                &[&limit],
            )
            .await
            .map_err(self.fail.db())?
            .iter()
            .map(|row| decode(ENTRY, row.get::<_, &[u8]>(0)))
            .collect()
    }

    /// [`crate::store::Store::applied_event`].
    pub(super) async fn applied(&self, seq: u64) -> Result<(), StoreError> {
        self.execute("DELETE FROM webhook_inbox WHERE seq = $1", &[&sql_id(seq)])
            .await?;
        Ok(())
    }

    /// [`crate::store::Store::forget_event_keys`].
    pub(super) async fn forget_keys(&self, before: Timestamp) -> Result<usize, StoreError> {
        let gone = self
            .execute(
                "DELETE FROM webhook_keys WHERE received_at < $1",
                &[&before],
            )
            .await?;
        Ok(count(gone))
    }

    /// [`crate::store::Store::put_pending_link`].
    pub(super) async fn keep_pending(
        &self,
        key: &str,
        pending: &PendingLink,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO pending_links (key, expires_at, record) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at, \
                 record = EXCLUDED.record",
            &[&key, &pending.expires_at, &encode(pending)],
        )
        .await?;
        Ok(())
    }

    /// [`crate::store::Store::take_pending_link`]: `DELETE … RETURNING` gives the row to
    /// exactly one of two callbacks with the same state.
    pub(super) async fn take_pending(&self, key: &str) -> Result<Option<PendingLink>, StoreError> {
        let client = self.client().await?;
        client
            .query_opt(
                "DELETE FROM pending_links WHERE key = $1 RETURNING record",
                &[&key],
            )
            .await
            .map_err(self.fail.db())?
            .map(|row| decode(PENDING, row.get::<_, &[u8]>(0)))
            .transpose()
    }

    /// [`crate::store::Store::forget_pending_links`].
    pub(super) async fn forget_pending(&self, before: Timestamp) -> Result<usize, StoreError> {
        let gone = self
            .execute(
                "DELETE FROM pending_links WHERE expires_at < $1",
                &[&before],
            )
            .await?;
        Ok(count(gone))
    }

    /// [`crate::store::Store::member_link`].
    pub(super) async fn read_link(
        &self,
        member: MemberId,
    ) -> Result<Option<MemberLink>, StoreError> {
        let client = self.client().await?;
        client
            .query_opt(
                "SELECT record FROM member_links WHERE member = $1",
                &[&sql_id(member.0)],
            )
            .await
            .map_err(self.fail.db())?
            .map(|row| decode(LINK, row.get::<_, &[u8]>(0)))
            .transpose()
    }

    /// [`crate::store::Store::put_member_link`].
    pub(super) async fn write_link(&self, link: &MemberLink) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO member_links (member, zoom_user, record) VALUES ($1, $2, $3) \
                 ON CONFLICT (member) DO UPDATE SET zoom_user = EXCLUDED.zoom_user, \
                 record = EXCLUDED.record",
            &[&sql_id(link.member.0), &link.zoom_user, &encode(link)],
        )
        .await?;
        Ok(())
    }

    /// [`crate::store::Store::delete_member_link`].
    pub(super) async fn remove_link(
        &self,
        member: MemberId,
    ) -> Result<Option<MemberLink>, StoreError> {
        let client = self.client().await?;
        client
            .query_opt(
                "DELETE FROM member_links WHERE member = $1 RETURNING record",
                &[&sql_id(member.0)],
            )
            .await
            .map_err(self.fail.db())?
            .map(|row| decode(LINK, row.get::<_, &[u8]>(0)))
            .transpose()
    }

    /// [`crate::store::Store::zoom_user_links`], through the index by Zoom user.
    pub(super) async fn links_of(&self, zoom_user: &str) -> Result<Vec<MemberLink>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT record FROM member_links WHERE zoom_user = $1 ORDER BY member",
                &[&zoom_user],
            )
            .await
            .map_err(self.fail.db())?
            .iter()
            .map(|row| decode(LINK, row.get::<_, &[u8]>(0)))
            .collect()
    }
}
