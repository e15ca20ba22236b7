//! After the create: reminders. One scheduler over the store's index of due times — never a task
//! or a timer per reminder — posts each occurrence's reminder once.
//!
//! Exactly once: a reminder is posted with a nonce derived from its meeting and occurrence
//! (`scheduling::reminder::nonce`), which Discord (`enforce_nonce`) answers with the message
//! already posted rather than a second one, and then recorded as posted. A crash between the
//! post and the record makes the next pass post again, and Discord hands back the first message.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};

use super::{Meetings, ServiceError};
use crate::ids::{GuildId, MemberId};
use crate::scheduling::reminder::{Timeline, nonce};
use crate::store::{MeetingChange, MeetingRecord};

/// Discord allows at most this many users in a message's `allowed_mentions`.
pub const MENTIONS_MAX: usize = 100;
/// Reminders posted at once: a minute with thousands due stays within Discord's global limit
/// (50 requests/s) without one slow channel holding up the rest.
const IN_FLIGHT: usize = 32;
/// Reminders read from the store per pass.
const BATCH: usize = 512;
/// How long a replica has a due reminder to itself: long enough to ask Zoom and post (with
/// their retries), short enough that another replica soon takes over from one that died.
const REMINDER_LEASE: SignedDuration = SignedDuration::from_mins(2);
/// The shortest nap between passes.
const MIN_NAP: Duration = Duration::from_millis(20);
/// The nap after a pass that found every due reminder taken by another replica.
const ELSEWHERE_NAP: Duration = Duration::from_secs(1);
/// The longest the scheduler sleeps without looking at the wall clock: a clock that jumps forward
/// is noticed within this, and the reminders in the skipped span are posted (or, past their
/// start, dropped), not lost.
const MAX_NAP: Duration = Duration::from_secs(30);
/// When a post failed for a reason that may pass (a 5xx, a 429 beyond the REST layer's waits, a
/// network error), the reminder is due again this much later at first (then half the time since
/// it was due, up to [`RETRY_AT_MOST`]), until its occurrence starts.
const RETRY_AFTER: SignedDuration = SignedDuration::from_secs(2);
/// The longest wait between two tries of one reminder.
const RETRY_AT_MOST: SignedDuration = SignedDuration::from_mins(5);
/// Posted more than this after its due time, a reminder counts as late.
const LATE: SignedDuration = SignedDuration::from_mins(1);

/// Why a meeting has no Discord event: the /meet still succeeds, and its private answer says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventProblem {
    /// The bot lacks Create Events (Discord 50013).
    MissingPermission,
    /// The server has Discord's maximum of active events (30038).
    TooManyEvents,
    /// Discord failed otherwise.
    Failed,
}

/// One reminder to post.
#[derive(Debug, Clone)]
pub struct DueReminder {
    /// The meeting.
    pub record: MeetingRecord,
    /// The start of the occurrence it is for.
    pub occurrence: Timestamp,
    /// The join link, fresh from Zoom (`None` when Zoom could not be asked: the reminder then
    /// points at the meeting's message).
    pub join_url: Option<String>,
    /// Who is mentioned: the creator and the members interested in the meeting's event.
    pub mentions: Vec<MemberId>,
    /// The same for every attempt at this one reminder.
    pub nonce: String,
}

/// Why Discord did not take a reminder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeraldError {
    /// It can never be posted: the channel is gone, or the bot may no longer post there.
    #[error("the reminder cannot be posted: {0}")]
    Gone(String),
    /// It may be posted later.
    #[error("the reminder could not be posted yet: {0}")]
    Retry(String),
}

/// What the scheduler needs of Discord.
#[async_trait]
pub trait Herald: Send + Sync {
    /// The members who pressed "Interested" on a server's event (at most [`MENTIONS_MAX`]).
    async fn interested(&self, guild: GuildId, event: u64) -> Result<Vec<MemberId>, HeraldError>;
    /// Posts a reminder in its meeting's channel, as a reply to the meeting's message. The same
    /// nonce twice within Discord's window posts once.
    async fn post_reminder(&self, reminder: &DueReminder) -> Result<(), HeraldError>;
    /// A new event for `record`'s occurrence at `start` (the old one finished or was deleted);
    /// its id.
    async fn replace_event(
        &self,
        record: &MeetingRecord,
        start: Timestamp,
        join_url: &str,
    ) -> Result<u64, HeraldError>;
    /// Moves a server's event to another occurrence's times (`Gone`: it was deleted).
    async fn move_event(
        &self,
        guild: GuildId,
        event: u64,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<(), HeraldError>;
}

/// What one pass of the scheduler did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Reminders looked at.
    pub picked: usize,
    /// Posted (and recorded as posted).
    pub posted: usize,
    /// Of those, posted more than a minute after their due time.
    pub late: usize,
    /// Given up on: cancelled, started already, gone from Zoom, or a channel the bot cannot
    /// post in.
    pub dropped: usize,
    /// To be tried again shortly.
    pub retried: usize,
    /// Taken by another replica sharing the store.
    pub elsewhere: usize,
}

enum Fate {
    Posted {
        late: bool,
    },
    Dropped,
    Retried,
    /// Nothing was due but the next wake-up (a series' event moved on, say).
    Nothing,
    /// Another replica has it.
    Elsewhere,
}

impl Meetings {
    /// Posts every reminder due at `now` (up to a batch): what the scheduler does each time it
    /// wakes. `now` is the wall clock's, given so tests can move it.
    pub async fn remind_due(
        &self,
        herald: &dyn Herald,
        now: Timestamp,
    ) -> Result<Pass, ServiceError> {
        let due = self.store.due_reminders(now, BATCH).await?;
        let mut pass = Pass {
            picked: due.len(),
            ..Pass::default()
        };
        let fates: Vec<Result<Fate, ServiceError>> = futures_util::stream::iter(due)
            .map(|record| self.remind(herald, record, now))
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        if pass.picked > 0 {
            self.store.flush().await?;
        }
        for fate in fates {
            match fate? {
                Fate::Posted { late } => {
                    pass.posted += 1;
                    pass.late += usize::from(late);
                }
                Fate::Dropped => pass.dropped += 1,
                Fate::Retried => pass.retried += 1,
                Fate::Elsewhere => pass.elsewhere += 1,
                Fate::Nothing => {}
            }
        }
        Ok(pass)
    }

    /// Takes the lease of `record`'s due reminder. Replicas sharing the store read the same due
    /// list: the one that takes this due time's lease does it. The lease is not given back: the
    /// step moves the due time on, and a replica that stopped half-way is taken over once the
    /// lease has run out.
    async fn claim(&self, record: &MeetingRecord, now: Timestamp) -> Result<bool, ServiceError> {
        let lease = format!(
            "reminder:{}:{}:{}",
            record.guild.0,
            record.zoom_id,
            record.reminder_due.map_or(0, Timestamp::as_second)
        );
        Ok(self
            .store
            .coordination()
            .take_lease(&lease, &self.owner, now + REMINDER_LEASE, now)
            .await?)
    }

    async fn remind(
        &self,
        herald: &dyn Herald,
        record: MeetingRecord,
        now: Timestamp,
    ) -> Result<Fate, ServiceError> {
        let (guild, zoom_id) = (record.guild, record.zoom_id);
        if !self.claim(&record, now).await? {
            return Ok(Fate::Elsewhere);
        }
        let start = record.start;
        let stepped = |reminded, event_at| MeetingChange::Stepped {
            reminded,
            event_at,
            now,
            start,
        };
        if record.cancelled {
            self.store
                .update_meeting(guild, zoom_id, &MeetingChange::Reminder(None))
                .await?;
            return Ok(Fate::Dropped);
        }
        let occurrences = record.occurrences();
        let lead = record.reminder_minutes.unwrap_or(0);
        let step = Timeline {
            occurrences: &occurrences,
            minutes: record.duration_minutes,
            reminded: record.reminded,
            event_at: record.event_at,
            lead,
        }
        .step(now);
        if let (Some(start), Some(event)) = (step.roll_event, record.event) {
            self.roll_event(herald, &record, event, start).await;
        }
        let Some(occurrence) = step.post else {
            self.store
                .update_meeting(guild, zoom_id, &stepped(step.missed, step.roll_event))
                .await?;
            return Ok(if step.missed.is_some() {
                Fate::Dropped
            } else {
                Fate::Nothing
            });
        };
        let done = |fate| async move {
            self.store
                .update_meeting(guild, zoom_id, &stepped(Some(occurrence), step.roll_event))
                .await
                .map(|_| fate)
                .map_err(ServiceError::from)
        };
        let join_url = match self.in_zoom(&record).await {
            Ok(meeting) => Some(meeting.join_url),
            // Deleted or replaced in Zoom: nobody can join it.
            Err(ServiceError::GoneFromZoom(_)) => return done(Fate::Dropped).await,
            Err(err) => {
                tracing::warn!(meeting_id = zoom_id, error = %err, "Zoom could not be asked for a reminder's join link; pointing at the meeting's message");
                None
            }
        };
        let mentions = self.audience(herald, &record).await;
        let due = occurrence - SignedDuration::from_mins(i64::from(lead));
        let reminder = DueReminder {
            nonce: nonce(zoom_id, occurrence),
            occurrence,
            join_url,
            mentions,
            record,
        };
        match herald.post_reminder(&reminder).await {
            Ok(()) => {
                done(Fate::Posted {
                    late: now.duration_since(due) > LATE,
                })
                .await
            }
            Err(HeraldError::Gone(why)) => {
                tracing::warn!(meeting_id = zoom_id, reason = %why, "dropped a reminder");
                done(Fate::Dropped).await
            }
            Err(HeraldError::Retry(why)) => {
                tracing::info!(meeting_id = zoom_id, reason = %why, "a reminder will be tried again");
                if step.roll_event.is_some() {
                    self.store
                        .update_meeting(guild, zoom_id, &stepped(None, step.roll_event))
                        .await?;
                }
                // Soon at first, then less often (up to every five minutes) for a channel that
                // keeps failing.
                let waited = now.duration_since(due).max(SignedDuration::ZERO);
                let again = MeetingChange::Reminder(Some(
                    now + (waited / 2).clamp(RETRY_AFTER, RETRY_AT_MOST),
                ));
                self.store.update_meeting(guild, zoom_id, &again).await?;
                Ok(Fate::Retried)
            }
        }
    }

    /// Moves a series' event on to the occurrence starting at `start`; one a moderator deleted
    /// is forgotten.
    async fn roll_event(
        &self,
        herald: &dyn Herald,
        record: &MeetingRecord,
        event: u64,
        start: Timestamp,
    ) {
        match herald
            .move_event(record.guild, event, start, record.end_of(start))
            .await
        {
            Ok(()) => {}
            Err(HeraldError::Gone(why)) => {
                // Discord ends an external event at its end time (and a moderator may delete
                // one): the next meeting gets an event of its own.
                tracing::info!(meeting_id = record.zoom_id, reason = %why, "the series' event is over; making the next one's");
                let replaced = match self.in_zoom(record).await {
                    Ok(meeting) => herald
                        .replace_event(record, start, &meeting.join_url)
                        .await
                        .ok(),
                    Err(_) => None,
                };
                let noted = self
                    .store
                    .update_meeting(
                        record.guild,
                        record.zoom_id,
                        &MeetingChange::Event(replaced),
                    )
                    .await;
                if let Err(err) = noted {
                    tracing::warn!(error = %err, "could not note the series' event");
                }
            }
            Err(HeraldError::Retry(why)) => {
                tracing::warn!(meeting_id = record.zoom_id, reason = %why, "could not move the series' event on");
            }
        }
    }

    /// The creator, then the event's interested members, each once, at most [`MENTIONS_MAX`].
    async fn audience(&self, herald: &dyn Herald, record: &MeetingRecord) -> Vec<MemberId> {
        let mut mentions = vec![record.creator];
        if let Some(event) = record.event {
            match herald.interested(record.guild, event).await {
                Ok(members) => mentions.extend(members),
                Err(err) => {
                    tracing::warn!(error = %err, "could not read who is interested; mentioning the creator only");
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        mentions.retain(|m| seen.insert(*m));
        mentions.truncate(MENTIONS_MAX);
        mentions
    }

    /// Runs the reminders' scheduler for good: a pass whenever a reminder is due, a new one was
    /// scheduled, or [`MAX_NAP`] passed. Reminders due while the bot was down are handled by the
    /// first pass. `counted` sees each pass.
    pub async fn run_reminders(self: Arc<Self>, herald: Arc<dyn Herald>, counted: impl Fn(Pass)) {
        loop {
            let now = Timestamp::now();
            let (full, shortest) = match self.remind_due(herald.as_ref(), now).await {
                Ok(pass) => {
                    counted(pass);
                    // Everything due is another replica's: look again once it had time to post.
                    let theirs = pass.picked > 0 && pass.elsewhere == pass.picked;
                    let shortest = if theirs { ELSEWHERE_NAP } else { MIN_NAP };
                    (pass.picked >= BATCH && !theirs, shortest)
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the reminders' scheduler could not read or write the store");
                    (false, MIN_NAP)
                }
            };
            if full {
                continue;
            }
            let next = self.store.next_reminder().await.ok().flatten();
            let nap = next.map_or(MAX_NAP, |due| {
                Duration::try_from(due - Timestamp::now())
                    .unwrap_or(Duration::ZERO)
                    .clamp(shortest, MAX_NAP)
            });
            tokio::select! {
                () = tokio::time::sleep(nap) => {}
                () = self.reminders_changed.notified() => {}
            }
        }
    }
}
