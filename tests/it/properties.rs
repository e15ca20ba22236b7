//! Properties of the pure parts, checked on generated input: the parsers never panic and read back
//! what they are given, and stored records read back exactly (or are refused by name).

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use zoombot::ids::{ChannelId, GuildId, MemberId, MessageId, RoleId};
use zoombot::scheduling::plan::Recording;
use zoombot::scheduling::{
    Cooldown, DurationError, MeetingLength, WhenContext, WhenError, canonical, parse_duration,
    parse_when, read_when, suggest_when,
};
use zoombot::store::codec::{VERSION, decode, encode};
use zoombot::store::{GuildSettings, MeetingRecord, MemberPrefs, StoreError};

/// Enough cases to find edge cases, few enough that the file runs in seconds in a debug build.
const CASES: u32 = 256;

/// How far ahead a start may be, and how far back "now" may be: as `parse_when` documents.
const HORIZON_SECS: i64 = 365 * 24 * 3600;
const SLACK_SECS: i64 = 60;

/// Zones with and without daylight saving, half-hour and 45-minute offsets, southern summers,
/// a 30-minute DST shift (Lord Howe) and a zone that once skipped a whole day (Apia).
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Apia",
];

/// Zones that change their clocks every year.
const DST_ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
];

fn on_the_minute(at: DateTime) -> DateTime {
    at.round(jiff::Unit::Minute)
        .expect("far from jiff's limits")
}

/// "YYYY-MM-DD HH:MM" typed at `now` in `tz` is that wall-clock time; in a gap it is refused
/// naming it, and in a fold it is the earlier instant (refused if that one has passed).
fn wall_clock_reads_back(
    now: Timestamp,
    tz: &TimeZone,
    wanted: DateTime,
) -> Result<(), TestCaseError> {
    let typed = wanted.strftime("%Y-%m-%d %H:%M").to_string();
    let read = parse_when(&typed, now, tz);
    let ambiguous = tz.to_ambiguous_zoned(wanted);
    match ambiguous.offset() {
        AmbiguousOffset::Gap { .. } => prop_assert!(
            matches!(read, Err(WhenError::Gap { local, .. }) if local == wanted),
            "{typed} in a gap: {read:?}"
        ),
        AmbiguousOffset::Fold { .. } => {
            let earlier = ambiguous.earlier().expect("resolves");
            if earlier.timestamp().duration_since(now) < SignedDuration::from_secs(-SLACK_SECS) {
                prop_assert!(
                    matches!(read, Err(WhenError::InPast { .. })),
                    "{typed}: {read:?}"
                );
            } else {
                prop_assert_eq!(
                    read.map(|s| s.timestamp()),
                    Ok(earlier.timestamp()),
                    "{}",
                    typed
                );
            }
        }
        AmbiguousOffset::Unambiguous { .. } => {
            let start = read.map_err(|e| TestCaseError::fail(format!("{typed} at {now}: {e}")))?;
            prop_assert_eq!(start.datetime(), wanted, "{}", typed);
            prop_assert_eq!(start.time_zone(), tz);
        }
    }
    Ok(())
}

fn zone() -> impl Strategy<Value = TimeZone> {
    prop::sample::select(ZONES).prop_map(|name| TimeZone::get(name).expect("a bundled zone"))
}

/// An instant between 2000 and 2100, whole seconds.
fn now() -> impl Strategy<Value = Timestamp> {
    (946_684_800_i64..4_102_444_800).prop_map(|s| Timestamp::from_second(s).expect("in range"))
}

/// Text made of the words and digits the parsers look for, so generated input gets past the first
/// check more often than arbitrary strings do.
fn wordy() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("in".to_owned()),
        Just("at".to_owned()),
        Just("now".to_owned()),
        Just("today".to_owned()),
        Just("tomorrow".to_owned()),
        Just("next".to_owned()),
        Just("fri".to_owned()),
        Just("sunday".to_owned()),
        Just("am".to_owned()),
        Just("pm".to_owned()),
        Just("h".to_owned()),
        Just("m".to_owned()),
        Just("min".to_owned()),
        Just("days".to_owned()),
        Just("years".to_owned()),
        Just(":".to_owned()),
        Just("-".to_owned()),
        Just("T".to_owned()),
        Just("Z".to_owned()),
        Just("+05:30".to_owned()),
        Just("noon".to_owned()),
        Just("midnight".to_owned()),
        Just("tonight".to_owned()),
        Just("this".to_owned()),
        Just("dec".to_owned()),
        Just("24th".to_owned()),
        Just("24.12.".to_owned()),
        Just("12/11".to_owned()),
        Just("half an hour".to_owned()),
        Just("o'clock".to_owned()),
        Just("ET".to_owned()),
        Just("EST".to_owned()),
        Just("Europe/London".to_owned()),
        Just("UTC+2".to_owned()),
        Just("\u{200f}".to_owned()),
        "[0-9]{1,25}",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}",
        "[0-9]{1,2}:[0-9]{2}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec((word, prop_oneof![Just(""), Just(" ")]), 0..8)
        .prop_map(|parts| parts.into_iter().map(|(w, sep)| w + sep).collect())
}

fn input() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), wordy()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn duration_parsing_never_panics_and_accepts_only_1_minute_to_24_hours(text in input()) {
        if let Ok(length) = parse_duration(&text) {
            prop_assert!((1..=1440).contains(&length.minutes()), "{text:?} → {length:?}");
        }
    }

    #[test]
    fn every_minute_count_reads_back_from_its_usual_spellings(m in 1_u32..=1440) {
        let (h, mm) = (m / 60, m % 60);
        let mut spellings = vec![
            format!("{m}"),
            format!("{m}m"),
            format!("{m} min"),
            format!("{m} minutes"),
            format!("{}s", m * 60),
            humantime::format_duration(std::time::Duration::from_secs(u64::from(m) * 60)).to_string(),
        ];
        if h > 0 {
            spellings.push(format!("{h}h{mm:02}m"));
            spellings.push(format!("{h}h {mm}m"));
            spellings.push(format!("{h}H{mm}M"));
            if mm == 0 {
                spellings.push(format!("{h}h"));
                spellings.push(format!("{h} hours"));
            }
        }
        for text in spellings {
            prop_assert_eq!(parse_duration(&text).map(MeetingLength::minutes), Ok(m), "{:?}", text);
        }
    }

    #[test]
    fn lengths_beyond_24_hours_are_too_long(m in 1441_u64..=u64::MAX / 60) {
        for text in [format!("{m}"), format!("{m}m"), format!("{m} minutes")] {
            prop_assert!(
                matches!(parse_duration(&text), Err(DurationError::TooLong { .. })),
                "{text:?}: {:?}", parse_duration(&text)
            );
        }
    }

    #[test]
    fn lengths_under_a_minute_or_between_minutes_are_refused(s in 1_u64..=86_400) {
        let read = parse_duration(&format!("{s}s"));
        match s {
            1..=59 => prop_assert!(matches!(read, Err(DurationError::TooShort { .. })), "{s}s: {read:?}"),
            _ if s % 60 != 0 => prop_assert!(
                matches!(read, Err(DurationError::NotWholeMinutes { minutes, .. }) if minutes == s / 60),
                "{s}s: {read:?}"
            ),
            _ => prop_assert_eq!(read.map(|l| u64::from(l.minutes())), Ok(s / 60)),
        }
    }

    #[test]
    fn time_parsing_never_panics_and_keeps_every_start_within_its_bounds(
        text in input(),
        now in now(),
        tz in zone(),
    ) {
        let context = WhenContext { now, zone: &tz, locale: None };
        if let Ok(when) = read_when(&text, &context) {
            let start = when.start;
            let ahead = start.timestamp().duration_since(now);
            prop_assert!(ahead >= SignedDuration::from_secs(-SLACK_SECS), "{text:?} at {now}: {start}");
            prop_assert!(ahead <= SignedDuration::from_secs(HORIZON_SECS), "{text:?} at {now}: {start}");
            // Only a zone typed in the text moves the start out of the member's zone.
            if when.typed_zone.is_none() {
                prop_assert_eq!(start.time_zone(), &tz);
            }
            // Every accepted text, printed back in canonical form, reads to the same instant.
            let printed = canonical(&start);
            let again = read_when(&printed, &context).map(|w| w.start.timestamp());
            prop_assert_eq!(again, Ok(start.timestamp()), "{:?} → {}", text, printed);
        }
    }

    #[test]
    fn a_future_local_date_and_time_reads_back_as_that_wall_clock_time(
        now in now(),
        tz in zone(),
        // From 2 minutes to 364 days ahead on the wall clock: inside the year even after a DST
        // shift, and past the one-minute slack.
        minutes_ahead in 2_i64..=364 * 24 * 60,
    ) {
        let wall_now = now.to_zoned(tz.clone()).datetime();
        let wanted = on_the_minute(wall_now + SignedDuration::from_mins(minutes_ahead));
        wall_clock_reads_back(now, &tz, wanted)?;
    }

    #[test]
    fn local_times_next_to_a_clock_change_read_back_or_are_refused_by_its_rules(
        now in now(),
        tz in prop::sample::select(DST_ZONES).prop_map(|name| TimeZone::get(name).expect("a bundled zone")),
        nth in 0_usize..2,
        minutes_off in -120_i64..=120,
    ) {
        // Uniform times rarely hit the hour a year that is skipped or repeated: aim at it.
        let change = tz.following(now).nth(nth).expect("these zones change their clocks every year");
        let just_before = (change.timestamp() - SignedDuration::from_secs(1)).to_zoned(tz.clone()).datetime();
        let wanted = on_the_minute(just_before + SignedDuration::from_secs(1) + SignedDuration::from_mins(minutes_off));
        let wall_now = now.to_zoned(tz.clone()).datetime();
        prop_assume!(wanted >= wall_now + SignedDuration::from_mins(2));
        prop_assume!(wanted <= wall_now + SignedDuration::from_hours(364 * 24));
        wall_clock_reads_back(now, &tz, wanted)?;
    }

    #[test]
    fn phrases_members_write_print_back_canonically_to_the_same_instant(
        now in now(),
        tz in zone(),
        locale in prop::sample::select(&[None, Some("en-US"), Some("de")][..]),
        day in prop::sample::select(&["", "today", "tonight", "tomorrow", "the day after tomorrow",
            "friday", "on monday", "this sunday", "next wed", "dec 24", "24 December", "24.12.",
            "3/4", "2027-01-15", "in 2 days at"][..]),
        time in prop::sample::select(&["9am", "9:30 p.m.", "15:00", "noon", "midnight", "at 9",
            "8 o'clock", "11:59pm", "12am", "7pm", "00:01"][..]),
        typed_zone in prop::sample::select(&["", "ET", "PDT", "CEST", "UTC", "utc+2", "+05:30",
            "Europe/London", "asia/tokyo", "GMT-3"][..]),
        time_first in any::<bool>(),
    ) {
        let phrase = if time_first { format!("{time} {day} {typed_zone}") } else { format!("{day} {time} {typed_zone}") };
        let context = WhenContext { now, zone: &tz, locale };
        if let Ok(when) = read_when(&phrase, &context) {
            let printed = canonical(&when.start);
            let again = read_when(&printed, &context).map(|w| w.start);
            prop_assert_eq!(again.as_ref().map(jiff::Zoned::timestamp), Ok(when.start.timestamp()), "{:?} → {}", phrase, printed);
            prop_assert_eq!(again.map(|z| z.time_zone().clone()), Ok(when.start.time_zone().clone()), "{}", printed);
        }
    }

    #[test]
    fn every_autocomplete_choice_reads_back_to_the_instant_its_name_shows(
        now in now(),
        tz in zone(),
        text in input(),
    ) {
        let context = WhenContext { now, zone: &tz, locale: Some("en-GB") };
        let choices = suggest_when(&text, &context);
        prop_assert!(choices.len() <= 3);
        for choice in choices {
            prop_assert!(choice.name.chars().count() <= 100 && choice.value.chars().count() <= 100, "{:?}", choice);
            if let Some((_, shown)) = choice.name.split_once(" → ") {
                let start = read_when(&choice.value, &context).map_err(|e| TestCaseError::fail(format!("{choice:?}: {e}")))?.start;
                let minute = start.strftime("%-d %b").to_string();
                prop_assert!(shown.contains(&minute) && shown.contains(&start.strftime("%H:%M").to_string()), "{:?} vs {}", choice, start);
                if choice.value != "now" {
                    prop_assert_eq!(canonical(&start), choice.value.clone());
                }
            }
        }
    }

    #[test]
    fn an_rfc_3339_instant_within_the_year_reads_back_as_that_instant(
        now in now(),
        tz in zone(),
        written_in in zone(),
        seconds_ahead in 0_i64..=HORIZON_SECS,
        millis in prop_oneof![Just(None), (0_i32..1000).prop_map(Some)],
    ) {
        let mut instant = now + SignedDuration::from_secs(seconds_ahead);
        let typed = match millis {
            // At the horizon a fraction would be past it.
            Some(ms) if seconds_ahead < HORIZON_SECS => {
                instant += SignedDuration::from_millis(i64::from(ms));
                instant.to_zoned(written_in).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
            }
            _ => instant.to_zoned(written_in).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        };
        let read = parse_when(&typed, now, &tz).map(|s| s.timestamp());
        prop_assert_eq!(read, Ok(instant), "{}", typed);
        let utc = instant.strftime("%Y-%m-%dT%H:%M:%S%.fZ").to_string();
        prop_assert_eq!(parse_when(&utc, now, &tz).map(|s| s.timestamp()), Ok(instant), "{}", utc);
    }
}

fn recording() -> impl Strategy<Value = Recording> {
    prop_oneof![
        Just(Recording::None),
        Just(Recording::Local),
        Just(Recording::Cloud)
    ]
}

fn guild_settings() -> impl Strategy<Value = GuildSettings> {
    (
        (
            any::<Option<u32>>(),
            any::<Option<String>>(),
            any::<Option<bool>>(),
            any::<Option<bool>>(),
            any::<Option<bool>>(),
        ),
        (
            prop::option::of(recording()),
            any::<Option<bool>>(),
            any::<Option<String>>(),
            any::<Option<bool>>(),
            any::<Option<u64>>(),
        ),
        (
            any::<Option<(u32, u32)>>(),
            any::<Option<bool>>(),
            any::<Option<u32>>(),
        ),
    )
        .prop_map(
            |(
                (duration_minutes, timezone, waiting_room, join_before_host, mute_upon_entry),
                (auto_recording, auto_passcode, host_user, dm_host_link, creator_role),
                (cooldown, events, reminder_minutes),
            )| GuildSettings {
                duration_minutes,
                timezone,
                waiting_room,
                join_before_host,
                mute_upon_entry,
                auto_recording,
                auto_passcode,
                host_user,
                dm_host_link,
                creator_role: creator_role.map(RoleId),
                cooldown: cooldown.map(|(count, window_minutes)| Cooldown {
                    count,
                    window_minutes,
                }),
                events,
                recordings: None,
                hosting: None,
                reminder_minutes,
            },
        )
}

fn member_prefs() -> impl Strategy<Value = MemberPrefs> {
    any::<Option<String>>().prop_map(|timezone| MemberPrefs { timezone })
}

/// Any instant jiff can represent, to the nanosecond.
fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        Timestamp::MIN.as_second()..=Timestamp::MAX.as_second(),
        0_i32..1_000_000_000,
    )
        .prop_filter_map("within jiff's range", |(s, ns)| Timestamp::new(s, ns).ok())
}

fn meeting_record() -> impl Strategy<Value = MeetingRecord> {
    (
        (
            any::<u64>(),
            any::<u64>(),
            any::<Option<u64>>(),
            any::<u64>(),
            any::<i64>(),
        ),
        (
            any::<String>(),
            timestamp(),
            any::<u32>(),
            any::<String>(),
            any::<bool>(),
            proptest::option::of(any::<String>()),
            proptest::option::of(timestamp()),
        ),
        (
            any::<Option<u64>>(),
            proptest::option::of(timestamp()),
            proptest::option::of(timestamp()),
        ),
    )
        .prop_map(
            |(
                (guild, channel, message, creator, zoom_id),
                (topic, start, duration_minutes, timezone, cancelled, uuid, created_at),
                (event, reminder_due, reminded),
            )| MeetingRecord {
                guild: GuildId(guild),
                channel: ChannelId(channel),
                message: message.map(MessageId),
                creator: MemberId(creator),
                zoom_id,
                topic,
                start,
                duration_minutes,
                timezone,
                cancelled,
                uuid,
                created_at,
                event,
                reminder_due,
                reminded,
                reminder_minutes: None,
                series: None,
                skipped: Vec::new(),
                event_at: reminder_due,
                held: None,
                member_host: false,
            },
        )
}

/// A JSON value of any shape, a few levels deep.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z]{1,4}|v|d|dur|tz", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bytes that are sometimes JSON, sometimes almost, sometimes anything.
fn stored_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<Vec<u8>>(),
        json_value().prop_map(|v| serde_json::to_vec(&v).expect("serialises")),
        (any::<u64>(), json_value()).prop_map(|(v, d)| serde_json::to_vec(
            &serde_json::json!({"v": v, "d": d})
        )
        .expect("serialises")),
        (json_value(), any::<usize>()).prop_map(|(v, cut)| {
            let mut bytes =
                serde_json::to_vec(&serde_json::json!({"v": 1, "d": v})).expect("serialises");
            bytes.truncate(cut % (bytes.len() + 1));
            bytes
        }),
    ]
}

/// Decoding never panics and fails only as Corrupt or `NewerVersion`.
fn decodes_or_is_refused<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    match decode::<T>("record", bytes) {
        Ok(_) | Err(StoreError::Corrupt { .. } | StoreError::NewerVersion { .. }) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!("{other:?}"))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn guild_settings_read_back_exactly(settings in guild_settings()) {
        let read = decode::<GuildSettings>("settings", &encode(&settings));
        prop_assert_eq!(read.map_err(|e| e.to_string()), Ok(settings));
    }

    #[test]
    fn member_prefs_read_back_exactly(prefs in member_prefs()) {
        let read = decode::<MemberPrefs>("member preference", &encode(&prefs));
        prop_assert_eq!(read.map_err(|e| e.to_string()), Ok(prefs));
    }

    #[test]
    fn meeting_records_read_back_exactly(record in meeting_record()) {
        let read = decode::<MeetingRecord>("meeting", &encode(&record));
        prop_assert_eq!(read.map_err(|e| e.to_string()), Ok(record));
    }

    #[test]
    fn decoding_any_bytes_never_panics_and_fails_only_as_corrupt_or_newer(bytes in stored_bytes()) {
        decodes_or_is_refused::<GuildSettings>(&bytes)?;
        decodes_or_is_refused::<MemberPrefs>(&bytes)?;
        decodes_or_is_refused::<MeetingRecord>(&bytes)?;
    }

    #[test]
    fn a_record_from_a_newer_version_is_refused_as_newer_whatever_it_holds(
        version in u64::from(VERSION) + 1..=u64::MAX,
        data in prop_oneof![
            json_value().prop_map(Some),
            guild_settings().prop_map(|s| Some(serde_json::to_value(s).expect("serialises"))),
            Just(None),
        ],
    ) {
        let mut record = serde_json::json!({"v": version});
        if let Some(data) = data {
            record["d"] = data;
        }
        let bytes = serde_json::to_vec(&record).expect("serialises");
        for read in [
            decode::<GuildSettings>("settings", &bytes).err(),
            decode::<MemberPrefs>("member preference", &bytes).err(),
            decode::<MeetingRecord>("meeting", &bytes).err(),
        ] {
            prop_assert!(
                matches!(read, Some(StoreError::NewerVersion { version: v, supported: VERSION, .. }) if v == version),
                "{record}: {read:?}"
            );
        }
    }
}
