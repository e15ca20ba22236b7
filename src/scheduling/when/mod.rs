//! When a meeting starts: the ways members type it ("in half an hour", "tomorrow 9am EST",
//! "24.12. 18:00", "next friday at 3pm", RFC 3339 …) → an instant in a time zone, refusing what
//! it cannot settle, the past, the far future and local times that daylight saving skips.
//!
//! Split by job: `words` (tokens, vocabulary, typos), `length` ("in 2 hours"), `zone` (zones typed
//! in the text), `grammar` (words → parts), `resolve` (parts → a date and time), `suggest`
//! (autocomplete choices).

mod checks;
mod dates;
mod grammar;
mod length;
mod resolve;
mod suggest;
mod words;
mod zone;

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};

use super::{clean, shown};
use checks::{problem, season, whose_day};
use resolve::Reading;

pub use suggest::{Choice, suggest_when};

/// How far in the past a start may lie, so "now" and "10:00" typed at 10:00:30 still work.
const SLACK: SignedDuration = SignedDuration::from_secs(60);

/// How far ahead a meeting may be scheduled.
const HORIZON: SignedDuration = SignedDuration::from_hours(365 * 24);

/// Why a typed start was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error("{}", unreadable(.input, .hint.as_deref()))]
    Unreadable {
        input: String,
        /// What was understood and what is missing, when some of it was read.
        hint: Option<String>,
    },
    #[error(
        "\"{input}\" could mean {what}. Type one of: {}.",
        .choices.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
    )]
    Ambiguous {
        input: String,
        /// The readings, in words.
        what: String,
        /// Texts that each read one way.
        choices: Vec<String>,
    },
    #[error(
        "\"{input}\" is {}, which has already passed. Pick a later time, like \"in 1h\" or \"tomorrow 9am\".",
        describe_when(.understood)
    )]
    InPast { input: String, understood: Zoned },
    #[error(
        "\"{input}\" is {}more than a year ahead. Meetings can be scheduled at most 365 days in advance.",
        .understood.as_ref().map(|when| format!("{}, ", describe_when(when))).unwrap_or_default()
    )]
    TooFarAhead {
        input: String,
        /// None when the instant is beyond what can be represented at all.
        understood: Option<Zoned>,
    },
    #[error(
        "\"{input}\" is {} {}, a time that does not exist there: the clocks jump forward over it. \
         Did you mean {}? Type \"{}\".",
        .local.strftime("%a %-d %b %Y %H:%M"),
        .suggestion.strftime("%Q"),
        describe_when(.suggestion),
        .suggestion.strftime("%Y-%m-%d %H:%M")
    )]
    Gap {
        input: String,
        /// The local time that was asked for.
        local: DateTime,
        /// The same wall-clock reading after the jump (02:30 → 03:30 for a one-hour gap).
        suggestion: Zoned,
    },
}

/// A start as members read it: "Tue 1 Dec 2026 09:30 Europe/Berlin".
pub fn describe_when(when: &Zoned) -> String {
    when.strftime("%a %-d %b %Y %H:%M %Q").to_string()
}

/// How refusals of unreadable text read: the accepted forms, after what was understood.
fn unreadable(input: &str, hint: Option<&str>) -> String {
    let hint = hint.map(|h| format!(":{}{h}.", if h.starts_with(' ') { "" } else { " " }));
    format!(
        "\"{input}\" is not a time I can read{} Try \"now\", \"in 2h\", \"tomorrow 15:00\", \"fri 9am\", \
         \"next monday 10:00\", \"15:00\", \"3pm\" or \"YYYY-MM-DD HH:MM\".",
        hint.as_deref().unwrap_or(".")
    )
}

/// Where a start is read: the moment, the zone that applies (option, member, server) and the
/// member's Discord locale, which settles numeric dates ("12/11").
#[derive(Debug, Clone, Copy)]
pub struct WhenContext<'a> {
    /// The moment the member typed it.
    pub now: Timestamp,
    /// The zone the text is read in unless it names one.
    pub zone: &'a TimeZone,
    /// The interaction's `locale` ("en-US", "de"); `None` outside Discord.
    pub locale: Option<&'a str>,
}

/// A start as read, with how it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    /// The instant, in the zone it was read in.
    pub start: Zoned,
    /// A zone typed in the text ("EST", "Europe/London"): it overrides every other.
    pub typed_zone: Option<String>,
    /// How a numeric date's order was settled, to echo to the member.
    pub note: Option<String>,
    /// Counted from now ("in 2h", "now"): the instant moves with the moment it is read.
    pub relative: bool,
}

/// Reads a meeting start typed at `now`, in the member's time zone `tz` (no locale).
pub fn parse_when(input: &str, now: Timestamp, tz: &TimeZone) -> Result<Zoned, WhenError> {
    let context = WhenContext {
        now,
        zone: tz,
        locale: None,
    };
    read_when(input, &context).map(|when| when.start)
}

/// The form every accepted start prints back as and reads back from, to the same instant:
/// "2026-12-02 15:00 Europe/Berlin"; RFC 9557 where that would not be exact (fractions of a
/// second, the later of two equal clock readings, zone names this reader takes otherwise).
pub fn canonical(start: &Zoned) -> String {
    let tz = start.time_zone();
    let local = start.datetime();
    let later_in_fold = match tz.to_ambiguous_zoned(local).offset() {
        AmbiguousOffset::Fold { before, .. } => before != start.offset(),
        _ => false,
    };
    let name = zone::zone_text(tz);
    if local.subsec_nanosecond() != 0 || later_in_fold || !zone::reads_back(&name) {
        return start.to_string();
    }
    let clock = if local.second() == 0 {
        "%H:%M"
    } else {
        "%H:%M:%S"
    };
    format!("{} {name}", local.strftime(&format!("%Y-%m-%d {clock}")))
}

/// A zone as members read it and `when` reads it back: its IANA name, or "+05:30".
pub fn zone_name(tz: &TimeZone) -> String {
    zone::zone_text(tz)
}

/// Reads a start in `context`: the zone typed in the text, else the context's.
pub fn read_when(input: &str, context: &WhenContext<'_>) -> Result<When, WhenError> {
    let cleaned = clean(input);
    let input = shown(&cleaned);
    let now = context.now;
    let plain = |start: Zoned| When {
        start,
        typed_zone: None,
        note: None,
        relative: false,
    };
    // RFC 9557 ("…+01:00[Europe/Berlin]") keeps its zone; RFC 3339 names an instant only.
    let (when, local) = if let Ok(start) = cleaned.parse::<Zoned>() {
        let typed_zone = start.time_zone().iana_name().map(str::to_owned);
        let when = When {
            start,
            typed_zone,
            note: None,
            relative: false,
        };
        (when, None)
    } else if let Ok(instant) = cleaned.parse::<Timestamp>() {
        (plain(instant.to_zoned(context.zone.clone())), None)
    } else {
        read_words(&cleaned, &input, context)?
    };
    let start = when.start.clone();
    let ahead = start.timestamp().duration_since(now);
    if let (Some(local), Some(zone)) = (local, &when.typed_zone) {
        season(&cleaned, &input, zone, local, &start)?;
    }
    if ahead < -SLACK {
        Err(WhenError::InPast {
            input,
            understood: start,
        })
    } else if ahead > HORIZON {
        Err(WhenError::TooFarAhead {
            input,
            understood: Some(start),
        })
    } else {
        Ok(when)
    }
}

/// The words path: grammar, then calendar. Also the local time read, for the season check.
fn read_words(
    cleaned: &str,
    input: &str,
    context: &WhenContext<'_>,
) -> Result<(When, Option<DateTime>), WhenError> {
    let lower = cleaned.to_lowercase();
    if lower.is_empty() {
        let start = context.now.to_zoned(context.zone.clone());
        let when = When {
            start,
            typed_zone: None,
            note: None,
            relative: true,
        };
        return Ok((when, None));
    }
    let words = words::tokens(&lower);
    let parts =
        grammar::parse(&words, context.locale).map_err(|p| problem(p, &lower, input, &words))?;
    let tz = parts
        .zone
        .as_ref()
        .map_or(context.zone, |typed| &typed.zone);
    let typed_zone = parts.zone.as_ref().map(|typed| typed.typed.clone());
    let beyond = || WhenError::TooFarAhead {
        input: input.to_owned(),
        understood: None,
    };
    let (start, local) =
        match resolve::reading(&parts, context.now, tz, input).map_err(|e| named(e, input))? {
            Reading::Beyond => return Err(beyond()),
            Reading::At(instant) => (instant.to_zoned(tz.clone()), None),
            Reading::Local(local) => (resolve_local(local, tz, input)?, Some(local)),
        };
    whose_day(&parts, context, tz, &start, input)?;
    let when = When {
        start,
        typed_zone,
        note: parts.order_note,
        relative: local.is_none(),
    };
    Ok((when, local))
}

/// Errors built below `read_words` without the input (next to jiff's limits) get it here.
fn named(error: WhenError, input: &str) -> WhenError {
    match error {
        WhenError::TooFarAhead { understood, .. } => WhenError::TooFarAhead {
            input: input.to_owned(),
            understood,
        },
        other => other,
    }
}

/// Places a local time in `tz`: a time in a gap is refused with the time after the jump; in a fold
/// the earlier instant wins, as that is when the clock first shows the time.
fn resolve_local(local: DateTime, tz: &TimeZone, input: &str) -> Result<Zoned, WhenError> {
    let ambiguous = tz.to_ambiguous_zoned(local);
    // Resolving fails only next to jiff's year-9999 limit.
    let beyond = |_| WhenError::TooFarAhead {
        input: input.to_owned(),
        understood: None,
    };
    if matches!(ambiguous.offset(), AmbiguousOffset::Gap { .. }) {
        // "Compatible" moves a time in a gap forward by the gap's length.
        let suggestion = ambiguous.compatible().map_err(beyond)?;
        Err(WhenError::Gap {
            input: input.to_owned(),
            local,
            suggestion,
        })
    } else {
        ambiguous.earlier().map_err(beyond)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod zone_tests;
