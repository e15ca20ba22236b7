//! The pure domain: reading what members type (start, length, time zone, repeat) into checked
//! values, and what a meeting becomes in calendars. No I/O.

pub mod calendar;
pub mod cooldown;
pub mod duration;
pub mod hosting;
pub mod plan;
pub mod recordings;
pub mod recurrence;
pub mod reminder;
pub mod settings;
pub mod timezone;
pub mod when;

pub use calendar::{CalendarEvent, CalendarSeries, JoinLink, LinkError, google_calendar_link, ics};
pub use cooldown::{Cooldown, CooldownError, parse_cooldown};
pub use duration::{DurationError, MeetingLength, parse_duration};
pub use recurrence::{RecurrenceError, Repeat, Rule, RuleKind, Series};
pub use timezone::{TimeZoneError, parse_timezone, timezone_suggestions};
pub use when::{
    Choice, When, WhenContext, WhenError, canonical, describe_when, parse_when, read_when,
    suggest_when, zone_name,
};

/// Longest echo of user input inside an error, so a pasted essay cannot blow Discord's message limit.
const SHOWN_MAX_CHARS: usize = 60;

/// Trims, drops the invisible marks that phone keyboards and copy-paste add (bidi, zero-width) and
/// collapses any whitespace run to one ASCII space, so parsers only ever see plain words.
pub(crate) fn clean(input: &str) -> String {
    let visible: String = input.chars().filter(|c| !is_invisible(*c)).collect();
    visible.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Present in text, invisible on screen: bidi controls, zero-width characters, and the blank
/// "letters" (Hangul fillers, braille blank, soft hyphen, variation selectors, tags) that pass for
/// text where whitespace is refused.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

/// The cleaned input as an error message quotes it: bounded in length.
pub(crate) fn shown(cleaned: &str) -> String {
    match cleaned.char_indices().nth(SHOWN_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &cleaned[..cut]),
        None => cleaned.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_drops_bidi_and_zero_width_marks_and_collapses_whitespace() {
        assert_eq!(
            clean("\u{200f} tomorrow\u{a0}\u{a0}15:00\u{feff}\t"),
            "tomorrow 15:00"
        );
    }

    #[test]
    fn blank_looking_letters_are_invisible_too() {
        assert_eq!(clean("\u{3164}\u{2800}\u{ad}\u{fe0f}\u{e0020}"), "");
        assert_eq!(clean("in\u{3164} 2h\u{2800}"), "in 2h");
    }

    #[test]
    fn clean_keeps_other_non_ascii_text() {
        assert_eq!(clean(" 🎉  Zürich "), "🎉 Zürich");
    }

    #[test]
    fn shown_leaves_short_input_alone() {
        assert_eq!(shown("tomorrow 15:00"), "tomorrow 15:00");
    }

    #[test]
    fn shown_cuts_long_input_on_a_char_boundary() {
        let long = "é".repeat(200);
        let quoted = shown(&long);
        assert_eq!(quoted.chars().count(), SHOWN_MAX_CHARS + 1);
        assert!(quoted.ends_with('…'));
    }
}
