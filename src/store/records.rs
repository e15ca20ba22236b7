//! What the store keeps. None of it is secret: no start link, no passcode, no join link, no token.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, GuildId, MemberId, MessageId, RoleId};
use crate::scheduling::Cooldown;
use crate::scheduling::plan::Recording;

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

/// A server's defaults, set by its admins. `None` everywhere means "not set": the built-in
/// default (or Zoom's account default) applies. Stored with short keys: there is one per server,
/// and at 100,000 servers the long names alone would cost about 10 MB on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuildSettings {
    /// Meeting length, minutes.
    #[serde(rename = "dur", skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
    /// IANA time zone `when` is read in for members without one of their own.
    #[serde(rename = "tz", skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Waiting room.
    #[serde(rename = "wr", skip_serializing_if = "Option::is_none")]
    pub waiting_room: Option<bool>,
    /// Participants may join before the host.
    #[serde(rename = "jbh", skip_serializing_if = "Option::is_none")]
    pub join_before_host: Option<bool>,
    /// Participants are muted when they join.
    #[serde(rename = "mue", skip_serializing_if = "Option::is_none")]
    pub mute_upon_entry: Option<bool>,
    /// Automatic recording.
    #[serde(rename = "rec", skip_serializing_if = "Option::is_none")]
    pub auto_recording: Option<Recording>,
    /// `Some(false)`: no passcode unless the member gives one.
    #[serde(rename = "pc", skip_serializing_if = "Option::is_none")]
    pub auto_passcode: Option<bool>,
    /// The Zoom user (id or email) this server's meetings are created under.
    #[serde(rename = "host", skip_serializing_if = "Option::is_none")]
    pub host_user: Option<String>,
    /// Also send the host link by direct message.
    #[serde(rename = "dm", skip_serializing_if = "Option::is_none")]
    pub dm_host_link: Option<bool>,
    /// Only members with this role may schedule meetings.
    #[serde(rename = "role", skip_serializing_if = "Option::is_none")]
    pub creator_role: Option<RoleId>,
    /// How many meetings a member may schedule in a window.
    #[serde(rename = "cd", skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<Cooldown>,
}

/// One field of [`GuildSettings`], as `/meet-settings reset` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingField {
    /// `duration`
    Duration,
    /// `timezone`
    Timezone,
    /// `waiting_room`
    WaitingRoom,
    /// `join_before_host`
    JoinBeforeHost,
    /// `mute_upon_entry`
    MuteUponEntry,
    /// `auto_recording`
    AutoRecording,
    /// `passcode`
    Passcode,
    /// `host_user`
    HostUser,
    /// `dm_host_link`
    DmHostLink,
    /// `creator_role`
    CreatorRole,
    /// `cooldown`
    Cooldown,
}

impl SettingField {
    /// Every field, in the order they are shown.
    pub const ALL: [SettingField; 11] = [
        Self::Duration,
        Self::Timezone,
        Self::WaitingRoom,
        Self::JoinBeforeHost,
        Self::MuteUponEntry,
        Self::AutoRecording,
        Self::Passcode,
        Self::HostUser,
        Self::DmHostLink,
        Self::CreatorRole,
        Self::Cooldown,
    ];

    /// The option name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Duration => "duration",
            Self::Timezone => "timezone",
            Self::WaitingRoom => "waiting_room",
            Self::JoinBeforeHost => "join_before_host",
            Self::MuteUponEntry => "mute_upon_entry",
            Self::AutoRecording => "auto_recording",
            Self::Passcode => "passcode",
            Self::HostUser => "host_user",
            Self::DmHostLink => "dm_host_link",
            Self::CreatorRole => "creator_role",
            Self::Cooldown => "cooldown",
        }
    }

    /// The field named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl GuildSettings {
    /// Unsets one field.
    pub fn reset(&mut self, field: SettingField) {
        match field {
            SettingField::Duration => self.duration_minutes = None,
            SettingField::Timezone => self.timezone = None,
            SettingField::WaitingRoom => self.waiting_room = None,
            SettingField::JoinBeforeHost => self.join_before_host = None,
            SettingField::MuteUponEntry => self.mute_upon_entry = None,
            SettingField::AutoRecording => self.auto_recording = None,
            SettingField::Passcode => self.auto_passcode = None,
            SettingField::HostUser => self.host_user = None,
            SettingField::DmHostLink => self.dm_host_link = None,
            SettingField::CreatorRole => self.creator_role = None,
            SettingField::Cooldown => self.cooldown = None,
        }
    }

    /// Takes every field `change` sets, leaving the others as they are.
    pub fn apply(&mut self, change: &GuildSettings) {
        fn take<T: Clone>(to: &mut Option<T>, from: Option<&T>) {
            if let Some(v) = from {
                *to = Some(v.clone());
            }
        }
        take(&mut self.duration_minutes, change.duration_minutes.as_ref());
        take(&mut self.timezone, change.timezone.as_ref());
        take(&mut self.waiting_room, change.waiting_room.as_ref());
        take(&mut self.join_before_host, change.join_before_host.as_ref());
        take(&mut self.mute_upon_entry, change.mute_upon_entry.as_ref());
        take(&mut self.auto_recording, change.auto_recording.as_ref());
        take(&mut self.auto_passcode, change.auto_passcode.as_ref());
        take(&mut self.host_user, change.host_user.as_ref());
        take(&mut self.dm_host_link, change.dm_host_link.as_ref());
        take(&mut self.creator_role, change.creator_role.as_ref());
        take(&mut self.cooldown, change.cooldown.as_ref());
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A member's own preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberPrefs {
    /// The IANA time zone their `when` is read in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_name_that_finds_it_again() {
        for field in SettingField::ALL {
            assert_eq!(SettingField::from_name(field.name()), Some(field));
        }
        assert_eq!(SettingField::from_name("nope"), None);
    }

    #[test]
    fn apply_takes_only_the_fields_that_are_set_and_reset_unsets_one() {
        let mut settings = GuildSettings {
            duration_minutes: Some(45),
            waiting_room: Some(true),
            ..GuildSettings::default()
        };
        settings.apply(&GuildSettings {
            waiting_room: Some(false),
            timezone: Some("Europe/Berlin".into()),
            ..GuildSettings::default()
        });
        assert_eq!(settings.duration_minutes, Some(45));
        assert_eq!(settings.waiting_room, Some(false));
        assert_eq!(settings.timezone.as_deref(), Some("Europe/Berlin"));
        settings.reset(SettingField::Duration);
        assert_eq!(settings.duration_minutes, None);
        assert_eq!(settings.waiting_room, Some(false));
    }
}
