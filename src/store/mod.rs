//! Where the bot keeps what it must remember: the meetings it created, servers' settings and
//! members' time zones. Behind a trait so the service does not care how; sled on disk by default,
//! PostgreSQL (`postgres`) for several replicas sharing one database.

pub mod codec;
pub mod disk;
pub mod memory;
pub mod postgres;
mod records;
pub mod transient;

use std::path::PathBuf;

use async_trait::async_trait;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::ids::{ChannelId, GuildId, MemberId, MessageId};

pub use disk::SledStore;
pub use memory::MemoryStore;
pub use postgres::PgStore;
pub use records::{
    DailyCount, GuildSettings, Held, InboxEntry, MeetingRecord, MemberLink, MemberPrefs,
    PendingLink, SettingField, Unfinished,
};

/// A store failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (disk full, read-only, I/O error).
    #[error("the bot's data store failed: {0}")]
    Backend(String),
    /// A record could not be read.
    #[error("a stored {what} is unreadable ({detail}); it was left as it is")]
    Corrupt {
        /// Which kind of record.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A record written by a newer zoombot: refused, never overwritten.
    #[error(
        "a stored {what} was written by a newer zoombot (record version {version}; this one reads up to {supported}); \
         it was left as it is. Run the newer zoombot, or restore a backup of the data directory."
    )]
    NewerVersion {
        /// Which kind of record.
        what: &'static str,
        /// The record's version.
        version: u64,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The database's schema was made by a newer zoombot: refused, nothing changed in it.
    #[error(
        "the database's schema is version {found}, this zoombot knows up to {known}; run the newer zoombot \
         (the database was left as it is)"
    )]
    NewerSchema {
        /// The schema version the database records.
        found: u32,
        /// The newest schema version this build knows.
        known: u32,
    },
    /// Another process holds the data directory.
    #[error(
        "the data directory {} is in use by another process (another zoombot?). Stop it, or set DATA_DIR to another directory.",
        .0.display()
    )]
    Locked(PathBuf),
}

/// A change to one meeting record, applied atomically by [`Store::update_meeting`]. Each is a
/// named operation, not code run under a lock, so a SQL backend can do it in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingChange {
    /// Cancelled through the bot.
    Cancel,
    /// Zoom's UUID of the meeting, learned after its creation.
    Uuid(String),
    /// Where its public message is.
    Message {
        /// The channel it was posted in.
        channel: ChannelId,
        /// The message.
        message: MessageId,
    },
    /// Its Discord scheduled event (`None`: it has none any more).
    Event(Option<u64>),
    /// When the scheduler looks at it next (`None`: never), set outright: a retry.
    Reminder(Option<Timestamp>),
    /// The scheduler did what was due at `now`: reminded (or passed over) the occurrence
    /// starting at `reminded`, moved the event on to the one at `event_at`.
    Stepped {
        /// The occurrence reminded or passed over.
        reminded: Option<Timestamp>,
        /// Where the event now is.
        event_at: Option<Timestamp>,
        /// When this was done: the next wake-up follows from it.
        now: Timestamp,
        /// The (first) start the step was worked out for: a reschedule in between wins.
        start: Timestamp,
    },
    /// Moved to another start and length (a series: all of it); the reminders start over.
    Reschedule {
        /// The new (first) start.
        start: Timestamp,
        /// The new length, minutes.
        duration_minutes: u32,
        /// When this was done.
        now: Timestamp,
    },
    /// Renamed (in Zoom's own app).
    Retitle(String),
    /// Zoom says an instance started. Ignored for an instance already ended: a late `started`
    /// must not make it live again.
    Started {
        /// The instance's UUID.
        uuid: String,
        /// When.
        at: Timestamp,
    },
    /// Zoom says an instance ended.
    Ended {
        /// The instance's UUID.
        uuid: String,
        /// When it started, as Zoom says.
        started: Option<Timestamp>,
        /// When it ended.
        at: Timestamp,
    },
    /// One occurrence of a series cancelled; its event moves to the next one.
    Skip {
        /// The occurrence's start.
        start: Timestamp,
        /// When this was done.
        now: Timestamp,
    },
}

impl MeetingChange {
    /// The change made to `record` (what every backend must do, atomically).
    pub fn apply(&self, record: &mut MeetingRecord) {
        match self {
            Self::Retitle(topic) => record.topic.clone_from(topic),
            Self::Cancel => {
                record.cancelled = true;
                record.reminder_due = None;
            }
            Self::Uuid(uuid) => record.uuid = Some(uuid.clone()),
            Self::Message { channel, message } => {
                record.channel = *channel;
                record.message = Some(*message);
            }
            Self::Event(event) => record.event = *event,
            Self::Reminder(due) => record.reminder_due = *due,
            Self::Stepped {
                reminded,
                event_at,
                now,
                start,
            } => {
                if record.start == *start {
                    record.reminded = record.reminded.max(*reminded);
                    if event_at.is_some() {
                        record.event_at = *event_at;
                    }
                }
                record.reminder_due = record.wake(*now);
            }
            Self::Reschedule {
                start,
                duration_minutes,
                now,
            } => {
                record.start = *start;
                record.duration_minutes = *duration_minutes;
                record.reminded = None;
                record.skipped.clear();
                if record.series.is_some() {
                    record.event_at = Some(*start);
                }
                record.settle(*now);
                record.reminder_due = record.wake(*now);
            }
            Self::Started { uuid, at } => {
                let over = record
                    .held
                    .as_ref()
                    .is_some_and(|h| h.uuid == *uuid && h.ended.is_some());
                if !over {
                    record.held = Some(Held {
                        uuid: uuid.clone(),
                        started: *at,
                        ended: None,
                    });
                }
            }
            Self::Ended { uuid, started, at } => {
                let began = record
                    .held
                    .as_ref()
                    .filter(|h| h.uuid == *uuid)
                    .map(|h| h.started);
                record.held = Some(Held {
                    uuid: uuid.clone(),
                    started: began.or(*started).unwrap_or(*at),
                    ended: Some(*at),
                });
            }
            Self::Skip { start, now } => {
                if !record.skipped.contains(start) {
                    record.skipped.push(*start);
                }
                if record.event_at == Some(*start) {
                    record.event_at = record.current(*now);
                }
                record.reminder_due = record.wake(*now);
            }
        }
    }
}

/// A change to a server's settings, applied atomically by [`Store::update_guild_settings`]:
/// concurrent changes of different fields all take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsChange<'a> {
    /// Sets every field the given settings set, leaving the others as they are.
    Set(&'a GuildSettings),
    /// Unsets one field.
    Reset(SettingField),
    /// Unsets every field.
    ResetAll,
}

impl SettingsChange<'_> {
    /// The change made to `settings` (what every backend must do, atomically).
    pub fn apply(self, settings: &mut GuildSettings) {
        match self {
            Self::Set(change) => settings.apply(change),
            Self::Reset(field) => settings.reset(field),
            Self::ResetAll => *settings = GuildSettings::default(),
        }
    }
}

/// The bot's storage. Every operation is async, and each atomic update is one named operation
/// ([`MeetingChange`], [`SettingsChange`], the daily counters), so a backend can do each in one
/// transaction. [`Store::flush`] makes what was written durable, and a write is acknowledged to a
/// user only after it.
#[async_trait]
pub trait Store: Send + Sync {
    /// Records a new meeting (or replaces the record with the same server and Zoom id).
    async fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError>;
    /// The meeting with `zoom_id` created from `guild`; another server's meetings are invisible.
    async fn meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError>;
    /// Makes `change` to a meeting's record atomically (a cancel and the note of where its
    /// message is can race; neither may undo the other). `None` when there is no such record.
    async fn update_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
        change: &MeetingChange,
    ) -> Result<Option<MeetingRecord>, StoreError>;
    /// Every meeting created from `guild`.
    async fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError>;
    /// The meetings of `guild` that end after `after`, through an index by end: lists and
    /// autocompletes read only these, however many past meetings a server has.
    async fn meetings_ending_after(
        &self,
        guild: GuildId,
        after: Timestamp,
    ) -> Result<Vec<MeetingRecord>, StoreError>;
    /// The meeting with `zoom_id`, whichever server it was created from: a meeting number is
    /// someone's once it is recorded.
    async fn zoom_meeting(&self, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError>;
    /// The meetings whose reminder is due at or before `until`, soonest first, at most `limit`,
    /// through an index by due time (across servers: the one scheduler reads it).
    async fn due_reminders(
        &self,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<MeetingRecord>, StoreError>;
    /// When the soonest pending reminder is due (possibly earlier than any: the index may hold
    /// an entry a crash left behind, which [`Store::due_reminders`] then drops).
    async fn next_reminder(&self) -> Result<Option<Timestamp>, StoreError>;
    /// Forgets the meetings that ended before `ended_before`; returns how many.
    async fn prune_meetings(&self, ended_before: Timestamp) -> Result<usize, StoreError>;
    /// Counts one use of `counter` on the UTC `day` if fewer than `limit` were counted that day,
    /// atomically; `false` (nothing counted) when the day's `limit` is used up.
    async fn take_daily(&self, counter: &str, day: Date, limit: u32) -> Result<bool, StoreError>;
    /// Gives back one use of `counter` on `day` (what it was taken for did not happen).
    async fn give_back_daily(&self, counter: &str, day: Date) -> Result<(), StoreError>;
    /// A server's settings (all unset when it never changed any).
    async fn guild_settings(&self, guild: GuildId) -> Result<GuildSettings, StoreError>;
    /// Makes `change` to a server's settings atomically. Returns the settings after it.
    async fn update_guild_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError>;
    /// A member's preferences (they follow the member across servers).
    async fn member_prefs(&self, member: MemberId) -> Result<MemberPrefs, StoreError>;
    /// Sets (or with `None`, clears) a member's own time zone atomically; returns their
    /// preferences after it.
    async fn set_member_timezone(
        &self,
        member: MemberId,
        timezone: Option<&str>,
    ) -> Result<MemberPrefs, StoreError>;
    /// Keeps a webhook event received at `at` under `key`, unless an event with that key was
    /// received before (then `false`, nothing kept), atomically.
    async fn receive_event(&self, key: &str, raw: &str, at: Timestamp) -> Result<bool, StoreError>;
    /// The events received and not applied yet, in the order received, at most `limit`.
    async fn pending_events(&self, limit: usize) -> Result<Vec<InboxEntry>, StoreError>;
    /// Takes an applied event out of the inbox (its key stays, so a redelivery is a duplicate).
    async fn applied_event(&self, seq: u64) -> Result<(), StoreError>;
    /// Forgets the keys of events received before `before`; returns how many.
    async fn forget_event_keys(&self, before: Timestamp) -> Result<usize, StoreError>;
    /// Keeps a `/zoom link` begun under `key` (a hash of its state value).
    async fn put_pending_link(&self, key: &str, pending: &PendingLink) -> Result<(), StoreError>;
    /// Takes the `/zoom link` kept under `key` out, atomically: a state is used once, whichever
    /// process receives the callback.
    async fn take_pending_link(&self, key: &str) -> Result<Option<PendingLink>, StoreError>;
    /// Forgets the `/zoom link`s that expired before `before`; returns how many.
    async fn forget_pending_links(&self, before: Timestamp) -> Result<usize, StoreError>;
    /// A member's linked Zoom account.
    async fn member_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError>;
    /// Stores (or replaces) a member's link.
    async fn put_member_link(&self, link: &MemberLink) -> Result<(), StoreError>;
    /// Removes a member's link; returns what it was.
    async fn delete_member_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError>;
    /// Every member linked to the Zoom user `zoom_user` (a deauthorization names only it).
    async fn zoom_user_links(&self, zoom_user: &str) -> Result<Vec<MemberLink>, StoreError>;
    /// Keeps an interaction taken up and not answered yet (replacing one with its id).
    async fn put_unfinished(&self, unfinished: &Unfinished) -> Result<(), StoreError>;
    /// Every interaction taken up and not answered yet, by id.
    async fn unfinished(&self) -> Result<Vec<Unfinished>, StoreError>;
    /// Hands the unfinished interaction `id` from `from` to `to`, atomically: of two processes
    /// taking over one that died, exactly one gets it. `false`: it is not `from`'s (any more).
    async fn claim_unfinished(&self, id: u64, from: &str, to: &str) -> Result<bool, StoreError>;
    /// Forgets the unfinished interaction `id`: it was answered.
    async fn finish_unfinished(&self, id: u64) -> Result<(), StoreError>;
    /// What the processes sharing this store agree on but need not keep (cooldowns, the replay
    /// guard, leases).
    fn coordination(&self) -> &dyn Coordination;
    /// Makes every write so far durable.
    async fn flush(&self) -> Result<(), StoreError>;
}

/// What the processes sharing a store must agree on but need not keep: cooldown slots,
/// deliveries already seen, leases. One process's own for sled and memory
/// ([`transient::Transient`]); tables every replica sees for PostgreSQL.
#[async_trait]
pub trait Coordination: Send + Sync {
    /// Takes one of `key`'s slots in a sliding window: at most `count` taken in any `window`
    /// ending at `now`, atomically across every process sharing the store. `Ok(Ok(taken))`: the
    /// slot (give it back with [`Coordination::give_back_slot`]); `Ok(Err(frees_at))`: none is free,
    /// and when the oldest one frees up.
    async fn take_slot(
        &self,
        key: &str,
        count: u32,
        window: std::time::Duration,
        now: Timestamp,
    ) -> Result<Result<Timestamp, Timestamp>, StoreError>;
    /// Gives back a slot of `key` taken at `taken` (what it was taken for did not happen).
    async fn give_back_slot(&self, key: &str, taken: Timestamp) -> Result<(), StoreError>;
    /// Whether a delivery with `key` (an interaction id, …) is seen for the first time, across
    /// every process sharing the store; it is remembered until [`Coordination::forget_transient`]
    /// is called after `until`.
    async fn first_delivery(&self, key: &str, until: Timestamp) -> Result<bool, StoreError>;
    /// Takes the lease `name` for `owner` until `until` if it is free, expired at `now`, or
    /// `owner`'s already (then renewed). `false`: another owner holds it.
    async fn take_lease(
        &self,
        name: &str,
        owner: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Gives up the lease `name` if `owner` holds it.
    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError>;
    /// Forgets deliveries remembered until before `now`, leases expired before `now`, and slots
    /// taken before `slots_before`; returns how many.
    async fn forget_transient(
        &self,
        now: Timestamp,
        slots_before: Timestamp,
    ) -> Result<usize, StoreError>;
}
