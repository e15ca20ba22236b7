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

/// When the reminder of an occurrence starting at `start` is due, with a lead of `minutes`:
/// `None` when reminders are off or the due time is already past at `now` (a meeting scheduled
/// to start sooner than its lead needs no reminder: its announcement is fresh).
pub fn due(start: Timestamp, minutes: u32, now: Timestamp) -> Option<Timestamp> {
    if minutes == 0 {
        return None;
    }
    let due = start - SignedDuration::from_mins(i64::from(minutes));
    (due > now).then_some(due)
}

/// What to do with a reminder picked up at `now` for an occurrence starting at `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pickup {
    /// Post it.
    Post,
    /// The occurrence has started: a reminder now would only be noise (a bot that was down
    /// through the due time, or a clock that jumped past the start).
    TooLate,
}

/// Whether a reminder picked up at `now` is still worth posting.
pub fn pickup(start: Timestamp, now: Timestamp) -> Pickup {
    if now < start {
        Pickup::Post
    } else {
        Pickup::TooLate
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

    #[test]
    fn a_reminder_is_due_its_lead_before_the_start_unless_that_is_past() {
        let start = at("2026-12-03T15:00:00Z");
        let now = at("2026-12-02T10:00:00Z");
        assert_eq!(due(start, 15, now), Some(at("2026-12-03T14:45:00Z")));
        assert_eq!(due(start, 0, now), None);
        assert_eq!(due(start, 15, at("2026-12-03T14:50:00Z")), None);
        assert_eq!(due(start, 15, at("2026-12-03T14:45:00Z")), None);
    }

    #[test]
    fn a_reminder_picked_up_after_the_start_is_dropped() {
        let start = at("2026-12-03T15:00:00Z");
        assert_eq!(pickup(start, at("2026-12-03T14:59:59Z")), Pickup::Post);
        assert_eq!(pickup(start, start), Pickup::TooLate);
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
