//! A meeting in the server's Events tab, and its reminder: the Discord side of its life after the
//! create. Events are created, moved and deleted here; the reminders' scheduler (in the service)
//! posts through [`DiscordHerald`].

use async_trait::async_trait;
use serenity::all::{
    CreateScheduledEvent, EditScheduledEvent, GuildId, ScheduledEventId, ScheduledEventType,
};

use super::reply;
use super::rest::{Rest, error_code};
use crate::ids::MemberId;
use crate::meetings::{
    Created, DueReminder, EventProblem, Herald, HeraldError, Meetings, Rescheduled,
};
use crate::store::MeetingRecord;

/// A meeting starting sooner than this gets no event.
const NOT_AHEAD: jiff::SignedDuration = jiff::SignedDuration::from_mins(1);

fn timestamp(t: jiff::Timestamp) -> serenity::all::Timestamp {
    serenity::all::Timestamp::from_unix_timestamp(t.as_second()).unwrap_or_default()
}

fn problem(err: &serenity::Error) -> EventProblem {
    match error_code(err) {
        Some(50013) => EventProblem::MissingPermission,
        Some(30038) => EventProblem::TooManyEvents,
        _ => EventProblem::Failed,
    }
}

fn count(rest: &Rest, outcome: &str, err: Option<&serenity::Error>) {
    let code = err
        .and_then(error_code)
        .map_or_else(|| "none".to_owned(), |c| c.to_string());
    rest.metrics().events.inc(&[outcome, &code]);
}

/// Creates the meeting's event (when the server wants events) and notes it; a failure leaves
/// the meeting as it is and says why in `created.event_problem`.
pub async fn create_event(rest: &Rest, service: &Meetings, created: &mut Created) {
    let record = &created.record;
    // Discord takes events that start ahead only, and a meeting starting now needs no listing.
    if !created.events || record.start <= jiff::Timestamp::now() + NOT_AHEAD {
        return;
    }
    // A series' event is its first occurrence, moved on as each ends.
    let made = new_event(
        rest,
        record,
        record.start,
        &created.meeting.join_url,
        created.plan.agenda.as_deref(),
    )
    .await;
    let id = match made {
        Ok(id) => id,
        Err(err) => {
            created.event_problem = Some(problem(&err));
            return;
        }
    };
    match service
        .attach_event(record.guild, record.zoom_id, Some(id))
        .await
    {
        // Cancelled while its event was being made: the cancel found no event to delete.
        Ok(noted) if noted.cancelled => {
            delete_event(rest, record.guild.0, id).await;
        }
        Ok(noted) => created.record.event = noted.event,
        Err(err) => {
            // Unnoted, it could never follow the meeting: take it back.
            tracing::warn!(error = %err, "could not note the meeting's Discord event; deleting it");
            delete_event(rest, record.guild.0, id).await;
            created.event_problem = Some(EventProblem::Failed);
        }
    }
}

/// Creates the event of `record`'s occurrence starting at `start`, counting it; its id.
async fn new_event(
    rest: &Rest,
    record: &MeetingRecord,
    start: jiff::Timestamp,
    join_url: &str,
    agenda: Option<&str>,
) -> serenity::Result<u64> {
    let event = CreateScheduledEvent::new(
        ScheduledEventType::External,
        reply::event_name(&record.topic),
        timestamp(start),
    )
    .end_time(timestamp(record.end_of(start)))
    .location(reply::event_location(join_url))
    .description(reply::event_description(agenda, record.zoom_id));
    let guild = GuildId::new(record.guild.0);
    let made = rest
        .patiently(|| guild.create_scheduled_event(&rest.http, event.clone()))
        .await;
    match made {
        Ok(made) => {
            count(rest, "created", None);
            Ok(made.id.get())
        }
        Err(err) => {
            count(rest, "failed", Some(&err));
            tracing::warn!(error = %err, meeting_id = record.zoom_id, "could not create the meeting's Discord event");
            Err(err)
        }
    }
}

/// Moves a server's event to `start`–`end`.
async fn edit_times(
    rest: &Rest,
    guild: u64,
    event: u64,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
) -> serenity::Result<()> {
    let edit = EditScheduledEvent::new()
        .start_time(timestamp(start))
        .end_time(timestamp(end));
    let guild = GuildId::new(guild);
    rest.patiently(|| {
        guild.edit_scheduled_event(&rest.http, ScheduledEventId::new(event), edit.clone())
    })
    .await
    .map(drop)
}

/// Moves a meeting's event (when it has one) to the times it shows; no more.
pub async fn edit_event_to(rest: &Rest, record: &MeetingRecord) -> serenity::Result<()> {
    let Some(event) = record.event else {
        return Ok(());
    };
    let start = record.event_at.unwrap_or(record.start);
    let edit = EditScheduledEvent::new()
        .name(reply::event_name(&record.topic))
        .start_time(timestamp(start))
        .end_time(timestamp(record.end_of(start)));
    let guild = GuildId::new(record.guild.0);
    rest.patiently(|| {
        guild.edit_scheduled_event(&rest.http, ScheduledEventId::new(event), edit.clone())
    })
    .await
    .map(drop)
}

/// Moves a meeting's event to the times it shows (a series: the occurrence it is at). A
/// moderator may have deleted it (10070): then the meeting simply has none any more. What kept
/// it from moving, when something did.
pub async fn move_event(
    rest: &Rest,
    service: &Meetings,
    record: &MeetingRecord,
) -> Option<EventProblem> {
    record.event?;
    match edit_event_to(rest, record).await {
        Ok(()) => None,
        Err(err) if error_code(&err) == Some(10070) => {
            tracing::info!(
                meeting_id = record.zoom_id,
                "the meeting's Discord event was deleted in Discord"
            );
            if let Err(err) = service
                .attach_event(record.guild, record.zoom_id, None)
                .await
            {
                tracing::warn!(error = %err, "could not note that the meeting has no Discord event");
            }
            None
        }
        Err(err) => {
            tracing::warn!(error = %err, meeting_id = record.zoom_id, "could not move the meeting's Discord event");
            Some(problem(&err))
        }
    }
}

/// After a cancel: the public message marked cancelled, the event deleted; what kept the event
/// from going, when something did.
pub async fn cancelled(
    rest: &Rest,
    record: &MeetingRecord,
    by: Option<u64>,
) -> Option<EventProblem> {
    rest.mark_cancelled(record, by).await;
    delete_event(rest, record.guild.0, record.event?).await
}

/// After one occurrence of a series was cancelled: the public message shows the next one, the
/// event moves to it.
pub async fn occurrence_cancelled(
    rest: &Rest,
    service: &Meetings,
    record: &MeetingRecord,
) -> Option<EventProblem> {
    edit_public(rest, record, reply::meeting_now(record)).await;
    move_event(rest, service, record).await
}

async fn edit_public(rest: &Rest, record: &MeetingRecord, edit: serenity::all::EditMessage) {
    if let Err(err) = edit_message(rest, record, edit).await {
        tracing::warn!(error = %err, "could not update the public message");
    }
}

/// Edits the meeting's public message, when it has one.
pub async fn edit_message(
    rest: &Rest,
    record: &MeetingRecord,
    edit: serenity::all::EditMessage,
) -> serenity::Result<()> {
    let Some(message) = record.message else {
        return Ok(());
    };
    rest.patiently(|| {
        serenity::all::ChannelId::new(record.channel.0).edit_message(
            &rest.http,
            serenity::all::MessageId::new(message.0),
            edit.clone(),
        )
    })
    .await
    .map(drop)
}

/// After a reschedule: the public message shows the new times, the event moves.
pub async fn rescheduled(
    rest: &Rest,
    service: &Meetings,
    moved: &Rescheduled,
    by: u64,
) -> Option<EventProblem> {
    edit_public(rest, &moved.after, reply::rescheduled_meeting(moved, by)).await;
    move_event(rest, service, &moved.after).await
}

/// Deletes a server's event; one already gone (10070) is fine. What kept it, when something did.
pub async fn delete_event(rest: &Rest, guild: u64, event: u64) -> Option<EventProblem> {
    let deleted = rest
        .patiently(|| {
            GuildId::new(guild).delete_scheduled_event(&rest.http, ScheduledEventId::new(event))
        })
        .await;
    match deleted {
        Ok(()) => None,
        Err(err) if error_code(&err) == Some(10070) => None,
        Err(err) => {
            tracing::warn!(error = %err, "could not delete a meeting's Discord event");
            Some(problem(&err))
        }
    }
}

/// Posts reminders, reads events' interested members and moves series' events through
/// Discord's REST API, one call every [`PACE`].
pub struct DiscordHerald {
    rest: Rest,
    pace: tokio::sync::Mutex<tokio::time::Interval>,
}

/// The scheduler's calls to Discord are spaced so: 40 a second, under Discord's global limit of
/// 50 per bot, with room for the commands answered meanwhile. A minute with thousands of
/// reminders due is spread over the seconds after it rather than met with 429s (and, repeated,
/// Cloudflare's ban of the bot's address).
pub const PACE: std::time::Duration = std::time::Duration::from_millis(25);

impl DiscordHerald {
    /// Through `rest`.
    pub fn new(rest: Rest) -> Self {
        let mut pace = tokio::time::interval(PACE);
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self {
            rest,
            pace: tokio::sync::Mutex::new(pace),
        }
    }

    /// Waits for the next slot.
    async fn paced(&self) -> &Rest {
        self.pace.lock().await.tick().await;
        &self.rest
    }
}

/// Codes after which a reminder can never be posted in its channel: unknown channel, missing
/// access, missing permissions, cannot send in this channel.
const GONE: [isize; 4] = [10003, 50001, 50013, 50008];

#[async_trait]
impl Herald for DiscordHerald {
    async fn interested(
        &self,
        guild: crate::ids::GuildId,
        event: u64,
    ) -> Result<Vec<MemberId>, HeraldError> {
        let rest = self.paced().await;
        let users = rest
            .patiently(|| {
                rest.http.get_scheduled_event_users(
                    GuildId::new(guild.0),
                    ScheduledEventId::new(event),
                    Some(100),
                    None,
                    Some(false),
                )
            })
            .await
            .map_err(|err| HeraldError::Retry(err.to_string()))?;
        Ok(users.iter().map(|u| MemberId(u.user.id.get())).collect())
    }

    async fn move_event(
        &self,
        guild: crate::ids::GuildId,
        event: u64,
        start: jiff::Timestamp,
        end: jiff::Timestamp,
    ) -> Result<(), HeraldError> {
        match edit_times(self.paced().await, guild.0, event, start, end).await {
            Ok(()) => Ok(()),
            // Deleted (10070), or finished and no longer editable (180000): the series has no
            // event any more.
            Err(err) if matches!(error_code(&err), Some(10070 | 180_000)) => {
                Err(HeraldError::Gone(err.to_string()))
            }
            Err(err) => Err(HeraldError::Retry(err.to_string())),
        }
    }

    async fn replace_event(
        &self,
        record: &MeetingRecord,
        start: jiff::Timestamp,
        join_url: &str,
    ) -> Result<u64, HeraldError> {
        new_event(self.paced().await, record, start, join_url, None)
            .await
            .map_err(|err| HeraldError::Retry(err.to_string()))
    }

    async fn post_reminder(&self, reminder: &DueReminder) -> Result<(), HeraldError> {
        let rest = self.paced().await;
        let message = reply::reminder(reminder);
        let channel = serenity::all::ChannelId::new(reminder.record.channel.0);
        match rest
            .patiently(|| channel.send_message(&rest.http, message.clone()))
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if error_code(&err).is_some_and(|c| GONE.contains(&c)) => {
                Err(HeraldError::Gone(err.to_string()))
            }
            Err(err) => Err(HeraldError::Retry(err.to_string())),
        }
    }
}
