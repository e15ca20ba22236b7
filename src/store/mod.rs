//! Where the bot keeps what it must remember: the meetings it created (and, with the settings,
//! servers' defaults and members' time zones). Behind a trait so the service does not care how.

pub mod memory;

use std::future::Future;
use std::pin::Pin;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, GuildId, MemberId, MessageId};

pub use memory::MemoryStore;

/// A meeting the bot created. Holds no secret: no start link, no passcode, no join link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRecord {
    /// The server it was created from.
    pub guild: GuildId,
    /// The channel its public message is in.
    pub channel: ChannelId,
    /// The public message, once posted.
    pub message: Option<MessageId>,
    /// Who created it.
    pub creator: MemberId,
    /// Zoom's meeting id.
    pub zoom_id: i64,
    /// The topic.
    pub topic: String,
    /// The start.
    pub start: Timestamp,
    /// Minutes.
    pub duration_minutes: u32,
    /// The IANA zone the start was read in.
    pub timezone: String,
    /// Cancelled through the bot.
    pub cancelled: bool,
}

impl MeetingRecord {
    /// When the meeting is planned to end.
    pub fn end(&self) -> Timestamp {
        self.start + jiff::SignedDuration::from_mins(i64::from(self.duration_minutes))
    }
}

/// A store failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (disk full, read-only, I/O error).
    #[error("the bot's data store failed: {0}")]
    Backend(String),
    /// A record could not be read.
    #[error("a stored record is unreadable ({0})")]
    Corrupt(String),
}

/// A boxed future, so the trait stays object-safe.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The bot's storage. Reads and writes are quick and synchronous; [`Store::flush`] makes what was
/// written durable, and a write is acknowledged to a user only after it.
pub trait Store: Send + Sync {
    /// Records a new meeting (or replaces the record with the same server and Zoom id).
    fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError>;
    /// The meeting with `zoom_id` created from `guild`; another server's meetings are invisible.
    fn meeting(&self, guild: GuildId, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError>;
    /// Every meeting created from `guild`.
    fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError>;
    /// Makes every write so far durable.
    fn flush(&self) -> StoreFuture<'_, ()>;
}
