//! A server's settings for /meet, one entry per setting in the table at the end: its option name
//! and description, the kind of value it takes, the short key it is stored under, how a given
//! value is read and checked, how it is shown, and what applies while it is unset. The store's
//! record, `/meet-settings set`'s options, `reset field:`'s choices and `show`'s lines all come
//! from that table, and the plan reads the record's fields as its defaults, so adding a setting is
//! one entry plus its use (where the plan or the service applies it).
//!
//! A `macro_rules!` table rather than a trait per value kind: each setting is a field of one
//! serde struct (the stored record, whose short keys must not change), and only a macro can write
//! the struct, the field enum and the per-field `match`es from one list.

use serde::{Deserialize, Serialize};

pub use super::hosting::Hosting;
use super::plan::{PlanError, Recording};
pub use super::recordings::RecordingsTo;
use super::reminder::{self, ReminderError, parse_reminder, shown_lead};
use super::{Cooldown, CooldownError, MeetingLength, parse_cooldown, parse_duration};
use crate::ids::RoleId;

/// The kind of value a setting takes, as `/meet-settings set` offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// Text of at most `max_len` characters.
    Text {
        /// The longest text accepted.
        max_len: usize,
    },
    /// An IANA time zone name, autocompleted.
    Zone,
    /// On or off.
    Flag,
    /// A role of the server.
    Role,
    /// One of the `(label, value)` choices.
    Choice(&'static [(&'static str, &'static str)]),
}

/// A value given for a setting, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    /// Text, as typed (or the value of the choice picked).
    Text(String),
    /// On or off.
    Flag(bool),
    /// A role.
    Role(RoleId),
}

/// Why a given value cannot be a setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// A bad duration or time zone.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A bad cooldown.
    #[error(transparent)]
    Cooldown(#[from] CooldownError),
    /// A bad reminder lead.
    #[error(transparent)]
    Reminder(#[from] ReminderError),
    /// A value of another kind than the setting takes (a client that sent an old shape).
    #[error("{0} takes another kind of value")]
    Kind(&'static str),
}

fn flag(field: SettingField, given: &Given) -> Result<bool, SettingError> {
    match given {
        Given::Flag(v) => Ok(*v),
        _ => Err(SettingError::Kind(field.name())),
    }
}

fn text(field: SettingField, given: &Given) -> Result<&str, SettingError> {
    match given {
        Given::Text(v) => Ok(v),
        _ => Err(SettingError::Kind(field.name())),
    }
}

fn on_off(v: bool) -> String {
    if v { "on" } else { "off" }.to_owned()
}

/// A time zone name, checked, as its IANA name.
pub fn checked_zone(name: &str) -> Result<String, PlanError> {
    let zone = super::parse_timezone(name.trim())?;
    Ok(zone.iana_name().unwrap_or("UTC").to_owned())
}

const ZOOM_DEFAULT: &str = "Zoom account default";
const AUTO_PASSCODE: &str = "auto (Zoom makes one)";

macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident $field:ident: $ty:ty {
            name: $name:literal,
            key: $key:literal,
            description: $description:literal,
            kind: $kind:expr,
            read: $read:expr,
            show: $show:expr,
            default: $default:expr $(,)?
        }
    )*) => {
        /// A server's defaults, set by its admins. `None` everywhere means "not set": the built-in
        /// default (or Zoom's account default) applies. Stored with short keys: there is one per
        /// server, and at 100,000 servers the long names alone would cost about 10 MB on disk.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct GuildSettings {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $key, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        /// One setting of [`GuildSettings`], as `/meet-settings` names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum SettingField {
            $(
                $(#[doc = $doc])*
                $variant,
            )*
        }

        impl SettingField {
            /// Every setting, in the order they are offered and shown.
            pub const ALL: &'static [SettingField] = &[$(Self::$variant),*];

            /// The option name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// The option's description.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Self::$variant => $description,)*
                }
            }

            /// The kind of value it takes.
            pub const fn kind(self) -> SettingKind {
                match self {
                    $(Self::$variant => $kind,)*
                }
            }

            /// What applies while it is unset; `default_host_user` is the bot's own
            /// (`ZOOM_HOST_USER`).
            pub fn default_shown(self, default_host_user: &str) -> String {
                match self {
                    $(Self::$variant => {
                        let default: fn(&str) -> String = $default;
                        default(default_host_user)
                    })*
                }
            }
        }

        impl GuildSettings {
            /// Unsets one setting.
            pub fn reset(&mut self, field: SettingField) {
                match field {
                    $(SettingField::$variant => self.$field = None,)*
                }
            }

            /// Takes every setting `change` sets, leaving the others as they are.
            pub fn apply(&mut self, change: &GuildSettings) {
                $(
                    if let Some(v) = &change.$field {
                        self.$field = Some(v.clone());
                    }
                )*
            }

            /// Sets `field` to `given`, read and checked (all but the Zoom check of a host user,
            /// which the service makes).
            pub fn set(&mut self, field: SettingField, given: &Given) -> Result<(), SettingError> {
                match field {
                    $(SettingField::$variant => {
                        let read: fn(SettingField, &Given) -> Result<$ty, SettingError> = $read;
                        self.$field = Some(read(field, given)?);
                    })*
                }
                Ok(())
            }

            /// How `field` is shown, when it is set.
            pub fn shown(&self, field: SettingField) -> Option<String> {
                match field {
                    $(SettingField::$variant => {
                        let show: fn(&$ty) -> String = $show;
                        self.$field.as_ref().map(show)
                    })*
                }
            }
        }
    };
}

settings! {
    /// Meeting length, minutes.
    Duration duration_minutes: u32 {
        name: "duration",
        key: "dur",
        description: "Default length: 45m, 1h30m (1 minute to 24 hours)",
        kind: SettingKind::Text { max_len: 32 },
        read: |f, v| Ok(parse_duration(text(f, v)?.trim()).map_err(PlanError::from)?.minutes()),
        show: |m| format!("{m} min"),
        default: |_| format!("{} min", MeetingLength::DEFAULT.minutes()),
    }
    /// IANA time zone `when` is read in for members without one of their own.
    Timezone timezone: String {
        name: "timezone",
        key: "tz",
        description: "Time zone `when` is read in for members without their own",
        kind: SettingKind::Zone,
        read: |f, v| Ok(checked_zone(text(f, v)?)?),
        show: Clone::clone,
        default: |_| "UTC".to_owned(),
    }
    /// Waiting room.
    WaitingRoom waiting_room: bool {
        name: "waiting_room",
        key: "wr",
        description: "Hold participants until the host admits them",
        kind: SettingKind::Flag,
        read: flag,
        show: |v| on_off(*v),
        default: |_| ZOOM_DEFAULT.to_owned(),
    }
    /// Participants may join before the host.
    JoinBeforeHost join_before_host: bool {
        name: "join_before_host",
        key: "jbh",
        description: "Let participants join before the host",
        kind: SettingKind::Flag,
        read: flag,
        show: |v| on_off(*v),
        default: |_| ZOOM_DEFAULT.to_owned(),
    }
    /// Participants are muted when they join.
    MuteUponEntry mute_upon_entry: bool {
        name: "mute_upon_entry",
        key: "mue",
        description: "Mute participants when they join",
        kind: SettingKind::Flag,
        read: flag,
        show: |v| on_off(*v),
        default: |_| ZOOM_DEFAULT.to_owned(),
    }
    /// Automatic recording.
    AutoRecording auto_recording: Recording {
        name: "auto_recording",
        key: "rec",
        description: "Record automatically",
        kind: SettingKind::Choice(&Recording::CHOICES),
        read: |f, v| Recording::from_name(text(f, v)?).ok_or(SettingError::Kind(f.name())),
        show: |r| r.name().to_owned(),
        default: |_| ZOOM_DEFAULT.to_owned(),
    }
    /// `Some(false)`: no passcode unless the member gives one.
    Passcode auto_passcode: bool {
        name: "passcode",
        key: "pc",
        description: "Passcodes for meetings without one given",
        kind: SettingKind::Choice(&[("auto: Zoom makes one", "auto"), ("none", "none")]),
        read: |f, v| match text(f, v)? {
            "auto" => Ok(true),
            "none" => Ok(false),
            _ => Err(SettingError::Kind(f.name())),
        },
        show: |auto| if *auto { AUTO_PASSCODE } else { "none unless given" }.to_owned(),
        default: |_| AUTO_PASSCODE.to_owned(),
    }
    /// The Zoom user (id or email) this server's meetings are created under.
    HostUser host_user: String {
        name: "host_user",
        key: "host",
        description: "The Zoom user (id or email) meetings are created under",
        kind: SettingKind::Text { max_len: 128 },
        read: |f, v| Ok(text(f, v)?.trim().to_owned()),
        show: |u| format!("`{u}`"),
        default: |host| format!("`{host}`"),
    }
    /// Also send the host link by direct message.
    DmHostLink dm_host_link: bool {
        name: "dm_host_link",
        key: "dm",
        description: "Also send the host link by direct message",
        kind: SettingKind::Flag,
        read: flag,
        show: |v| on_off(*v),
        default: |_| "off".to_owned(),
    }
    /// Only members with this role may schedule meetings.
    CreatorRole creator_role: RoleId {
        name: "creator_role",
        key: "role",
        description: "Only members with this role may schedule meetings",
        kind: SettingKind::Role,
        read: |f, v| match v {
            Given::Role(role) => Ok(*role),
            _ => Err(SettingError::Kind(f.name())),
        },
        show: |r| format!("<@&{r}>"),
        default: |_| "everyone".to_owned(),
    }
    /// How many meetings a member may schedule in a window.
    Cooldown cooldown: Cooldown {
        name: "cooldown",
        key: "cd",
        description: "Meetings per member in a window: 5/10m (default), 20/1h, or off",
        kind: SettingKind::Text { max_len: 32 },
        read: |f, v| Ok(parse_cooldown(text(f, v)?)?),
        show: ToString::to_string,
        default: |_| Cooldown::DEFAULT.to_string(),
    }
    /// List each meeting in the server's Events tab (`Some(false)`: don't).
    Events events: bool {
        name: "events",
        key: "ev",
        description: "List meetings in the server's Events tab (default on)",
        kind: SettingKind::Flag,
        read: flag,
        show: |v| on_off(*v),
        default: |_| "on".to_owned(),
    }
    /// Where a recording's share link goes when Zoom has it ready.
    Recordings recordings: RecordingsTo {
        name: "recordings",
        key: "recs",
        description: "Where recording links go: the host by DM (default), the channel, or off",
        kind: SettingKind::Choice(&RecordingsTo::CHOICES),
        read: |f, v| RecordingsTo::from_name(text(f, v)?).ok_or(SettingError::Kind(f.name())),
        show: |r| r.name().to_owned(),
        default: |_| RecordingsTo::Host.name().to_owned(),
    }
    /// Whose Zoom account hosts the meetings: the server's, or linked members' own.
    Hosting hosting: Hosting {
        name: "hosting",
        key: "hst",
        description: "Who hosts: linked members their own (default), always the server, or linked only",
        kind: SettingKind::Choice(&Hosting::CHOICES),
        read: |f, v| Hosting::from_name(text(f, v)?).ok_or(SettingError::Kind(f.name())),
        show: |h| h.name().to_owned(),
        default: |_| Hosting::default().name().to_owned(),
    }
    /// Minutes before the start a reminder is posted; 0: no reminders.
    Reminder reminder_minutes: u32 {
        name: "reminder",
        key: "rem",
        description: "Reminder before the start: 15m (default), 1h, 1d, or off (1 minute to 7 days)",
        kind: SettingKind::Text { max_len: 32 },
        read: |f, v| Ok(parse_reminder(text(f, v)?)?),
        show: |m| shown_lead(*m),
        default: |_| shown_lead(reminder::DEFAULT_MINUTES),
    }
}

impl SettingField {
    /// The setting named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl GuildSettings {
    /// Whether meetings are listed in the server's Events tab.
    pub fn events_on(&self) -> bool {
        self.events.unwrap_or(true)
    }

    /// Minutes before the start a reminder is posted (0: none).
    pub fn reminder_lead(&self) -> u32 {
        self.reminder_minutes.unwrap_or(reminder::DEFAULT_MINUTES)
    }

    /// Whether no setting is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests;
