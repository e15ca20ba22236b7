//! Tests of planning a meeting: precedence, defaults and every limit.

use super::*;

fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn input(topic: &str) -> MeetInput {
    MeetInput {
        topic: topic.to_owned(),
        ..MeetInput::default()
    }
}

#[test]
fn a_bare_topic_gets_the_built_in_defaults() {
    let p = plan(&input(" Weekly sync "), &Defaults::default(), now()).unwrap();
    assert_eq!(p.topic, "Weekly sync");
    assert_eq!(p.length.minutes(), 30);
    assert_eq!(p.start.timestamp(), now());
    assert_eq!(p.zone_source, ZoneSource::Default);
    assert!(p.auto_passcode);
    assert_eq!((p.waiting_room, p.recording), (None, None));
}

#[test]
fn the_command_beats_the_member_which_beats_the_server() {
    let defaults = Defaults {
        member_timezone: Some("America/New_York".to_owned()),
        server: GuildSettings {
            timezone: Some("Asia/Tokyo".to_owned()),
            duration_minutes: Some(50),
            waiting_room: Some(true),
            auto_recording: Some(Recording::Cloud),
            ..GuildSettings::default()
        },
    };
    let mut i = input("t");
    i.when = Some("tomorrow 15:00".to_owned());
    let p = plan(&i, &defaults, now()).unwrap();
    assert_eq!(p.zone_source, ZoneSource::Member);
    assert_eq!(p.start.time_zone().iana_name(), Some("America/New_York"));
    assert_eq!(p.start.hour(), 15);
    assert_eq!(p.length.minutes(), 50);
    assert_eq!(
        (p.waiting_room, p.recording),
        (Some(true), Some(Recording::Cloud))
    );

    i.timezone = Some("Europe/Berlin".to_owned());
    i.duration = Some("1h".to_owned());
    i.waiting_room = Some(false);
    i.recording = Some(Recording::None);
    let p = plan(&i, &defaults, now()).unwrap();
    assert_eq!(p.zone_source, ZoneSource::Command);
    assert_eq!(p.start.time_zone().iana_name(), Some("Europe/Berlin"));
    assert_eq!(p.length.minutes(), 60);
    assert_eq!(
        (p.waiting_room, p.recording),
        (Some(false), Some(Recording::None))
    );

    let server_only = Defaults {
        member_timezone: None,
        ..defaults
    };
    let p = plan(&input("t"), &server_only, now()).unwrap();
    assert_eq!(p.zone_source, ZoneSource::Server);
}

#[test]
fn a_zone_typed_in_when_beats_the_option_and_says_what_it_overrode() {
    let defaults = Defaults {
        member_timezone: Some("Asia/Tokyo".to_owned()),
        ..Defaults::default()
    };
    let mut i = input("t");
    i.when = Some("tomorrow 3pm Europe/London".to_owned());
    i.timezone = Some("America/New_York".to_owned());
    let p = plan(&i, &defaults, now()).unwrap();
    assert_eq!(p.zone_source, ZoneSource::Typed);
    assert_eq!(p.overridden, Some(ZoneSource::Command));
    assert_eq!(p.start.time_zone().iana_name(), Some("Europe/London"));
    assert_eq!(p.start.hour(), 15);
    i.timezone = None;
    i.when = Some("tomorrow 15:00".to_owned());
    let p = plan(&i, &defaults, now()).unwrap();
    assert_eq!((p.zone_source, p.overridden), (ZoneSource::Member, None));
}

#[test]
fn the_locale_settles_slash_dates() {
    let mut i = input("t");
    i.when = Some("12/11 15:00".to_owned());
    i.locale = Some("en-US".to_owned());
    let p = plan(&i, &Defaults::default(), now()).unwrap();
    assert_eq!((p.start.month(), p.start.day()), (12, 11));
    assert!(p.when_note.is_some_and(|n| n.contains("month first")));
    i.locale = Some("en-GB".to_owned());
    let p = plan(&i, &Defaults::default(), now()).unwrap();
    assert_eq!((p.start.month(), p.start.day()), (11, 12));
    i.locale = None;
    assert!(matches!(
        plan(&i, &Defaults::default(), now()),
        Err(PlanError::When(WhenError::Ambiguous { .. }))
    ));
}

#[test]
fn topics_must_have_visible_text_within_zooms_limit() {
    for blank in ["", "   ", "\u{200b}\u{200f}", "\t\n"] {
        assert_eq!(
            plan(&input(blank), &Defaults::default(), now()),
            Err(PlanError::EmptyTopic),
            "{blank:?}"
        );
    }
    assert_eq!(
        plan(&input(&"a".repeat(201)), &Defaults::default(), now()),
        Err(PlanError::TopicTooLong(201))
    );
    assert!(
        plan(&input(&"🎉".repeat(200)), &Defaults::default(), now()).is_ok(),
        "limits count characters"
    );
}

#[test]
fn agendas_and_passcodes_follow_zooms_rules() {
    let mut i = input("t");
    i.agenda = Some("a".repeat(2001));
    assert_eq!(
        plan(&i, &Defaults::default(), now()),
        Err(PlanError::AgendaTooLong(2001))
    );
    for bad in ["12345678901", "pass word", "päss"] {
        let mut i = input("t");
        i.passcode = Some(bad.to_owned());
        assert_eq!(
            plan(&i, &Defaults::default(), now()),
            Err(PlanError::BadPasscode),
            "{bad}"
        );
    }
}

#[test]
fn bad_durations_times_and_zones_are_refused_with_their_own_reason() {
    let mut i = input("t");
    i.duration = Some("25h".to_owned());
    assert!(matches!(
        plan(&i, &Defaults::default(), now()),
        Err(PlanError::Duration(_))
    ));
    let mut i = input("t");
    i.when = Some("yesterday".to_owned());
    assert!(matches!(
        plan(&i, &Defaults::default(), now()),
        Err(PlanError::When(_))
    ));
    let mut i = input("t");
    i.timezone = Some("Mars/Olympus".to_owned());
    assert!(matches!(
        plan(&i, &Defaults::default(), now()),
        Err(PlanError::TimeZone(_))
    ));
}
