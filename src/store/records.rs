//! What the store keeps. None of it is secret: no start link, no passcode, no join link, no token.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, GuildId, MemberId, MessageId};
use crate::scheduling::recurrence::Series;
use crate::scheduling::reminder::Timeline;

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
    /// When the scheduler looks at it next (a reminder due, or a series' event to move on):
    /// the store's index of due times mirrors it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_due: Option<Timestamp>,
    /// The start of the occurrence last reminded (or passed over): once per occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded: Option<Timestamp>,
    /// The reminder lead it was scheduled with, minutes (0: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_minutes: Option<u32>,
    /// How it repeats, when it is a series (its first occurrence is `start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
    /// The starts of a series' cancelled occurrences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Timestamp>,
    /// The start of the occurrence a series' Discord event shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_at: Option<Timestamp>,
    /// What Zoom said of the instance under way or last held (its webhooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
    /// Hosted under its creator's own linked Zoom account (not the server's host user): Zoom is
    /// asked about it with the creator's tokens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub member_host: bool,
}

/// One instance of a meeting as Zoom reported it: started, and perhaps ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// Zoom's UUID of the instance.
    pub uuid: String,
    /// When it started.
    pub started: Timestamp,
    /// When it ended, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<Timestamp>,
}

impl MeetingRecord {
    /// The first start, in the zone it was read in.
    pub fn zoned_start(&self) -> jiff::Zoned {
        let zone = jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        self.start.to_zoned(zone)
    }

    /// Every start that is still on, soonest first: one for a single meeting.
    pub fn occurrences(&self) -> Vec<Timestamp> {
        match &self.series {
            Some(series) => series
                .occurrences(&self.zoned_start())
                .into_iter()
                .filter(|s| !self.skipped.contains(s))
                .collect(),
            None => vec![self.start],
        }
    }

    /// The occurrence under way or next at `now`, if any is left.
    pub fn current(&self, now: Timestamp) -> Option<Timestamp> {
        self.occurrences()
            .into_iter()
            .find(|s| self.end_of(*s) > now)
    }

    /// When an occurrence starting at `start` ends.
    pub fn end_of(&self, start: Timestamp) -> Timestamp {
        start + jiff::SignedDuration::from_mins(i64::from(self.duration_minutes))
    }

    /// When the meeting (a series: its last occurrence) is planned to end.
    pub fn end(&self) -> Timestamp {
        let last = self.occurrences().last().copied().unwrap_or(self.start);
        self.end_of(last)
    }

    /// Passes over the reminders whose time is already past at `now` when the meeting is
    /// scheduled or moved: a meeting starting sooner than its lead needs none (its announcement
    /// is fresh), and a move inside the lead must not post a second reminder minutes after the
    /// first.
    pub fn settle(&mut self, now: Timestamp) {
        let lead = jiff::SignedDuration::from_mins(i64::from(self.reminder_minutes.unwrap_or(0)));
        let opened = self.occurrences().into_iter().rfind(|s| *s - lead <= now);
        self.reminded = self.reminded.max(opened);
    }

    /// When the scheduler must look at it next, from `now`.
    pub fn wake(&self, now: Timestamp) -> Option<Timestamp> {
        if self.cancelled {
            return None;
        }
        let occurrences = self.occurrences();
        Timeline {
            occurrences: &occurrences,
            minutes: self.duration_minutes,
            reminded: self.reminded,
            event_at: self.event_at,
            lead: self.reminder_minutes.unwrap_or(0),
        }
        .step(now)
        .next_wake
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

/// A webhook event received and not applied yet: Zoom was answered 200 once this was durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    /// Its place in the order of receipt.
    pub seq: u64,
    /// What makes a delivery the same event again.
    pub key: String,
    /// When it was received.
    pub received_at: Timestamp,
    /// The event as Zoom sent it (JSON; it may hold a recording's share link, so it is never
    /// logged).
    pub raw: String,
}

/// A member's linked Zoom account. Its tokens are sealed (encrypted, bound to the member) by the
/// service before they reach the store: nothing here is readable without the operator's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLink {
    /// The member (links follow the member across servers).
    pub member: MemberId,
    /// Zoom's id of the linked user.
    pub zoom_user: String,
    /// The linked user's email, as Zoom shows it.
    pub email: String,
    /// When the member linked it.
    pub linked_at: Timestamp,
    /// When the access token expires.
    pub expires_at: Timestamp,
    /// The access and refresh tokens, sealed.
    pub sealed: String,
}

/// An interaction acknowledged and not answered yet: kept until it is, so that one whose process
/// died is finished by another process (or by the next start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfinished {
    /// Discord's interaction id.
    pub id: u64,
    /// The process handling it ([`crate::store::Coordination`]'s owner names).
    pub owner: String,
    /// When it was taken up.
    pub at: Timestamp,
    /// The interaction as Discord sent it, sealed: it holds its token, a credential for 15
    /// minutes.
    pub sealed: String,
}

/// A `/zoom link` begun and not finished: kept under a hash of its state value (single use,
/// any process may finish it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    /// Who asked.
    pub member: MemberId,
    /// In which server.
    pub guild: GuildId,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
    /// The PKCE verifier and the interaction to edit once linked, sealed.
    pub sealed: String,
}
