//! What a member asked for, their time zone, the server's settings and the built-in defaults,
//! resolved field by field (in that order) into the meeting to create — or a clear refusal.

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

use super::recurrence::{RecurrenceError, Repeat, Series};
use super::settings::GuildSettings;
use super::{
    DurationError, MeetingLength, TimeZoneError, WhenContext, WhenError, is_invisible,
    parse_duration, parse_timezone, read_when,
};

/// Zoom's longest topic, in characters.
pub const TOPIC_MAX: usize = 200;
/// Zoom's longest agenda, in characters.
pub const AGENDA_MAX: usize = 2000;
/// Zoom's longest passcode, in characters.
pub const PASSCODE_MAX: usize = 10;

/// Automatic recording, as members pick it and as Zoom's API spells it (`auto_recording`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recording {
    /// Not recorded.
    None,
    /// On the host's computer.
    Local,
    /// In Zoom's cloud.
    Cloud,
}

impl Recording {
    /// Every choice, as the commands offer them.
    pub const ALL: [Recording; 3] = [Self::None, Self::Local, Self::Cloud];

    /// The commands' choices: `(label, value)`, both the name.
    pub const CHOICES: [(&'static str, &'static str); 3] = [
        (Self::None.name(), Self::None.name()),
        (Self::Local.name(), Self::Local.name()),
        (Self::Cloud.name(), Self::Cloud.name()),
    ];

    /// The name members pick and see: `none`, `local`, `cloud`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Local => "local",
            Self::Cloud => "cloud",
        }
    }

    /// The choice named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// What the member typed in `/meet` (or passed to `zoombot meet create`).
#[derive(Debug, Clone, Default)]
pub struct MeetInput {
    /// The topic.
    pub topic: String,
    /// "45m", "1h30m".
    pub duration: Option<String>,
    /// "tomorrow 15:00".
    pub when: Option<String>,
    /// An IANA name that `when` is read in.
    pub timezone: Option<String>,
    /// The agenda.
    pub agenda: Option<String>,
    /// A passcode.
    pub passcode: Option<String>,
    /// Waiting room on or off.
    pub waiting_room: Option<bool>,
    /// Automatic recording.
    pub recording: Option<Recording>,
    /// The member's Discord locale ("en-US", "de"), which settles numeric dates like "12/11".
    pub locale: Option<String>,
    /// Make it a series repeating so.
    pub repeat: Option<Repeat>,
    /// How many meetings a series has (default [`DEFAULT_OCCURRENCES`]).
    pub occurrences: Option<i64>,
}

/// How many meetings a series has when `occurrences` is not given.
pub const DEFAULT_OCCURRENCES: i64 = 10;

/// Everything below the member's own input: their time zone, then the server's settings.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// The member's own time zone.
    pub member_timezone: Option<String>,
    /// The server's settings.
    pub server: GuildSettings,
}

/// Where the time zone that `when` was read in came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSource {
    /// The `timezone` option of the command.
    Command,
    /// The member's `/meet-timezone`.
    Member,
    /// The server's setting.
    Server,
    /// Nobody set one: UTC.
    Default,
    /// Typed in `when` itself ("tomorrow 3pm ET"): it overrides all the others.
    Typed,
}

/// The meeting to create, every value checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingPlan {
    /// Trimmed topic, 1 to [`TOPIC_MAX`] characters.
    pub topic: String,
    /// The start, in the zone it was read in.
    pub start: Zoned,
    /// Where that zone came from.
    pub zone_source: ZoneSource,
    /// Where the zone `when` would have been read in without one typed in it, when one was.
    pub overridden: Option<ZoneSource>,
    /// How a numeric date's order was settled ("12/11" read day first), to echo.
    pub when_note: Option<String>,
    /// The length.
    pub length: MeetingLength,
    /// Trimmed agenda, if any.
    pub agenda: Option<String>,
    /// The member's passcode, if any.
    pub passcode: Option<String>,
    /// Let Zoom generate a passcode when none is given.
    pub auto_passcode: bool,
    /// Waiting room, when someone decided.
    pub waiting_room: Option<bool>,
    /// Join before host, when the server decided.
    pub join_before_host: Option<bool>,
    /// Mute on entry, when the server decided.
    pub mute_upon_entry: Option<bool>,
    /// Recording, when someone decided.
    pub recording: Option<Recording>,
    /// How it repeats, for a series (starting at `start`, in its zone).
    pub series: Option<Series>,
}

/// Why a meeting cannot be planned. Each Display says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Empty or whitespace-only topic.
    #[error("The topic is empty. Give the meeting a name, like topic:\"Weekly sync\".")]
    EmptyTopic,
    /// Topic over Zoom's limit.
    #[error(
        "The topic is {0} characters long; Zoom allows at most {TOPIC_MAX}. Shorten it and put details in the agenda."
    )]
    TopicTooLong(usize),
    /// Agenda over Zoom's limit.
    #[error("The agenda is {0} characters long; Zoom allows at most {AGENDA_MAX}. Shorten it.")]
    AgendaTooLong(usize),
    /// A passcode Zoom would refuse.
    #[error(
        "That passcode won't work: Zoom takes 1 to {PASSCODE_MAX} characters, only letters, digits and @ - _ *. Leave it out and Zoom will make one."
    )]
    BadPasscode,
    /// A bad duration.
    #[error("{0}")]
    Duration(#[from] DurationError),
    /// A bad start.
    #[error("{0}")]
    When(#[from] WhenError),
    /// A bad time zone.
    #[error("{0}")]
    TimeZone(#[from] TimeZoneError),
    /// A bad series.
    #[error("{0}")]
    Series(#[from] RecurrenceError),
    /// A series asked for without saying when it starts.
    #[error(
        "A series needs its first start: add when, like when:\"monday 15:00\", and it repeats at that time."
    )]
    SeriesWithoutStart,
    /// A number of occurrences without a repeat.
    #[error(
        "occurrences is for a series: add repeat, like repeat:weekly, or leave occurrences out."
    )]
    OccurrencesWithoutRepeat,
}

/// Whether Zoom accepts `passcode`: 1 to 10 characters of letters, digits, `@ - _ *`.
pub fn valid_passcode(passcode: &str) -> bool {
    let n = passcode.chars().count();
    (1..=PASSCODE_MAX).contains(&n)
        && passcode
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@-_*".contains(c))
}

/// Resolves `input` over `defaults` at `now`.
pub fn plan(
    input: &MeetInput,
    defaults: &Defaults,
    now: Timestamp,
) -> Result<MeetingPlan, PlanError> {
    let topic = input.topic.trim();
    if topic.is_empty() || topic.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(PlanError::EmptyTopic);
    }
    let topic_len = topic.chars().count();
    if topic_len > TOPIC_MAX {
        return Err(PlanError::TopicTooLong(topic_len));
    }
    let agenda = input
        .agenda
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if let Some(n) = agenda
        .map(|a| a.chars().count())
        .filter(|n| *n > AGENDA_MAX)
    {
        return Err(PlanError::AgendaTooLong(n));
    }
    let passcode = input
        .passcode
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if passcode.is_some_and(|p| !valid_passcode(p)) {
        return Err(PlanError::BadPasscode);
    }
    let length = match input
        .duration
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(text) => parse_duration(text)?,
        None => defaults
            .server
            .duration_minutes
            .and_then(MeetingLength::from_minutes)
            .unwrap_or(MeetingLength::DEFAULT),
    };
    let when_given = input.when.as_deref().is_some_and(|w| !w.trim().is_empty());
    let series = match (input.repeat, input.occurrences) {
        (None, None) => None,
        (None, Some(_)) => return Err(PlanError::OccurrencesWithoutRepeat),
        (Some(_), _) if !when_given => return Err(PlanError::SeriesWithoutStart),
        (Some(repeat), count) => Some(Series::new(repeat, count.unwrap_or(DEFAULT_OCCURRENCES))?),
    };
    let (zone, source) = resolve_zone(input, defaults)?;
    let context = WhenContext {
        now,
        zone: &zone,
        locale: input.locale.as_deref(),
    };
    let when = read_when(input.when.as_deref().unwrap_or("now"), &context)?;
    if let Some(series) = &series {
        series.check_start(&when.start)?;
    }
    let (zone_source, overridden) = match when.typed_zone {
        Some(_) => (ZoneSource::Typed, Some(source)),
        None => (source, None),
    };
    Ok(MeetingPlan {
        topic: topic.to_owned(),
        start: when.start,
        zone_source,
        overridden,
        when_note: when.note,
        length,
        agenda: agenda.map(str::to_owned),
        passcode: passcode.map(str::to_owned),
        auto_passcode: defaults.server.auto_passcode.unwrap_or(true),
        waiting_room: input.waiting_room.or(defaults.server.waiting_room),
        join_before_host: defaults.server.join_before_host,
        mute_upon_entry: defaults.server.mute_upon_entry,
        recording: input.recording.or(defaults.server.auto_recording),
        series,
    })
}

/// The zone `when` is read in unless it names one: the command's option, the member's, the
/// server's, else UTC.
pub fn resolve_zone(
    input: &MeetInput,
    defaults: &Defaults,
) -> Result<(TimeZone, ZoneSource), TimeZoneError> {
    let nonblank = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(name) = nonblank(&input.timezone) {
        return Ok((parse_timezone(&name)?, ZoneSource::Command));
    }
    // Stored zones were checked when they were saved; one that no longer parses falls through.
    let stored = [
        (&defaults.member_timezone, ZoneSource::Member),
        (&defaults.server.timezone, ZoneSource::Server),
    ];
    for (name, source) in stored {
        if let Some(zone) = nonblank(name).and_then(|n| parse_timezone(&n).ok()) {
            return Ok((zone, source));
        }
    }
    Ok((TimeZone::UTC, ZoneSource::Default))
}

#[cfg(test)]
mod tests;
