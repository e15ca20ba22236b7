//! How many meetings a member may schedule in a window: "5/10m", "3 per 1h", "off".

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{clean, shown};

/// At most `count` meetings per member in any `window_minutes`; `count` 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cooldown {
    /// Meetings allowed in the window (0: unlimited).
    #[serde(rename = "n")]
    pub count: u32,
    /// The window, minutes.
    #[serde(rename = "m")]
    pub window_minutes: u32,
}

impl Cooldown {
    /// Five meetings per member in ten minutes.
    pub const DEFAULT: Self = Self {
        count: 5,
        window_minutes: 10,
    };

    /// No limit.
    pub const OFF: Self = Self {
        count: 0,
        window_minutes: 0,
    };

    /// The longest window a cooldown can have.
    pub const LONGEST: Duration = Duration::from_secs(MAX_WINDOW_MINUTES as u64 * 60);

    /// Whether it limits anything.
    pub fn is_off(self) -> bool {
        self.count == 0
    }

    /// The window.
    pub fn window(self) -> Duration {
        Duration::from_secs(u64::from(self.window_minutes) * 60)
    }
}

impl std::fmt::Display for Cooldown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_off() {
            f.write_str("off")
        } else {
            write!(
                f,
                "{} per {} min per member",
                self.count, self.window_minutes
            )
        }
    }
}

/// Longest window: a day.
const MAX_WINDOW_MINUTES: u32 = 24 * 60;
/// Most meetings per window.
const MAX_COUNT: u32 = 1000;

/// Why a typed cooldown was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a limit I can read. Type a number of meetings per length of time, like \"5/10m\" or \
     \"3 per 1h\" (1 to {MAX_COUNT} meetings, 1 minute to 24 hours), or \"off\"."
)]
pub struct CooldownError(pub String);

/// Reads "5/10m", "5 per 10m", "5 per 10 minutes" or "off".
pub fn parse_cooldown(input: &str) -> Result<Cooldown, CooldownError> {
    let cleaned = clean(input).to_lowercase();
    if matches!(cleaned.as_str(), "off" | "none" | "no limit" | "unlimited") {
        return Ok(Cooldown::OFF);
    }
    let refused = || CooldownError(shown(&cleaned));
    let (count, window) = cleaned
        .split_once('/')
        .or_else(|| cleaned.split_once(" per "))
        .ok_or_else(refused)?;
    let count: u32 = count.trim().parse().map_err(|_| refused())?;
    let window = humantime::parse_duration(window.trim()).map_err(|_| refused())?;
    let seconds = window.as_secs();
    let minutes = u32::try_from(seconds / 60).map_err(|_| refused())?;
    if !(1..=MAX_COUNT).contains(&count)
        || seconds % 60 != 0
        || window.subsec_nanos() != 0
        || !(1..=MAX_WINDOW_MINUTES).contains(&minutes)
    {
        return Err(refused());
    }
    Ok(Cooldown {
        count,
        window_minutes: minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_window_are_read_in_several_spellings() {
        let five_per_ten = Cooldown {
            count: 5,
            window_minutes: 10,
        };
        for input in ["5/10m", " 5 / 10m ", "5 per 10 minutes", "5 PER 10M"] {
            assert_eq!(parse_cooldown(input), Ok(five_per_ten), "{input}");
        }
        assert_eq!(
            parse_cooldown("3/1h"),
            Ok(Cooldown {
                count: 3,
                window_minutes: 60
            })
        );
        assert_eq!(parse_cooldown("off"), Ok(Cooldown::OFF));
        assert!(parse_cooldown("off").unwrap().is_off());
    }

    #[test]
    fn nonsense_and_out_of_range_limits_are_refused() {
        for input in [
            "", "5", "five/10m", "0/10m", "5/0m", "5/30s", "5/90s", "5/2d", "-1/10m", "1001/1h",
            "5/10m/3",
        ] {
            let err = parse_cooldown(input).unwrap_err();
            assert!(err.to_string().contains("5/10m"), "{input}: {err}");
        }
    }
}
