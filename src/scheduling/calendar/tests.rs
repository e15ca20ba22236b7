//! Tests of calendar links and files: Discord's URL limit, RFC 5545 folding and escaping, a series
//! that keeps its wall-clock time, and the files read back by a parser and an RRULE expander.

use icalendar::{Component as _, EventLike as _};
use jiff::SignedDuration;
use jiff::tz::Offset;
use percent_encoding::percent_decode_str;

use super::vtimezone::utc_offset;
use super::*;
use crate::scheduling::recurrence::Repeat;

const JOIN: &str = "https://zoom.us/j/85746065432?pwd=abcDEF123";

fn join() -> JoinLink {
    JoinLink::new(JOIN).unwrap()
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn event() -> CalendarEvent {
    CalendarEvent {
        uid: "85746065432@zoombot".to_owned(),
        stamp: ts("2026-12-01T08:00:00Z"),
        start: ts("2026-12-07T14:00:00Z"),
        end: ts("2026-12-07T14:45:00Z"),
        summary: "Weekly sync".to_owned(),
        description: "Join from Discord".to_owned(),
        location: join(),
        url: None,
        series: None,
    }
}

/// The value of query parameter `key`, decoded.
fn query_value(link: &str, key: &str) -> Option<String> {
    let query = link.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_decode_str(v).decode_utf8().unwrap().into_owned())
    })
}

/// The logical lines of an `.ics`, unfolded.
fn unfolded(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "")
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

#[test]
fn join_links_are_taken_and_host_links_refused() {
    assert_eq!(join().as_str(), JOIN);
    assert!(JoinLink::new("https://discord.com/channels/1/2/3").is_ok());
    for host in [
        "https://zoom.us/s/85746065432?zak=eyJ0eXAi",
        "https://us06web.zoom.us/s/85746065432",
        "https://zoom.us/j/1?ZAK=x",
    ] {
        assert_eq!(JoinLink::new(host), Err(LinkError::HostLink), "{host}");
    }
    for not_a_link in [
        "",
        "zoom.us/j/1",
        "javascript:alert(1)",
        "https://",
        "https://zoom.us/j/1 x",
        "https://a\r\nb",
    ] {
        assert_eq!(
            JoinLink::new(not_a_link),
            Err(LinkError::NotALink),
            "{not_a_link:?}"
        );
    }
}

#[test]
fn a_google_link_carries_the_meeting_in_utc() {
    let link = google_calendar_link(
        "Weekly sync",
        ts("2026-12-07T14:00:00Z"),
        ts("2026-12-07T14:45:00Z"),
        "Agenda: planning & demos",
        &join(),
    );
    assert_eq!(
        link,
        "https://calendar.google.com/calendar/render?action=TEMPLATE\
         &dates=20261207T140000Z/20261207T144500Z\
         &location=https%3A%2F%2Fzoom.us%2Fj%2F85746065432%3Fpwd%3DabcDEF123\
         &text=Weekly%20sync&details=Agenda%3A%20planning%20%26%20demos"
    );
    assert_eq!(query_value(&link, "location").as_deref(), Some(JOIN));
}

#[test]
fn a_google_link_fits_a_discord_button_however_long_the_words() {
    let title = "🎉 Zürich planning ".repeat(20);
    let details = "é".repeat(2000);
    let link = google_calendar_link(
        &title,
        ts("2026-12-07T14:00:00Z"),
        ts("2026-12-07T14:45:00Z"),
        &details,
        &join(),
    );
    assert!(link.len() <= BUTTON_URL_MAX, "{} characters", link.len());
    assert_eq!(query_value(&link, "location").as_deref(), Some(JOIN));
    assert!(link.contains("&dates=20261207T140000Z/20261207T144500Z"));
    // Cut on a character (decoding would fail otherwise) and marked as cut.
    let shown = query_value(&link, "text").unwrap();
    let kept = shown.strip_suffix('…').expect("cut titles end in …");
    assert!(
        title.starts_with(kept) && kept.chars().count() > 10,
        "{shown}"
    );
}

#[test]
fn a_short_title_keeps_room_for_the_details() {
    let details = "a".repeat(600);
    let link = google_calendar_link(
        "Sync",
        ts("2026-12-07T14:00:00Z"),
        ts("2026-12-07T14:45:00Z"),
        &details,
        &join(),
    );
    assert_eq!(link.len(), BUTTON_URL_MAX);
    assert_eq!(query_value(&link, "text").as_deref(), Some("Sync"));
    assert!(query_value(&link, "details").unwrap().ends_with("a…"));
}

#[test]
fn one_meeting_is_a_utc_vevent_with_crlf_lines() {
    let ics = ics(&event());
    assert_eq!(
        ics,
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//zoombot//zoombot {}//EN\r\nCALSCALE:GREGORIAN\r\n\
             METHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:85746065432@zoombot\r\nDTSTAMP:20261201T080000Z\r\n\
             DTSTART:20261207T140000Z\r\nDTEND:20261207T144500Z\r\nSUMMARY:Weekly sync\r\n\
             DESCRIPTION:Join from Discord\r\nLOCATION:https://zoom.us/j/85746065432?pwd=abcDEF123\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "no bare line feeds"
    );
}

#[test]
fn long_lines_fold_at_75_octets_and_never_inside_a_character() {
    let mut e = event();
    e.description = "Ünïcödé 🎉 text, ".repeat(30);
    let ics = ics(&e);
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    let folds = ics.matches("\r\n ").count();
    assert!(folds >= 10, "{folds} folds");
    let description = unfolded(&ics)
        .into_iter()
        .find(|l| l.starts_with("DESCRIPTION:"))
        .unwrap();
    assert_eq!(
        description,
        format!("DESCRIPTION:{}", escape(&e.description))
    );
}

#[test]
fn a_line_of_exactly_75_octets_is_not_folded() {
    let mut out = Lines::default();
    let line = format!("SUMMARY:{}", "x".repeat(67));
    out.line(&line);
    assert_eq!(out.0, format!("{line}\r\n"));
    let mut out = Lines::default();
    out.line(&format!("{line}y"));
    assert_eq!(out.0, format!("{line}\r\n y\r\n"));
}

#[test]
fn text_escapes_backslash_semicolon_comma_and_line_breaks() {
    assert_eq!(escape("a\\b;c,d\ne\r\nf\rg"), "a\\\\b\\;c\\,d\\ne\\nf\\ng");
    assert_eq!(
        escape("bell\u{7}\ttab"),
        "bell\ttab",
        "control characters are dropped, tabs kept"
    );
    assert_eq!(escape("colon: fine"), "colon: fine");
}

#[test]
fn the_file_reads_back_with_every_text_as_written() {
    let mut e = event();
    e.summary = "Q&A; planning, part 2 \\ final".to_owned();
    e.description = format!(
        "Line one\nLine two, with a comma; and more {}",
        "é".repeat(80)
    );
    e.url = Some(JoinLink::new("https://discord.com/channels/1/2/3").unwrap());
    let calendar: icalendar::Calendar = ics(&e).parse().unwrap();
    let read = calendar.events().next().expect("one event");
    assert_eq!(read.get_uid(), Some(e.uid.as_str()));
    assert_eq!(read.get_summary(), Some(e.summary.as_str()));
    assert_eq!(read.get_description(), Some(e.description.as_str()));
    assert_eq!(read.get_location(), Some(JOIN));
    assert_eq!(read.get_url(), Some("https://discord.com/channels/1/2/3"));
}

fn berlin_series(n: i64) -> (Series, Zoned, CalendarEvent) {
    let first: Zoned = "2026-10-12T15:00[Europe/Berlin]".parse().unwrap();
    let series = Series::new(Repeat::Weekly, n).unwrap();
    let mut e = event();
    e.start = first.timestamp();
    e.end = first.timestamp() + SignedDuration::from_mins(45);
    e.series = Some(CalendarSeries::new(&series, &first));
    (series, first, e)
}

#[test]
fn a_series_is_written_in_its_zone_with_the_rrule_and_the_zones_changes() {
    let (_, _, e) = berlin_series(6);
    let lines = unfolded(&ics(&e));
    let has = |l: &str| lines.iter().any(|line| line == l);
    assert!(
        has("DTSTART;TZID=Europe/Berlin:20261012T150000"),
        "{lines:#?}"
    );
    assert!(has("DTEND;TZID=Europe/Berlin:20261012T154500"));
    assert!(has("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6"));
    // In force at the start: summer time since 29 March 2026 02:00 CET.
    let vtimezone: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .skip_while(|l| *l != "BEGIN:VTIMEZONE")
        .take_while(|l| *l != "END:VTIMEZONE")
        .collect();
    assert_eq!(
        vtimezone,
        [
            "BEGIN:VTIMEZONE",
            "TZID:Europe/Berlin",
            "BEGIN:DAYLIGHT",
            "DTSTART:20260329T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            "TZNAME:CEST",
            "END:DAYLIGHT",
            "BEGIN:STANDARD",
            "DTSTART:20261025T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "TZNAME:CET",
            "END:STANDARD",
        ]
    );
    let vtimezone_at = lines.iter().position(|l| l == "BEGIN:VTIMEZONE");
    let vevent_at = lines.iter().position(|l| l == "BEGIN:VEVENT");
    assert!(vtimezone_at < vevent_at, "a VTIMEZONE comes before its use");
}

#[test]
fn a_calendar_app_expanding_the_series_gets_the_same_starts_as_zoom() {
    for repeat in Repeat::ALL {
        for zone in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Sydney",
            "UTC",
        ] {
            let first: Zoned = format!("2026-10-12T15:00[{zone}]").parse().unwrap();
            let series = Series::new(repeat, 12).unwrap();
            let mut e = event();
            e.start = first.timestamp();
            e.end = first.timestamp() + SignedDuration::from_mins(45);
            e.series = Some(CalendarSeries::new(&series, &first));
            let lines = unfolded(&ics(&e));
            let mut vevent = lines.iter().skip_while(|l| *l != "BEGIN:VEVENT");
            let dtstart = vevent.find(|l| l.starts_with("DTSTART")).unwrap();
            let rrule = lines.iter().find(|l| l.starts_with("RRULE:")).unwrap();
            let set: rrule::RRuleSet = format!("{dtstart}\n{rrule}").parse().unwrap();
            let expanded: Vec<Timestamp> = set
                .all(100)
                .dates
                .iter()
                .map(|d| d.to_rfc3339().parse().unwrap())
                .collect();
            let ours = series.occurrences(&first);
            assert_eq!(expanded, ours, "{repeat} in {zone}");
        }
    }
}

#[test]
fn a_utc_series_needs_no_vtimezone() {
    let first: Zoned = "2026-10-12T09:30[UTC]".parse().unwrap();
    let series = Series::new(Repeat::Daily, 3).unwrap();
    let mut e = event();
    e.start = first.timestamp();
    e.end = first.timestamp() + SignedDuration::from_mins(30);
    e.series = Some(CalendarSeries::new(&series, &first));
    let ics = ics(&e);
    assert!(!ics.contains("VTIMEZONE"));
    assert!(ics.contains("\r\nDTSTART:20261012T093000Z\r\n"));
    assert!(ics.contains("\r\nRRULE:FREQ=DAILY;COUNT=3\r\n"));
}

#[test]
fn offsets_are_written_as_rfc_5545_utc_offsets() {
    let offset = |s: i32| Offset::from_seconds(s).unwrap();
    assert_eq!(utc_offset(offset(3600)), "+0100");
    assert_eq!(utc_offset(offset(-(9 * 3600 + 30 * 60))), "-0930");
    assert_eq!(utc_offset(offset(5 * 3600 + 45 * 60)), "+0545");
    assert_eq!(utc_offset(offset(-(17 * 60 + 30))), "-001730");
    assert_eq!(utc_offset(Offset::UTC), "+0000");
}

#[test]
fn cancelled_meetings_of_a_series_are_left_out_of_calendars() {
    let (series, first, e) = berlin_series(4);
    let starts = series.occurrences(&first);
    let mut e = e;
    e.series = e
        .series
        .map(|s| s.without([starts[2], starts[1], starts[2]]));
    let lines = unfolded(&ics(&e));
    let exdate = lines.iter().find(|l| l.starts_with("EXDATE")).unwrap();
    // The 26th is after the end of summer time: still 15:00 local.
    assert_eq!(
        exdate,
        "EXDATE;TZID=Europe/Berlin:20261019T150000,20261026T150000"
    );
    let mut vevent = lines.iter().skip_while(|l| *l != "BEGIN:VEVENT");
    let dtstart = vevent.find(|l| l.starts_with("DTSTART")).unwrap();
    let rrule = lines.iter().find(|l| l.starts_with("RRULE:")).unwrap();
    let set: rrule::RRuleSet = format!("{dtstart}\n{rrule}\n{exdate}").parse().unwrap();
    let expanded: Vec<Timestamp> = set
        .all(100)
        .dates
        .iter()
        .map(|d| d.to_rfc3339().parse().unwrap())
        .collect();
    assert_eq!(expanded, [starts[0], starts[3]]);
}
