//! Lengths ahead of now: "2h", "1h30m", "90 minutes", "an hour and a half", "half an hour",
//! "a quarter of an hour", "1 hour and 30 minutes", "3 days", "2 weeks".

use super::words::{count, digits};

/// A length ahead of now: elapsed seconds, then calendar days, months and years (so "in 3 days"
/// keeps the clock reading across a DST change, while "in 2 hours" is two real hours).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(in crate::scheduling) struct Ahead {
    pub seconds: i64,
    pub days: i64,
    pub months: i64,
    pub years: i64,
    /// Too large to compute with at all.
    pub beyond: bool,
}

impl Ahead {
    /// Days, weeks, months or years only: "in 2 days at 3pm" can take a time.
    pub(super) fn whole_days(&self) -> bool {
        self.seconds == 0
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// A length at the start of `words`, and how many words it used.
pub(super) fn ahead(words: &[String]) -> Option<(Ahead, usize)> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut total = Ahead::default();
    let mut used = 0;
    while used < words.len() {
        let step = match &words[used..] {
            ["and" | "&", "a", "half", ..] if total.seconds > 0 && total.seconds % 3600 == 0 => {
                add(&mut total, 1800, Unit::Second);
                3
            }
            ["and" | "&", ..] if used > 0 => 1,
            ["half", "an" | "a", "hour", ..] => fixed(&mut total, 1800, 3),
            ["half", "hour" | "hours", ..] => fixed(&mut total, 1800, 2),
            ["a" | "one", "quarter", "of", "an", "hour", ..] => fixed(&mut total, 900, 5),
            ["quarter", "of", "an", "hour", ..] => fixed(&mut total, 900, 4),
            ["a" | "one", "quarter", "hour", ..] => fixed(&mut total, 900, 3),
            ["quarter", "hour", ..] => fixed(&mut total, 900, 2),
            [amount, name, ..] if count(amount).is_some() && unit(name).is_some() => {
                scaled(&mut total, count(amount)?, unit(name)?);
                2
            }
            [amount, name, ..] if decimal(amount).is_some() && unit(name).is_some() => {
                tenths(&mut total, decimal(amount)?, unit(name)?)?;
                2
            }
            [glued, ..] if glued_length(glued, &mut total) => 1,
            _ => break,
        };
        used += step;
    }
    // A trailing "and" belongs to what follows ("in 2 days and at 3pm" is not a length).
    while used > 0 && words[used - 1] == "and" {
        used -= 1;
    }
    (used > 0).then_some((total, used))
}

fn fixed(total: &mut Ahead, seconds: i64, used: usize) -> usize {
    add(total, seconds, Unit::Second);
    used
}

fn unit(word: &str) -> Option<Unit> {
    Some(match word {
        "s" | "sec" | "secs" | "second" | "seconds" => Unit::Second,
        "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
        "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
        "d" | "day" | "days" => Unit::Day,
        "w" | "week" | "weeks" => Unit::Week,
        "mo" | "month" | "months" => Unit::Month,
        "y" | "yr" | "year" | "years" => Unit::Year,
        _ => return None,
    })
}

/// "1.5" as tenths (15); one decimal only.
fn decimal(word: &str) -> Option<i64> {
    let (whole, tenth) = word.split_once('.')?;
    Some(digits::<i64>(whole, 1..=6)? * 10 + digits::<i64>(tenth, 1..=1)?)
}

/// "1.5 hours": only clock units take fractions; "1.5 days" is not a length this reads.
fn tenths(total: &mut Ahead, tenths: i64, unit: Unit) -> Option<()> {
    let per = match unit {
        Unit::Second if tenths % 10 == 0 => 1,
        Unit::Minute if tenths % 10 == 0 => 60,
        Unit::Hour => 3600,
        _ => return None,
    };
    add(total, tenths * per / 10, Unit::Second);
    Some(())
}

fn add(total: &mut Ahead, n: i64, unit: Unit) {
    let (slot, factor) = match unit {
        Unit::Second => (&mut total.seconds, 1),
        Unit::Minute => (&mut total.seconds, 60),
        Unit::Hour => (&mut total.seconds, 3600),
        Unit::Day => (&mut total.days, 1),
        Unit::Week => (&mut total.days, 7),
        Unit::Month => (&mut total.months, 1),
        Unit::Year => (&mut total.years, 1),
    };
    match n.checked_mul(factor).and_then(|n| slot.checked_add(n)) {
        Some(sum) => *slot = sum,
        None => total.beyond = true,
    }
}

/// Adds `n` units; a count past `i64` is beyond any horizon.
fn scaled(total: &mut Ahead, n: u64, unit: Unit) {
    match i64::try_from(n) {
        Ok(n) => add(total, n, unit),
        Err(_) => total.beyond = true,
    }
}

/// "2h", "1h30m", "90min", "3d": numbers glued to units. Digits too many for a number are a
/// length beyond any horizon, not a misreading.
fn glued_length(word: &str, total: &mut Ahead) -> bool {
    let mut rest = word;
    let mut found = Ahead::default();
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(split);
        let end = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (name, tail) = tail.split_at(end);
        let Some(per) = unit(name) else { return false };
        if number.is_empty() {
            return false;
        }
        match number.parse::<u64>() {
            Ok(n) => scaled(&mut found, n, per),
            Err(_) => found.beyond = true,
        }
        rest = tail;
    }
    for (slot, more) in [
        (&mut total.seconds, found.seconds),
        (&mut total.days, found.days),
        (&mut total.months, found.months),
        (&mut total.years, found.years),
    ] {
        match slot.checked_add(more) {
            Some(sum) => *slot = sum,
            None => total.beyond = true,
        }
    }
    total.beyond |= found.beyond;
    true
}
