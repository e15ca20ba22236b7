//! IANA time zone names: strict parsing with helpful suggestions, and autocomplete.

use std::sync::OnceLock;

use jiff::tz::TimeZone;

use super::{clean, shown};

/// Offered for an empty autocomplete query: where most members are likely to be.
const COMMON: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
];

/// Files in a zoneinfo directory that are not zones anyone should pick.
const NOT_ZONES: &[&str] = &["Factory", "localtime", "posixrules"];

/// Suggestions further than this many edits per 3 characters typed are noise, not typos.
const CHARS_PER_EDIT: usize = 3;

/// Why a typed time zone was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error(
        "No time zone was given. Type an IANA name like \"Europe/Berlin\" or \"America/New_York\"."
    )]
    Empty,
    #[error(
        "\"{input}\" is not an IANA time zone.{} Type a name like \"Europe/Berlin\" or \"America/New_York\".",
        did_you_mean(.suggestions)
    )]
    Unknown {
        input: String,
        /// Up to three close names, closest first.
        suggestions: Vec<String>,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [only] => format!(" Did you mean \"{only}\"?"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|s| format!("\"{s}\"")).collect();
            format!(" Did you mean {} or \"{last}\"?", init.join(", "))
        }
    }
}

/// A database name with its comparison key.
struct Name {
    name: String,
    key: String,
}

/// Case-insensitive, and spaces read as underscores: IANA names never contain spaces, members type them.
fn key(text: &str) -> String {
    text.to_lowercase().replace(' ', "_")
}

/// The database's names, sorted by key; read once because autocomplete runs on every keystroke.
fn names() -> &'static [Name] {
    static NAMES: OnceLock<Vec<Name>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .filter(|name| !NOT_ZONES.contains(&name.as_str()))
            .collect();
        // UTC works without a database (see parse_timezone), so it is always offered.
        if !names.iter().any(|name| name == "UTC") {
            names.push("UTC".to_owned());
        }
        let mut names: Vec<Name> = names
            .into_iter()
            .map(|name| Name {
                key: key(&name),
                name,
            })
            .collect();
        names.sort_by(|a, b| a.key.cmp(&b.key));
        names
    })
}

/// Reads an IANA time zone name, ignoring case (and "UTC").
pub fn parse_timezone(name: &str) -> Result<TimeZone, TimeZoneError> {
    let cleaned = clean(name);
    if cleaned.is_empty() {
        return Err(TimeZoneError::Empty);
    }
    let wanted = key(&cleaned);
    if wanted == "utc" {
        return Ok(TimeZone::UTC);
    }
    names()
        .iter()
        .find(|candidate| candidate.key == wanted)
        .and_then(|found| jiff::tz::db().get(&found.name).ok())
        .ok_or_else(|| TimeZoneError::Unknown {
            input: shown(&cleaned),
            suggestions: close_names(&wanted, 3),
        })
}

/// The zone named `name` (case-insensitive, spaces as underscores), without the suggestions a
/// refusal computes: `when` tries words as zone names on every keystroke.
pub(crate) fn find_timezone(name: &str) -> Option<TimeZone> {
    let wanted = key(name);
    if wanted == "utc" {
        return Some(TimeZone::UTC);
    }
    let names = names();
    let at = names
        .binary_search_by(|n| n.key.as_str().cmp(&wanted))
        .ok()?;
    jiff::tz::db().get(&names[at].name).ok()
}

/// Up to `limit` zone names whose city is close to `name`'s, for a refusal that offers them. Cheaper
/// than [`close_names`] (cities of a near length only): `when` may call it on every keystroke.
pub(crate) fn close_timezones(name: &str, limit: usize) -> Vec<String> {
    let wanted: String = key(name).chars().take(64).collect();
    let city = wanted.rsplit('/').next().unwrap_or(&wanted);
    let allowed = (city.len() / CHARS_PER_EDIT).max(1);
    let mut scored: Vec<(usize, &str)> = names()
        .iter()
        .filter_map(|n| {
            let candidate = n.key.rsplit('/').next().unwrap_or(&n.key);
            if candidate.len().abs_diff(city.len()) > allowed {
                return None;
            }
            let distance = strsim::osa_distance(city, candidate);
            (distance <= allowed).then_some((distance, n.name.as_str()))
        })
        .collect();
    // Stable: names are alphabetical, so equally close ones stay so.
    scored.sort_by_key(|(distance, _)| *distance);
    scored
        .into_iter()
        .take(limit)
        .map(|(_, name)| name.to_owned())
        .collect()
}

/// Names matching `query` for autocomplete: prefix matches (of the name or any `/` part) first, then
/// the rest, each alphabetically; an empty query gives common zones.
pub fn timezone_suggestions(query: &str, limit: usize) -> Vec<String> {
    let wanted = key(&clean(query));
    if wanted.is_empty() {
        return COMMON
            .iter()
            .filter(|common| names().iter().any(|n| n.name == **common))
            .take(limit)
            .map(|common| (*common).to_owned())
            .collect();
    }
    let mut hits: Vec<(bool, &Name)> = names()
        .iter()
        .filter(|n| n.key.contains(&wanted))
        .map(|n| (!is_prefix_match(&n.key, &wanted), n))
        .collect();
    // Stable sort: names are already alphabetical, so each group stays alphabetical.
    hits.sort_by_key(|(not_prefix, _)| *not_prefix);
    hits.into_iter()
        .take(limit)
        .map(|(_, n)| n.name.clone())
        .collect()
}

/// "ber" starts "europe/berlin" as much as "ber" starts "bermuda": match the start of any part.
fn is_prefix_match(key: &str, wanted: &str) -> bool {
    key.starts_with(wanted) || key.split('/').any(|part| part.starts_with(wanted))
}

/// The names nearest to `wanted` by edit distance over the whole name or its last part (the city).
fn close_names(wanted: &str, limit: usize) -> Vec<String> {
    // Bounded so that distance work stays small whatever was pasted.
    let wanted: String = wanted.chars().take(64).collect();
    let wanted_city = wanted.rsplit('/').next().unwrap_or(&wanted);
    let mut scored: Vec<(usize, &str)> = names()
        .iter()
        .filter_map(|n| {
            let city = n.key.rsplit('/').next().unwrap_or(&n.key);
            let whole = strsim::levenshtein(&wanted, &n.key);
            let by_city = strsim::levenshtein(wanted_city, city);
            let (distance, typed) = if whole <= by_city {
                (whole, &wanted[..])
            } else {
                (by_city, wanted_city)
            };
            (distance <= (typed.chars().count() / CHARS_PER_EDIT).max(1))
                .then_some((distance, n.name.as_str()))
        })
        .collect();
    scored.sort_unstable();
    // A near miss ("Europe/Berln") should not drag in names that are merely as far as garbage.
    let best = scored.first().map_or(0, |(distance, _)| *distance);
    scored
        .into_iter()
        .take_while(|(distance, _)| *distance <= best + 1)
        .take(limit)
        .map(|(_, name)| name.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iana(input: &str) -> Option<String> {
        parse_timezone(input)
            .ok()
            .and_then(|tz| tz.iana_name().map(str::to_owned))
    }

    #[test]
    fn exact_iana_names_are_accepted() {
        assert_eq!(iana("Europe/Berlin").as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            iana("America/New_York").as_deref(),
            Some("America/New_York")
        );
    }

    #[test]
    fn names_are_case_insensitive_and_spaces_read_as_underscores() {
        assert_eq!(iana("europe/BERLIN").as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            iana(" america/new york ").as_deref(),
            Some("America/New_York")
        );
    }

    #[test]
    fn utc_is_accepted_in_any_case() {
        assert_eq!(iana("UTC").as_deref(), Some("UTC"));
        assert_eq!(iana("utc").as_deref(), Some("UTC"));
    }

    #[test]
    fn invisible_marks_are_ignored() {
        assert_eq!(
            iana("\u{200f}Europe/Berlin\u{200e}").as_deref(),
            Some("Europe/Berlin")
        );
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(parse_timezone(" "), Err(TimeZoneError::Empty));
    }

    #[test]
    fn unknown_zone_says_it_is_not_iana_and_gives_an_example() {
        let message = parse_timezone("Mars/Olympus").unwrap_err().to_string();
        assert!(
            message.starts_with("\"Mars/Olympus\" is not an IANA time zone."),
            "{message}"
        );
        assert!(message.contains("\"Europe/Berlin\""), "{message}");
    }

    #[test]
    fn a_typo_suggests_the_intended_zone_and_not_distant_ones() {
        let Err(TimeZoneError::Unknown { suggestions, .. }) = parse_timezone("Europe/Berln") else {
            panic!("expected Unknown");
        };
        assert_eq!(suggestions, ["Europe/Berlin"]);
    }

    #[test]
    fn a_bare_city_suggests_its_zone() {
        let error = parse_timezone("Berlin").unwrap_err();
        assert!(
            error.to_string().contains("Did you mean \"Europe/Berlin\""),
            "{error}"
        );
    }

    #[test]
    fn several_suggestions_are_listed_with_or() {
        assert_eq!(
            did_you_mean(&["A".into(), "B".into(), "C".into()]),
            " Did you mean \"A\", \"B\" or \"C\"?"
        );
    }

    #[test]
    fn garbage_gets_no_suggestions_and_does_not_panic() {
        for input in ["🎉", "x", "Mars/Olympus", &"ab/".repeat(5000)] {
            let Err(TimeZoneError::Unknown { suggestions, .. }) = parse_timezone(input) else {
                panic!("expected Unknown for {input:?}");
            };
            assert!(suggestions.len() <= 3, "{input:?}: {suggestions:?}");
        }
    }

    #[test]
    fn suggestions_put_prefix_matches_first_then_alphabetical() {
        let hits = timezone_suggestions("ber", 25);
        let is_prefix = |h: &String| h.to_lowercase().split('/').any(|p| p.starts_with("ber"));
        let split = hits
            .iter()
            .position(|h| !is_prefix(h))
            .unwrap_or(hits.len());
        let (prefixed, others) = hits.split_at(split);
        assert!(prefixed.contains(&"Europe/Berlin".to_owned()), "{hits:?}");
        assert!(
            others
                .iter()
                .all(|h| !is_prefix(h) && h.to_lowercase().contains("ber")),
            "{hits:?}"
        );
        assert!(prefixed.is_sorted_by_key(|h| h.to_lowercase()), "{hits:?}");
        assert!(others.is_sorted_by_key(|h| h.to_lowercase()), "{hits:?}");
    }

    #[test]
    fn a_query_with_a_slash_matches_from_the_start() {
        assert_eq!(timezone_suggestions("europe/berl", 25), ["Europe/Berlin"]);
    }

    #[test]
    fn suggestions_are_case_insensitive_and_respect_the_limit() {
        let hits = timezone_suggestions("AMERICA/", 5);
        assert_eq!(hits.len(), 5);
        assert!(hits.iter().all(|h| h.starts_with("America/")), "{hits:?}");
    }

    #[test]
    fn empty_query_suggests_common_zones() {
        let hits = timezone_suggestions("  ", 5);
        assert_eq!(hits.first().map(String::as_str), Some("UTC"));
        assert_eq!(hits.len(), 5);
    }

    #[test]
    fn every_suggestion_parses() {
        for hit in timezone_suggestions("", 25)
            .into_iter()
            .chain(timezone_suggestions("an", 25))
        {
            assert!(parse_timezone(&hit).is_ok(), "{hit}");
        }
    }

    #[test]
    fn non_zone_files_are_never_suggested() {
        assert!(
            timezone_suggestions("local", 25)
                .iter()
                .all(|h| h != "localtime")
        );
        assert!(timezone_suggestions("posix", 25).is_empty());
    }

    #[test]
    fn nothing_matches_nonsense() {
        assert!(timezone_suggestions("🎉", 25).is_empty());
    }
}
