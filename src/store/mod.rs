//! Where the bot keeps what it must remember: the meetings it created, servers' settings and
//! members' time zones. Behind a trait so the service does not care how; sled on disk by default.

pub mod codec;
pub mod disk;
pub mod memory;
mod records;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::ids::{GuildId, MemberId};

pub use disk::SledStore;
pub use memory::MemoryStore;
pub use records::{DailyCount, GuildSettings, MeetingRecord, MemberPrefs, SettingField};

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
    /// Another process holds the data directory.
    #[error(
        "the data directory {} is in use by another process (another zoombot?). Stop it, or set DATA_DIR to another directory.",
        .0.display()
    )]
    Locked(PathBuf),
}

/// A boxed future, so the trait stays object-safe.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A change to a server's settings, applied atomically by [`Store::update_guild_settings`]. It may
/// run more than once (when another update wins a race), so it must only depend on its argument.
pub type SettingsChange<'a> = &'a (dyn Fn(&mut GuildSettings) + Sync);

/// A change to one meeting record, applied atomically by [`Store::update_meeting`]; like
/// [`SettingsChange`], it may run more than once.
pub type MeetingChange<'a> = &'a (dyn Fn(&mut MeetingRecord) + Sync);

/// The bot's storage. Reads and writes are quick and synchronous; [`Store::flush`] makes what was
/// written durable, and a write is acknowledged to a user only after it.
pub trait Store: Send + Sync {
    /// Records a new meeting (or replaces the record with the same server and Zoom id).
    fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError>;
    /// The meeting with `zoom_id` created from `guild`; another server's meetings are invisible.
    fn meeting(&self, guild: GuildId, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError>;
    /// Applies `change` to a meeting's record atomically (a cancel and the note of where its
    /// message is can race; neither may undo the other). `None` when there is no such record.
    fn update_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
        change: MeetingChange<'_>,
    ) -> Result<Option<MeetingRecord>, StoreError>;
    /// Every meeting created from `guild`.
    fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError>;
    /// The meetings of `guild` that end after `after`, through an index by end: lists and
    /// autocompletes read only these, however many past meetings a server has.
    fn meetings_ending_after(
        &self,
        guild: GuildId,
        after: Timestamp,
    ) -> Result<Vec<MeetingRecord>, StoreError>;
    /// The meeting with `zoom_id`, whichever server it was created from: a meeting number is
    /// someone's once it is recorded.
    fn zoom_meeting(&self, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError>;
    /// Forgets the meetings that ended before `ended_before`; returns how many.
    fn prune_meetings(&self, ended_before: Timestamp) -> Result<usize, StoreError>;
    /// Counts one use of `counter` on the UTC `day` if fewer than `limit` were counted that day,
    /// atomically; `false` (nothing counted) when the day's `limit` is used up.
    fn take_daily(&self, counter: &str, day: Date, limit: u32) -> Result<bool, StoreError>;
    /// Gives back one use of `counter` on `day` (what it was taken for did not happen).
    fn give_back_daily(&self, counter: &str, day: Date) -> Result<(), StoreError>;
    /// A server's settings (all unset when it never changed any).
    fn guild_settings(&self, guild: GuildId) -> Result<GuildSettings, StoreError>;
    /// Applies `change` to a server's settings atomically: concurrent updates of different fields
    /// all take effect. Returns the settings after the change.
    fn update_guild_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError>;
    /// A member's preferences (they follow the member across servers).
    fn member_prefs(&self, member: MemberId) -> Result<MemberPrefs, StoreError>;
    /// Replaces a member's preferences.
    fn put_member_prefs(&self, member: MemberId, prefs: &MemberPrefs) -> Result<(), StoreError>;
    /// Makes every write so far durable.
    fn flush(&self) -> StoreFuture<'_, ()>;
}
