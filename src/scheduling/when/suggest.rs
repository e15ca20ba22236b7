//! Autocomplete for `when`: up to three choices whose names show the instant a text would mean
//! and whose values are canonical texts that read back to exactly that instant.

use jiff::{Unit, Zoned, ZonedRound};

use super::{WhenContext, WhenError, canonical, read_when};

/// Discord's limit on a choice's name and value, in characters.
const CHOICE_MAX: usize = 100;

/// Longest text, in bytes, that completions are tried for.
const COMPLETE_MAX: usize = 40;

/// Texts offered when what is typed reads as nothing: completed by prefix.
const EXAMPLES: &[&str] = &[
    "now",
    "in 15 minutes",
    "in 1 hour",
    "in 2 hours",
    "today 15:00",
    "tonight 8pm",
    "tomorrow 9am",
    "tomorrow 15:00",
    "next monday 10:00",
    "friday 3pm",
];

/// One autocomplete choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What the member sees: "tomorrow 15:00 → Wed 2 Dec 15:00 Europe/Berlin (in 16 h)".
    pub name: String,
    /// What is sent when picked: a canonical text.
    pub value: String,
}

/// Up to three choices for `typed` read in `context`.
pub fn suggest_when(typed: &str, context: &WhenContext<'_>) -> Vec<Choice> {
    let typed = super::clean(typed);
    let mut choices = Vec::new();
    let mut refusal = None;
    match read_when(&typed, context) {
        Ok(when) => {
            choices.push(reading_choice(&typed, &when.start, when.relative, context));
            // "next friday" is next week's; offer this week's too, so nobody has to guess.
            let lower = typed.to_lowercase();
            if lower.contains("next ") {
                let other = lower.replacen("next ", "this ", 1);
                push_read(&mut choices, &other, context);
            }
        }
        Err(WhenError::Ambiguous { choices: texts, .. }) => {
            for text in texts.iter().take(3) {
                push_read(&mut choices, text, context);
            }
        }
        Err(WhenError::Gap { suggestion, .. }) => {
            choices.push(reading_choice(&typed, &suggestion, false, context));
        }
        Err(error) => {
            let lower = typed.to_lowercase();
            if let WhenError::InPast { .. } = error {
                push_read(
                    &mut choices,
                    &lower.replacen("today", "tomorrow", 1),
                    context,
                );
            }
            // Completions help while a short text is being typed; a long one that reads as
            // nothing will not read with a time added, and trying costs each keystroke.
            let completions: &[&str] = if lower.len() <= COMPLETE_MAX {
                &[":00", " 9:00", " 15:00"]
            } else {
                &[]
            };
            for more in completions {
                push_read(&mut choices, &format!("{lower}{more}"), context);
            }
            for example in EXAMPLES
                .iter()
                .filter(|e| e.starts_with(&lower) && !lower.is_empty())
            {
                push_read(&mut choices, example, context);
            }
            refusal = Some(error);
        }
    }
    if choices.is_empty() {
        // Nothing reads: picking this gives the refusal, which says what to type instead.
        let error = refusal.or_else(|| read_when(&typed, context).err());
        if let Some(error) = error {
            choices.push(Choice {
                name: cut(&error.to_string(), CHOICE_MAX),
                value: cut(&typed, CHOICE_MAX),
            });
        }
    }
    choices.truncate(3);
    choices
}

/// Adds the reading of `text` if it reads and is not offered already.
fn push_read(choices: &mut Vec<Choice>, text: &str, context: &WhenContext<'_>) {
    push(choices, text, context, false);
}

fn push(choices: &mut Vec<Choice>, text: &str, context: &WhenContext<'_>, nested: bool) {
    if choices.len() >= 3 {
        return;
    }
    match read_when(text, context) {
        Ok(when) => {
            let choice = reading_choice(text, &when.start, when.relative, context);
            if !choices.iter().any(|c| c.value == choice.value) {
                choices.push(choice);
            }
        }
        // "friday midnight IST": each zone still leaves the midnight open; one level more.
        Err(WhenError::Ambiguous { choices: texts, .. }) if !nested => {
            for text in texts.iter().take(3) {
                push(choices, text, context, true);
            }
        }
        Err(_) => {}
    }
}

/// The choice for a reading. A start counted from now is rounded to the minute, so the value
/// names a fixed instant that the name shows exactly.
fn reading_choice(typed: &str, start: &Zoned, relative: bool, context: &WhenContext<'_>) -> Choice {
    let now = context.now;
    let is_now = typed.is_empty() || typed.eq_ignore_ascii_case("now");
    let start = if relative && !is_now {
        start
            .round(ZonedRound::new().smallest(Unit::Minute))
            .unwrap_or_else(|_| start.clone())
    } else {
        start.clone()
    };
    let same_year = start.year() == now.to_zoned(start.time_zone().clone()).year();
    let shown = start.strftime(if same_year {
        "%a %-d %b %H:%M"
    } else {
        "%a %-d %b %Y %H:%M"
    });
    let zone = super::zone::zone_text(start.time_zone());
    let minutes = start.timestamp().duration_since(now).as_secs() / 60;
    let until = match minutes {
        ..=0 => "now".to_owned(),
        1..=59 => format!("in {minutes} min"),
        60..=2879 => format!("in {} h", minutes / 60),
        _ => format!("in {} days", minutes / 1440),
    };
    let reading = format!(" → {shown} {zone} ({until})");
    let room = CHOICE_MAX.saturating_sub(reading.chars().count());
    let label = if is_now { "now" } else { typed };
    Choice {
        name: format!("{}{reading}", cut(label, room)),
        // "now" stays "now": picked a minute later, it still means the moment it is sent.
        value: if is_now {
            "now".to_owned()
        } else {
            canonical(&start)
        },
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text.chars().count() > max => format!("{}…", &text[..at]),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use jiff::tz::TimeZone;

    fn choices(typed: &str) -> Vec<Choice> {
        let zone = TimeZone::get("Europe/Berlin").expect("bundled");
        // Tuesday 1 December 2026, 23:00 in Berlin.
        let now: Timestamp = "2026-12-01T22:00:00Z".parse().expect("instant");
        let context = WhenContext {
            now,
            zone: &zone,
            locale: Some("de"),
        };
        suggest_when(typed, &context)
    }

    #[test]
    fn a_reading_shows_its_instant_and_sends_its_canonical_text() {
        assert_eq!(
            choices("tomorrow 15:00"),
            [Choice {
                name: "tomorrow 15:00 → Wed 2 Dec 15:00 Europe/Berlin (in 16 h)".to_owned(),
                value: "2026-12-02 15:00 Europe/Berlin".to_owned(),
            }]
        );
    }

    #[test]
    fn next_friday_also_offers_this_friday() {
        let offered = choices("next friday 10am");
        assert_eq!(offered.len(), 2, "{offered:?}");
        assert_eq!(offered[0].value, "2026-12-11 10:00 Europe/Berlin");
        assert_eq!(offered[1].value, "2026-12-04 10:00 Europe/Berlin");
    }

    #[test]
    fn several_meanings_offer_each_and_nothing_readable_offers_the_refusal() {
        let offered = choices("friday midnight IST");
        assert!(offered.len() >= 2, "{offered:?}");
        assert!(
            offered.iter().all(|c| c.name.contains(" → ")),
            "{offered:?}"
        );
        let offered = choices("tomorrow at 3");
        let values: Vec<&str> = offered.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "2026-12-02 03:00 Europe/Berlin",
                "2026-12-02 15:00 Europe/Berlin"
            ]
        );
        let offered = choices("tomorrow");
        assert_eq!(
            offered[0].value, "2026-12-02 09:00 Europe/Berlin",
            "{offered:?}"
        );
        let offered = choices("blah");
        assert_eq!(offered.len(), 1);
        assert!(
            offered[0].name.starts_with("\"blah\" is not a time"),
            "{offered:?}"
        );
        assert_eq!(offered[0].value, "blah");
    }

    #[test]
    fn midnight_with_a_typed_zone_keeps_the_zone_in_its_choices() {
        let offered = choices("friday midnight Asia/Tokyo");
        let values: Vec<&str> = offered.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(
            values,
            ["2026-12-04 00:00 Asia/Tokyo", "2026-12-05 00:00 Asia/Tokyo"]
        );
    }

    #[test]
    fn a_mistyped_zone_offers_the_close_ones() {
        let offered = choices("tomorrow 3pm Europe/Londn");
        assert_eq!(
            offered[0].value, "2026-12-02 15:00 Europe/London",
            "{offered:?}"
        );
    }

    #[test]
    fn relative_readings_are_rounded_to_the_minute_they_show() {
        let offered = choices("in 90 minutes");
        assert_eq!(offered[0].value, "2026-12-02 00:30 Europe/Berlin");
        assert_eq!(choices("now")[0].value, "now");
    }
}
