//! Meeting series: "weekly, 6 times" from a first start → every start, the words members read, the
//! facts Zoom's `recurrence` object needs and the RFC 5545 RRULE calendar apps read.
//!
//! Every occurrence is at the first start's wall-clock time in the zone the start was read in, so
//! a weekly 15:00 Europe/Berlin stays 15:00 in Berlin across a change of summer time, as Zoom keeps
//! a type 8 meeting's occurrences in the meeting's `timezone`. Occurrence `k` is computed from the
//! first start (first + k steps), never from the one before, so one short month or one DST gap does
//! not shift the rest of the series:
//! - a wall-clock time that a DST gap skips is moved forward by the gap's length (02:30 on the
//!   spring-forward night is 03:30), the "compatible" rule of RFC 5545 §3.3.5, Java's
//!   `ZonedDateTime` (Zoom's) and Temporal; a time a fall-back repeats is its first (summer) one;
//! - a monthly series does not start on the 29th, 30th or 31st ([`Series::check_start`]): Zoom
//!   does not document what its `monthly_day` does in months without that day, and RFC 5545
//!   calendar apps skip such months, so the bot's calendar entries and Zoom could disagree.

use std::fmt;
use std::str::FromStr;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};

use super::when::zone_name;
use super::{clean, shown};

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Repeat {
    /// Every day.
    Daily,
    /// Every week, on the first start's weekday.
    Weekly,
    /// Every other week, on the first start's weekday.
    Biweekly,
    /// Every month, on the first start's day of the month.
    Monthly,
}

impl Repeat {
    /// Every repeat, in the order a member is offered them.
    pub const ALL: [Self; 4] = [Self::Daily, Self::Weekly, Self::Biweekly, Self::Monthly];

    /// The word a member types and reads: "daily", "weekly", "biweekly", "monthly".
    pub fn name(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Biweekly => "biweekly",
            Self::Monthly => "monthly",
        }
    }

    /// The wall-clock distance from the first start to occurrence `k`.
    fn offset(self, k: i64) -> jiff::Span {
        match self {
            Self::Daily => k.days(),
            Self::Weekly => k.weeks(),
            Self::Biweekly => (2 * k).weeks(),
            Self::Monthly => k.months(),
        }
    }
}

impl fmt::Display for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Repeat {
    type Err = RecurrenceError;

    /// Reads "daily", "weekly", "biweekly" or "monthly", ignoring case and stray spaces.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let cleaned = clean(input);
        let wanted = cleaned.to_lowercase();
        Self::ALL
            .into_iter()
            .find(|repeat| repeat.name() == wanted)
            .ok_or_else(|| RecurrenceError::UnknownRepeat(shown(&cleaned)))
    }
}

/// Why a series was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("\"{0}\" is not a way of repeating I know. Choose daily, weekly, biweekly or monthly.")]
    UnknownRepeat(String),
    #[error(
        "A series has {min} to {max} meetings, not {0}. Choose a number from {min} to {max}, or leave \
         out the repeat for a single meeting.",
        min = Series::OCCURRENCES_MIN,
        max = Series::OCCURRENCES_MAX
    )]
    Count(i64),
    #[error(
        "A monthly series can't start on day {0} of the month: not every month has that day, and Zoom \
         and calendar apps don't agree on what happens then. Start it on a day from 1 to {MONTHLY_DAY_MAX}, \
         or repeat weekly."
    )]
    MonthlyDay(i8),
}

/// The last day of the month a monthly series may start on: every month has it.
pub const MONTHLY_DAY_MAX: i8 = 28;

/// A series: how it repeats and how many meetings it has, the first included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SeriesRecord", into = "SeriesRecord")]
pub struct Series {
    repeat: Repeat,
    occurrences: u8,
}

/// A series as stored: checked again when read back, so a stored series keeps its limits.
#[derive(Serialize, Deserialize)]
struct SeriesRecord {
    repeat: Repeat,
    occurrences: i64,
}

impl TryFrom<SeriesRecord> for Series {
    type Error = RecurrenceError;

    fn try_from(record: SeriesRecord) -> Result<Self, Self::Error> {
        Series::new(record.repeat, record.occurrences)
    }
}

impl From<Series> for SeriesRecord {
    fn from(series: Series) -> Self {
        SeriesRecord {
            repeat: series.repeat,
            occurrences: i64::from(series.occurrences),
        }
    }
}

/// Zoom's numbering of a recurrence `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RuleKind {
    /// Zoom's 1.
    Daily = 1,
    /// Zoom's 2.
    Weekly = 2,
    /// Zoom's 3.
    Monthly = 3,
}

impl RuleKind {
    /// The number Zoom's `recurrence.type` has.
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// What Zoom's `recurrence` object says about a series, without depending on `zoom/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Daily, weekly or monthly.
    pub kind: RuleKind,
    /// Every this many days, weeks or months.
    pub repeat_interval: u8,
    /// Weekly only: the weekday, "1" (Sunday) to "7" (Saturday).
    pub weekly_days: Option<String>,
    /// Monthly only: the day of the month.
    pub monthly_day: Option<i8>,
    /// How many meetings in all.
    pub end_times: u8,
}

impl Series {
    /// The fewest meetings a series has: one is a single meeting, not a series.
    pub const OCCURRENCES_MIN: u8 = 2;
    /// The most: Zoom's spec caps `recurrence.end_times` at 60.
    pub const OCCURRENCES_MAX: u8 = 60;

    /// A series of `occurrences` meetings. Takes an `i64`, what a Discord integer option holds,
    /// so any number typed gets the same clear refusal.
    pub fn new(repeat: Repeat, occurrences: i64) -> Result<Self, RecurrenceError> {
        u8::try_from(occurrences)
            .ok()
            .filter(|n| (Self::OCCURRENCES_MIN..=Self::OCCURRENCES_MAX).contains(n))
            .map(|occurrences| Self {
                repeat,
                occurrences,
            })
            .ok_or(RecurrenceError::Count(occurrences))
    }

    /// How it repeats.
    pub fn repeat(&self) -> Repeat {
        self.repeat
    }

    /// How many meetings, the first included.
    pub fn count(&self) -> u8 {
        self.occurrences
    }

    /// Whether the series can start at `first`: a monthly one not after day
    /// [`MONTHLY_DAY_MAX`] (see the module's doc).
    pub fn check_start(&self, first: &Zoned) -> Result<(), RecurrenceError> {
        if self.repeat == Repeat::Monthly && first.day() > MONTHLY_DAY_MAX {
            return Err(RecurrenceError::MonthlyDay(first.day()));
        }
        Ok(())
    }

    /// Every start, the first included, each at `first`'s wall-clock time in `first`'s zone.
    /// For a monthly series that [`Self::check_start`] refuses, months without the day get their
    /// last day.
    pub fn occurrences(&self, first: &Zoned) -> Vec<Timestamp> {
        (0..i64::from(self.occurrences))
            .map_while(|k| occurrence(first, self.repeat.offset(k)))
            .collect()
    }

    /// The first occurrence that starts after `now`: its index (0 for the first) and start.
    pub fn next_after(&self, first: &Zoned, now: Timestamp) -> Option<(usize, Timestamp)> {
        self.occurrences(first)
            .into_iter()
            .enumerate()
            .find(|(_, start)| *start > now)
    }

    /// The series as members read it: "every Monday at 15:00 Europe/Berlin, 6 times".
    pub fn describe(&self, first: &Zoned) -> String {
        let at = format!(
            "at {} {}",
            first.strftime("%H:%M"),
            zone_name(first.time_zone())
        );
        let when = match self.repeat {
            Repeat::Daily => format!("every day {at}"),
            Repeat::Weekly => format!("every {} {at}", first.strftime("%A")),
            Repeat::Biweekly => format!("every other {} {at}", first.strftime("%A")),
            Repeat::Monthly => format!("monthly on day {} {at}", first.day()),
        };
        format!("{when}, {} times", self.occurrences)
    }

    /// The facts of Zoom's `recurrence` object for this series starting at `first`.
    pub fn rule(&self, first: &Zoned) -> Rule {
        let weekday = || Some(first.weekday().to_sunday_one_offset().to_string());
        let (kind, repeat_interval, weekly_days, monthly_day) = match self.repeat {
            Repeat::Daily => (RuleKind::Daily, 1, None, None),
            Repeat::Weekly => (RuleKind::Weekly, 1, weekday(), None),
            Repeat::Biweekly => (RuleKind::Weekly, 2, weekday(), None),
            Repeat::Monthly => (RuleKind::Monthly, 1, None, Some(first.day())),
        };
        Rule {
            kind,
            repeat_interval,
            weekly_days,
            monthly_day,
            end_times: self.occurrences,
        }
    }

    /// The RFC 5545 RRULE value (without `RRULE:`), e.g. `FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=6`.
    /// Calendar apps expand it in the zone of the event's DTSTART, so that must be `first`'s zone
    /// (see `calendar::ics`), not UTC.
    pub fn rrule(&self, first: &Zoned) -> String {
        let day = || byday(first.weekday());
        let rule = match self.repeat {
            Repeat::Daily => "FREQ=DAILY".to_owned(),
            Repeat::Weekly => format!("FREQ=WEEKLY;BYDAY={}", day()),
            Repeat::Biweekly => format!("FREQ=WEEKLY;INTERVAL=2;BYDAY={}", day()),
            Repeat::Monthly => format!("FREQ=MONTHLY;BYMONTHDAY={}", first.day()),
        };
        format!("{rule};COUNT={}", self.occurrences)
    }
}

/// `first`'s wall-clock time moved by `offset`, resolved in `first`'s zone; `None` past year 9999.
fn occurrence(first: &Zoned, offset: jiff::Span) -> Option<Timestamp> {
    let local: DateTime = first.datetime().checked_add(offset).ok()?;
    resolve(local, first.time_zone())
}

/// The instant of a wall-clock time: a gap's times move forward by the gap, a fold's take the
/// earlier instant ("compatible", see the module's doc).
fn resolve(local: DateTime, zone: &TimeZone) -> Option<Timestamp> {
    local.to_zoned(zone.clone()).ok().map(|z| z.timestamp())
}

/// RFC 5545's two-letter weekday.
fn byday(day: jiff::civil::Weekday) -> &'static str {
    use jiff::civil::Weekday;
    match day {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    }
}

#[cfg(test)]
mod tests;
