//! Autocomplete for `when`: up to three choices whose names show the instant a text would mean
//! and whose values are canonical texts that read back to exactly that instant.

use jiff::{Unit, Zoned, ZonedRound};

use super::{WhenContext, WhenError, canonical, read_when};

/// Discord's limit on a choice's name and value, in characters.
const CHOICE_MAX: usize = 100;

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
            for more in [":00", " 9:00", " 15:00"] {
                push_read(&mut choices, &format!("{lower}{more}"), context);
            }
            for example in EXAMPLES
                .iter()
                .filter(|e| e.starts_with(&lower) && !lower.is_empty())
            {
                push_read(&mut choices, example, context);
            }
            if choices.is_empty() {
                // Picking it gives the refusal, which says what to type instead.
                choices.push(Choice {
                    name: cut(&error.to_string(), CHOICE_MAX),
                    value: cut(&typed, CHOICE_MAX),
                });
            }
        }
    }
    choices.truncate(3);
    choices
}

/// Adds the reading of `text` if it reads and is not offered already.
fn push_read(choices: &mut Vec<Choice>, text: &str, context: &WhenContext<'_>) {
    if choices.len() >= 3 {
        return;
    }
    if let Ok(when) = read_when(text, context) {
        let choice = reading_choice(text, &when.start, when.relative, context);
        if !choices.iter().any(|c| c.value == choice.value) {
            choices.push(choice);
        }
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
