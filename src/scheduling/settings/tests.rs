//! The settings table: names, reading, stored format.

use super::*;

#[test]
fn every_field_has_a_name_that_finds_it_again() {
    for field in SettingField::ALL {
        assert_eq!(SettingField::from_name(field.name()), Some(*field));
    }
    assert_eq!(SettingField::from_name("nope"), None);
}

#[test]
fn apply_takes_only_the_fields_that_are_set_and_reset_unsets_one() {
    let mut settings = GuildSettings {
        duration_minutes: Some(45),
        waiting_room: Some(true),
        ..GuildSettings::default()
    };
    settings.apply(&GuildSettings {
        waiting_room: Some(false),
        timezone: Some("Europe/Berlin".into()),
        ..GuildSettings::default()
    });
    assert_eq!(settings.duration_minutes, Some(45));
    assert_eq!(settings.waiting_room, Some(false));
    assert_eq!(settings.timezone.as_deref(), Some("Europe/Berlin"));
    settings.reset(SettingField::Duration);
    assert_eq!(settings.duration_minutes, None);
    assert_eq!(settings.waiting_room, Some(false));
}

/// Written by the code before the settings became one table: every setting set, and a
/// record with two of them. Stored records must keep reading, and be written the same.
const WRITTEN_BEFORE: [&str; 2] = [
    r#"{"dur":45,"tz":"Europe/Berlin","wr":true,"jbh":false,"mue":true,"rec":"cloud","pc":false,"host":"host@example.com","dm":true,"role":1400000000000000077,"cd":{"n":3,"m":60}}"#,
    r#"{"rec":"none","cd":{"n":0,"m":0}}"#,
];

#[test]
fn records_written_before_the_table_read_back_field_by_field_and_write_the_same_bytes() {
    let full: GuildSettings = serde_json::from_str(WRITTEN_BEFORE[0]).expect("reads");
    assert_eq!(
        full,
        GuildSettings {
            duration_minutes: Some(45),
            timezone: Some("Europe/Berlin".into()),
            waiting_room: Some(true),
            join_before_host: Some(false),
            mute_upon_entry: Some(true),
            auto_recording: Some(Recording::Cloud),
            auto_passcode: Some(false),
            host_user: Some("host@example.com".into()),
            dm_host_link: Some(true),
            creator_role: Some(RoleId(1_400_000_000_000_000_077)),
            cooldown: Some(Cooldown {
                count: 3,
                window_minutes: 60
            }),
            events: None,
            recordings: None,
            hosting: None,
            reminder_minutes: None,
        }
    );
    let some: GuildSettings = serde_json::from_str(WRITTEN_BEFORE[1]).expect("reads");
    assert_eq!(
        some,
        GuildSettings {
            auto_recording: Some(Recording::None),
            cooldown: Some(Cooldown::OFF),
            ..GuildSettings::default()
        }
    );
    for (record, written) in [full, some].iter().zip(WRITTEN_BEFORE) {
        assert_eq!(serde_json::to_string(record).expect("writes"), written);
    }
}

#[test]
fn given_values_are_read_and_checked_per_setting() {
    let mut s = GuildSettings::default();
    s.set(SettingField::Duration, &Given::Text(" 1h30m ".into()))
        .expect("a length");
    s.set(SettingField::Passcode, &Given::Text("none".into()))
        .expect("a choice");
    s.set(SettingField::WaitingRoom, &Given::Flag(true))
        .expect("a flag");
    assert_eq!(
        (s.duration_minutes, s.auto_passcode, s.waiting_room),
        (Some(90), Some(false), Some(true))
    );
    assert!(matches!(
        s.set(SettingField::Timezone, &Given::Text("Mars/Olympus".into())),
        Err(SettingError::Plan(PlanError::TimeZone(_)))
    ));
    assert!(matches!(
        s.set(SettingField::Cooldown, &Given::Text("often".into())),
        Err(SettingError::Cooldown(_))
    ));
    assert_eq!(
        s.set(SettingField::WaitingRoom, &Given::Text("yes".into())),
        Err(SettingError::Kind("waiting_room"))
    );
    assert_eq!(s.shown(SettingField::Duration).as_deref(), Some("90 min"));
    assert_eq!(s.shown(SettingField::Cooldown), None);
    assert_eq!(
        SettingField::HostUser.default_shown("me"),
        "`me`".to_owned()
    );
}
