//! The VTIMEZONE a series' DTSTART names: the zone's changes over the series, each as its own
//! STANDARD or DAYLIGHT with the exact instant, so no recurrence rule of the zone can be got wrong.

use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};

use super::{CalendarSeries, Lines, escape};

/// The zone's observances from the one in force at the first start to the last meeting's end:
/// each change as its own STANDARD or DAYLIGHT with the exact instant, no rules to get wrong.
pub(super) fn vtimezone(
    out: &mut Lines,
    series: &CalendarSeries,
    name: &str,
    start: Timestamp,
    end: Timestamp,
) {
    let zone = &series.zone;
    let until = series
        .last_start
        .checked_add(end.duration_since(start))
        .unwrap_or(series.last_start);
    out.line("BEGIN:VTIMEZONE");
    out.line(&format!("TZID:{name}"));
    // The change in force at `start` is the last one at or before it.
    let just_after = start
        .checked_add(SignedDuration::from_nanos(1))
        .unwrap_or(start);
    let in_force = zone.preceding(just_after).next();
    let changes = in_force
        .into_iter()
        .chain(zone.following(start).take_while(|t| t.timestamp() <= until));
    let mut any = false;
    for change in changes {
        any = true;
        let at = change.timestamp();
        let just_before = at.checked_sub(SignedDuration::from_secs(1)).unwrap_or(at);
        let before = zone.to_offset(just_before);
        let observed = Observance {
            dst: change.dst().is_dst(),
            since: before.to_datetime(at),
            from: before,
            to: change.offset(),
            abbreviation: change.abbreviation(),
        };
        observed.write(out);
    }
    if !any {
        // A zone that never changed: one observance from the epoch on.
        let offset = zone.to_offset(start);
        let observed = Observance {
            dst: false,
            since: Offset::UTC.to_datetime(Timestamp::UNIX_EPOCH),
            from: offset,
            to: offset,
            abbreviation: "",
        };
        observed.write(out);
    }
    out.line("END:VTIMEZONE");
}

/// One STANDARD or DAYLIGHT part of a VTIMEZONE.
struct Observance<'a> {
    dst: bool,
    /// When it begins, in the local time of the offset before.
    since: jiff::civil::DateTime,
    from: Offset,
    to: Offset,
    abbreviation: &'a str,
}

impl Observance<'_> {
    fn write(&self, out: &mut Lines) {
        let kind = if self.dst { "DAYLIGHT" } else { "STANDARD" };
        out.line(&format!("BEGIN:{kind}"));
        out.line(&format!("DTSTART:{}", self.since.strftime("%Y%m%dT%H%M%S")));
        out.line(&format!("TZOFFSETFROM:{}", utc_offset(self.from)));
        out.line(&format!("TZOFFSETTO:{}", utc_offset(self.to)));
        if !self.abbreviation.is_empty() {
            out.line(&format!("TZNAME:{}", escape(self.abbreviation)));
        }
        out.line(&format!("END:{kind}"));
    }
}

/// RFC 5545's UTC-OFFSET: `+hhmm`, or `+hhmmss` when there are seconds.
pub(super) fn utc_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}
