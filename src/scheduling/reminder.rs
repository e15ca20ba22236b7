//! Reminders before a meeting: how long before its start (a server setting), when one is due, and
//! the nonce that makes posting it twice impossible. No I/O.

use jiff::{SignedDuration, Timestamp};

use super::{clean, shown};

/// How long before the start a reminder is posted, when the server sets nothing.
pub const DEFAULT_MINUTES: u32 = 15;
/// The shortest lead: a minute.
pub const MIN_MINUTES: u32 = 1;
/// The longest lead: a week.
pub const MAX_MINUTES: u32 = 7 * 24 * 60;

/// Why a typed reminder lead was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a reminder time I can read. Type how long before the start, like \"15m\", \
     \"1h\" or \"1d\" (1 minute to 7 days, in whole minutes), or \"off\"."
)]
pub struct ReminderError(pub String);

/// Reads "15m", "1h30m", "2 days" or "off" (0: no reminders) into minutes.
pub fn parse_reminder(input: &str) -> Result<u32, ReminderError> {
    let cleaned = clean(input).to_lowercase();
    if matches!(cleaned.as_str(), "off" | "none" | "no" | "0") {
        return Ok(0);
    }
    let refused = || ReminderError(shown(&cleaned));
    let lead = humantime::parse_duration(&cleaned).map_err(|_| refused())?;
    let seconds = lead.as_secs();
    let minutes = u32::try_from(seconds / 60).map_err(|_| refused())?;
    if seconds % 60 != 0
        || lead.subsec_nanos() != 0
        || !(MIN_MINUTES..=MAX_MINUTES).contains(&minutes)
    {
        return Err(refused());
    }
    Ok(minutes)
}

/// A lead as a member reads it: "off", "15 min", "2 h", "1 d 2 h".
pub fn shown_lead(minutes: u32) -> String {
    if minutes == 0 {
        return "off".to_owned();
    }
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "min")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    parts.join(" ")
}

/// What the scheduler knows of one meeting (a single one has one occurrence).
#[derive(Debug, Clone, Copy)]
pub struct Timeline<'a> {
    /// Every occurrence's start, soonest first (cancelled ones left out).
    pub occurrences: &'a [Timestamp],
    /// Each occurrence's length, minutes.
    pub minutes: u32,
    /// The start of the last occurrence reminded (or passed over).
    pub reminded: Option<Timestamp>,
    /// The start of the occurrence the meeting's Discord event shows, when it has one.
    pub event_at: Option<Timestamp>,
    /// The reminder lead, minutes (0: no reminders).
    pub lead: u32,
}

/// What is to be done for a meeting at a given moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    /// Post the reminder of the occurrence starting then.
    pub post: Option<Timestamp>,
    /// Occurrences up to this one started before their reminder could be posted: passed over.
    pub missed: Option<Timestamp>,
    /// Move the event on to the occurrence starting then (the one it showed has ended).
    pub roll_event: Option<Timestamp>,
    /// When to look at the meeting again, once this step is done.
    pub next_wake: Option<Timestamp>,
}

impl Timeline<'_> {
    fn end(&self, start: Timestamp) -> Timestamp {
        start + SignedDuration::from_mins(i64::from(self.minutes))
    }

    /// What to do at `now`: the one function the scheduler, the create and every change of a
    /// meeting's times compute the next wake-up with.
    pub fn step(&self, now: Timestamp) -> Step {
        let lead = SignedDuration::from_mins(i64::from(self.lead));
        let unreminded = || {
            self.occurrences
                .iter()
                .copied()
                .filter(|s| self.reminded.is_none_or(|r| *s > r))
        };
        let post = if self.lead == 0 {
            None
        } else {
            // The soonest: with a lead longer than the interval, two windows can be open, and
            // the next pass (due at once) posts the other.
            unreminded().find(|s| *s - lead <= now && now < *s)
        };
        let missed = unreminded().rfind(|s| *s <= now);
        let done = [self.reminded, post, missed].into_iter().flatten().max();
        let next_reminder = if self.lead == 0 {
            None
        } else {
            self.occurrences
                .iter()
                .copied()
                .find(|s| done.is_none_or(|d| *s > d))
                .map(|s| (s - lead).max(now))
        };
        let current = self
            .occurrences
            .iter()
            .copied()
            .find(|s| self.end(*s) > now);
        let roll_event = self
            .event_at
            .zip(current)
            .and_then(|(at, current)| (at < current).then_some(current));
        // The event moves on once the occurrence it shows has ended, if another follows; once
        // the last has ended there is nothing to wait for.
        let shown = roll_event.or(self.event_at);
        let next_roll = shown.filter(|at| self.end(*at) > now).and_then(|at| {
            self.occurrences
                .iter()
                .any(|s| *s > at)
                .then(|| self.end(at))
        });
        let next_wake = [next_reminder, next_roll].into_iter().flatten().min();
        Step {
            post,
            missed,
            roll_event,
            next_wake,
        }
    }
}

/// The message nonce of the reminder for `meeting`'s occurrence starting at `start`: the same for
/// every attempt at that one reminder, so Discord (`enforce_nonce`) answers a repeat with the
/// message already posted; another occurrence or a new start gives another nonce. At most 25
/// characters, as Discord allows: `r`, then the id and the start's seconds in base 36.
pub fn nonce(meeting: i64, start: Timestamp) -> String {
    format!(
        "r{}.{}",
        base36(meeting.unsigned_abs()),
        base36(start.as_second().unsigned_abs())
    )
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        // The remainder is below 36: an index into DIGITS.
        out.push(DIGITS[usize::try_from(n % 36).unwrap_or(0)]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn leads_are_read_in_several_spellings() {
        assert_eq!(parse_reminder("15m"), Ok(15));
        assert_eq!(parse_reminder(" 1h 30m "), Ok(90));
        assert_eq!(parse_reminder("2 days"), Ok(2880));
        assert_eq!(parse_reminder("7d"), Ok(MAX_MINUTES));
        assert_eq!(parse_reminder("1min"), Ok(1));
        assert_eq!(parse_reminder("OFF"), Ok(0));
    }

    #[test]
    fn leads_outside_a_minute_to_a_week_or_in_seconds_are_refused_with_the_text_quoted() {
        for bad in ["30s", "90s", "8d", "soon", "", "-5m", "1.5m"] {
            let err = parse_reminder(bad).unwrap_err();
            assert!(
                err.to_string().contains("1 minute to 7 days"),
                "{bad}: {err}"
            );
        }
        assert_eq!(parse_reminder("8d").unwrap_err().0, "8d");
    }

    #[test]
    fn leads_are_shown_in_days_hours_and_minutes() {
        assert_eq!(shown_lead(0), "off");
        assert_eq!(shown_lead(15), "15 min");
        assert_eq!(shown_lead(60), "1 h");
        assert_eq!(shown_lead(1440 + 120 + 5), "1 d 2 h 5 min");
    }

    fn weekly(first: &str, n: i64) -> Vec<Timestamp> {
        let first = at(first);
        (0..n)
            .map(|k| first + SignedDuration::from_hours(24 * 7 * k))
            .collect()
    }

    #[test]
    fn a_single_meeting_is_reminded_once_then_left_alone() {
        let starts = [at("2026-12-03T15:00:00Z")];
        let line = Timeline {
            occurrences: &starts,
            minutes: 30,
            reminded: None,
            event_at: Some(starts[0]),
            lead: 15,
        };
        let before = line.step(at("2026-12-03T10:00:00Z"));
        assert_eq!(before.post, None);
        assert_eq!(before.next_wake, Some(at("2026-12-03T14:45:00Z")));
        let due = line.step(at("2026-12-03T14:45:00Z"));
        assert_eq!(due.post, Some(starts[0]));
        assert_eq!(due.next_wake, None, "nothing follows: no event to move on");
        let reminded = Timeline {
            reminded: Some(starts[0]),
            ..line
        };
        assert_eq!(reminded.step(at("2026-12-03T14:50:00Z")), Step::default());
    }

    #[test]
    fn a_series_wakes_for_each_reminder_and_moves_its_event_on_after_each_occurrence() {
        let starts = weekly("2026-12-07T14:00:00Z", 3);
        let line = Timeline {
            occurrences: &starts,
            minutes: 60,
            reminded: Some(starts[0]),
            event_at: Some(starts[0]),
            lead: 15,
        };
        // After the first reminder: next, the first occurrence's end (the event moves on).
        let during = line.step(at("2026-12-07T14:30:00Z"));
        assert_eq!(during.next_wake, Some(at("2026-12-07T15:00:00Z")));
        let ended = line.step(at("2026-12-07T15:00:00Z"));
        assert_eq!(ended.roll_event, Some(starts[1]));
        assert_eq!(ended.post, None);
        let moved = Timeline {
            event_at: ended.roll_event,
            ..line
        };
        assert_eq!(
            moved.step(at("2026-12-07T15:00:00Z")).next_wake,
            Some(starts[1] - SignedDuration::from_mins(15))
        );
        // The last occurrence's event stays where it is.
        let last = Timeline {
            reminded: Some(starts[2]),
            event_at: Some(starts[2]),
            ..line
        };
        assert_eq!(last.step(starts[2]).next_wake, None);
    }

    #[test]
    fn occurrences_that_started_while_nobody_looked_are_passed_over_not_posted() {
        let starts = weekly("2026-12-07T14:00:00Z", 3);
        let line = Timeline {
            occurrences: &starts,
            minutes: 60,
            reminded: None,
            event_at: None,
            lead: 15,
        };
        // Down for two weeks and back just before the third's reminder window ends.
        let back = line.step(starts[2] - SignedDuration::from_mins(5));
        assert_eq!(back.missed, Some(starts[1]));
        assert_eq!(back.post, Some(starts[2]));
        assert_eq!(back.next_wake, None);
    }

    #[test]
    fn a_series_that_ended_while_nobody_looked_needs_no_more_wake_ups() {
        let starts = weekly("2026-12-07T14:00:00Z", 3);
        let line = Timeline {
            occurrences: &starts,
            minutes: 60,
            reminded: Some(starts[0]),
            event_at: Some(starts[0]),
            lead: 15,
        };
        let long_after = starts[2] + SignedDuration::from_hours(2);
        let step = line.step(long_after);
        assert_eq!(step.next_wake, None, "{step:?}");
        assert_eq!(step.missed, Some(starts[2]));
    }

    #[test]
    fn with_a_lead_longer_than_the_interval_the_soonest_open_reminder_goes_first() {
        let first = at("2026-12-07T14:00:00Z");
        let starts: Vec<Timestamp> = (0..3)
            .map(|k| first + SignedDuration::from_hours(24 * k))
            .collect();
        let line = Timeline {
            occurrences: &starts,
            minutes: 60,
            reminded: None,
            event_at: None,
            lead: 3 * 24 * 60,
        };
        let now = first - SignedDuration::from_hours(1);
        let step = line.step(now);
        assert_eq!(step.post, Some(starts[0]));
        assert_eq!(step.next_wake, Some(now), "the next one at once");
        let after = Timeline {
            reminded: Some(starts[0]),
            ..line
        };
        assert_eq!(after.step(now).post, Some(starts[1]));
    }

    #[test]
    fn with_reminders_off_only_the_event_wakes_the_scheduler() {
        let starts = weekly("2026-12-07T14:00:00Z", 2);
        let line = Timeline {
            occurrences: &starts,
            minutes: 60,
            reminded: None,
            event_at: Some(starts[0]),
            lead: 0,
        };
        let now = at("2026-12-01T00:00:00Z");
        let step = line.step(now);
        assert_eq!(step.post, None);
        assert_eq!(step.next_wake, Some(at("2026-12-07T15:00:00Z")));
    }

    #[test]
    fn nonces_fit_discord_and_differ_by_meeting_and_start() {
        let start = at("2026-12-03T15:00:00Z");
        let a = nonce(99_999_999_999, start);
        assert!(a.len() <= 25, "{a}");
        assert_eq!(a, nonce(99_999_999_999, start));
        assert_ne!(a, nonce(99_999_999_998, start));
        assert_ne!(
            a,
            nonce(99_999_999_999, start + SignedDuration::from_mins(1))
        );
        assert!(nonce(i64::MAX, Timestamp::MAX).len() <= 25);
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
