//! The reader's original cases: every form it has always accepted and every refusal it gives.

use super::*;
use jiff::civil::date;

/// Wednesday 25 November 2026, 11:00 in Berlin.
const NOW: &str = "2026-11-25T10:00:00Z";

fn tz(name: &str) -> TimeZone {
    jiff::tz::db().get(name).expect("zone in the test database")
}

fn at(now: &str) -> Timestamp {
    now.parse().expect("valid test instant")
}

/// The start read at `now` in `zone`, as civil time and zone name.
fn read_at(input: &str, now: &str, zone: &str) -> Result<String, WhenError> {
    parse_when(input, at(now), &tz(zone)).map(|start| describe_when(&start))
}

fn berlin(input: &str) -> String {
    read_at(input, NOW, "Europe/Berlin").unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

fn berlin_err(input: &str) -> WhenError {
    read_at(input, NOW, "Europe/Berlin").expect_err(input)
}

#[test]
fn empty_and_now_mean_now() {
    for input in ["", "  ", "now", "NOW", " Now "] {
        assert_eq!(
            berlin(input),
            "Wed 25 Nov 2026 11:00 Europe/Berlin",
            "{input:?}"
        );
    }
}

#[test]
fn in_takes_a_humantime_duration() {
    assert_eq!(berlin("in 2h"), "Wed 25 Nov 2026 13:00 Europe/Berlin");
    assert_eq!(
        berlin("in 90 minutes"),
        "Wed 25 Nov 2026 12:30 Europe/Berlin"
    );
    assert_eq!(berlin("in 1h30m"), "Wed 25 Nov 2026 12:30 Europe/Berlin");
    assert_eq!(berlin("IN 1H 30M"), "Wed 25 Nov 2026 12:30 Europe/Berlin");
}

#[test]
fn today_and_tomorrow_take_a_time() {
    assert_eq!(berlin("today 15:00"), "Wed 25 Nov 2026 15:00 Europe/Berlin");
    assert_eq!(
        berlin("tomorrow 15:00"),
        "Thu 26 Nov 2026 15:00 Europe/Berlin"
    );
    assert_eq!(
        berlin("tomorrow 3pm"),
        "Thu 26 Nov 2026 15:00 Europe/Berlin"
    );
    assert_eq!(
        berlin("Tomorrow at 9:30am"),
        "Thu 26 Nov 2026 09:30 Europe/Berlin"
    );
    assert_eq!(
        berlin("tomorrow 9:30 AM"),
        "Thu 26 Nov 2026 09:30 Europe/Berlin"
    );
}

#[test]
fn a_weekday_is_its_next_occurrence_strictly_after_today() {
    assert_eq!(berlin("fri 9am"), "Fri 27 Nov 2026 09:00 Europe/Berlin");
    assert_eq!(berlin("friday 9:30"), "Fri 27 Nov 2026 09:30 Europe/Berlin");
    assert_eq!(
        berlin("next monday 10:00"),
        "Mon 30 Nov 2026 10:00 Europe/Berlin"
    );
    assert_eq!(
        berlin("mon at 10:00"),
        "Mon 30 Nov 2026 10:00 Europe/Berlin"
    );
    // Today is a Wednesday: "wed" is next week's, even though 15:00 today is still ahead.
    assert_eq!(berlin("wed 15:00"), "Wed 2 Dec 2026 15:00 Europe/Berlin");
    assert_eq!(
        berlin("next wednesday 15:00"),
        "Wed 2 Dec 2026 15:00 Europe/Berlin"
    );
}

#[test]
fn every_weekday_name_and_abbreviation_is_known() {
    let days = [
        ("mon", "monday", "Mon 30 Nov"),
        ("tue", "tuesday", "Tue 1 Dec"),
        ("wed", "wednesday", "Wed 2 Dec"),
        ("thu", "thursday", "Thu 26 Nov"),
        ("fri", "friday", "Fri 27 Nov"),
        ("sat", "saturday", "Sat 28 Nov"),
        ("sun", "sunday", "Sun 29 Nov"),
    ];
    for (short, long, expected) in days {
        let expected = format!("{expected} 2026 12:00 Europe/Berlin");
        assert_eq!(berlin(&format!("{short} 12pm")), expected);
        assert_eq!(berlin(&format!("{long} 12:00")), expected);
    }
}

#[test]
fn a_bare_time_is_today_while_ahead_else_tomorrow() {
    assert_eq!(berlin("15:00"), "Wed 25 Nov 2026 15:00 Europe/Berlin");
    assert_eq!(berlin("3pm"), "Wed 25 Nov 2026 15:00 Europe/Berlin");
    assert_eq!(berlin("at 3pm"), "Wed 25 Nov 2026 15:00 Europe/Berlin");
    assert_eq!(berlin("9:00"), "Thu 26 Nov 2026 09:00 Europe/Berlin");
    assert_eq!(berlin("10:58"), "Thu 26 Nov 2026 10:58 Europe/Berlin");
}

#[test]
fn a_bare_time_within_the_slack_is_today() {
    let start = read_at("11:00", "2026-11-25T10:00:30Z", "Europe/Berlin");
    assert_eq!(start.as_deref(), Ok("Wed 25 Nov 2026 11:00 Europe/Berlin"));
    let start = read_at("11:00", "2026-11-25T10:01:01Z", "Europe/Berlin");
    assert_eq!(start.as_deref(), Ok("Thu 26 Nov 2026 11:00 Europe/Berlin"));
}

#[test]
fn iso_dates_take_a_time() {
    assert_eq!(
        berlin("2026-12-01 09:30"),
        "Tue 1 Dec 2026 09:30 Europe/Berlin"
    );
    assert_eq!(
        berlin("2026-12-01T09:30"),
        "Tue 1 Dec 2026 09:30 Europe/Berlin"
    );
    assert_eq!(
        berlin("2026-12-01 9am"),
        "Tue 1 Dec 2026 09:00 Europe/Berlin"
    );
    assert_eq!(
        berlin("2026-12-01 at 9:30 pm"),
        "Tue 1 Dec 2026 21:30 Europe/Berlin"
    );
    assert_eq!(
        berlin("2026-12-1 9:30"),
        "Tue 1 Dec 2026 09:30 Europe/Berlin"
    );
}

#[test]
fn rfc_3339_is_that_instant_shown_in_the_zone() {
    assert_eq!(
        berlin("2026-12-01T09:30:00Z"),
        "Tue 1 Dec 2026 10:30 Europe/Berlin"
    );
    assert_eq!(
        berlin("2026-12-01T09:30:00+01:00"),
        "Tue 1 Dec 2026 09:30 Europe/Berlin"
    );
    let start = parse_when("2026-12-01T09:30:00-05:00", at(NOW), &tz("Asia/Tokyo"));
    assert_eq!(start.map(|s| s.timestamp()), Ok(at("2026-12-01T14:30:00Z")));
}

#[test]
fn twelve_am_is_midnight_and_twelve_pm_is_noon() {
    assert_eq!(
        berlin("tomorrow 12am"),
        "Thu 26 Nov 2026 00:00 Europe/Berlin"
    );
    assert_eq!(
        berlin("tomorrow 12pm"),
        "Thu 26 Nov 2026 12:00 Europe/Berlin"
    );
    assert_eq!(
        berlin("tomorrow 12:30am"),
        "Thu 26 Nov 2026 00:30 Europe/Berlin"
    );
}

#[test]
fn out_of_range_clock_readings_are_unreadable() {
    for input in [
        "tomorrow 24:00",
        "tomorrow 23:60",
        "tomorrow 13pm",
        "tomorrow 0am",
        "tomorrow 15:00pm",
        "tomorrow 15",
        "tomorrow 9:5",
        "tomorrow +9:00",
        "tomorrow 999999999999999999999:00",
    ] {
        assert!(
            matches!(berlin_err(input), WhenError::Unreadable { .. }),
            "{input:?}"
        );
    }
}

#[test]
fn unknown_words_and_impossible_dates_are_unreadable() {
    for input in [
        "yesterday",
        "2030-13-45",
        "2026-02-30 10:00",
        "2026-12-01",
        "blah",
        "tomorrow",
        "next",
        "next tomorrow 10:00",
        "in",
        "in soon",
        "in -5m",
        "tomorrow 15:00 extra",
        "🎉",
        "明天 15:00",
        "\u{0627}\u{0644}\u{063a}\u{062f} 15:00",
    ] {
        assert!(
            matches!(berlin_err(input), WhenError::Unreadable { .. }),
            "{input:?}"
        );
    }
}

#[test]
fn unreadable_lists_the_accepted_forms() {
    let message = berlin_err("blah").to_string();
    assert!(
        message.starts_with("\"blah\" is not a time I can read."),
        "{message}"
    );
    for form in [
        "\"in 2h\"",
        "\"tomorrow 15:00\"",
        "\"fri 9am\"",
        "YYYY-MM-DD HH:MM",
    ] {
        assert!(message.contains(form), "{message}");
    }
}

#[test]
fn invisible_marks_are_ignored() {
    assert_eq!(
        berlin("\u{200f}tomorrow 15:00"),
        "Thu 26 Nov 2026 15:00 Europe/Berlin"
    );
    assert_eq!(
        berlin("tomorrow\u{a0}15:00\u{200e}"),
        "Thu 26 Nov 2026 15:00 Europe/Berlin"
    );
}

#[test]
fn a_start_in_the_past_is_refused_with_what_was_understood() {
    let error = berlin_err("today 9:00");
    assert_eq!(
        error.to_string(),
        "\"today 9:00\" is Wed 25 Nov 2026 09:00 Europe/Berlin, which has already passed. \
         Pick a later time, like \"in 1h\" or \"tomorrow 9am\"."
    );
    assert!(matches!(
        berlin_err("2026-01-01T00:00:00Z"),
        WhenError::InPast { .. }
    ));
}

#[test]
fn up_to_sixty_seconds_in_the_past_is_allowed() {
    assert!(read_at("2026-11-25T09:59:00Z", NOW, "UTC").is_ok());
    assert!(matches!(
        read_at("2026-11-25T09:58:59Z", NOW, "UTC"),
        Err(WhenError::InPast { .. })
    ));
}

#[test]
fn up_to_365_days_ahead_is_allowed() {
    assert!(read_at("2027-11-25T10:00:00Z", NOW, "UTC").is_ok());
    assert!(read_at("in 365 days", NOW, "UTC").is_ok());
    let error = read_at("2027-11-25T10:00:01Z", NOW, "UTC").unwrap_err();
    assert_eq!(
        error.to_string(),
        "\"2027-11-25T10:00:01Z\" is Thu 25 Nov 2027 10:00 UTC, more than a year ahead. \
         Meetings can be scheduled at most 365 days in advance."
    );
}

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
