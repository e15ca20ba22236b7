//! The reader's original cases: every form it has always accepted and every refusal it gives.

use super::*;

/// Wednesday 25 November 2026, 11:00 in Berlin.
pub(super) const NOW: &str = "2026-11-25T10:00:00Z";

pub(super) fn tz(name: &str) -> TimeZone {
    jiff::tz::db().get(name).expect("zone in the test database")
}

pub(super) fn at(now: &str) -> Timestamp {
    now.parse().expect("valid test instant")
}

/// The start read at `now` in `zone`, as civil time and zone name.
pub(super) fn read_at(input: &str, now: &str, zone: &str) -> Result<String, WhenError> {
    parse_when(input, at(now), &tz(zone)).map(|start| describe_when(&start))
}

fn berlin(input: &str) -> String {
    read_at(input, NOW, "Europe/Berlin").unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

pub(super) fn berlin_err(input: &str) -> WhenError {
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
