//! How long a meeting lasts: "45", "45m", "1h30m", "2 hours" → whole minutes within bounds.

use std::fmt;
use std::time::Duration;

use super::{clean, shown};

const MAX_MINUTES: u32 = 24 * 60;

/// A meeting length in whole minutes, from 1 minute to 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MeetingLength(u32);

impl MeetingLength {
    /// The length of a meeting when nobody says otherwise: 30 minutes.
    pub const DEFAULT: Self = Self(30);

    /// The length for `minutes`, if it lies within 1 minute ..= 24 hours.
    pub fn from_minutes(minutes: u32) -> Option<Self> {
        (1..=MAX_MINUTES)
            .contains(&minutes)
            .then_some(Self(minutes))
    }

    /// The length in minutes.
    pub fn minutes(self) -> u32 {
        self.0
    }
}

impl fmt::Display for MeetingLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0 / 60, self.0 % 60) {
            (0, minutes) => write!(f, "{minutes} min"),
            (hours, 0) => write!(f, "{hours} h"),
            (hours, minutes) => write!(f, "{hours} h {minutes} min"),
        }
    }
}

/// Why a typed meeting length was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("No meeting length was given. Type one like \"45m\" or \"1h30m\".")]
    Empty,
    #[error(
        "\"{input}\" is not a meeting length I can read. Type minutes (\"45\") or a length like \"45m\", \"1h30m\" or \"2 hours\"."
    )]
    Unreadable { input: String },
    #[error("\"{input}\" is no time at all. Type a length like \"45m\" or \"1h30m\".")]
    Zero { input: String },
    #[error(
        "\"{input}\" is shorter than the 1 minute a meeting must last. Type a length like \"45m\"."
    )]
    TooShort { input: String },
    #[error(
        "\"{input}\" is longer than the 24 hours a meeting can last. Try something like \"1h30m\"."
    )]
    TooLong { input: String },
    /// Zoom books whole minutes; rounding silently would change what the member asked for.
    #[error(
        "\"{input}\" is not a whole number of minutes. Type \"{minutes}m\" or \"{}m\".",
        .minutes + 1
    )]
    NotWholeMinutes {
        input: String,
        /// The length rounded down.
        minutes: u64,
    },
}

/// Reads a meeting length: a bare number of minutes or a humantime duration.
pub fn parse_duration(input: &str) -> Result<MeetingLength, DurationError> {
    let cleaned = clean(input);
    if cleaned.is_empty() {
        return Err(DurationError::Empty);
    }
    let input = shown(&cleaned);
    // humantime's units are lowercase; "M" (months) is never a meeting length anyway.
    let text = cleaned.to_lowercase();
    let length = if text.bytes().all(|b| b.is_ascii_digit()) {
        // All digits, so parsing fails only on overflow.
        let Some(minutes) = text.parse::<u64>().ok() else {
            return Err(DurationError::TooLong { input });
        };
        Duration::from_secs(minutes.saturating_mul(60))
    } else {
        match humantime::parse_duration(&text) {
            Ok(length) => length,
            Err(humantime::DurationError::NumberOverflow) => {
                return Err(DurationError::TooLong { input });
            }
            Err(_) => return Err(DurationError::Unreadable { input }),
        }
    };
    let seconds = length.as_secs();
    if length.is_zero() {
        Err(DurationError::Zero { input })
    } else if seconds < 60 {
        Err(DurationError::TooShort { input })
    } else if length > Duration::from_secs(u64::from(MAX_MINUTES) * 60) {
        Err(DurationError::TooLong { input })
    } else if seconds % 60 != 0 || length.subsec_nanos() != 0 {
        Err(DurationError::NotWholeMinutes {
            input,
            minutes: seconds / 60,
        })
    } else {
        // Bounded by MAX_MINUTES above, so the conversion cannot fail.
        u32::try_from(seconds / 60)
            .map(MeetingLength)
            .map_err(|_| DurationError::TooLong { input })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(input: &str) -> u32 {
        parse_duration(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"))
            .minutes()
    }

    #[test]
    fn a_bare_integer_means_minutes() {
        assert_eq!(minutes("45"), 45);
        assert_eq!(minutes(" 045 "), 45);
    }

    #[test]
    fn humantime_forms_are_accepted() {
        assert_eq!(minutes("45m"), 45);
        assert_eq!(minutes("1h30m"), 90);
        assert_eq!(minutes("1h 30m"), 90);
        assert_eq!(minutes("90min"), 90);
        assert_eq!(minutes("2 hours"), 120);
        assert_eq!(minutes("1.5h"), 90);
        assert_eq!(minutes("120s"), 2);
    }

    #[test]
    fn units_are_case_insensitive() {
        assert_eq!(minutes("1H30M"), 90);
        assert_eq!(minutes("90 Min"), 90);
    }

    #[test]
    fn invisible_marks_and_odd_whitespace_are_ignored() {
        assert_eq!(minutes("\u{200f}1h\u{a0}30m"), 90);
    }

    #[test]
    fn bounds_are_inclusive() {
        assert_eq!(minutes("1m"), 1);
        assert_eq!(minutes("24h"), 24 * 60);
        assert_eq!(minutes("1440"), 24 * 60);
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(parse_duration("  \u{200f} "), Err(DurationError::Empty));
    }

    #[test]
    fn unreadable_input_is_refused_without_panicking() {
        for input in ["abc", "-5m", "1e9h", "🎉", "45 m m", "1h30", "٤٥"] {
            assert!(
                matches!(parse_duration(input), Err(DurationError::Unreadable { .. })),
                "{input:?}"
            );
        }
    }

    #[test]
    fn zero_is_refused() {
        for input in ["0", "0m", "0h 0m"] {
            assert!(
                matches!(parse_duration(input), Err(DurationError::Zero { .. })),
                "{input:?}"
            );
        }
    }

    #[test]
    fn less_than_a_minute_is_too_short() {
        for input in ["30s", "500ms", "0.5m"] {
            assert!(
                matches!(parse_duration(input), Err(DurationError::TooShort { .. })),
                "{input:?}"
            );
        }
    }

    #[test]
    fn more_than_a_day_is_too_long() {
        assert_eq!(
            parse_duration("25h").unwrap_err().to_string(),
            "\"25h\" is longer than the 24 hours a meeting can last. Try something like \"1h30m\"."
        );
        for input in ["1441", "24h1m", "24h 500ms", "2 days"] {
            assert!(
                matches!(parse_duration(input), Err(DurationError::TooLong { .. })),
                "{input:?}"
            );
        }
    }

    #[test]
    fn huge_numbers_are_too_long_not_a_panic() {
        for input in [
            "99999999999999999999h",
            "99999999999999999999999",
            "18446744073709551615",
            "1000000000000000h",
        ] {
            assert!(
                matches!(parse_duration(input), Err(DurationError::TooLong { .. })),
                "{input:?}"
            );
        }
    }

    #[test]
    fn seconds_that_are_not_whole_minutes_are_refused_with_both_neighbours_suggested() {
        let error = parse_duration("90s").unwrap_err();
        assert_eq!(
            error,
            DurationError::NotWholeMinutes {
                input: "90s".into(),
                minutes: 1
            }
        );
        assert_eq!(
            error.to_string(),
            "\"90s\" is not a whole number of minutes. Type \"1m\" or \"2m\"."
        );
    }

    #[test]
    fn sub_second_remainders_are_not_whole_minutes_either() {
        assert!(matches!(
            parse_duration("1m 500ms"),
            Err(DurationError::NotWholeMinutes { minutes: 1, .. })
        ));
    }

    #[test]
    fn errors_quote_what_was_typed_and_suggest_a_form() {
        let message = parse_duration("abc").unwrap_err().to_string();
        assert!(message.starts_with("\"abc\" is not"), "{message}");
        assert!(message.contains("\"1h30m\""), "{message}");
    }

    #[test]
    fn display_reads_naturally() {
        let show = |m| MeetingLength::from_minutes(m).map(|l| l.to_string());
        assert_eq!(show(45).as_deref(), Some("45 min"));
        assert_eq!(show(60).as_deref(), Some("1 h"));
        assert_eq!(show(90).as_deref(), Some("1 h 30 min"));
        assert_eq!(show(1440).as_deref(), Some("24 h"));
    }

    #[test]
    fn from_minutes_enforces_the_same_bounds() {
        assert_eq!(MeetingLength::from_minutes(0), None);
        assert_eq!(MeetingLength::from_minutes(1441), None);
        assert_eq!(
            MeetingLength::from_minutes(1).map(MeetingLength::minutes),
            Some(1)
        );
    }
}
