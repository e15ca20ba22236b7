//! The PostgreSQL store, for several replicas sharing one database (`DATABASE_URL`). Each atomic
//! operation of the [`Store`] trait is one statement, one function call, one compare-and-swap
//! (`UPDATE … WHERE record = <the bytes read>`) or one transaction (`SELECT … FOR UPDATE`, then
//! `UPDATE`), so two processes never undo each other's changes. Records are the codec's
//! bytes, as in sled. Connections come from a pool that drops broken ones, so a PostgreSQL
//! restart costs the operations under way (each fails as [`StoreError::Backend`]), not the bot.
//!
//! Each job in a file of its own: `schema.rs` (migrations), `meetings.rs`, `records.rs`
//! (settings, preferences, quotas, inbox, links), `pool.rs` (connections), `unfinished.rs`
//! (interactions not answered yet), `transient.rs` (slots, deliveries, leases), `url.rs` (the
//! password kept out of messages).

mod fail;
mod meetings;
mod pool;
mod records;
mod schema;
mod transient;
mod unfinished;
mod url;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use jiff::Timestamp;
use jiff::civil::Date;

use super::{
    GuildSettings, InboxEntry, MeetingChange, MeetingRecord, MemberLink, MemberPrefs, PendingLink,
    SettingsChange, Store, StoreError, Unfinished,
};
use crate::ids::{GuildId, MemberId};

use fail::{Fail, chain};
pub use schema::{Migrated, SCHEMA_VERSION};
pub use url::redact;

/// How many connections a store keeps at most, unless told otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// How long connecting may take (unless the URL says `connect_timeout`): an unreachable server is
/// reported, not waited for.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one operation may take in all: a server that stopped answering (hung, or its host
/// gone without closing the connection) fails the operation rather than holding it for good.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The store on a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    fail: Arc<Fail>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.fail.url)
            .finish_non_exhaustive()
    }
}

/// What a database's schema is, as `zoombot doctor` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The version the database records (`None`: no zoombot migrated it yet).
    pub found: Option<u32>,
    /// The newest version this build knows.
    pub known: u32,
}

/// A Discord id (a `u64`) as PostgreSQL's `bigint`: the same 64 bits, so every id round-trips.
fn sql_id(id: u64) -> i64 {
    i64::from_ne_bytes(id.to_ne_bytes())
}

/// A `bigint` column back as a Discord id.
fn from_sql_id(id: i64) -> u64 {
    u64::from_ne_bytes(id.to_ne_bytes())
}

impl PgStore {
    /// Connects to `url` with at most `pool_size` connections (0: [`DEFAULT_POOL_SIZE`]) and
    /// brings its schema up to date. Fails on an unreachable database, and on one whose schema
    /// a newer zoombot made ([`StoreError::NewerSchema`], nothing changed).
    pub async fn connect(url: &str, pool_size: usize) -> Result<Self, StoreError> {
        let store = Self::pool(url, pool_size)?;
        let mut client = store.pool.get().await.map_err(store.fail.pool())?;
        schema::migrate(&mut client, &store.fail).await?;
        Ok(store)
    }

    /// Brings the schema of the database at `url` up to date, and nothing else (`zoombot
    /// migrate`).
    pub async fn migrate(url: &str) -> Result<Migrated, StoreError> {
        let store = Self::pool(url, 1)?;
        let mut client = store.pool.get().await.map_err(store.fail.pool())?;
        schema::migrate(&mut client, &store.fail).await
    }

    /// The schema version of the database at `url`, read without changing anything (`zoombot
    /// doctor`).
    pub async fn schema_status(url: &str) -> Result<SchemaStatus, StoreError> {
        let store = Self::pool(url, 1)?;
        let client = store.pool.get().await.map_err(store.fail.pool())?;
        Ok(SchemaStatus {
            found: schema::read_version(&client, &store.fail).await?,
            known: SCHEMA_VERSION,
        })
    }

    fn pool(url: &str, pool_size: usize) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            Fail::new(url, None).backend(&format!("cannot read the URL ({})", chain(&e)))
        })?;
        let fail = Arc::new(Fail::new(url, Some(&config)));
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("zoombot");
        }
        let size = if pool_size == 0 {
            DEFAULT_POOL_SIZE
        } else {
            pool_size
        };
        let pool = pool::build(config, size).map_err(|e| fail.backend(&e.to_string()))?;
        Ok(Self { pool, fail })
    }

    /// `operation`, failed as a backend failure when it takes longer than [`OPERATION_TIMEOUT`].
    async fn bounded<T>(
        &self,
        operation: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(OPERATION_TIMEOUT, operation)
            .await
            .unwrap_or_else(|_| {
                Err(self.fail.backend(&format!(
                    "no answer within {} s",
                    OPERATION_TIMEOUT.as_secs()
                )))
            })
    }

    /// A connection from the pool.
    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(self.fail.pool())
    }

    /// One statement on a connection from the pool, prepared once per connection; the rows it
    /// changed.
    async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        // Prepared once per connection: a statement sent as text is parsed in a round trip of
        // its own each time.
        let statement = client.prepare_cached(sql).await.map_err(self.fail.db())?;
        client
            .execute(&statement, params)
            .await
            .map_err(self.fail.db())
    }
}

#[async_trait]
impl Store for PgStore {
    async fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        self.bounded(self.write_meeting(record)).await
    }

    async fn meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.bounded(self.read_meeting(guild, zoom_id)).await
    }

    async fn update_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
        change: &MeetingChange,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.bounded(self.change_meeting(guild, zoom_id, change))
            .await
    }

    async fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError> {
        self.bounded(self.meetings_of(guild)).await
    }

    async fn meetings_ending_after(
        &self,
        guild: GuildId,
        after: Timestamp,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.bounded(self.meetings_after(guild, after)).await
    }

    async fn zoom_meeting(&self, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError> {
        self.bounded(self.meeting_numbered(zoom_id)).await
    }

    async fn due_reminders(
        &self,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.bounded(self.due(until, limit)).await
    }

    async fn next_reminder(&self) -> Result<Option<Timestamp>, StoreError> {
        self.bounded(self.next_due()).await
    }

    async fn prune_meetings(&self, ended_before: Timestamp) -> Result<usize, StoreError> {
        self.bounded(self.prune(ended_before)).await
    }

    async fn take_daily(&self, counter: &str, day: Date, limit: u32) -> Result<bool, StoreError> {
        self.bounded(self.take_day(counter, day, limit)).await
    }

    async fn give_back_daily(&self, counter: &str, day: Date) -> Result<(), StoreError> {
        self.bounded(self.give_back_day(counter, day)).await
    }

    async fn guild_settings(&self, guild: GuildId) -> Result<GuildSettings, StoreError> {
        self.bounded(self.read_settings(guild)).await
    }

    async fn update_guild_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError> {
        self.bounded(self.change_settings(guild, change)).await
    }

    async fn member_prefs(&self, member: MemberId) -> Result<MemberPrefs, StoreError> {
        self.bounded(self.read_prefs(member)).await
    }

    async fn set_member_timezone(
        &self,
        member: MemberId,
        timezone: Option<&str>,
    ) -> Result<MemberPrefs, StoreError> {
        self.bounded(self.change_timezone(member, timezone)).await
    }

    async fn receive_event(&self, key: &str, raw: &str, at: Timestamp) -> Result<bool, StoreError> {
        self.bounded(self.receive(key, raw, at)).await
    }

    async fn pending_events(&self, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        self.bounded(self.pending(limit)).await
    }

    async fn applied_event(&self, seq: u64) -> Result<(), StoreError> {
        self.bounded(self.applied(seq)).await
    }

    async fn forget_event_keys(&self, before: Timestamp) -> Result<usize, StoreError> {
        self.bounded(self.forget_keys(before)).await
    }

    async fn put_pending_link(&self, key: &str, pending: &PendingLink) -> Result<(), StoreError> {
        self.bounded(self.keep_pending(key, pending)).await
    }

    async fn take_pending_link(&self, key: &str) -> Result<Option<PendingLink>, StoreError> {
        self.bounded(self.take_pending(key)).await
    }

    async fn forget_pending_links(&self, before: Timestamp) -> Result<usize, StoreError> {
        self.bounded(self.forget_pending(before)).await
    }

    async fn member_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError> {
        self.bounded(self.read_link(member)).await
    }

    async fn put_member_link(&self, link: &MemberLink) -> Result<(), StoreError> {
        self.bounded(self.write_link(link)).await
    }

    async fn put_unfinished(&self, unfinished: &Unfinished) -> Result<(), StoreError> {
        self.bounded(self.keep_unfinished(unfinished)).await
    }

    async fn unfinished(&self) -> Result<Vec<Unfinished>, StoreError> {
        self.bounded(self.all_unfinished()).await
    }

    async fn claim_unfinished(&self, id: u64, from: &str, to: &str) -> Result<bool, StoreError> {
        self.bounded(self.claim(id, from, to)).await
    }

    async fn finish_unfinished(&self, id: u64) -> Result<(), StoreError> {
        self.bounded(self.finish(id)).await
    }

    async fn delete_member_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError> {
        self.bounded(self.remove_link(member)).await
    }

    async fn zoom_user_links(&self, zoom_user: &str) -> Result<Vec<MemberLink>, StoreError> {
        self.bounded(self.links_of(zoom_user)).await
    }

    fn coordination(&self) -> &dyn super::Coordination {
        self
    }

    /// A commit is durable in PostgreSQL: there is nothing more to wait for.
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Slots, deliveries and leases in tables every replica sees.
#[async_trait]
impl super::Coordination for PgStore {
    async fn take_slot(
        &self,
        key: &str,
        count: u32,
        window: Duration,
        now: Timestamp,
    ) -> Result<Result<Timestamp, Timestamp>, StoreError> {
        self.bounded(self.slot(key, count, window, now)).await
    }

    async fn give_back_slot(&self, key: &str, taken: Timestamp) -> Result<(), StoreError> {
        self.bounded(self.unslot(key, taken)).await
    }

    async fn first_delivery(&self, key: &str, until: Timestamp) -> Result<bool, StoreError> {
        self.bounded(self.delivered(key, until)).await
    }

    async fn take_lease(
        &self,
        name: &str,
        owner: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.bounded(self.lease(name, owner, until, now)).await
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        self.bounded(self.unlease(name, owner)).await
    }

    async fn forget_transient(
        &self,
        now: Timestamp,
        slots_before: Timestamp,
    ) -> Result<usize, StoreError> {
        self.bounded(self.forget_short_lived(now, slots_before))
            .await
    }
}
