//! Tests of meeting series: every start across DST and short months, the words, Zoom's rule and
//! the RRULE.

use super::*;

fn zoned(text: &str) -> Zoned {
    text.parse().unwrap()
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn series(repeat: Repeat, n: i64) -> Series {
    Series::new(repeat, n).unwrap()
}

/// The starts as UTC text, for assertions that read like a calendar.
fn utc(starts: &[Timestamp]) -> Vec<String> {
    starts.iter().map(ToString::to_string).collect()
}

#[test]
fn repeats_are_read_by_name_in_any_case() {
    for repeat in Repeat::ALL {
        assert_eq!(repeat.name().parse::<Repeat>(), Ok(repeat));
        assert_eq!(repeat.to_string(), repeat.name());
    }
    assert_eq!(" Weekly\u{200b} ".parse::<Repeat>(), Ok(Repeat::Weekly));
    assert_eq!("BIWEEKLY".parse::<Repeat>(), Ok(Repeat::Biweekly));
}

#[test]
fn an_unknown_repeat_names_the_ones_there_are() {
    let err = "fortnightly".parse::<Repeat>().unwrap_err();
    assert_eq!(
        err,
        RecurrenceError::UnknownRepeat("fortnightly".to_owned())
    );
    let message = err.to_string();
    for repeat in Repeat::ALL {
        assert!(message.contains(repeat.name()), "{message}");
    }
}

#[test]
fn a_series_has_two_to_sixty_meetings() {
    assert_eq!(series(Repeat::Weekly, 2).count(), 2);
    assert_eq!(series(Repeat::Weekly, 60).count(), 60);
    for n in [i64::MIN, -1, 0, 1, 61, 256, i64::MAX] {
        let err = Series::new(Repeat::Weekly, n).unwrap_err();
        assert_eq!(err, RecurrenceError::Count(n));
        let message = err.to_string();
        assert!(message.contains("2 to 60"), "{message}");
        assert!(message.contains(&format!("not {n}")), "{message}");
    }
}

#[test]
fn a_weekly_series_keeps_its_berlin_wall_clock_time_across_the_end_of_summer_time() {
    // Summer time ends on Sunday 25 October 2026: 15:00 in Berlin is 13:00 UTC before, 14:00 after.
    let first = zoned("2026-10-12T15:00[Europe/Berlin]");
    let starts = series(Repeat::Weekly, 4).occurrences(&first);
    assert_eq!(
        utc(&starts),
        [
            "2026-10-12T13:00:00Z",
            "2026-10-19T13:00:00Z",
            "2026-10-26T14:00:00Z",
            "2026-11-02T14:00:00Z"
        ]
    );
    for start in starts {
        let local = start.to_zoned(first.time_zone().clone());
        assert_eq!(local.strftime("%a %H:%M").to_string(), "Mon 15:00");
    }
}

#[test]
fn a_daily_series_in_utc_is_a_day_apart_every_time() {
    let first = zoned("2026-12-30T09:30[UTC]");
    let starts = series(Repeat::Daily, 10).occurrences(&first);
    assert_eq!(starts.len(), 10);
    assert_eq!(starts[0], ts("2026-12-30T09:30:00Z"));
    assert_eq!(starts[9], ts("2027-01-08T09:30:00Z"));
    assert!(
        starts
            .windows(2)
            .all(|w| (w[1] - w[0]).get_seconds() == 86_400)
    );
}

#[test]
fn a_biweekly_series_skips_a_week_each_time() {
    let first = zoned("2027-03-15T10:00[America/New_York]");
    let starts = series(Repeat::Biweekly, 3).occurrences(&first);
    assert_eq!(
        utc(&starts),
        [
            "2027-03-15T14:00:00Z",
            "2027-03-29T14:00:00Z",
            "2027-04-12T14:00:00Z"
        ]
    );
}

#[test]
fn a_monthly_series_stays_on_its_day_of_the_month_across_summer_time() {
    let first = zoned("2027-02-03T18:00[Europe/London]");
    let starts = series(Repeat::Monthly, 3).occurrences(&first);
    assert_eq!(
        utc(&starts),
        [
            "2027-02-03T18:00:00Z",
            "2027-03-03T18:00:00Z",
            "2027-04-03T17:00:00Z"
        ]
    );
}

#[test]
fn a_monthly_series_may_not_start_after_the_twenty_eighth() {
    let monthly = series(Repeat::Monthly, 3);
    assert_eq!(monthly.check_start(&zoned("2027-01-28T09:00[UTC]")), Ok(()));
    for day in [29, 30, 31] {
        let first = zoned(&format!("2027-01-{day}T09:00[UTC]"));
        let err = monthly.check_start(&first).unwrap_err();
        assert_eq!(err, RecurrenceError::MonthlyDay(day));
        assert!(err.to_string().contains("from 1 to 28"), "{err}");
        // Other repeats have a day every time.
        assert_eq!(series(Repeat::Weekly, 3).check_start(&first), Ok(()));
    }
}

#[test]
fn a_monthly_series_from_the_31st_gets_the_last_day_of_shorter_months_and_its_day_again_after() {
    // Refused by check_start; still defined, and counted from the first start so that February
    // does not pull March back to the 28th.
    let first = zoned("2027-01-31T09:00[UTC]");
    let starts = series(Repeat::Monthly, 4).occurrences(&first);
    assert_eq!(
        utc(&starts),
        [
            "2027-01-31T09:00:00Z",
            "2027-02-28T09:00:00Z",
            "2027-03-31T09:00:00Z",
            "2027-04-30T09:00:00Z"
        ]
    );
}

#[test]
fn a_time_the_spring_forward_skips_moves_forward_by_the_gap_that_day_only() {
    // 28 March 2027: Berlin's clocks jump from 02:00 to 03:00, so 02:30 does not exist.
    let first = zoned("2027-03-27T02:30[Europe/Berlin]");
    let starts = series(Repeat::Daily, 3).occurrences(&first);
    let berlin = first.time_zone().clone();
    let local: Vec<String> = starts
        .iter()
        .map(|t| {
            t.to_zoned(berlin.clone())
                .strftime("%d %H:%M %Z")
                .to_string()
        })
        .collect();
    assert_eq!(local, ["27 02:30 CET", "28 03:30 CEST", "29 02:30 CEST"]);
}

#[test]
fn a_time_the_fall_back_repeats_is_its_first_summer_time_instant() {
    // 31 October 2027: Berlin's 02:00–03:00 happens twice; the first is CEST (UTC+2).
    let first = zoned("2027-10-30T02:30[Europe/Berlin]");
    let starts = series(Repeat::Daily, 2).occurrences(&first);
    assert_eq!(
        utc(&starts),
        ["2027-10-30T00:30:00Z", "2027-10-31T00:30:00Z"]
    );
}

#[test]
fn every_occurrence_is_at_the_first_starts_wall_clock_time_in_many_zones() {
    let zones = [
        "UTC",
        "Europe/Berlin",
        "America/Los_Angeles",
        "Australia/Sydney",
        "Asia/Kolkata",
        "America/Sao_Paulo",
        "Pacific/Auckland",
    ];
    for zone in zones {
        for repeat in Repeat::ALL {
            let first = zoned(&format!("2026-12-07T19:15[{zone}]"));
            let starts = series(repeat, 60).occurrences(&first);
            assert_eq!(starts.len(), 60, "{zone} {repeat}");
            assert!(starts.is_sorted(), "{zone} {repeat}");
            for start in &starts {
                let local = start.to_zoned(first.time_zone().clone());
                assert_eq!(local.time(), first.time(), "{zone} {repeat} {local}");
            }
        }
    }
}

#[test]
fn the_next_occurrence_is_the_first_that_starts_after_now() {
    let first = zoned("2026-12-07T15:00[Europe/Berlin]");
    let weekly = series(Repeat::Weekly, 3);
    assert_eq!(
        weekly.next_after(&first, ts("2026-12-01T00:00:00Z")),
        Some((0, ts("2026-12-07T14:00:00Z")))
    );
    // An occurrence starting this very moment has begun: the next one is next.
    assert_eq!(
        weekly.next_after(&first, ts("2026-12-07T14:00:00Z")),
        Some((1, ts("2026-12-14T14:00:00Z")))
    );
    assert_eq!(
        weekly.next_after(&first, ts("2026-12-20T00:00:00Z")),
        Some((2, ts("2026-12-21T14:00:00Z")))
    );
    assert_eq!(weekly.next_after(&first, ts("2026-12-21T14:00:00Z")), None);
}

#[test]
fn a_series_describes_itself_in_plain_words() {
    let monday = zoned("2026-12-07T15:00[Europe/Berlin]");
    assert_eq!(
        series(Repeat::Weekly, 6).describe(&monday),
        "every Monday at 15:00 Europe/Berlin, 6 times"
    );
    assert_eq!(
        series(Repeat::Biweekly, 6).describe(&monday),
        "every other Monday at 15:00 Europe/Berlin, 6 times"
    );
    assert_eq!(
        series(Repeat::Daily, 10).describe(&zoned("2026-12-07T09:30[UTC]")),
        "every day at 09:30 UTC, 10 times"
    );
    assert_eq!(
        series(Repeat::Monthly, 4).describe(&zoned("2026-12-03T18:05[America/New_York]")),
        "monthly on day 3 at 18:05 America/New_York, 4 times"
    );
}

#[test]
fn the_rule_has_what_zooms_recurrence_object_needs() {
    let sunday = zoned("2026-12-06T15:00[Europe/Berlin]");
    let monday = zoned("2026-12-07T15:00[Europe/Berlin]");
    assert_eq!(
        series(Repeat::Daily, 10).rule(&monday),
        Rule {
            kind: RuleKind::Daily,
            repeat_interval: 1,
            weekly_days: None,
            monthly_day: None,
            end_times: 10
        }
    );
    let weekly = series(Repeat::Weekly, 6).rule(&monday);
    assert_eq!(
        (
            weekly.kind,
            weekly.repeat_interval,
            weekly.weekly_days.as_deref()
        ),
        (RuleKind::Weekly, 1, Some("2"))
    );
    let biweekly = series(Repeat::Biweekly, 6).rule(&sunday);
    assert_eq!(
        (
            biweekly.kind,
            biweekly.repeat_interval,
            biweekly.weekly_days.as_deref()
        ),
        (RuleKind::Weekly, 2, Some("1")),
        "Zoom counts weekdays from Sunday = 1"
    );
    let monthly = series(Repeat::Monthly, 4).rule(&monday);
    assert_eq!(
        (monthly.kind, monthly.monthly_day, monthly.weekly_days),
        (RuleKind::Monthly, Some(7), None)
    );
    assert_eq!(monthly.end_times, 4);
    assert_eq!(
        [RuleKind::Daily, RuleKind::Weekly, RuleKind::Monthly].map(RuleKind::number),
        [1, 2, 3]
    );
}

#[test]
fn the_weekday_is_the_one_in_the_starts_zone_not_in_utc() {
    // Monday 00:30 in Berlin is still Sunday in UTC.
    let first = zoned("2026-12-07T00:30[Europe/Berlin]");
    let weekly = series(Repeat::Weekly, 2);
    assert_eq!(weekly.rule(&first).weekly_days.as_deref(), Some("2"));
    assert_eq!(weekly.rrule(&first), "FREQ=WEEKLY;BYDAY=MO;COUNT=2");
}

#[test]
fn the_rrule_says_the_same_series() {
    let monday = zoned("2026-12-07T15:00[Europe/Berlin]");
    assert_eq!(
        series(Repeat::Daily, 10).rrule(&monday),
        "FREQ=DAILY;COUNT=10"
    );
    assert_eq!(
        series(Repeat::Weekly, 6).rrule(&monday),
        "FREQ=WEEKLY;BYDAY=MO;COUNT=6"
    );
    assert_eq!(
        series(Repeat::Biweekly, 6).rrule(&monday),
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=6"
    );
    assert_eq!(
        series(Repeat::Monthly, 4).rrule(&monday),
        "FREQ=MONTHLY;BYMONTHDAY=7;COUNT=4"
    );
}

#[test]
fn a_stored_series_reads_back_and_keeps_its_limits() {
    let weekly = series(Repeat::Biweekly, 6);
    let stored = serde_json::to_value(weekly).unwrap();
    assert_eq!(
        stored,
        serde_json::json!({"repeat": "biweekly", "occurrences": 6})
    );
    assert_eq!(serde_json::from_value::<Series>(stored).unwrap(), weekly);
    let tampered = serde_json::json!({"repeat": "weekly", "occurrences": 61});
    let err = serde_json::from_value::<Series>(tampered).unwrap_err();
    assert!(err.to_string().contains("2 to 60"), "{err}");
}
