//! Time zones typed inside `when`: IANA names, UTC/GMT with offsets, bare offsets, and the
//! abbreviations whose meaning is settled; the others are refused with their candidates.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use super::super::timezone::{close_timezones, find_timezone};
use super::words::digits;

/// A zone read from the text.
#[derive(Debug, Clone)]
pub(super) struct TypedZone {
    /// As typed, for the footer and refusals ("EST", "Europe/London").
    pub typed: String,
    /// The zone times are read in.
    pub zone: TimeZone,
    /// For an abbreviation tied to a season: whether it names summer time.
    pub season: Option<bool>,
}

/// What a token says about zones.
pub(super) enum ZoneWord {
    /// A zone, using this many tokens.
    Zone(TypedZone, usize),
    /// An abbreviation with several meanings: the IANA names it may stand for.
    Ambiguous(String, Vec<&'static str>),
    /// Looks like an IANA name but is none; close names.
    Unknown(String, Vec<String>),
}

/// Abbreviations and what they settle on: zone, and `Some(summer)` for a seasonal one.
const ABBREVIATIONS: &[(&str, &str, Option<bool>)] = &[
    ("et", "America/New_York", None),
    ("est", "America/New_York", Some(false)),
    ("edt", "America/New_York", Some(true)),
    ("ct", "America/Chicago", None),
    ("cdt", "America/Chicago", Some(true)),
    ("mt", "America/Denver", None),
    ("mst", "America/Denver", Some(false)),
    ("mdt", "America/Denver", Some(true)),
    ("pt", "America/Los_Angeles", None),
    ("pst", "America/Los_Angeles", Some(false)),
    ("pdt", "America/Los_Angeles", Some(true)),
    ("akst", "America/Anchorage", Some(false)),
    ("akdt", "America/Anchorage", Some(true)),
    ("hst", "Pacific/Honolulu", None),
    ("bst", "Europe/London", Some(true)),
    ("wet", "Europe/Lisbon", Some(false)),
    ("west", "Europe/Lisbon", Some(true)),
    ("cet", "Europe/Berlin", Some(false)),
    ("cest", "Europe/Berlin", Some(true)),
    ("eet", "Europe/Athens", Some(false)),
    ("eest", "Europe/Athens", Some(true)),
    ("msk", "Europe/Moscow", None),
    ("jst", "Asia/Tokyo", None),
    ("kst", "Asia/Seoul", None),
    ("hkt", "Asia/Hong_Kong", None),
    ("sgt", "Asia/Singapore", None),
    ("pkt", "Asia/Karachi", None),
    ("wib", "Asia/Jakarta", None),
    ("sast", "Africa/Johannesburg", None),
    ("brt", "America/Sao_Paulo", None),
    ("aest", "Australia/Sydney", Some(false)),
    ("aedt", "Australia/Sydney", Some(true)),
    ("acst", "Australia/Adelaide", Some(false)),
    ("acdt", "Australia/Adelaide", Some(true)),
    ("awst", "Australia/Perth", None),
    ("nzst", "Pacific/Auckland", Some(false)),
    ("nzdt", "Pacific/Auckland", Some(true)),
];

/// Abbreviations that name several zones, with the zones.
const AMBIGUOUS: &[(&str, &[&str])] = &[
    ("ist", &["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),
    (
        "cst",
        &["America/Chicago", "Asia/Shanghai", "America/Havana"],
    ),
    ("ast", &["America/Halifax", "Asia/Riyadh"]),
    ("bt", &["Asia/Thimphu", "Asia/Baghdad"]),
];

/// Reads a zone at the start of `words`, if one is there. `locale` settles CST: US Central for
/// members whose Discord speaks American English.
pub(super) fn zone_word(words: &[String], locale: Option<&str>) -> Option<ZoneWord> {
    let word = words.first()?.as_str();
    if word == "cst" && locale == Some("en-US") {
        return Some(abbreviation("cst", "America/Chicago", Some(false)));
    }
    if let Some((name, zones)) = AMBIGUOUS.iter().find(|(name, _)| *name == word) {
        return Some(ZoneWord::Ambiguous(name.to_uppercase(), zones.to_vec()));
    }
    if let Some((name, zone, season)) = ABBREVIATIONS.iter().find(|(name, ..)| *name == word) {
        return Some(abbreviation(name, zone, *season));
    }
    if let Some(rest) = ["utc", "gmt", "z"]
        .iter()
        .find_map(|name| word.strip_prefix(name))
    {
        if rest.is_empty() {
            // "UTC +2": the offset may follow as its own word.
            if let Some(offset) = words.get(1).and_then(|w| offset(w)) {
                return Some(fixed(format!("{word} {}", words[1]), offset, 2));
            }
            return (word != "z").then(|| fixed(word.to_uppercase(), Offset::UTC, 1));
        }
        if let Some(found) = offset(rest) {
            return Some(fixed(word.to_uppercase(), found, 1));
        }
    }
    if let Some(found) = offset(word) {
        return Some(fixed(word.to_owned(), found, 1));
    }
    if !word.contains('/') {
        // Old names without a region ("Japan", "Eire") are still IANA names a member may have set.
        return find_timezone(word)
            .filter(|_| word.len() > 1)
            .map(|zone| iana(zone, word.to_owned(), 1));
    }
    if word.starts_with(|c: char| c.is_ascii_alphabetic()) {
        // "America/New York": IANA names have no spaces, members type them.
        if let Some(next) = words.get(1) {
            let joined = format!("{word}_{next}");
            if let Some(zone) = find_timezone(&joined) {
                return Some(iana(zone, joined, 2));
            }
        }
        return Some(match find_timezone(word) {
            Some(zone) => iana(zone, word.to_owned(), 1),
            None => ZoneWord::Unknown(word.to_owned(), close_timezones(word, 3)),
        });
    }
    None
}

fn abbreviation(name: &str, zone: &str, season: Option<bool>) -> ZoneWord {
    match find_timezone(zone) {
        Some(found) => ZoneWord::Zone(
            TypedZone {
                typed: name.to_uppercase(),
                zone: found,
                season,
            },
            1,
        ),
        None => ZoneWord::Unknown(name.to_uppercase(), vec![zone.to_owned()]),
    }
}

fn iana(zone: TimeZone, typed: String, used: usize) -> ZoneWord {
    let typed = zone.iana_name().map_or(typed, str::to_owned);
    ZoneWord::Zone(
        TypedZone {
            typed,
            zone,
            season: None,
        },
        used,
    )
}

fn fixed(typed: String, offset: Offset, used: usize) -> ZoneWord {
    ZoneWord::Zone(
        TypedZone {
            typed,
            // Plain UTC keeps its name, so the footer says "UTC", not "+00:00".
            zone: if offset == Offset::UTC {
                TimeZone::UTC
            } else {
                TimeZone::fixed(offset)
            },
            season: None,
        },
        used,
    )
}

/// "+2", "-5", "+05:30", "+0530", "-08:00" (at most 14 hours either way).
fn offset(text: &str) -> Option<Offset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes): (i32, i32) = match rest.split_once(':') {
        Some((h, m)) => (digits(h, 1..=2)?, digits(m, 2..=2)?),
        // Four bytes that are not four ASCII digits ("-🛰") cannot be cut in two.
        None if rest.len() == 4 && rest.is_ascii() => {
            (digits(&rest[..2], 2..=2)?, digits(&rest[2..], 2..=2)?)
        }
        None => (digits(rest, 1..=2)?, 0),
    };
    if hours > 14 || minutes >= 60 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// Whether `at` falls in the season a seasonal abbreviation names; `None` when it names none.
pub(super) fn season_matches(typed: &TypedZone, at: Timestamp) -> Option<bool> {
    let summer = typed.season?;
    Some(typed.zone.to_offset_info(at).dst().is_dst() == summer)
}

/// "+02:00" for a fixed zone, its IANA name otherwise: how canonical strings write a zone.
pub(super) fn zone_text(zone: &TimeZone) -> String {
    if let Some(name) = zone.iana_name() {
        return name.to_owned();
    }
    let seconds = zone.to_offset(Timestamp::UNIX_EPOCH).seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    format!("{sign}{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// Whether `name` (from [`zone_text`]) reads back as that same zone when typed in `when`: "EST"
/// is read as New York's time, not the fixed zone of that name.
pub(super) fn reads_back(name: &str) -> bool {
    let words = [name.to_lowercase()];
    match zone_word(&words, None) {
        Some(ZoneWord::Zone(found, _)) => zone_text(&found.zone) == name,
        _ => false,
    }
}
