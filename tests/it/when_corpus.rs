//! Start times as members write them (typos and capitals included), each with the instant it
//! means or a refusal, read at a fixed "now" in three zones — one of them on its DST change day.
//! Reports read right / refused / misread per zone; fails on any misreading, or when fewer than
//! 95% of the phrases that have one meaning are read right.

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};
use zoombot::scheduling::{WhenContext, read_when};

/// Sunday 29 March 2026, 10:00 local: in Berlin the clocks jumped from 02:00 to 03:00 this very
/// night; New York changed three weeks ago; Kolkata never does. Each zone with a member locale.
const PLACES: [(&str, &str); 3] = [
    ("Europe/Berlin", "de"),
    ("America/New_York", "en-US"),
    ("Asia/Kolkata", "en-GB"),
];
const LOCAL_NOW: &str = "2026-03-29T10:00";

/// (phrase, expectation). An expectation is "YYYY-MM-DD HH:MM" (local, in the member's zone
/// unless "@Zone" or "@+hh:mm" follows), "+2h"/"+30m" (elapsed), "+3d" (calendar days, same
/// clock reading), or "!" (refused). A leading "?" marks a phrase with more than one meaning
/// (what is given is the documented reading or refusal). " | Zone=…" overrides for one zone.
const CORPUS: &[(&str, &str)] = &[
    // Lengths ahead.
    ("in an hour", "+60m"),
    ("in half an hour", "+30m"),
    ("in a quarter of an hour", "+15m"),
    ("in 1 hour and 30 minutes", "+90m"),
    ("in 2 hours 15 minutes", "+135m"),
    ("in 3 days", "+3d"),
    ("in 2 weeks", "+14d"),
    ("In 2h", "+120m"),
    ("in 90 mins", "+90m"),
    ("in 45min", "+45m"),
    ("in 10 minutes", "+10m"),
    ("in 5 mins", "+5m"),
    ("in 1.5 hours", "+90m"),
    ("in an hour and a half", "+90m"),
    ("2 hours from now", "+120m"),
    ("in 30m", "+30m"),
    ("in 1h30m", "+90m"),
    ("IN 3 HOURS", "+180m"),
    ("in two hours", "+120m"),
    ("in a day", "+1d"),
    ("in 1 week", "+7d"),
    ("in 20 minuets", "+20m"),
    ("in 2 hrs", "+120m"),
    ("in 1 hr", "+60m"),
    ("in 15 min", "+15m"),
    ("in 2 days", "+2d"),
    ("in 24 hours", "+1440m"),
    ("in 1 day", "+1d"),
    ("in 3 days at 3pm", "2026-04-01 15:00"),
    ("in 2 days at 10:30", "2026-03-31 10:30"),
    ("in soon", "!"),
    ("in a while", "!"),
    ("in 500 years", "!"),
    ("now", "+0m"),
    ("NOW", "+0m"),
    // Clock readings.
    ("noon", "2026-03-29 12:00"),
    ("tomorrow noon", "2026-03-30 12:00"),
    ("tomorrow at noon", "2026-03-30 12:00"),
    ("midnight", "2026-03-30 00:00"),
    ("tonight at midnight", "2026-03-30 00:00"),
    ("tomorrow midnight", "?!"),
    ("friday midnight", "?!"),
    ("at 9", "2026-03-30 09:00"),
    ("tomorrow at 9", "2026-03-30 09:00"),
    ("tomorrow at 9:00 a.m.", "2026-03-30 09:00"),
    ("tomorrow 9 o'clock", "2026-03-30 09:00"),
    ("9 a.m. tomorrow", "2026-03-30 09:00"),
    ("tomorrow 9 am", "2026-03-30 09:00"),
    ("tomorrow 9AM", "2026-03-30 09:00"),
    ("tomorrow 9:30pm", "2026-03-30 21:30"),
    ("tomorrow 9.30pm", "2026-03-30 21:30"),
    ("tomorrow 9:30 p.m.", "2026-03-30 21:30"),
    ("5 pm tomorrow", "2026-03-30 17:00"),
    ("5pm tomorrow", "2026-03-30 17:00"),
    ("tomorrow, 5pm", "2026-03-30 17:00"),
    ("Tomorrow 5PM", "2026-03-30 17:00"),
    ("tomorrow at 17:00", "2026-03-30 17:00"),
    ("at 3", "?!"),
    ("tomorrow at 3", "?!"),
    ("tomorrow 15", "!"),
    ("3pm", "2026-03-29 15:00"),
    ("3 pm", "2026-03-29 15:00"),
    ("3:30pm", "2026-03-29 15:30"),
    ("15:30", "2026-03-29 15:30"),
    ("at 15:30", "2026-03-29 15:30"),
    ("@ 4pm", "2026-03-29 16:00"),
    ("12pm tomorrow", "2026-03-30 12:00"),
    ("?12am tomorrow", "2026-03-30 00:00"),
    ("tomorrow 11:45am", "2026-03-30 11:45"),
    ("tomorrow 7:05 pm", "2026-03-30 19:05"),
    ("tonight 8pm", "2026-03-29 20:00"),
    ("tonight at 8", "2026-03-29 20:00"),
    ("tonight 9", "2026-03-29 21:00"),
    ("tonite 8pm", "2026-03-29 20:00"),
    ("tonight 9am", "!"),
    ("tonight", "!"),
    ("this evening at 7", "2026-03-29 19:00"),
    ("this afternoon at 3", "2026-03-29 15:00"),
    ("tomorrow morning at 9", "2026-03-30 09:00"),
    ("tomorrow at 9 in the morning", "2026-03-30 09:00"),
    ("tomorrow at 8 in the evening", "2026-03-30 20:00"),
    ("tomorrow morning", "!"),
    ("tomorrow afternoon", "!"),
    ("today 5pm", "2026-03-29 17:00"),
    ("today at 6:30pm", "2026-03-29 18:30"),
    ("today 9am", "!"),
    ("today at noon", "2026-03-29 12:00"),
    ("tomorrow", "!"),
    ("the day after tomorrow at 10am", "2026-03-31 10:00"),
    ("day after tomorrow 3pm", "2026-03-31 15:00"),
    ("tommorow 3pm", "2026-03-30 15:00"),
    ("tomorow at 10", "2026-03-30 10:00"),
    ("tmrw 9am", "2026-03-30 09:00"),
    ("2moro 2pm", "2026-03-30 14:00"),
    ("tomorrw 4pm", "2026-03-30 16:00"),
    ("tomorrow @ 3:30pm", "2026-03-30 15:30"),
    ("Tomorrow At 3:30 PM", "2026-03-30 15:30"),
    ("TOMORROW 3PM", "2026-03-30 15:00"),
    ("tomorrow 3 p.m.", "2026-03-30 15:00"),
    ("tomorrow 3:00 P.M.", "2026-03-30 15:00"),
    ("today 23:59", "2026-03-29 23:59"),
    ("?at 7", "2026-03-30 07:00"),
    ("tomorrow 2:30am", "2026-03-30 02:30"),
    // Weekdays (today is a Sunday).
    ("monday 10am", "2026-03-30 10:00"),
    ("on monday at 10", "2026-03-30 10:00"),
    ("Monday 10:00", "2026-03-30 10:00"),
    ("mon 10am", "2026-03-30 10:00"),
    ("tuesday 2pm", "2026-03-31 14:00"),
    ("on tuesday at 2pm", "2026-03-31 14:00"),
    ("tues 2pm", "2026-03-31 14:00"),
    ("wednesday 11:00", "2026-04-01 11:00"),
    ("wendesday 11am", "2026-04-01 11:00"),
    ("weds 11am", "2026-04-01 11:00"),
    ("thursday 4pm", "2026-04-02 16:00"),
    ("thrusday 4pm", "2026-04-02 16:00"),
    ("thurs 4pm", "2026-04-02 16:00"),
    ("friday 3pm", "2026-04-03 15:00"),
    ("on friday at 3pm", "2026-04-03 15:00"),
    ("this friday 10am", "2026-04-03 10:00"),
    ("?next friday 10am", "2026-04-03 10:00"),
    ("fri 9am", "2026-04-03 09:00"),
    ("Friday at 3 PM", "2026-04-03 15:00"),
    ("3pm friday", "2026-04-03 15:00"),
    ("3pm on friday", "2026-04-03 15:00"),
    ("saturday noon", "2026-04-04 12:00"),
    ("sat 11am", "2026-04-04 11:00"),
    ("sunday 10am", "2026-04-05 10:00"),
    ("this sunday 6pm", "2026-03-29 18:00"),
    ("?next sunday 6pm", "2026-04-05 18:00"),
    ("?next monday 9:30", "2026-03-30 09:30"),
    ("next week", "!"),
    ("friday", "!"),
    ("fridya 3pm", "2026-04-03 15:00"),
    ("next week monday 10am", "!"),
    // Dates.
    ("2026-12-24 18:00", "2026-12-24 18:00"),
    ("2026-12-24T18:00", "2026-12-24 18:00"),
    ("2026/12/24 18:00", "2026-12-24 18:00"),
    ("2026-12-24 6pm", "2026-12-24 18:00"),
    ("dec 24 6pm", "2026-12-24 18:00"),
    ("Dec 24, 6pm", "2026-12-24 18:00"),
    ("24 dec 18:00", "2026-12-24 18:00"),
    ("24 December 18:00", "2026-12-24 18:00"),
    ("December 24th 6pm", "2026-12-24 18:00"),
    ("December 24th, 2026 at 6pm", "2026-12-24 18:00"),
    ("24th of December at 18:00", "2026-12-24 18:00"),
    ("24.12. 18:00", "2026-12-24 18:00"),
    ("24.12.2026 18:00", "2026-12-24 18:00"),
    ("dec. 24 6 pm", "2026-12-24 18:00"),
    ("april 1 9am", "2026-04-01 09:00"),
    ("1st april 9am", "2026-04-01 09:00"),
    ("apr 2 at 14:30", "2026-04-02 14:30"),
    ("jan 5 10am", "2027-01-05 10:00"),
    ("march 1 10am", "2027-03-01 10:00"),
    ("febuary 3 10am", "2027-02-03 10:00"),
    ("24/12 18:00", "2026-12-24 18:00"),
    ("12/24 18:00", "2026-12-24 18:00"),
    (
        "4/5 10am",
        "2026-05-04 10:00 | America/New_York=2026-04-05 10:00",
    ),
    (
        "12/11/2026 3pm",
        "2026-11-12 15:00 | America/New_York=2026-12-11 15:00",
    ),
    ("fri 3 apr 3pm", "2026-04-03 15:00"),
    ("thu 3 apr 3pm", "!"),
    ("2026-02-30 10:00", "!"),
    ("2026-12-24", "!"),
    ("dec 24", "!"),
    ("24.12.2026", "!"),
    // Zones typed in the text.
    ("tomorrow 3pm ET", "2026-03-30 15:00 @America/New_York"),
    ("tomorrow 3pm EDT", "2026-03-30 15:00 @America/New_York"),
    ("tomorrow 3pm EST", "?!"),
    (
        "tomorrow 15:00 Europe/London",
        "2026-03-30 15:00 @Europe/London",
    ),
    (
        "tomorrow 15:00 europe/london",
        "2026-03-30 15:00 @Europe/London",
    ),
    (
        "tomorrow 15:00 EUROPE/LONDON",
        "2026-03-30 15:00 @Europe/London",
    ),
    (
        "3pm tomorrow America/New_York",
        "2026-03-30 15:00 @America/New_York",
    ),
    (
        "tomorrow 9am America/New York",
        "2026-03-30 09:00 @America/New_York",
    ),
    // In Kolkata it is already Sunday morning while Los Angeles is still on Saturday evening:
    // whose "tomorrow"? Refused there with both readings.
    (
        "tomorrow 3pm PT",
        "2026-03-30 15:00 @America/Los_Angeles | Asia/Kolkata=?!",
    ),
    (
        "tomorrow 3pm PDT",
        "2026-03-30 15:00 @America/Los_Angeles | Asia/Kolkata=?!",
    ),
    ("tomorrow 3pm PST", "?!"),
    ("tomorrow 10am CEST", "2026-03-30 10:00 @Europe/Berlin"),
    ("tomorrow 10am CET", "?!"),
    ("tomorrow 10am BST", "2026-03-30 10:00 @Europe/London"),
    ("tomorrow 9am IST", "?!"),
    ("tomorrow 10am JST", "2026-03-30 10:00 @Asia/Tokyo"),
    ("tomorrow 10:00 UTC", "2026-03-30 10:00 @UTC"),
    ("tomorrow 10:00 utc+2", "2026-03-30 10:00 @+02:00"),
    ("tomorrow 10:00 UTC+02:00", "2026-03-30 10:00 @+02:00"),
    ("tomorrow 10:00 +05:30", "2026-03-30 10:00 @+05:30"),
    ("tomorrow 10:00 GMT", "2026-03-30 10:00 @UTC"),
    ("2026-12-01 10:00 gmt-5", "2026-12-01 10:00 @-05:00"),
    (
        "?dec 1 9am CST",
        "! | America/New_York=2026-12-01 09:00 @America/Chicago",
    ),
    ("mar 31 10am AEDT", "2026-03-31 10:00 @Australia/Sydney"),
    ("5pm ET", "2026-03-29 17:00 @America/New_York"),
    ("tomorrow 3pm Europe/Londn", "!"),
    ("tomorrow 3pm Mars/Olympus", "!"),
    ("dec 24 18:00 Asia/Tokyo", "2026-12-24 18:00 @Asia/Tokyo"),
    ("2026-03-29T20:00:00Z", "2026-03-29 20:00 @UTC"),
    ("2026-12-24T18:00:00+01:00", "2026-12-24 18:00 @+01:00"),
    // Around clock changes.
    ("2027-03-28 02:30", "2027-03-28 02:30 | Europe/Berlin=!"),
    ("?oct 25 2:30am", "2026-10-25 02:30"),
    ("?nov 1 1:30am", "2026-11-01 01:30"),
    ("today 2:30am", "!"),
    // Not times.
    ("yesterday 3pm", "!"),
    ("blah", "!"),
    ("asap", "!"),
    ("sometime next week", "!"),
    ("tomorrow 25:00", "!"),
    ("tomorrow 13pm", "!"),
    ("tomorrow at 3 or 4", "!"),
    ("3pm-4pm tomorrow", "!"),
    ("tomorrow 3pm 4pm", "!"),
    ("half past 3", "?!"),
    ("quarter to 5", "?!"),
    // Harder ones, as they come.
    ("tmrw at 3:30pm", "2026-03-30 15:30"),
    ("nxt friday 3pm", "2026-04-03 15:00"),
    ("in 1 hour 30 min", "+90m"),
    ("Wednesday, April 1st at 2pm", "2026-04-01 14:00"),
    ("April 1st, 2pm", "2026-04-01 14:00"),
    ("tomorrow 3pm-ish", "2026-03-30 15:00"),
    ("tomorrow at 1500", "2026-03-30 15:00"),
    ("tomorrow 15h", "2026-03-30 15:00"),
    ("tomorrow 3pm please", "2026-03-30 15:00"),
    ("mon 30/3 10:00", "2026-03-30 10:00"),
    ("tomorrow 9:00 CEST", "2026-03-30 09:00 @Europe/Berlin"),
    ("Tomorrow 10AM EDT", "2026-03-30 10:00 @America/New_York"),
    ("this saturday at 11am", "2026-04-04 11:00"),
    ("sat 4 apr 11:00", "2026-04-04 11:00"),
    ("in 45 minutes", "+45m"),
    ("in 3 hours and 15 minutes", "+195m"),
    ("12:30 tomorrow", "2026-03-30 12:30"),
    ("on the 5th at 10am", "2026-04-05 10:00"),
    ("tuesday at 9:15 a.m.", "2026-03-31 09:15"),
    ("Friday 3 April 2026 15:00", "2026-04-03 15:00"),
];

#[derive(Debug, PartialEq)]
enum Expected {
    At(Timestamp),
    Refused,
}

fn zone(name: &str) -> TimeZone {
    if let Some(rest) = name.strip_prefix(['+', '-']) {
        let (h, m) = rest.split_once(':').expect("hh:mm");
        let secs =
            h.parse::<i32>().expect("hours") * 3600 + m.parse::<i32>().expect("minutes") * 60;
        let sign = if name.starts_with('-') { -1 } else { 1 };
        return TimeZone::fixed(Offset::from_seconds(sign * secs).expect("offset"));
    }
    TimeZone::get(name).expect("a bundled zone")
}

/// The expectation `spec` (see [`CORPUS`]) for a member in `member` at `now`, and whether the
/// phrase has more than one meaning there.
fn expected(spec: &str, member: &str, now: Timestamp) -> (Expected, bool) {
    let (default, overrides) = spec.split_once(" | ").unwrap_or((spec, ""));
    let spec = overrides
        .split(" | ")
        .find_map(|o| o.strip_prefix(member).and_then(|o| o.strip_prefix('=')))
        .unwrap_or(default)
        .trim();
    let several = spec.starts_with('?');
    (at(spec.trim_start_matches('?'), member, now), several)
}

fn at(spec: &str, member: &str, now: Timestamp) -> Expected {
    if spec.starts_with('!') {
        return Expected::Refused;
    }
    if let Some(length) = spec.strip_prefix('+') {
        let n: i64 = length[..length.len() - 1].parse().expect("a number");
        return Expected::At(match &length[length.len() - 1..] {
            "m" => now + SignedDuration::from_mins(n),
            "d" => now
                .to_zoned(zone(member))
                .checked_add(Span::new().days(n))
                .expect("in range")
                .timestamp(),
            other => panic!("unit {other}"),
        });
    }
    let (local, at) = spec.split_once(" @").unwrap_or((spec, member));
    let local: DateTime = local.replace(' ', "T").parse().expect("a local time");
    let instant = zone(at)
        .to_ambiguous_zoned(local)
        .earlier()
        .expect("in range")
        .timestamp();
    Expected::At(instant)
}

#[derive(Default, Debug)]
struct Tally {
    /// Read to the expected instant.
    right: usize,
    /// Refused, where a refusal is expected.
    refused_rightly: usize,
    /// Refused, where an instant is expected.
    refused: usize,
    misread: usize,
    /// Phrases with one meaning, an instant.
    one_meaning: usize,
    one_meaning_right: usize,
}

#[test]
fn the_corpus_is_read_right_or_refused_and_never_misread() {
    assert!(CORPUS.len() >= 150, "{} phrases", CORPUS.len());
    let mut failures = Vec::new();
    for (member, locale) in PLACES {
        let tz = zone(member);
        let now = tz
            .to_ambiguous_zoned(LOCAL_NOW.parse().expect("local now"))
            .compatible()
            .expect("in range")
            .timestamp();
        let context = WhenContext {
            now,
            zone: &tz,
            locale: Some(locale),
        };
        let mut tally = Tally::default();
        for (phrase, spec) in CORPUS {
            let several = phrase.starts_with('?');
            let phrase = phrase.trim_start_matches('?');
            let (want, several_here) = expected(spec, member, now);
            let several = several || several_here;
            let got = read_when(phrase, &context);
            let right = match (&want, &got) {
                (Expected::At(at), Ok(when)) if when.start.timestamp() == *at => {
                    tally.right += 1;
                    true
                }
                (Expected::Refused, Err(_)) => {
                    tally.refused_rightly += 1;
                    false
                }
                (Expected::At(_), Err(error)) => {
                    tally.refused += 1;
                    failures.push(format!("{member}: {phrase:?} refused: {error}"));
                    false
                }
                (_, Ok(when)) => {
                    tally.misread += 1;
                    failures.push(format!(
                        "{member}: {phrase:?} MISREAD as {} (wanted {want:?})",
                        when.start
                    ));
                    false
                }
            };
            if !several && matches!(want, Expected::At(_)) {
                tally.one_meaning += 1;
                tally.one_meaning_right += usize::from(right);
            }
        }
        println!(
            "{member} ({locale}) at {LOCAL_NOW}: {} phrases — read right {}, refused {} \
             (of which {} rightly: no time, not a time, or more than one meaning), misread {}; \
             one meaning: {}/{} read right",
            CORPUS.len(),
            tally.right,
            tally.refused + tally.refused_rightly,
            tally.refused_rightly,
            tally.misread,
            tally.one_meaning_right,
            tally.one_meaning
        );
        assert_eq!(tally.misread, 0, "misread:\n{}", failures.join("\n"));
        assert!(
            tally.one_meaning_right * 100 >= tally.one_meaning * 95,
            "below 95%:\n{}",
            failures.join("\n")
        );
    }
    for failure in &failures {
        println!("{failure}");
    }
}
