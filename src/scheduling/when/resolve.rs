//! From parts to a local date and time (or an instant): which Friday, which year, which half of
//! the day — refusing, with what was understood, whatever the parts leave open.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};

use super::grammar::{Clock, Day, Parts, Period, Which};
use super::{SLACK, WhenError};

/// What the text names, before time zone rules and bounds are applied.
pub(super) enum Reading {
    At(Timestamp),
    Local(DateTime),
    /// Too far ahead to be represented.
    Beyond,
}

/// The reading of `parts` at `now` in `tz`; `input` is quoted in refusals.
pub(super) fn reading(
    parts: &Parts,
    now: Timestamp,
    tz: &TimeZone,
    input: &str,
) -> Result<Reading, WhenError> {
    let unreadable = |hint: String| WhenError::Unreadable {
        input: input.to_owned(),
        hint: Some(hint),
    };
    let today = now.to_zoned(tz.clone()).date();
    if parts.now {
        return Ok(Reading::At(now));
    }
    if let Some(ahead) = parts.ahead {
        if ahead.beyond {
            return Ok(Reading::Beyond);
        }
        if parts.day.is_some() {
            return Err(unreadable("it names both a day and a length ahead".into()));
        }
        let span = Span::new()
            .try_years(ahead.years)
            .and_then(|s| s.try_months(ahead.months))
            .and_then(|s| s.try_days(ahead.days));
        let Ok(span) = span else {
            return Ok(Reading::Beyond);
        };
        let Some(clock) = parts.clock else {
            let later = now
                .to_zoned(tz.clone())
                .checked_add(span)
                .ok()
                .and_then(|z| {
                    z.timestamp()
                        .checked_add(SignedDuration::from_secs(ahead.seconds))
                        .ok()
                });
            return Ok(later.map_or(Reading::Beyond, Reading::At));
        };
        if !ahead.whole_days() {
            return Err(unreadable(
                "it names both a length ahead and a time of day".into(),
            ));
        }
        let Ok(day) = today.checked_add(span) else {
            return Ok(Reading::Beyond);
        };
        let time = settle(clock, parts, input)?.ok_or_else(|| midnight(input, day, parts))?;
        return Ok(Reading::Local(day.to_datetime(time)));
    }
    let Some(clock) = parts.clock else {
        return Err(no_time(parts, today, input));
    };
    let time = settle(clock, parts, input)?;
    let Some(day) = parts.day else {
        return Ok(Reading::Local(match time {
            // Midnight alone is the coming one: the end of today.
            None => next_day(today)?.to_datetime(Time::midnight()),
            Some(time) => {
                // A bare time is today while it is still ahead (within the slack), else tomorrow.
                let passed = tz
                    .to_ambiguous_timestamp(today.to_datetime(time))
                    .compatible()
                    .is_ok_and(|at| at.duration_since(now) < -SLACK);
                let day = if passed { next_day(today)? } else { today };
                day.to_datetime(time)
            }
        }));
    };
    let date = day_of(day, today, time, input)?;
    if let Some(check) = parts.weekday_check.filter(|w| *w != date.weekday()) {
        return Err(unreadable(format!(
            "{} is a {}, not a {}",
            date.strftime("%-d %b %Y"),
            weekday_name(date.weekday()),
            weekday_name(check)
        )));
    }
    match (day, time) {
        (Day::Tonight, None) => Ok(Reading::Local(
            next_day(today)?.to_datetime(Time::midnight()),
        )),
        (_, None) => Err(midnight(input, date, parts)),
        (_, Some(time)) => Ok(Reading::Local(date.to_datetime(time))),
    }
}

fn next_day(day: Date) -> Result<Date, WhenError> {
    day.tomorrow().map_err(|_| WhenError::TooFarAhead {
        input: String::new(),
        understood: None,
    })
}

/// The date a day names. A date without a year is the next one ahead: this year's, unless it
/// was before today.
fn day_of(day: Day, today: Date, time: Option<Time>, input: &str) -> Result<Date, WhenError> {
    let unreadable = |hint: String| WhenError::Unreadable {
        input: input.to_owned(),
        hint: Some(hint),
    };
    let beyond = |_| WhenError::TooFarAhead {
        input: input.to_owned(),
        understood: None,
    };
    match day {
        Day::After(n) => today.checked_add(Span::new().days(n)).map_err(beyond),
        Day::Tonight => {
            if time.is_some_and(|t| t.hour() < 17) {
                return Err(unreadable(
                    "\"tonight\" is for evening times (17:00 to midnight); for earlier ones write \"today\"".into(),
                ));
            }
            Ok(today)
        }
        Day::Weekday(day, Which::This) if today.weekday() == day => Ok(today),
        Day::Weekday(day, Which::Plain | Which::This) => today.nth_weekday(1, day).map_err(beyond),
        Day::Weekday(day, Which::Next) => {
            let monday = today.nth_weekday(1, Weekday::Monday).map_err(beyond)?;
            let offset = i64::from(day.to_monday_zero_offset());
            monday.checked_add(Span::new().days(offset)).map_err(beyond)
        }
        Day::Date { year, month, day } => {
            let no_such_day = || {
                unreadable(format!(
                    "there is no {day} {}",
                    Date::new(2000, month, 1)
                        .map_or(String::new(), |d| d.strftime("%B").to_string())
                ))
            };
            if let Some(year) = year {
                return Date::new(year, month, day).map_err(|_| no_such_day());
            }
            match Date::new(today.year(), month, day) {
                Ok(date) if date >= today => Ok(date),
                // 29 February without a year is the next one there is.
                _ => (today.year() + 1..=today.year() + 4)
                    .find_map(|year| Date::new(year, month, day).ok())
                    .ok_or_else(no_such_day),
            }
        }
    }
}

/// The clock reading as a time of day; `None` for midnight, whose day is settled by the caller.
fn settle(clock: Clock, parts: &Parts, input: &str) -> Result<Option<Time>, WhenError> {
    let unreadable = |hint: String| WhenError::Unreadable {
        input: input.to_owned(),
        hint: Some(hint),
    };
    let evening = parts.period == Some(Period::Evening) || parts.day == Some(Day::Tonight);
    let (hour, minute, second, bare, twelve_hour) = match clock {
        Clock::Noon => return Ok(Some(Time::constant(12, 0, 0, 0))),
        Clock::Midnight => return Ok(None),
        Clock::At {
            hour,
            minute,
            second,
            bare,
            twelve_hour,
        } => (hour, minute, second, bare, twelve_hour),
    };
    let hint_hour =
        |h: i8| format!("\"{h}\" alone is not a time: write \"{h}:00\", \"{h}am\" or \"{h}pm\"");
    let hour = match parts.period {
        // "at 8 in the evening", "tonight 8:30": the part of the day says which half.
        _ if evening && !twelve_hour && (1..=11).contains(&hour) => hour + 12,
        Some(Period::Afternoon) if !twelve_hour && (1..=6).contains(&hour) => hour + 12,
        None if !evening && bare && !parts.at => return Err(unreadable(hint_hour(hour))),
        None if !evening && bare && (0..=6).contains(&hour) => {
            return Err(WhenError::Ambiguous {
                input: input.to_owned(),
                what: format!("{hour} in the morning or in the afternoon"),
                choices: vec![
                    input.replacen(&hour.to_string(), &format!("{hour}am"), 1),
                    input.replacen(&hour.to_string(), &format!("{hour}pm"), 1),
                ],
            });
        }
        _ => hour,
    };
    let fits = match (parts.period, evening) {
        (_, true) => (17..=23).contains(&hour),
        (Some(Period::Morning), _) => {
            (4..=11).contains(&hour) || (hour == 12 && minute == 0 && !twelve_hour)
        }
        (Some(Period::Afternoon), _) => (12..=17).contains(&hour),
        _ => true,
    };
    if !fits {
        return Err(unreadable(format!(
            "{hour:02}:{minute:02} is not in the part of the day it names"
        )));
    }
    Time::new(hour, minute, second, 0)
        .map(Some)
        .map_err(|_| unreadable(hint_hour(hour)))
}

/// "friday midnight" is the start of Friday to some and its end to others.
fn midnight(input: &str, day: Date, parts: &Parts) -> WhenError {
    let end = day.tomorrow().unwrap_or(day);
    // A typed zone stays in the choices: without it they would be read in another zone.
    let zone = parts
        .zone
        .as_ref()
        .map(|typed| format!(" {}", super::zone::zone_text(&typed.zone)))
        .unwrap_or_default();
    WhenError::Ambiguous {
        input: input.to_owned(),
        what: format!(
            "the start of {} (00:00) or its end (00:00 on {})",
            day.strftime("%a %-d %b"),
            end.strftime("%a %-d %b")
        ),
        choices: vec![
            format!("{}{zone}", day.strftime("%Y-%m-%d 00:00")),
            format!("{}{zone}", end.strftime("%Y-%m-%d 00:00")),
        ],
    }
}

/// A day without a time: say which day was read and how to add a time.
fn no_time(parts: &Parts, today: Date, input: &str) -> WhenError {
    let example = match parts.period {
        Some(Period::Morning) => "9am",
        Some(Period::Afternoon) => "3pm",
        Some(Period::Evening) => "7pm",
        None if parts.day == Some(Day::Tonight) => "8pm",
        None => "15:00",
    };
    let understood = parts
        .day
        .and_then(|day| day_of(day, today, None, input).ok())
        .map(|date| format!(" I read {} but", date.strftime("%a %-d %b %Y")))
        .unwrap_or_default();
    let base = input.split(" in the ").next().unwrap_or(input);
    let base = ["morning", "afternoon", "evening"]
        .iter()
        .fold(base.to_owned(), |text, word| text.replace(word, ""));
    WhenError::Unreadable {
        input: input.to_owned(),
        hint: Some(format!(
            "{understood} no time of day (morning, afternoon and evening are not read as one). \
             Add a time, like \"{} {example}\"",
            base.split_whitespace().collect::<Vec<_>>().join(" ")
        )),
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}
