//! `/meetings list`'s answer.

use std::fmt::Write;

use serenity::all::EditInteractionResponse;

use super::{markdown, private, private_embed, spaced_id, stamp};
use crate::ids::ChannelId;
use crate::meetings::Scope;
use crate::store::MeetingRecord;

/// Upcoming meetings in `scope`, asked for in channel `here`: each meeting of another channel
/// says which.
pub fn meeting_list(
    meetings: &[MeetingRecord],
    scope: Scope,
    here: ChannelId,
) -> EditInteractionResponse {
    let (title, none) = match scope {
        Scope::Channel => (
            "Upcoming meetings of this channel, and yours",
            "No upcoming meetings were scheduled in this channel, and none of yours in this server. Schedule one \
             with /meet.",
        ),
        Scope::Server => (
            "Upcoming meetings of this server",
            "No upcoming meetings were scheduled from this server. Schedule one with /meet.",
        ),
    };
    if meetings.is_empty() {
        return private(none.to_owned());
    }
    let mut lines = String::new();
    let mut shown = 0;
    let now = jiff::Timestamp::now();
    for m in meetings {
        // A series once, at its next occurrence.
        let next = m.current(now).unwrap_or(m.start);
        let mut line = format!(
            "**{}** — {} ({}) · {} min · ID {} · by <@{}>",
            markdown(&m.topic),
            stamp(next, 'F'),
            stamp(next, 'R'),
            m.duration_minutes,
            spaced_id(m.zoom_id),
            m.creator
        );
        if let Some(series) = &m.series {
            let _ = write!(line, " · {}", series.describe(&m.zoned_start()));
        }
        if m.channel != here {
            let _ = write!(line, " · in <#{}>", m.channel);
        }
        line.push('\n');
        // Embed descriptions hold 4096 characters; keep room for the "and N more" line.
        if lines.chars().count() + line.chars().count() > 3900 {
            break;
        }
        lines.push_str(&line);
        shown += 1;
    }
    if shown < meetings.len() {
        let _ = write!(lines, "…and {} more.", meetings.len() - shown);
    }
    private_embed(title, lines)
}
