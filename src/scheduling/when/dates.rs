//! Dates as written: "24 dec", "December 24th, 2026", "24th of December", ISO with `-` or `/`,
//! day-first "24.12." and "24.12.2026", and slash dates ordered by the member's locale.

use super::grammar::{Day, Problem};
use super::words::{day_of_month, digits, month};

type Found = Result<(Day, usize, Option<String>), Problem>;

/// A written or numeric date at the start of `rest`.
pub(super) fn date(rest: &[String], locale: Option<&str>) -> Option<Found> {
    let word = rest.first()?.as_str();
    let year_after = |at: usize| {
        rest.get(at)
            .and_then(|w| digits::<i16>(w, 4..=4))
            .filter(|y| (1970..=9999).contains(y))
    };
    if let Some(month) = month(word) {
        let day = day_of_month(rest.get(1)?)?;
        let year = year_after(2);
        let used = 2 + usize::from(year.is_some());
        return Some(Ok((Day::Date { year, month, day }, used, None)));
    }
    if let Some(day) = day_of_month(word) {
        let of = usize::from(rest.get(1).is_some_and(|w| w == "of"));
        if let Some(month) = rest.get(1 + of).and_then(|w| month(w)) {
            let year = year_after(2 + of);
            let used = 2 + of + usize::from(year.is_some());
            return Some(Ok((Day::Date { year, month, day }, used, None)));
        }
    }
    numeric(word, locale).map(|found| found.map(|(day, note)| (day, 1, note)))
}

/// "2026-12-24", "2026/12/24", "24.12.", "24.12.2026", "12/11", "12/11/2026", "24-12-2026".
fn numeric(word: &str, locale: Option<&str>) -> Option<Result<(Day, Option<String>), Problem>> {
    let separator = word.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let fields: Vec<&str> = word.split(separator).collect();
    let number = |text: &str| digits::<i8>(text, 1..=2);
    let year = |text: &str| match text.len() {
        4 => digits::<i16>(text, 4..=4),
        2 => digits::<i16>(text, 2..=2).map(|y| 2000 + y),
        _ => None,
    };
    let date = |year, month, day| Day::Date { year, month, day };
    let found = match (separator, fields.as_slice()) {
        (_, [y, m, d]) if y.len() == 4 => date(Some(digits(y, 4..=4)?), number(m)?, number(d)?),
        ('.', [d, m, ""]) => date(None, number(m)?, number(d)?),
        ('.', [d, m, y]) => date(Some(year(y)?), number(m)?, number(d)?),
        ('/', [a, b]) | ('/' | '-', [a, b, _]) => {
            let y = match fields.get(2) {
                Some(y) => Some(year(y)?),
                None => None,
            };
            let (a, b) = (number(a)?, number(b)?);
            let month_first = (1..=12).contains(&a) && (1..=31).contains(&b);
            let day_first = (1..=12).contains(&b) && (1..=31).contains(&a);
            match (month_first, day_first) {
                (true, false) => date(y, a, b),
                (false, true) => date(y, b, a),
                (true, true) if a == b => date(y, a, b),
                (true, true) => {
                    let Some(month_first) = order(locale) else {
                        return Some(Err(Problem::Order(word.to_owned(), [(a, b), (b, a)])));
                    };
                    let note = format!(
                        "\"{word}\" was read {} first, as {} writes dates",
                        if month_first { "month" } else { "day" },
                        locale.unwrap_or_default()
                    );
                    let found = if month_first {
                        date(y, a, b)
                    } else {
                        date(y, b, a)
                    };
                    return Some(Ok((found, Some(note))));
                }
                (false, false) => return None,
            }
        }
        _ => return None,
    };
    Some(Ok((found, None)))
}

/// Whether a Discord locale writes numeric dates month first; `None` where it does not settle
/// the order of two numbers (no locale, or a year-first locale where "12/11" is month first).
fn order(locale: Option<&str>) -> Option<bool> {
    match locale? {
        "en-US" => Some(true),
        "ja" | "ko" | "zh-CN" | "zh-TW" | "hu" | "lt" => None,
        _ => Some(false),
    }
}
