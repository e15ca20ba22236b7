//! The words of a typed start: splitting into tokens, and the vocabulary (days, months, numbers,
//! units) with the typos members make, so the grammar only ever compares canonical words.

use jiff::civil::Weekday;

/// Splits cleaned, lowercased text into tokens: commas, "@" and the dots of "a.m." are spelling,
/// not meaning, and "o'clock" is one word however it is written.
pub(super) fn tokens(text: &str) -> Vec<String> {
    let text = text
        .replace("a.m.", "am")
        .replace("p.m.", "pm")
        .replace("a.m", "am")
        .replace("p.m", "pm")
        .replace(['\u{2019}', '`'], "'")
        .replace("o'clock", " oclock")
        .replace("o clock", " oclock")
        .replace(',', " ")
        .replace('@', " at ");
    text.split_whitespace()
        .map(|word| correct(word).unwrap_or(word).to_owned())
        .collect()
}

/// Misspellings too far from the word for the edit-distance rule, seen often enough to list.
const ALIASES: &[(&str, &str)] = &[
    ("tmrw", "tomorrow"),
    ("tmr", "tomorrow"),
    ("tmrow", "tomorrow"),
    ("tmorrow", "tomorrow"),
    ("tommorow", "tomorrow"),
    ("tommorrow", "tomorrow"),
    ("tomorow", "tomorrow"),
    ("tommorw", "tomorrow"),
    ("2moro", "tomorrow"),
    ("2morrow", "tomorrow"),
    ("tonite", "tonight"),
    ("nxt", "next"),
    ("2nite", "tonight"),
    ("tues", "tue"),
    ("weds", "wed"),
    ("thur", "thu"),
    ("thurs", "thu"),
    ("sept", "sep"),
    ("hrs", "hours"),
    ("hr", "hours"),
    ("mins", "minutes"),
    ("min", "minutes"),
    ("secs", "seconds"),
    ("sec", "seconds"),
    ("wks", "weeks"),
    ("wk", "weeks"),
    ("oclock", "oclock"),
    ("oclok", "oclock"),
    ("noon", "noon"),
    ("midday", "noon"),
];

/// Words long enough that one slip (two from eight letters) still names only them.
const VOCABULARY: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "august",
    "september",
    "october",
    "november",
    "december",
    "today",
    "tonight",
    "tomorrow",
    "midnight",
    "minutes",
    "minute",
    "hours",
    "seconds",
    "second",
    "quarter",
    "morning",
    "afternoon",
    "evening",
    "weeks",
];

/// The canonical word for `word` when it is a listed alias or a near miss of one word only;
/// `None` leaves it as typed. Words under five letters are never corrected: "mon" and "man" are
/// one letter apart.
fn correct(word: &str) -> Option<&'static str> {
    if let Some((_, to)) = ALIASES.iter().find(|(from, _)| *from == word) {
        return Some(to);
    }
    let letters = word.chars().count();
    if letters < 5 || !word.chars().all(|c| c.is_ascii_lowercase()) || VOCABULARY.contains(&word) {
        return None;
    }
    let allowed = if letters >= 8 { 2 } else { 1 };
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for candidate in VOCABULARY {
        let distance = strsim::osa_distance(word, candidate);
        match best {
            Some((d, _)) if distance > d => {}
            Some((d, known)) if distance == d => tie |= !same_meaning(known, candidate),
            _ => {
                best = Some((distance, candidate));
                tie = false;
            }
        }
    }
    best.filter(|(d, _)| *d <= allowed && !tie)
        .map(|(_, word)| word)
}

/// "minute" and "minutes" are one word for reading.
fn same_meaning(a: &str, b: &str) -> bool {
    a.trim_end_matches('s') == b.trim_end_matches('s')
}

/// The weekday a word names ("fri", "friday").
pub(super) fn weekday(word: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    DAYS.iter()
        .find(|(name, _)| word == *name || Some(word) == name.get(..3))
        .map(|(_, day)| *day)
}

/// The month a word names, 1 to 12 ("dec", "dec.", "december").
pub(super) fn month(word: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.strip_suffix('.').unwrap_or(word);
    (1..=12)
        .zip(MONTHS)
        .find(|(_, name)| word == *name || (word.len() == 3 && name.starts_with(word)))
        .map(|(number, _)| number)
}

/// A day of the month with or without its ordinal ending: "24", "24th", "1st".
pub(super) fn day_of_month(word: &str) -> Option<i8> {
    let number = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|end| word.strip_suffix(end))
        .unwrap_or(word);
    digits::<i8>(number, 1..=2).filter(|d| (1..=31).contains(d))
}

/// A count written as a word or digits: "a", "an", "one" … "twelve", "2".
pub(super) fn count(word: &str) -> Option<u64> {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    match word {
        "a" | "an" => Some(1),
        "fifteen" => Some(15),
        "twenty" => Some(20),
        "thirty" => Some(30),
        "forty" => Some(40),
        "fifty" => Some(50),
        _ => (0..)
            .zip(WORDS)
            .find(|(_, name)| *name == word)
            .map(|(n, _)| n)
            .or_else(|| digits(word, 1..=20)),
    }
}

/// ASCII digits only (`str::parse` would also take a sign), with a length bound so nothing overflows.
pub(super) fn digits<T: std::str::FromStr>(
    text: &str,
    len: std::ops::RangeInclusive<usize>,
) -> Option<T> {
    (len.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_of_one_word_are_corrected_and_short_words_never() {
        assert_eq!(
            tokens("tommorow wendesday thrusday febuary decmber"),
            ["tomorrow", "wednesday", "thursday", "february", "december"]
        );
        assert_eq!(tokens("man 9am"), ["man", "9am"]);
        // "minuts" is as near "minute" as "minutes": one meaning, so corrected.
        assert_eq!(tokens("minuts"), ["minutes"]);
    }

    #[test]
    fn spelling_marks_are_dropped() {
        assert_eq!(
            tokens("tomorrow, 9 a.m. @ 9 o'clock"),
            ["tomorrow", "9", "am", "at", "9", "oclock"]
        );
    }

    #[test]
    fn days_months_and_counts() {
        assert_eq!(month("dec."), Some(12));
        assert_eq!(month("ma"), None);
        assert_eq!(day_of_month("24th"), Some(24));
        assert_eq!(day_of_month("32"), None);
        assert_eq!(count("an"), Some(1));
        assert_eq!(count("twelve"), Some(12));
        assert_eq!(count("-1"), None);
    }
}
