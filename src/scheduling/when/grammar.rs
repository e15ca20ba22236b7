//! From words to parts: which day, which clock reading, which zone, which length ahead — in any
//! order, each at most once — before any calendar arithmetic. Every word must be understood.

use jiff::civil::Weekday;

use super::dates::date;
use super::length::ahead;
use super::words::{digits, weekday};
use super::zone::{TypedZone, ZoneWord, zone_word};

pub(super) use super::length::Ahead;

/// A day as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Day {
    /// Today plus this many days: today, tomorrow, the day after tomorrow.
    After(i8),
    /// Today, in the evening.
    Tonight,
    /// A weekday: plain ("friday", "on friday"), "this friday" or "next friday".
    Weekday(Weekday, Which),
    /// Month and day, with the year when written.
    Date {
        year: Option<i16>,
        month: i8,
        day: i8,
    },
}

/// Which of the weekdays a name means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Which {
    /// The first one after today.
    Plain,
    /// This week's, today included.
    This,
    /// Next week's (weeks start on Monday).
    Next,
}

/// A clock reading as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    Noon,
    Midnight,
    At {
        hour: i8,
        minute: i8,
        second: i8,
        /// Hour only, without am/pm: needs "at", "o'clock" or a part of the day to be read.
        bare: bool,
        /// Written with am/pm.
        twelve_hour: bool,
    },
}

/// A part of the day, which settles "at 9" and checks "9am".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Period {
    Morning,
    Afternoon,
    Evening,
}

/// Everything the text said.
#[derive(Debug, Clone, Default)]
pub(super) struct Parts {
    pub now: bool,
    pub day: Option<Day>,
    /// A weekday written next to a date ("fri 24 dec"), checked against it.
    pub weekday_check: Option<Weekday>,
    pub clock: Option<Clock>,
    /// "at" or "o'clock" came with the clock reading.
    pub at: bool,
    pub period: Option<Period>,
    pub zone: Option<TypedZone>,
    pub ahead: Option<Ahead>,
    /// How a numeric date's order was settled, for the echo.
    pub order_note: Option<String>,
}

/// Why the words give no reading.
#[derive(Debug, Clone)]
pub(super) enum Problem {
    /// A word that fits nowhere.
    Word(String),
    /// Two of something there can be only one of ("two days").
    Twice(&'static str),
    /// "next week": not a day.
    Vague(String),
    /// An abbreviation with several zones.
    AmbiguousZone(String, Vec<&'static str>),
    /// A zone-looking word that names none, with close names.
    UnknownZone(String, Vec<String>),
    /// A numeric date the locale does not settle: the word and its two readings (month, day).
    Order(String, [(i8, i8); 2]),
}

/// Reads `words` (from [`super::words::tokens`]); `locale` settles numeric dates.
pub(super) fn parse(words: &[String], locale: Option<&str>) -> Result<Parts, Problem> {
    let words = split_glued(words);
    let mut parts = Parts::default();
    let mut i = 0;
    while i < words.len() {
        let rest = &words[i..];
        i += match rest[0].as_str() {
            // Politeness and joining words say nothing about the time.
            "on" | "the" | "of" | "for" | "please" | "pls" => 1,
            "at" if parts.clock.is_none() => {
                parts.at = true;
                1
            }
            "now" if words.len() == 1 => {
                parts.now = true;
                1
            }
            "in" if rest.get(1).is_some_and(|w| w == "the") => {
                let (found, used) = period(&rest[2..]).ok_or_else(|| unknown(rest, 3))?;
                set(&mut parts.period, found, "parts of the day")?;
                used + 2
            }
            "in" => {
                let (found, used) = ahead(&rest[1..]).ok_or_else(|| unknown(rest, 2))?;
                set(&mut parts.ahead, found, "lengths ahead")?;
                used + 1
            }
            _ => step(rest, locale, &mut parts)?,
        };
    }
    Ok(parts)
}

/// One item at the start of `rest`: how many words it used.
fn step(rest: &[String], locale: Option<&str>, parts: &mut Parts) -> Result<usize, Problem> {
    let word = rest[0].as_str();
    if let Some((day, used)) = day_word(rest) {
        set(&mut parts.day, day, "days")?;
        return Ok(used);
    }
    if let Some((found, used)) = period(rest) {
        set(&mut parts.period, found, "parts of the day")?;
        return Ok(used);
    }
    if word == "this" || word == "next" {
        return this_or_next(rest, parts);
    }
    if let Some(found) = date(rest, locale) {
        let (day, used, note) = found?;
        set(&mut parts.day, day, "dates")?;
        parts.order_note = note;
        return Ok(used);
    }
    if let Some(day) = weekday(word) {
        // "fri 24 dec": the weekday checks the date rather than naming a second day.
        if matches!(parts.day, Some(Day::Date { .. })) {
            parts.weekday_check = Some(day);
        } else if let Some(found) = date(&rest[1..], locale) {
            let (date, used, note) = found?;
            set(&mut parts.day, date, "dates")?;
            parts.weekday_check = Some(day);
            parts.order_note = note;
            return Ok(used + 1);
        } else {
            set(&mut parts.day, Day::Weekday(day, Which::Plain), "days")?;
        }
        return Ok(1);
    }
    // "2 hours from now" before clock readings, which would take its "2".
    if let Some((found, used)) = ahead(rest) {
        let from_now = rest
            .get(used..used + 2)
            .is_some_and(|w| w == ["from", "now"]);
        if from_now {
            set(&mut parts.ahead, found, "lengths ahead")?;
            return Ok(used + 2);
        }
    }
    if let Some((found, used, oclock)) = clock(rest) {
        set(&mut parts.clock, found, "times")?;
        parts.at |= oclock;
        return Ok(used);
    }
    match zone_word(rest, locale) {
        Some(ZoneWord::Zone(zone, used)) => {
            set(&mut parts.zone, zone, "time zones")?;
            Ok(used)
        }
        Some(ZoneWord::Ambiguous(name, zones)) => Err(Problem::AmbiguousZone(name, zones)),
        Some(ZoneWord::Unknown(name, close)) => Err(Problem::UnknownZone(name, close)),
        None => Err(Problem::Word(word.to_owned())),
    }
}

/// "this friday", "next friday", "this morning", "this evening"; "next week" is refused.
fn this_or_next(rest: &[String], parts: &mut Parts) -> Result<usize, Problem> {
    let this = rest[0] == "this";
    let next = rest.get(1).map(String::as_str);
    if let Some(day) = next.and_then(weekday) {
        let which = if this { Which::This } else { Which::Next };
        set(&mut parts.day, Day::Weekday(day, which), "days")?;
        return Ok(2);
    }
    if this && next == Some("evening") {
        set(&mut parts.day, Day::Tonight, "days")?;
        return Ok(2);
    }
    if this && period(&rest[1..]).is_some() {
        set(&mut parts.day, Day::After(0), "days")?;
        return Ok(1);
    }
    Err(Problem::Vague(rest[..rest.len().min(2)].join(" ")))
}

fn unknown(rest: &[String], upto: usize) -> Problem {
    Problem::Word(rest[..rest.len().min(upto)].join(" "))
}

fn set<T>(slot: &mut Option<T>, value: T, what: &'static str) -> Result<(), Problem> {
    if slot.is_some() {
        return Err(Problem::Twice(what));
    }
    *slot = Some(value);
    Ok(())
}

/// "2026-12-24t18:00" is a date and a time in one word.
fn split_glued(words: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len() + 1);
    for word in words {
        match word.split_once('t') {
            Some((date, time))
                if date.len() >= 8
                    && date.bytes().next().is_some_and(|b| b.is_ascii_digit())
                    && time.contains(':') =>
            {
                out.push(date.to_owned());
                out.push(time.to_owned());
            }
            _ => out.push(word.clone()),
        }
    }
    out
}

fn day_word(rest: &[String]) -> Option<(Day, usize)> {
    let words: Vec<&str> = rest.iter().take(3).map(String::as_str).collect();
    match words.as_slice() {
        ["day", "after", "tomorrow", ..] => Some((Day::After(2), 3)),
        ["overmorrow", ..] => Some((Day::After(2), 1)),
        ["today", ..] => Some((Day::After(0), 1)),
        ["tomorrow", ..] => Some((Day::After(1), 1)),
        ["tonight", ..] => Some((Day::Tonight, 1)),
        _ => None,
    }
}

fn period(rest: &[String]) -> Option<(Period, usize)> {
    match rest.first().map(String::as_str)? {
        "morning" => Some((Period::Morning, 1)),
        "afternoon" => Some((Period::Afternoon, 1)),
        "evening" | "night" => Some((Period::Evening, 1)),
        _ => None,
    }
}

/// "15:00", "9:30:15", "3pm", "9 am", "9.30pm", "9 o'clock", "noon", "12 midnight", "9". Also
/// whether "o'clock" was written.
fn clock(rest: &[String]) -> Option<(Clock, usize, bool)> {
    let word = rest[0].as_str();
    let next = rest.get(1).map(String::as_str);
    match (word, next) {
        ("noon", _) => return Some((Clock::Noon, 1, false)),
        ("12", Some("noon")) => return Some((Clock::Noon, 2, false)),
        ("midnight", _) => return Some((Clock::Midnight, 1, false)),
        ("12", Some("midnight")) => return Some((Clock::Midnight, 2, false)),
        _ => {}
    }
    let (core, mut pm) = match (word.strip_suffix("am"), word.strip_suffix("pm")) {
        (Some(core), _) => (core, Some(false)),
        (_, Some(core)) => (core, Some(true)),
        _ => (word, None),
    };
    let mut used = 1;
    let mut oclock = false;
    if pm.is_none() {
        if next == Some("oclock") {
            oclock = true;
            used = 2;
        }
        match rest.get(used).map(String::as_str) {
            Some("am") => pm = Some(false),
            Some("pm") => pm = Some(true),
            _ => used -= 1,
        }
        used += 1;
    }
    let (hour, minute, second, colon): (i8, i8, i8, bool) =
        if let Some((hour, rest)) = core.split_once(':') {
            let (minute, second) = rest.split_once(':').unwrap_or((rest, "00"));
            let parsed = (digits(hour, 1..=2)?, digits(minute, 2..=2)?);
            (parsed.0, parsed.1, digits(second, 2..=2)?, true)
        } else if let Some((hour, minute)) = core.split_once('.').filter(|_| pm.is_some()) {
            (digits(hour, 1..=2)?, digits(minute, 2..=2)?, 0, true)
        } else {
            (digits(core, 1..=2)?, 0, 0, false)
        };
    if pm.is_some() && !(1..=12).contains(&hour) {
        return None;
    }
    if !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0..60).contains(&second) {
        return None;
    }
    let clock = Clock::At {
        hour: pm.map_or(hour, |pm| hour % 12 + if pm { 12 } else { 0 }),
        minute,
        second,
        bare: !colon && pm.is_none(),
        twelve_hour: pm.is_some(),
    };
    Some((clock, used, oclock))
}
