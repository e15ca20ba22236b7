//! Add-to-calendar: a Google Calendar template link that fits a Discord button, and an RFC 5545
//! `.ics` file.
//!
//! The `.ics` writer is ours, not the `icalendar` crate's: that crate builds on chrono (the bot
//! reads time with jiff), pulls in uuid and a nom parser, writes no VTIMEZONE — and a series needs
//! one, because RRULE repeats in DTSTART's zone and a UTC DTSTART would move every meeting after a
//! change of summer time by an hour. What an event needs from RFC 5545 is small: CRLF lines folded
//! at 75 octets, TEXT escaping, and the components below. The tests read the output back with that
//! crate's parser and expand the RRULE with the `rrule` crate.
//!
//! Everything these write is shown to whoever gets the link or the file, so the only link they
//! take is a [`JoinLink`], which refuses Zoom host links (start links carry the host's `zak`).

use std::fmt::Write as _;

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::recurrence::Series;

mod vtimezone;

/// Discord's limit on a link button's URL.
pub const BUTTON_URL_MAX: usize = 512;

/// The only link calendar entries take: one every attendee may see, like a meeting's join link.
/// Zoom's host link (`start_url`, `/s/…?zak=…`) is refused, so it cannot end up in a calendar by
/// mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinLink(String);

/// Why a link was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error(
        "that is a Zoom host link (it starts the meeting as host); use the meeting's join link"
    )]
    HostLink,
    #[error("a calendar link must be an https:// or http:// address without spaces")]
    NotALink,
}

impl JoinLink {
    /// A link to put in calendar entries; refuses host links and anything that is not a plain
    /// http(s) address.
    pub fn new(url: impl Into<String>) -> Result<Self, LinkError> {
        let url = url.into();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or(LinkError::NotALink)?;
        if rest.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(LinkError::NotALink);
        }
        let path = rest.split(['?', '#']).next().unwrap_or_default();
        let lowered = url.to_ascii_lowercase();
        // Zoom's start links are `/s/{id}` and carry the host's key as `zak`.
        if lowered.contains("zak=") || path.split('/').nth(1) == Some("s") {
            return Err(LinkError::HostLink);
        }
        Ok(Self(url))
    }

    /// The link.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Query values keep RFC 3986's unreserved characters only.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Where a shortened text ends: "…" as a query value.
const ELLIPSIS: &str = "…";

/// A Google Calendar "add event" link for one meeting, at most [`BUTTON_URL_MAX`] characters:
/// the title, then the details, are cut (ending in "…") to fit; the join link is the location.
/// `details` is shown to whoever opens the link: never put a host link in it.
pub fn google_calendar_link(
    title: &str,
    start: Timestamp,
    end: Timestamp,
    details: &str,
    join: &JoinLink,
) -> String {
    let mut link = format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&dates={}/{}",
        utc_basic(start),
        utc_basic(end)
    );
    let location = format!("&location={}", encode(join.as_str()));
    // A title of at least a few characters matters more than the location of an absurdly long link.
    if link.len() + location.len() + "&text=".len() + 40 <= BUTTON_URL_MAX {
        link.push_str(&location);
    }
    for (key, text) in [("text", title), ("details", details)] {
        let budget = BUTTON_URL_MAX.saturating_sub(link.len() + key.len() + 2);
        let value = encode_within(text.trim(), budget);
        if !value.is_empty() {
            // Writing to a String cannot fail.
            let _ = write!(link, "&{key}={value}");
        }
    }
    link
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// `text` encoded, cut on a character so that it (with "…" when cut) takes at most `budget`.
fn encode_within(text: &str, budget: usize) -> String {
    let whole = encode(text);
    if whole.len() <= budget {
        return whole;
    }
    let ellipsis = encode(ELLIPSIS);
    let mut out = String::new();
    let mut buf = [0; 4];
    for c in text.chars() {
        let piece = encode(c.encode_utf8(&mut buf));
        if out.len() + piece.len() + ellipsis.len() > budget {
            break;
        }
        out.push_str(&piece);
    }
    if out.is_empty() {
        return out;
    }
    out + &ellipsis
}

/// `YYYYMMDDTHHMMSSZ`, the UTC form of RFC 5545 and Google's template.
fn utc_basic(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A meeting as a calendar event.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEvent {
    /// Stays the same for the same meeting, so a second import updates the first.
    pub uid: String,
    /// When this file was made.
    pub stamp: Timestamp,
    /// The (first) meeting's start.
    pub start: Timestamp,
    /// The (first) meeting's end.
    pub end: Timestamp,
    /// The title.
    pub summary: String,
    /// The text shown with it; seen by everyone the file reaches, so never a host link.
    pub description: String,
    /// The join link, written as the location.
    pub location: JoinLink,
    /// A page about the event (the join link, or the Discord message's).
    pub url: Option<JoinLink>,
    /// Set for a meeting series.
    pub series: Option<CalendarSeries>,
}

/// A series as a calendar repeats it: the RRULE and the zone it repeats in, taken together from
/// the series so they cannot disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarSeries {
    rrule: String,
    zone: TimeZone,
    last_start: Timestamp,
    cancelled: Vec<Timestamp>,
}

impl CalendarSeries {
    /// `series` starting at `first`, repeated in `first`'s zone.
    pub fn new(series: &Series, first: &Zoned) -> Self {
        let last_start = series
            .occurrences(first)
            .last()
            .copied()
            .unwrap_or(first.timestamp());
        Self {
            rrule: series.rrule(first),
            zone: first.time_zone().clone(),
            last_start,
            cancelled: Vec::new(),
        }
    }

    /// The series without the meetings that start at `cancelled` (occurrences deleted in Zoom):
    /// calendars leave them out (EXDATE) instead of showing meetings that will not happen.
    #[must_use]
    pub fn without(mut self, cancelled: impl IntoIterator<Item = Timestamp>) -> Self {
        self.cancelled.extend(cancelled);
        self.cancelled.sort_unstable();
        self.cancelled.dedup();
        self
    }

    /// The RRULE value.
    pub fn rrule(&self) -> &str {
        &self.rrule
    }

    /// The zone DTSTART is written in, with its name: none for UTC (or a zone without a name),
    /// where the UTC form repeats the same.
    fn named_zone(&self) -> Option<&str> {
        self.zone.iana_name().filter(|name| *name != "UTC")
    }
}

/// The event as an `.ics` file (RFC 5545): CRLF lines folded at 75 octets, TEXT escaped. One
/// meeting is written in UTC; a series in its zone, with that zone's VTIMEZONE, so every meeting
/// keeps its wall-clock time across changes of summer time.
pub fn ics(event: &CalendarEvent) -> String {
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line(concat!(
        "PRODID:-//zoombot//zoombot ",
        env!("CARGO_PKG_VERSION"),
        "//EN"
    ));
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    let zone = event
        .series
        .as_ref()
        .and_then(|s| Some((s, s.named_zone()?)));
    if let Some((series, name)) = zone {
        vtimezone::vtimezone(&mut out, series, name, event.start, event.end);
    }
    out.line("BEGIN:VEVENT");
    out.line(&format!("UID:{}", escape(&event.uid)));
    out.line(&format!("DTSTAMP:{}", utc_basic(event.stamp)));
    // A series' times are local to its zone (RRULE repeats there); anything else is UTC.
    let written = |at: Timestamp| match zone {
        Some((series, _)) => at
            .to_zoned(series.zone.clone())
            .strftime("%Y%m%dT%H%M%S")
            .to_string(),
        None => utc_basic(at),
    };
    let tzid = zone.map_or_else(String::new, |(_, name)| format!(";TZID={}", param(name)));
    out.line(&format!("DTSTART{tzid}:{}", written(event.start)));
    out.line(&format!("DTEND{tzid}:{}", written(event.end)));
    if let Some(series) = &event.series {
        out.line(&format!("RRULE:{}", series.rrule));
        if !series.cancelled.is_empty() {
            let dates: Vec<String> = series.cancelled.iter().map(|t| written(*t)).collect();
            out.line(&format!("EXDATE{tzid}:{}", dates.join(",")));
        }
    }
    out.line(&format!("SUMMARY:{}", escape(&event.summary)));
    if !event.description.is_empty() {
        out.line(&format!("DESCRIPTION:{}", escape(&event.description)));
    }
    out.line(&format!("LOCATION:{}", escape(event.location.as_str())));
    if let Some(url) = &event.url {
        out.line(&format!("URL:{}", url.as_str()));
    }
    out.line("END:VEVENT");
    out.line("END:VCALENDAR");
    out.0
}

/// A parameter value, quoted when it holds what would end it (IANA names never do).
fn param(value: &str) -> String {
    if value.contains([':', ';', ',']) {
        format!("\"{}\"", value.replace('"', ""))
    } else {
        value.to_owned()
    }
}

/// RFC 5545 TEXT: `\`, `;`, `,` and line breaks escaped; other control characters, which TEXT
/// may not hold, dropped.
fn escape(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Content lines, each folded and ended with CRLF.
#[derive(Default)]
struct Lines(String);

/// RFC 5545 §3.1: lines SHOULD be no longer than 75 octets, excluding the line break.
const LINE_OCTETS: usize = 75;

impl Lines {
    /// Adds `line`, folded: a CRLF and a space before each 75th octet, never inside a character
    /// (the space counts towards the next line's 75).
    fn line(&mut self, line: &str) {
        let mut used = 0;
        for c in line.chars() {
            if used + c.len_utf8() > LINE_OCTETS {
                self.0.push_str("\r\n ");
                used = 1;
            }
            self.0.push(c);
            used += c.len_utf8();
        }
        self.0.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests;
