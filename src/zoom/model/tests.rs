//! Serialisation of requests (compared with `json!` literals), limits, and tolerant answers.

use serde_json::json;

use super::*;

#[test]
fn a_new_meeting_serialises_as_zoom_expects() {
    let mut m = NewMeeting::new(
        "Weekly sync",
        "2026-12-01T14:00:00.123Z".parse().unwrap(),
        45,
    );
    m.timezone = Some("Europe/Berlin".to_owned());
    m.password = Some(Secret::new("abc123"));
    m.settings.waiting_room = Some(true);
    m.settings.auto_recording = Some(AutoRecording::Cloud);
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({
            "topic": "Weekly sync", "type": 2, "start_time": "2026-12-01T14:00:00Z", "duration": 45,
            "timezone": "Europe/Berlin", "password": "abc123",
            "settings": {"waiting_room": true, "auto_recording": "cloud"}
        })
    );
}

#[test]
fn limits_are_checked_before_sending() {
    let start = "2026-12-01T14:00:00Z".parse().unwrap();
    assert!(NewMeeting::new("ok", start, 30).validate().is_ok());
    let mut m = NewMeeting::new("é".repeat(201), start, 30);
    m.agenda = Some("a".repeat(2001));
    m.password = Some(Secret::new("12345678901"));
    let Err(ZoomError::Invalid { errors, .. }) = m.validate() else {
        panic!("expected Invalid")
    };
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["topic", "agenda", "password"]);
    assert!(
        NewMeeting::new("é".repeat(200), start, 30)
            .validate()
            .is_ok(),
        "limits count characters, not bytes"
    );
}

#[test]
fn passcodes_follow_zooms_character_rules() {
    assert!(valid_passcode("aB3@-_*"));
    assert!(!valid_passcode(""));
    assert!(!valid_passcode("has space"));
    assert!(!valid_passcode("ümlaut"));
}

#[test]
fn responses_tolerate_unknown_fields_and_keep_secrets_wrapped() {
    let m: Meeting = serde_json::from_value(json!({
        "id": 85_746_065_432_i64, "topic": "t", "join_url": "https://zoom.us/j/1", "start_url": "https://zoom.us/s/1?zak=x",
        "password": "p", "something_new": {"a": 1}, "start_time": "2026-12-01T14:00:00Z"
    }))
    .unwrap();
    assert_eq!(m.id, 85_746_065_432);
    assert!(!format!("{m:?}").contains("zak=x"));
}

fn weekly_berlin() -> NewMeeting {
    let first: jiff::Zoned = "2026-12-07T15:00[Europe/Berlin]".parse().unwrap();
    let series = Series::new(Repeat::Biweekly, 6).unwrap();
    NewMeeting::recurring(
        "Weekly sync",
        first.timestamp(),
        45,
        "Europe/Berlin",
        Recurrence::from(&series.rule(&first)),
    )
}

use crate::scheduling::recurrence::{Repeat, Series};

#[test]
fn a_recurring_meeting_serialises_as_zoom_expects() {
    assert_eq!(
        serde_json::to_value(weekly_berlin()).unwrap(),
        json!({
            "topic": "Weekly sync", "type": 8, "start_time": "2026-12-07T14:00:00Z", "duration": 45,
            "timezone": "Europe/Berlin", "settings": {},
            "recurrence": {"type": 2, "repeat_interval": 2, "weekly_days": "2", "end_times": 6}
        })
    );
    assert!(weekly_berlin().validate().is_ok());
}

#[test]
fn every_series_the_domain_makes_passes_the_checks() {
    let first: jiff::Zoned = "2026-12-03T09:30[America/New_York]".parse().unwrap();
    for repeat in Repeat::ALL {
        for n in [2, 60] {
            let rule = Series::new(repeat, n).unwrap().rule(&first);
            let m = NewMeeting::recurring(
                "t",
                first.timestamp(),
                30,
                "America/New_York",
                Recurrence::from(&rule),
            );
            assert!(m.validate().is_ok(), "{repeat} {n}: {:?}", m.validate());
        }
    }
    let monthly = Recurrence::from(&Series::new(Repeat::Monthly, 3).unwrap().rule(&first));
    assert_eq!(
        serde_json::to_value(monthly).unwrap(),
        json!({"type": 3, "repeat_interval": 1, "monthly_day": 3, "end_times": 3})
    );
}

fn invalid_fields(m: &NewMeeting) -> Vec<String> {
    match m.validate() {
        Err(ZoomError::Invalid { errors, .. }) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_series_is_checked_against_zooms_spec_before_sending() {
    let mut m = weekly_berlin();
    m.recurrence = None;
    assert_eq!(invalid_fields(&m), ["recurrence"]);

    for end_times in [Some(0), Some(61), None] {
        let mut m = weekly_berlin();
        m.recurrence.as_mut().unwrap().end_times = end_times;
        assert_eq!(
            invalid_fields(&m),
            ["recurrence.end_times"],
            "{end_times:?}"
        );
    }

    let mut m = weekly_berlin();
    m.timezone = None;
    assert_eq!(invalid_fields(&m), ["timezone"]);

    let mut m = weekly_berlin();
    let r = m.recurrence.as_mut().unwrap();
    r.weekly_days = Some("0,8".to_owned());
    r.repeat_interval = Some(51);
    r.monthly_day = Some(3);
    assert_eq!(
        invalid_fields(&m),
        [
            "recurrence.repeat_interval",
            "recurrence.weekly_days",
            "recurrence.monthly_day"
        ]
    );

    let mut m = weekly_berlin();
    m.recurrence.as_mut().unwrap().kind = 3;
    let fields = invalid_fields(&m);
    assert_eq!(fields, ["recurrence.weekly_days", "recurrence.monthly_day"]);

    let mut m = weekly_berlin();
    m.recurrence.as_mut().unwrap().kind = 4;
    assert_eq!(invalid_fields(&m), ["recurrence.type"]);
}

#[test]
fn a_single_meeting_stays_type_2_and_takes_no_recurrence() {
    let start = "2026-12-01T14:00:00Z".parse().unwrap();
    let mut m = NewMeeting::new("t", start, 30);
    assert_eq!(m.kind, SCHEDULED);
    assert!(
        serde_json::to_value(&m)
            .unwrap()
            .get("recurrence")
            .is_none()
    );
    m.recurrence = weekly_berlin().recurrence;
    assert_eq!(invalid_fields(&m), ["recurrence"]);
    m.recurrence = None;
    m.kind = 3;
    assert_eq!(invalid_fields(&m), ["type"]);
}

#[test]
fn a_series_answer_reads_its_occurrences_and_recurrence() {
    let m: Meeting = serde_json::from_value(json!({
        "id": 85_746_065_432_i64, "topic": "t", "type": 8, "join_url": "https://zoom.us/j/1",
        "start_time": "2026-12-07T14:00:00Z", "timezone": "Europe/Berlin",
        "recurrence": {"type": 2, "repeat_interval": 1, "weekly_days": "2", "end_times": 3, "monthly_week": 1},
        "occurrences": [
            {"occurrence_id": "1796652000000", "start_time": "2026-12-07T14:00:00Z", "duration": 45, "status": "available"},
            {"occurrence_id": "1797256800000", "start_time": "2026-12-14T14:00:00Z", "duration": 45, "status": "deleted"},
            {"occurrence_id": "1797861600000", "start_time": "2026-12-21T14:00:00Z", "status": "paused"}
        ]
    }))
    .unwrap();
    let statuses: Vec<_> = m.occurrences.iter().map(|o| o.status).collect();
    assert_eq!(
        statuses,
        [
            OccurrenceStatus::Available,
            OccurrenceStatus::Deleted,
            OccurrenceStatus::Other
        ]
    );
    assert_eq!(m.occurrences[1].occurrence_id, "1797256800000");
    assert_eq!(m.occurrences[2].duration, None);
    assert_eq!(m.recurrence.unwrap().end_times, Some(3));

    let single: Meeting =
        serde_json::from_value(json!({"id": 1, "join_url": "https://zoom.us/j/1"})).unwrap();
    assert!(single.occurrences.is_empty() && single.recurrence.is_none());
}

#[test]
fn a_reschedule_sends_only_the_new_start_and_length() {
    let update = MeetingUpdate::reschedule("2026-12-08T16:30:00.5Z".parse().unwrap(), 60);
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"start_time": "2026-12-08T16:30:00Z", "duration": 60})
    );
    assert!(update.validate().is_ok());
    let series = MeetingUpdate {
        recurrence: weekly_berlin().recurrence,
        ..update
    };
    assert_eq!(
        serde_json::to_value(&series).unwrap()["recurrence"],
        json!({"type": 2, "repeat_interval": 2, "weekly_days": "2", "end_times": 6})
    );
    let mut broken = series.clone();
    broken.recurrence.as_mut().unwrap().end_times = Some(61);
    broken.duration = Some(0);
    assert!(
        matches!(broken.validate(), Err(ZoomError::Invalid { errors, .. }) if errors.len() == 2)
    );
}
