//! The reader across time zones: daylight-saving gaps and folds, days counted in the member's zone,
//! fixed offsets, and the far future.

use jiff::civil::date;

use super::tests::{NOW, at, berlin_err, read_at, tz};
use super::*;

#[test]
fn far_future_is_too_far_ahead_not_a_panic() {
    for input in [
        "in 500 years",
        "in 100000 years",
        "in 99999999999999999999h",
        "in 1000000000000000h",
        "9999-12-31 23:59",
        "9999-12-01T00:00:00Z",
    ] {
        assert!(
            matches!(
                read_at(input, NOW, "America/New_York"),
                Err(WhenError::TooFarAhead { .. })
            ),
            "{input:?}"
        );
    }
    assert!(matches!(
        berlin_err("in 500 years"),
        WhenError::TooFarAhead {
            understood: Some(_),
            ..
        }
    ));
    assert_eq!(
        berlin_err("in 100000 years").to_string(),
        "\"in 100000 years\" is more than a year ahead. Meetings can be scheduled at most 365 days in advance."
    );
}

#[test]
fn a_time_in_the_spring_forward_gap_is_refused_with_the_time_after_the_jump() {
    let error = read_at("2026-03-29 02:30", "2026-03-01T10:00:00Z", "Europe/Berlin").unwrap_err();
    let WhenError::Gap {
        local, suggestion, ..
    } = &error
    else {
        panic!("expected Gap, got {error:?}");
    };
    assert_eq!(*local, date(2026, 3, 29).at(2, 30, 0, 0));
    assert_eq!(
        describe_when(suggestion),
        "Sun 29 Mar 2026 03:30 Europe/Berlin"
    );
    assert_eq!(
        error.to_string(),
        "\"2026-03-29 02:30\" is Sun 29 Mar 2026 02:30 Europe/Berlin, a time that does not exist there: \
         the clocks jump forward over it. Did you mean Sun 29 Mar 2026 03:30 Europe/Berlin? \
         Type \"2026-03-29 03:30\"."
    );
}

#[test]
fn the_gap_is_found_in_new_york_and_through_relative_days() {
    let error = read_at("sun 2:30am", "2026-03-05T15:00:00Z", "America/New_York").unwrap_err();
    let WhenError::Gap { suggestion, .. } = error else {
        panic!("expected Gap, got {error:?}");
    };
    assert_eq!(
        describe_when(&suggestion),
        "Sun 8 Mar 2026 03:30 America/New_York"
    );
}

#[test]
fn a_time_in_the_autumn_fold_is_the_earlier_instant() {
    let start = parse_when(
        "2026-10-25 02:30",
        at("2026-10-01T10:00:00Z"),
        &tz("Europe/Berlin"),
    );
    assert_eq!(start.map(|s| s.timestamp()), Ok(at("2026-10-25T00:30:00Z")));
    let start = parse_when(
        "2026-11-01 1:30am",
        at("2026-10-01T10:00:00Z"),
        &tz("America/New_York"),
    );
    assert_eq!(start.map(|s| s.timestamp()), Ok(at("2026-11-01T05:30:00Z")));
}

#[test]
fn relative_starts_cross_dst_by_elapsed_time() {
    // 30 minutes before Berlin springs forward, "in 1h" is 03:30 local, one real hour later.
    let start = read_at("in 1h", "2026-03-29T00:30:00Z", "Europe/Berlin");
    assert_eq!(start.as_deref(), Ok("Sun 29 Mar 2026 03:30 Europe/Berlin"));
}

#[test]
fn days_are_counted_in_the_members_zone_not_utc() {
    // 23:30 UTC on Wednesday is already Thursday in Tokyo, so "tomorrow" is Friday there.
    let start = read_at("tomorrow 9am", "2026-11-25T23:30:00Z", "Asia/Tokyo");
    assert_eq!(start.as_deref(), Ok("Fri 27 Nov 2026 09:00 Asia/Tokyo"));
}

#[test]
fn a_fixed_offset_zone_is_described_by_its_offset() {
    let zone = TimeZone::fixed(jiff::tz::offset(2));
    let start = parse_when("tomorrow 9am", at(NOW), &zone).map(|s| describe_when(&s));
    assert_eq!(start.as_deref(), Ok("Thu 26 Nov 2026 09:00 +0200"));
}

#[test]
fn long_input_is_quoted_shortened() {
    let error = berlin_err(&"blah ".repeat(1000));
    assert!(error.to_string().len() < 400, "{error}");
}

#[test]
fn a_sign_before_a_four_byte_character_is_no_offset_and_no_panic() {
    for input in ["-🛰", "+🛰", "tomorrow 10:00 -🛰"] {
        assert!(
            matches!(berlin_err(input), WhenError::Unreadable { .. }),
            "{input}"
        );
    }
}
