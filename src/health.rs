//! What "healthy" means: the Discord gateway is connected (when there is one: [`NoGateway`]) and
//! the store's writes reach the disk.
//! `GET /healthz` asks; `discord::GatewayStatus` knows the gateway's state.
//!
//! The store's health is what its flushes said, remembered by [`WatchedStore`] as the service
//! makes them, never a flush made for the probe: a probe that writes to disk lets anyone who can
//! reach `/healthz` make the bot do I/O as fast as they can ask, and it queues behind the flushes
//! that members' commands wait on. The cost is that a disk that fails while nothing is written
//! shows at the next write, which is when it matters. Every other operation's backend failure
//! counts too, until one succeeds: a PostgreSQL flush has nothing to wait for, so a database
//! that went away shows at the next read.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::ids::{GuildId, MemberId};
use crate::store::{
    GuildSettings, MeetingChange, MeetingRecord, MemberPrefs, SettingsChange, Store, StoreError,
};

/// How long a flush may be under way before the store counts as stuck.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// The Discord gateway connection, as the Discord side knows it.
pub trait Gateway: Send + Sync {
    /// Whether it is connected, and its state in words ("connected", "resuming", …).
    fn state(&self) -> Pin<Box<dyn Future<Output = (bool, String)> + Send + '_>>;
}

/// No gateway: with `DISCORD_MODE=http` Discord posts interactions to the HTTP server, so there
/// is no connection to be down, and health is the store's alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGateway;

impl Gateway for NoGateway {
    fn state(&self) -> Pin<Box<dyn Future<Output = (bool, String)> + Send + '_>> {
        Box::pin(async { (true, "not used (DISCORD_MODE=http)".to_owned()) })
    }
}

/// Checks the bot's health.
#[derive(Clone)]
pub struct Health {
    gateway: Arc<dyn Gateway>,
    flushes: Arc<FlushWatch>,
    store_timeout: Duration,
}

impl Health {
    /// Health from the gateway's state and the flushes of a [`WatchedStore`], with the default
    /// store timeout.
    pub fn new(gateway: Arc<dyn Gateway>, flushes: Arc<FlushWatch>) -> Self {
        Self {
            gateway,
            flushes,
            store_timeout: STORE_TIMEOUT,
        }
    }

    /// Replaces how long a flush may be under way before the store counts as stuck.
    #[must_use]
    pub fn with_store_timeout(mut self, timeout: Duration) -> Self {
        self.store_timeout = timeout;
        self
    }

    /// `Ok` when healthy, otherwise every reason it is not.
    pub async fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let (up, state) = self.gateway.state().await;
        if !up {
            problems.push(format!("Discord gateway: {state}"));
        }
        problems.extend(self.flushes.problem(self.store_timeout));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Wraps `store` so its flushes are remembered; hand the first to the service and the second to
/// [`Health::new`].
pub fn watch_flushes(store: Arc<dyn Store>) -> (Arc<dyn Store>, Arc<FlushWatch>) {
    let flushes = Arc::new(FlushWatch::default());
    let watched = WatchedStore {
        inner: store,
        flushes: Arc::clone(&flushes),
    };
    (Arc::new(watched), flushes)
}

/// What the store's flushes have said: the ones under way, and how the last one ended.
#[derive(Debug, Default)]
pub struct FlushWatch {
    state: Mutex<Flushes>,
}

#[derive(Debug, Default)]
struct Flushes {
    next: u64,
    /// When each flush under way began.
    under_way: BTreeMap<u64, Instant>,
    /// The error of the last flush that finished, if it failed.
    last_error: Option<String>,
    /// The backend's error of the last other operation, if it failed (a database that went away
    /// shows here before any flush: PostgreSQL's flushes have nothing to wait for).
    last_operation_error: Option<String>,
}

impl FlushWatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Flushes> {
        // The state stays consistent whatever panicked while it was held: each change is one step.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn begin(self: &Arc<Self>) -> FlushTicket {
        let mut state = self.lock();
        let id = state.next;
        state.next += 1;
        state.under_way.insert(id, Instant::now());
        FlushTicket {
            watch: Arc::clone(self),
            id,
        }
    }

    /// Why the store is unhealthy, if it is: a flush under way for longer than `timeout`, or
    /// else the error of the last flush.
    fn problem(&self, timeout: Duration) -> Option<String> {
        let state = self.lock();
        let stuck = state
            .under_way
            .values()
            .min()
            .is_some_and(|began| began.elapsed() > timeout);
        if stuck {
            return Some(format!(
                "store: a write has not reached the disk within {}",
                humantime::format_duration(timeout)
            ));
        }
        state
            .last_error
            .as_ref()
            .or(state.last_operation_error.as_ref())
            .map(|err| format!("store: {err}"))
    }

    /// Notes how an operation other than a flush ended: only the backend's failures count (a
    /// record that cannot be read is that record's problem, not the store's).
    fn operation(&self, failed: Option<&StoreError>) {
        let mut state = self.lock();
        match failed {
            Some(err @ StoreError::Backend(_)) => {
                state.last_operation_error = Some(err.to_string());
            }
            Some(_) => {}
            None => state.last_operation_error = None,
        }
    }
}

/// One flush under way; dropped unfinished (its caller gave up), it is forgotten.
struct FlushTicket {
    watch: Arc<FlushWatch>,
    id: u64,
}

impl FlushTicket {
    fn finish(self, result: &Result<(), StoreError>) {
        self.watch.lock().last_error = result.as_ref().err().map(ToString::to_string);
    }
}

impl Drop for FlushTicket {
    fn drop(&mut self) {
        self.watch.lock().under_way.remove(&self.id);
    }
}

/// A store whose flushes [`FlushWatch`] remembers, and whether its last other operation reached
/// the backend; everything goes straight through.
struct WatchedStore {
    inner: Arc<dyn Store>,
    flushes: Arc<FlushWatch>,
}

impl WatchedStore {
    fn seen<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        self.flushes.operation(result.as_ref().err());
        result
    }
}

#[async_trait]
impl Store for WatchedStore {
    async fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        self.seen(self.inner.put_meeting(record).await)
    }
    async fn meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.seen(self.inner.meeting(guild, zoom_id).await)
    }
    async fn update_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
        change: &MeetingChange,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.seen(self.inner.update_meeting(guild, zoom_id, change).await)
    }
    async fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError> {
        self.seen(self.inner.guild_meetings(guild).await)
    }
    async fn meetings_ending_after(
        &self,
        guild: GuildId,
        after: Timestamp,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.seen(self.inner.meetings_ending_after(guild, after).await)
    }
    async fn zoom_meeting(&self, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError> {
        self.seen(self.inner.zoom_meeting(zoom_id).await)
    }
    async fn due_reminders(
        &self,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.seen(self.inner.due_reminders(until, limit).await)
    }
    async fn next_reminder(&self) -> Result<Option<Timestamp>, StoreError> {
        self.seen(self.inner.next_reminder().await)
    }
    async fn receive_event(&self, key: &str, raw: &str, at: Timestamp) -> Result<bool, StoreError> {
        self.seen(self.inner.receive_event(key, raw, at).await)
    }
    async fn pending_events(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::store::InboxEntry>, StoreError> {
        self.seen(self.inner.pending_events(limit).await)
    }
    async fn applied_event(&self, seq: u64) -> Result<(), StoreError> {
        self.seen(self.inner.applied_event(seq).await)
    }
    async fn put_pending_link(
        &self,
        key: &str,
        pending: &crate::store::PendingLink,
    ) -> Result<(), StoreError> {
        self.seen(self.inner.put_pending_link(key, pending).await)
    }
    async fn take_pending_link(
        &self,
        key: &str,
    ) -> Result<Option<crate::store::PendingLink>, StoreError> {
        self.seen(self.inner.take_pending_link(key).await)
    }
    async fn forget_pending_links(&self, before: Timestamp) -> Result<usize, StoreError> {
        self.seen(self.inner.forget_pending_links(before).await)
    }
    async fn member_link(
        &self,
        member: crate::ids::MemberId,
    ) -> Result<Option<crate::store::MemberLink>, StoreError> {
        self.seen(self.inner.member_link(member).await)
    }
    async fn put_member_link(&self, link: &crate::store::MemberLink) -> Result<(), StoreError> {
        self.seen(self.inner.put_member_link(link).await)
    }
    async fn put_unfinished(
        &self,
        unfinished: &crate::store::Unfinished,
    ) -> Result<(), StoreError> {
        self.seen(self.inner.put_unfinished(unfinished).await)
    }
    async fn unfinished(&self) -> Result<Vec<crate::store::Unfinished>, StoreError> {
        self.seen(self.inner.unfinished().await)
    }
    async fn claim_unfinished(&self, id: u64, from: &str, to: &str) -> Result<bool, StoreError> {
        self.seen(self.inner.claim_unfinished(id, from, to).await)
    }
    async fn finish_unfinished(&self, id: u64) -> Result<(), StoreError> {
        self.seen(self.inner.finish_unfinished(id).await)
    }
    async fn delete_member_link(
        &self,
        member: crate::ids::MemberId,
    ) -> Result<Option<crate::store::MemberLink>, StoreError> {
        self.seen(self.inner.delete_member_link(member).await)
    }
    async fn zoom_user_links(
        &self,
        zoom_user: &str,
    ) -> Result<Vec<crate::store::MemberLink>, StoreError> {
        self.seen(self.inner.zoom_user_links(zoom_user).await)
    }
    async fn forget_event_keys(&self, before: Timestamp) -> Result<usize, StoreError> {
        self.seen(self.inner.forget_event_keys(before).await)
    }
    async fn prune_meetings(&self, ended_before: Timestamp) -> Result<usize, StoreError> {
        self.seen(self.inner.prune_meetings(ended_before).await)
    }
    async fn take_daily(&self, counter: &str, day: Date, limit: u32) -> Result<bool, StoreError> {
        self.seen(self.inner.take_daily(counter, day, limit).await)
    }
    async fn give_back_daily(&self, counter: &str, day: Date) -> Result<(), StoreError> {
        self.seen(self.inner.give_back_daily(counter, day).await)
    }
    async fn guild_settings(&self, guild: GuildId) -> Result<GuildSettings, StoreError> {
        self.seen(self.inner.guild_settings(guild).await)
    }
    async fn update_guild_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError> {
        self.seen(self.inner.update_guild_settings(guild, change).await)
    }
    async fn member_prefs(&self, member: MemberId) -> Result<MemberPrefs, StoreError> {
        self.seen(self.inner.member_prefs(member).await)
    }
    async fn set_member_timezone(
        &self,
        member: MemberId,
        timezone: Option<&str>,
    ) -> Result<MemberPrefs, StoreError> {
        self.seen(self.inner.set_member_timezone(member, timezone).await)
    }
    fn coordination(&self) -> &dyn crate::store::Coordination {
        self.inner.coordination()
    }
    async fn flush(&self) -> Result<(), StoreError> {
        let ticket = self.flushes.begin();
        let result = self.inner.flush().await;
        ticket.finish(&result);
        result
    }
}
