//! The words of a meeting's life after its creation: its Discord event, its reminder, its move.

use std::fmt::Write;

use serenity::all::{
    CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton, CreateMessage,
    EditInteractionResponse, EditMessage, MessageReference, MessageReferenceKind, Nonce, UserId,
};

use super::{markdown, meeting_embed, private, spaced_id, stamp};
use crate::meetings::{DueReminder, EventProblem, Rescheduled};
use crate::scheduling::calendar::{
    CalendarEvent, CalendarSeries, JoinLink, google_calendar_link, ics,
};
use crate::store::MeetingRecord;

/// Discord's longest event name, description and location, in characters.
const EVENT_NAME_MAX: usize = 100;
const EVENT_DESCRIPTION_MAX: usize = 1000;
const EVENT_LOCATION_MAX: usize = 100;
/// Embed colour of a rescheduled meeting: as scheduled.
const RESCHEDULED: u32 = 0x002D_8CFF;

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => {
            let mut cut: String = text[..at].chars().take(max - 1).collect();
            cut.push('…');
            cut
        }
        None => text.to_owned(),
    }
}

/// An event's name: the topic, within Discord's 100 characters.
pub fn event_name(topic: &str) -> String {
    cut(topic, EVENT_NAME_MAX)
}

/// An event's location: the join link, or — longer than Discord's 100 characters — the link
/// without its query (the passcode stays private: members get it from the meeting's message).
pub fn event_location(join_url: &str) -> String {
    if join_url.chars().count() <= EVENT_LOCATION_MAX {
        return join_url.to_owned();
    }
    let bare = join_url.split(['?', '#']).next().unwrap_or(join_url);
    cut(bare, EVENT_LOCATION_MAX)
}

/// An event's description: the agenda, then the meeting ID, within Discord's 1000 characters.
pub fn event_description(agenda: Option<&str>, zoom_id: i64) -> String {
    let id = format!("Zoom meeting ID: {}", spaced_id(zoom_id));
    match agenda.map(str::trim).filter(|a| !a.is_empty()) {
        Some(agenda) => {
            let room = EVENT_DESCRIPTION_MAX - id.chars().count() - 2;
            format!("{}\n\n{id}", cut(agenda, room))
        }
        None => id,
    }
}

/// Where a server's event is, for a link.
pub fn event_link(guild: u64, event: u64) -> String {
    format!("https://discord.com/events/{guild}/{event}")
}

/// What the member is told when the meeting's event could not follow a change (`done`: "moved",
/// "deleted").
fn event_left_behind(problem: Option<EventProblem>, done: &str) -> String {
    match problem {
        None => String::new(),
        Some(EventProblem::MissingPermission) => format!(
            "\n\nIts event in the server's Events was not {done}: the bot lacks the Create Events permission. A server \
             admin can grant it (Server Settings → Roles) and fix the event by hand."
        ),
        Some(_) => format!(
            "\n\nIts event in the server's Events was not {done}: Discord refused just now (the log says why)."
        ),
    }
}

/// The member's private answer after a cancel.
pub fn cancelled(record: &MeetingRecord, problem: Option<EventProblem>) -> EditInteractionResponse {
    private(format!(
        "Cancelled **{}**; it is gone from Zoom too.{}",
        markdown(&record.topic),
        event_left_behind(problem, "deleted")
    ))
}

/// What the member is told when their meeting got no Discord event.
pub fn event_problem(problem: EventProblem) -> &'static str {
    match problem {
        EventProblem::MissingPermission => {
            "It is not in the server's Events: the bot lacks the Create Events permission. A server admin can grant it \
             (Server Settings → Roles), or turn events off with `/meet-settings set events:False`."
        }
        EventProblem::TooManyEvents => {
            "It is not in the server's Events: the server has Discord's maximum of 100 active events. It will be once \
             some have ended or been deleted."
        }
        EventProblem::Failed => {
            "It is not in the server's Events: Discord refused to create the event just now (the log says why)."
        }
    }
}

/// The reminder: in the meeting's channel, a reply to its message (or a plain message when that
/// is gone), mentioning exactly the creator and the event's interested members.
pub fn reminder(reminder: &DueReminder) -> CreateMessage {
    let record = &reminder.record;
    let mentions: Vec<String> = reminder
        .mentions
        .iter()
        .map(|m| format!("<@{m}>"))
        .collect();
    let content = format!(
        "⏰ **{}** starts {} ({}). {}",
        markdown(&record.topic),
        stamp(reminder.occurrence, 'R'),
        stamp(reminder.occurrence, 't'),
        mentions.join(" ")
    );
    let mut message = CreateMessage::new()
        .content(content.trim_end())
        .allowed_mentions(
            CreateAllowedMentions::new()
                .users(reminder.mentions.iter().map(|m| UserId::new(m.0)))
                .empty_roles()
                .everyone(false)
                .replied_user(false),
        )
        .nonce(Nonce::String(reminder.nonce.clone()))
        .enforce_nonce(true);
    if let Some(join_url) = &reminder.join_url {
        message = message.components(vec![CreateActionRow::Buttons(vec![
            CreateButton::new_link(join_url.clone()).label("Join"),
        ])]);
    }
    if let Some(replied) = record.message {
        message = message.reference_message(
            MessageReference::new(
                MessageReferenceKind::Default,
                serenity::all::ChannelId::new(record.channel.0),
            )
            .message_id(serenity::all::MessageId::new(replied.0))
            .fail_if_not_exists(false),
        );
    }
    message
}

/// The meeting's public message after a move: the new times (its buttons stay as they are).
pub fn rescheduled_meeting(moved: &Rescheduled, by: u64) -> EditMessage {
    let embed = meeting_embed(&moved.after)
        .colour(RESCHEDULED)
        .description(format!(
            "Rescheduled by <@{by}> (was {}).",
            stamp(moved.before.start, 'F')
        ));
    EditMessage::new()
        .embed(embed)
        .allowed_mentions(super::no_mentions())
}

/// The meeting's public message as it is now (a series: at its next occurrence); its buttons
/// stay as they are.
pub fn meeting_now(record: &MeetingRecord) -> EditMessage {
    EditMessage::new()
        .embed(meeting_embed(record).colour(RESCHEDULED))
        .allowed_mentions(super::no_mentions())
}

/// Embed colour of a meeting under way (green) and of one that ended (grey).
const LIVE: u32 = 0x0023_A55A;
const ENDED: u32 = 0x0099_AAB5;

/// What a live meeting's message says, and an ended one's: how a restarted bot sees that an
/// event's effect was shown already.
pub const LIVE_MARK: &str = "Live now";
/// See [`LIVE_MARK`].
pub const ENDED_MARK: &str = "Ended ";

/// The meeting's message while it is live: its buttons stay.
pub fn live_meeting(record: &MeetingRecord, started: jiff::Timestamp) -> EditMessage {
    let embed = meeting_embed(record)
        .colour(LIVE)
        .description(format!("🔴 Live now · started {}", stamp(started, 'R')));
    EditMessage::new()
        .embed(embed)
        .allowed_mentions(super::no_mentions())
}

/// The meeting's message once it ended, with how long it ran. A single meeting's buttons go
/// (nothing is left to join or start); a series keeps them for its next meeting.
pub fn ended_meeting(
    record: &MeetingRecord,
    started: jiff::Timestamp,
    ended: jiff::Timestamp,
) -> EditMessage {
    let minutes = (ended.duration_since(started).as_secs().max(0) + 30) / 60;
    let mut text = format!(
        "Ended {} after {minutes} min (started {}).",
        stamp(ended, 'R'),
        stamp(started, 't')
    );
    let next = record
        .series
        .and(record.occurrences().into_iter().find(|s| *s > ended));
    if let Some(next) = next {
        let _ = write!(text, " Next: {}.", stamp(next, 'F'));
    }
    let mut edit = EditMessage::new()
        .embed(meeting_embed(record).colour(ENDED).description(text))
        .allowed_mentions(super::no_mentions());
    if next.is_none() {
        edit = edit.components(Vec::new());
    }
    edit
}

/// A recording's link, for its host or its channel (the server chose which).
pub fn recording_ready(record: &MeetingRecord, link: &crate::secret::Secret) -> String {
    format!(
        "📼 The recording of **{}** is ready: {}",
        markdown(&record.topic),
        link.expose()
    )
}

/// The member's private answer after one occurrence of a series was cancelled.
pub fn occurrence_cancelled(
    record: &MeetingRecord,
    start: jiff::Timestamp,
    problem: Option<EventProblem>,
) -> EditInteractionResponse {
    let next = record
        .occurrences()
        .into_iter()
        .find(|s| *s > start)
        .map_or_else(String::new, |next| {
            format!(" The next is {}.", stamp(next, 'F'))
        });
    private(format!(
        "Cancelled the {} meeting of **{}**; it is gone from Zoom too, and the rest of the series goes on.{next} \
         To cancel every meeting of the series, use `/meetings cancel which:the whole series`.{}",
        stamp(start, 'F'),
        markdown(&record.topic),
        event_left_behind(problem, "moved"),
    ))
}

/// The member's private answer after a move.
pub fn rescheduled(moved: &Rescheduled, problem: Option<EventProblem>) -> EditInteractionResponse {
    let event = if moved.after.event.is_some() && problem.is_none() {
        ", the server's event"
    } else {
        ""
    };
    private(format!(
        "Moved **{}** to {} ({}), {} min. The channel's message{event} and the reminder follow.{}",
        markdown(&moved.after.topic),
        stamp(moved.after.start, 'F'),
        stamp(moved.after.start, 'R'),
        moved.after.duration_minutes,
        event_left_behind(problem, "moved"),
    ))
}

/// A Google Calendar link for `record`'s next occurrence with its join link; `None` for a link
/// calendars cannot take.
pub fn google_calendar(record: &MeetingRecord, join_url: &str) -> Option<String> {
    let join = JoinLink::new(join_url).ok()?;
    let start = record
        .current(jiff::Timestamp::now())
        .unwrap_or(record.start);
    let details = format!(
        "Join the Zoom meeting: {}\nMeeting ID: {}",
        join.as_str(),
        spaced_id(record.zoom_id)
    );
    Some(google_calendar_link(
        &record.topic,
        start,
        record.end_of(start),
        &details,
        &join,
    ))
}

/// `record` as an `.ics` file, with its join link and never its host link; a series repeats
/// in its zone, without its cancelled meetings.
pub fn calendar_file(record: &MeetingRecord, join_url: &str) -> Option<CreateAttachment> {
    let join = JoinLink::new(join_url).ok()?;
    let first = record.zoned_start();
    let event = CalendarEvent {
        uid: format!("zoom-{}@zoombot", record.zoom_id),
        stamp: jiff::Timestamp::now(),
        start: record.start,
        end: record.end_of(record.start),
        summary: record.topic.clone(),
        description: format!(
            "Join the Zoom meeting: {}\nMeeting ID: {}",
            join.as_str(),
            spaced_id(record.zoom_id)
        ),
        url: Some(join.clone()),
        location: join,
        series: record.series.as_ref().map(|series| {
            CalendarSeries::new(series, &first).without(record.skipped.iter().copied())
        }),
    };
    Some(CreateAttachment::bytes(
        ics(&event).into_bytes(),
        format!("zoom-meeting-{}.ics", record.zoom_id),
    ))
}

/// The private answer carrying a meeting's `.ics`.
pub fn calendar_answer(record: &MeetingRecord, file: CreateAttachment) -> EditInteractionResponse {
    private(format!(
        "**{}** as a calendar file: open it to add {} to your calendar (Google Calendar, Outlook, Apple \
         Calendar). It has the join link, not the host link.",
        markdown(&record.topic),
        if record.series.is_some() { "every meeting of the series" } else { "the meeting" }
    ))
    .new_attachment(file)
}

/// The record's link to its event, for the meeting's message.
pub fn event_field(record: &MeetingRecord) -> Option<String> {
    record.event.map(|event| {
        format!(
            "[In the server's Events]({})",
            event_link(record.guild.0, event)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_join_links_lose_their_query_in_an_event() {
        let short = "https://zoom.us/j/85746065432?pwd=abc";
        assert_eq!(event_location(short), short);
        let long = format!(
            "https://us06web.zoom.us/j/85746065432?pwd={}",
            "x".repeat(90)
        );
        assert_eq!(
            event_location(&long),
            "https://us06web.zoom.us/j/85746065432"
        );
    }

    #[test]
    fn names_and_descriptions_fit_discord() {
        assert_eq!(event_name(&"é".repeat(150)).chars().count(), 100);
        assert_eq!(event_name("Weekly sync"), "Weekly sync");
        let described = event_description(Some(&"a".repeat(5000)), 85_746_065_432);
        assert!(
            described.chars().count() <= 1000,
            "{}",
            described.chars().count()
        );
        assert!(described.ends_with("Zoom meeting ID: 857 4606 5432"));
        assert_eq!(
            event_description(None, 85_746_065_432),
            "Zoom meeting ID: 857 4606 5432"
        );
    }
}
