//! Recurring meetings with a fixed time (type 8): the `recurrence` object and the `occurrences`
//! Zoom answers with, as the Meetings spec shapes them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::FieldError;
use crate::scheduling::recurrence::Rule;

/// Zoom's meeting `type` for a scheduled meeting.
pub const SCHEDULED: u8 = 2;

/// Zoom's meeting `type` for a recurring meeting with a fixed time.
pub const RECURRING_FIXED_TIME: u8 = 8;

/// The spec's limit on `end_times`.
pub const END_TIMES_MAX: u16 = 60;

/// Daily, weekly and monthly (`type` 1, 2, 3): the spec's largest `repeat_interval` of each.
const REPEAT_INTERVAL_MAX: [u16; 3] = [99, 50, 10];

/// How a type 8 meeting repeats (`recurrence` in requests and answers). Only what the bot uses
/// is kept; the rest of what Zoom answers (`monthly_week`, `end_date_time`, …) is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    /// 1 daily, 2 weekly, 3 monthly.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Every this many days, weeks or months. Wider than the bot's values so that any answer reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<u16>,
    /// Weekly: comma-separated weekdays, "1" (Sunday) to "7" (Saturday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_days: Option<String>,
    /// Monthly: the day of the month, 1 to 31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_day: Option<i8>,
    /// How many meetings in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_times: Option<u16>,
}

impl From<&Rule> for Recurrence {
    fn from(rule: &Rule) -> Self {
        Self {
            kind: rule.kind.number(),
            repeat_interval: Some(u16::from(rule.repeat_interval)),
            weekly_days: rule.weekly_days.clone(),
            monthly_day: rule.monthly_day,
            end_times: Some(u16::from(rule.end_times)),
        }
    }
}

impl Recurrence {
    /// What the spec refuses in it, each as a field error under `recurrence.`.
    pub(super) fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, field: &str, message: String| {
            if !ok {
                errors.push(FieldError {
                    field: format!("recurrence.{field}"),
                    message,
                });
            }
        };
        let Some(max_interval) = usize::from(self.kind)
            .checked_sub(1)
            .and_then(|i| REPEAT_INTERVAL_MAX.get(i))
        else {
            check(
                false,
                "type",
                format!("is {}; 1 (daily), 2 (weekly) or 3 (monthly)", self.kind),
            );
            return errors;
        };
        if let Some(interval) = self.repeat_interval {
            check(
                (1..=*max_interval).contains(&interval),
                "repeat_interval",
                format!("is {interval}; 1 to {max_interval} for this type"),
            );
        }
        match self.end_times {
            Some(n) => check(
                (1..=END_TIMES_MAX).contains(&n),
                "end_times",
                format!("is {n}; 1 to {END_TIMES_MAX}"),
            ),
            // Zoom's default is one meeting, which is no series.
            None => check(
                false,
                "end_times",
                format!("is missing; 1 to {END_TIMES_MAX}"),
            ),
        }
        let weekly = self.kind == 2;
        match &self.weekly_days {
            Some(days) => check(
                weekly
                    && days
                        .split(',')
                        .all(|d| matches!(d, "1" | "2" | "3" | "4" | "5" | "6" | "7")),
                "weekly_days",
                "is only for weekly series: weekdays \"1\" (Sunday) to \"7\", comma-separated"
                    .to_owned(),
            ),
            None => check(
                !weekly,
                "weekly_days",
                "is required for a weekly series".to_owned(),
            ),
        }
        let monthly = self.kind == 3;
        match self.monthly_day {
            Some(day) => check(
                monthly && (1..=31).contains(&day),
                "monthly_day",
                format!("is {day}; only for monthly series, 1 to 31"),
            ),
            None => check(
                !monthly,
                "monthly_day",
                "is required for a monthly series".to_owned(),
            ),
        }
        errors
    }
}

/// What is wrong with a new meeting's `type` and `recurrence` together.
pub(super) fn kind_problems(
    kind: u8,
    recurrence: Option<&Recurrence>,
    timezone: Option<&str>,
) -> Vec<FieldError> {
    let problem = |field: &str, message: String| {
        vec![FieldError {
            field: field.to_owned(),
            message,
        }]
    };
    match (kind, recurrence) {
        (SCHEDULED, None) => Vec::new(),
        (SCHEDULED, Some(_)) => problem(
            "recurrence",
            "is only for a recurring meeting (type 8)".to_owned(),
        ),
        (RECURRING_FIXED_TIME, None) => problem(
            "recurrence",
            "is required for a recurring meeting (type 8)".to_owned(),
        ),
        (RECURRING_FIXED_TIME, Some(recurrence)) => {
            let mut errors = recurrence.problems();
            if timezone.is_none_or(str::is_empty) {
                errors.extend(problem(
                    "timezone",
                    "is required for a recurring meeting: Zoom repeats it in that zone".to_owned(),
                ));
            }
            errors
        }
        (kind, _) => problem(
            "type",
            format!("is {kind}; the bot makes scheduled (2) and recurring (8) meetings"),
        ),
    }
}

/// One meeting of a series, as `POST /users/{userId}/meetings` and `GET /meetings/{meetingId}`
/// list them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Occurrence {
    /// What names it in `occurrence_id` queries (Zoom: its start as epoch milliseconds).
    pub occurrence_id: String,
    /// Its start.
    pub start_time: Timestamp,
    /// Minutes.
    #[serde(default)]
    pub duration: Option<u32>,
    /// Whether it still takes place.
    #[serde(default)]
    pub status: OccurrenceStatus,
}

/// An occurrence's `status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OccurrenceStatus {
    /// It takes place.
    #[default]
    Available,
    /// It was deleted on its own; the rest of the series stays.
    Deleted,
    /// A status this client does not know.
    #[serde(other)]
    Other,
}
