//! What the store keeps. None of it is secret: no start link, no passcode, no join link, no token.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, GuildId, MemberId, MessageId};

/// A meeting the bot created.
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
    /// Zoom's meeting UUID, once known: tells this meeting from a later one with the same number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// When Zoom created it: with the topic and start, tells it from a later one with the same
    /// number before its UUID is known (Zoom's create answer has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// The server's Discord scheduled event for it, once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<u64>,
    /// When its reminder is due, while one is pending: the store's index of due reminders
    /// mirrors it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_due: Option<Timestamp>,
    /// The start of the occurrence last reminded: a reminder is posted once per occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded: Option<Timestamp>,
}

impl MeetingRecord {
    /// When the meeting is planned to end.
    pub fn end(&self) -> Timestamp {
        self.start + jiff::SignedDuration::from_mins(i64::from(self.duration_minutes))
    }
}

/// How often something was counted on one UTC day (a daily quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCount {
    /// The UTC day.
    pub day: jiff::civil::Date,
    /// How many that day.
    pub count: u32,
}

impl DailyCount {
    /// `self` plus one on `day`, if fewer than `limit` were counted that day.
    pub fn taken(self, day: jiff::civil::Date, limit: u32) -> Option<Self> {
        let count = if self.day == day { self.count } else { 0 };
        (count < limit).then_some(Self {
            day,
            count: count + 1,
        })
    }

    /// `self` less one on `day` (nothing on another day: that count is over anyway).
    #[must_use]
    pub fn given_back(self, day: jiff::civil::Date) -> Self {
        if self.day == day {
            Self {
                day,
                count: self.count.saturating_sub(1),
            }
        } else {
            self
        }
    }
}

/// A server's settings: one table in `scheduling::settings` declares each, with its stored key.
pub use crate::scheduling::settings::{GuildSettings, SettingField};

/// A member's own preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberPrefs {
    /// The IANA time zone their `when` is read in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}
