//! Refusals built from what was understood: grammar problems in words, a seasonal abbreviation
//! out of season, and a relative day whose calendar depends on the zone.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Zoned};

use super::grammar::{self, Problem};
use super::resolve::{self, Reading};
use super::{WhenContext, WhenError, canonical, describe_when, resolve_local, words, zone};

/// "tomorrow 3pm PT" typed in Kolkata on Sunday morning, while Los Angeles is still on Saturday:
/// the member's tomorrow or Los Angeles'? Where the two calendars differ, both are offered.
pub(super) fn whose_day(
    parts: &grammar::Parts,
    context: &WhenContext<'_>,
    typed: &TimeZone,
    start: &Zoned,
    input: &str,
) -> Result<(), WhenError> {
    let counts_days = matches!(
        parts.day,
        Some(grammar::Day::After(_) | grammar::Day::Tonight | grammar::Day::Weekday(..))
    ) || (parts.ahead.is_some() && parts.clock.is_some());
    let today = |tz: &TimeZone| context.now.to_zoned(tz.clone()).date();
    if parts.zone.is_none() || !counts_days || today(typed) == today(context.zone) {
        return Ok(());
    }
    let Ok(Reading::Local(local)) = resolve::reading(parts, context.now, context.zone, input)
    else {
        return Ok(());
    };
    let Ok(other) = resolve_local(local, typed, input) else {
        return Ok(());
    };
    if other.timestamp() == start.timestamp() {
        return Ok(());
    }
    Err(WhenError::Ambiguous {
        input: input.to_owned(),
        what: format!(
            "{} (counting days in {}) or {} (counting days where you are)",
            describe_when(start),
            zone::zone_text(typed),
            describe_when(&other)
        ),
        choices: vec![canonical(start), canonical(&other)],
    })
}

/// "3pm EST" in July: EST is New York's winter time, but New York is on EDT then. Either reading
/// could be meant, so neither is taken.
pub(super) fn season(
    cleaned: &str,
    input: &str,
    typed: &str,
    local: DateTime,
    start: &Zoned,
) -> Result<(), WhenError> {
    let words = words::tokens(&cleaned.to_lowercase());
    let Some(zone::ZoneWord::Zone(found, _)) = words
        .iter()
        .enumerate()
        .find_map(|(i, w)| (w.to_uppercase() == typed).then(|| zone::zone_word(&words[i..], None)))
        .flatten()
    else {
        return Ok(());
    };
    if zone::season_matches(&found, start.timestamp()) != Some(false) {
        return Ok(());
    }
    let fixed = start.offset();
    let other = if found.season == Some(true) {
        fixed.checked_add(SignedDuration::from_hours(1))
    } else {
        fixed.checked_sub(SignedDuration::from_hours(1))
    };
    let Ok(other) = other else { return Ok(()) };
    let zone_name = zone::zone_text(&found.zone);
    let as_fixed = TimeZone::fixed(other);
    let fixed_start = as_fixed.to_ambiguous_zoned(local).compatible().ok();
    let mut choices = vec![canonical(start)];
    choices.extend(fixed_start.as_ref().map(canonical));
    Err(WhenError::Ambiguous {
        input: input.to_owned(),
        what: format!(
            "{} in {zone_name}, which is not on {typed} that day, or {} at UTC{}",
            start.strftime("%H:%M"),
            local.strftime("%H:%M"),
            zone::zone_text(&as_fixed)
        ),
        choices,
    })
}

/// A grammar problem in words for the member, with texts that would read where there are some.
pub(super) fn problem(problem: Problem, lower: &str, input: &str, words: &[String]) -> WhenError {
    let unreadable = |hint: Option<String>| WhenError::Unreadable {
        input: input.to_owned(),
        hint,
    };
    match problem {
        // One unknown word and nothing else: the plain refusal lists what is accepted.
        Problem::Word(_) if words.len() <= 1 => unreadable(None),
        Problem::Word(word) => unreadable(Some(format!("I did not understand \"{word}\""))),
        Problem::Twice(what) => unreadable(Some(format!("it names two {what}"))),
        Problem::Vague(words) => unreadable(Some(format!(
            "\"{words}\" is not a day; name one, like \"next monday 10:00\""
        ))),
        Problem::UnknownZone(name, close) if close.is_empty() => {
            unreadable(Some(format!("\"{name}\" is not a time zone I know")))
        }
        Problem::UnknownZone(name, close) => WhenError::Ambiguous {
            input: input.to_owned(),
            what: format!("a time zone, but \"{name}\" is none I know"),
            choices: close.iter().map(|c| lower.replacen(&name, c, 1)).collect(),
        },
        Problem::AmbiguousZone(name, zones) => WhenError::Ambiguous {
            input: input.to_owned(),
            what: format!("{name} in any of {}", zones.join(", ")),
            choices: zones
                .iter()
                .map(|z| lower.replacen(&name.to_lowercase(), z, 1))
                .collect(),
        },
        Problem::Order(word, readings) => {
            let month = |m: i8| {
                jiff::civil::Date::new(2000, m, 1)
                    .map_or(String::new(), |d| d.strftime("%b").to_string())
            };
            let forms: Vec<String> = readings
                .iter()
                .map(|(m, d)| format!("{d} {}", month(*m)))
                .collect();
            WhenError::Ambiguous {
                input: input.to_owned(),
                what: format!(
                    "{} (your Discord language does not settle which number is the month)",
                    forms.join(" or ")
                ),
                choices: forms
                    .iter()
                    .map(|form| lower.replacen(&word, &form.to_lowercase(), 1))
                    .collect(),
            }
        }
    }
}
