//! What Zoom's webhooks change in Discord: the meeting's message live or ended, its event active
//! or completed, a cancel or a move Zoom made, a recording's link. Each edits what exists where
//! it can, rather than posting anew.

use async_trait::async_trait;
use serenity::all::{
    ChannelId, CreateMessage, EditMessage, EditScheduledEvent, GuildId, MessageId,
    MessageReference, MessageReferenceKind, ScheduledEventId, ScheduledEventStatus, UserId,
};

use super::reply;
use super::rest::{Rest, error_code};
use crate::meetings::webhooks::{Effect, NotYet, Teller};
use crate::scheduling::settings::RecordingsTo;
use crate::store::MeetingRecord;

/// Shows webhook effects through Discord's REST API.
pub struct DiscordTeller(pub Rest);

/// Whether a failed call may succeed later (Discord down, a 5xx, a 429 past the REST layer's
/// waits): then the event waits, in order. A refusal that will not change (the message or the
/// event deleted, access taken away) is given up on: nothing is left to edit.
fn later(err: &serenity::Error) -> bool {
    is_server_side(err) || error_code(err).is_none()
}

fn is_server_side(err: &serenity::Error) -> bool {
    matches!(err, serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e)) if e.status_code.is_server_error() || e.status_code.as_u16() == 429)
}

fn outcome(what: &str, done: serenity::Result<()>) -> Result<(), NotYet> {
    match done {
        Ok(()) => Ok(()),
        Err(err) if later(&err) => Err(NotYet(err.to_string())),
        Err(err) => {
            tracing::info!(error = %err, "Discord refused a webhook's effect for good: {what}");
            Ok(())
        }
    }
}

impl DiscordTeller {
    /// Whether the meeting's message shows `effect` already (a live or ended meeting, a
    /// cancelled one); other effects are taken as not shown.
    async fn shown(&self, effect: &Effect) -> bool {
        let (record, mark) = match effect {
            Effect::Live { record, .. } => (record, reply::LIVE_MARK),
            Effect::Ended { record, .. } => (record, reply::ENDED_MARK),
            Effect::Cancelled { record } => (record, "Cancelled"),
            _ => return false,
        };
        let Some(message) = record.message else {
            return false;
        };
        let rest = &self.0;
        let Ok(shown) = rest
            .patiently(|| {
                ChannelId::new(record.channel.0).message(&rest.http, MessageId::new(message.0))
            })
            .await
        else {
            return false;
        };
        shown.embeds.iter().any(|e| {
            e.description.as_deref().is_some_and(|d| d.contains(mark))
                || e.title.as_deref().is_some_and(|t| t.starts_with(mark))
        })
    }

    async fn edit(&self, record: &MeetingRecord, edit: EditMessage) -> Result<(), NotYet> {
        let done = super::announce::edit_message(&self.0, record, edit).await;
        outcome("the meeting's message", done)
    }

    async fn event_status(
        &self,
        record: &MeetingRecord,
        status: ScheduledEventStatus,
    ) -> Result<(), NotYet> {
        let Some(event) = record.event else {
            return Ok(());
        };
        let rest = &self.0;
        let edit = EditScheduledEvent::new().status(status);
        let done = rest
            .patiently(|| {
                GuildId::new(record.guild.0).edit_scheduled_event(
                    &rest.http,
                    ScheduledEventId::new(event),
                    edit.clone(),
                )
            })
            .await
            .map(drop);
        outcome("the meeting's event", done)
    }

    async fn recording(
        &self,
        record: &MeetingRecord,
        link: &crate::secret::Secret,
        to: RecordingsTo,
    ) -> Result<(), NotYet> {
        let rest = &self.0;
        let text = reply::recording_ready(record, link);
        let done = match to {
            RecordingsTo::Off => return Ok(()),
            RecordingsTo::Host => {
                let user = UserId::new(record.creator.0);
                let message = CreateMessage::new()
                    .content(text)
                    .allowed_mentions(reply::no_mentions());
                rest.patiently(|| async {
                    user.create_dm_channel(&rest.http)
                        .await?
                        .send_message(&rest.http, message.clone())
                        .await
                })
                .await
                .map(drop)
            }
            RecordingsTo::Channel => {
                let channel = ChannelId::new(record.channel.0);
                let mut message = CreateMessage::new()
                    .content(text)
                    .allowed_mentions(reply::no_mentions());
                if let Some(replied) = record.message {
                    message = message.reference_message(
                        MessageReference::new(MessageReferenceKind::Default, channel)
                            .message_id(MessageId::new(replied.0))
                            .fail_if_not_exists(false),
                    );
                }
                rest.patiently(|| channel.send_message(&rest.http, message.clone()))
                    .await
                    .map(drop)
            }
        };
        outcome("the recording's link", done)
    }
}

#[async_trait]
impl Teller for DiscordTeller {
    async fn tell(&self, effect: &Effect, unsure: bool) -> Result<(), NotYet> {
        if unsure && self.shown(effect).await {
            return Ok(());
        }
        match effect {
            Effect::Live { record, started } => {
                self.edit(record, reply::live_meeting(record, *started))
                    .await?;
                self.event_status(record, ScheduledEventStatus::Active)
                    .await
            }
            Effect::Ended {
                record,
                started,
                ended,
            } => {
                self.edit(record, reply::ended_meeting(record, *started, *ended))
                    .await?;
                // Discord completes only an active event: one the bot never saw start is
                // made active first.
                self.event_status(record, ScheduledEventStatus::Active)
                    .await?;
                self.event_status(record, ScheduledEventStatus::Completed)
                    .await
            }
            Effect::Cancelled { record } => {
                super::announce::cancelled(&self.0, record, None).await;
                Ok(())
            }
            Effect::Moved { record } => {
                self.edit(record, reply::meeting_now(record)).await?;
                let rest = &self.0;
                let _ = super::announce::edit_event_to(rest, record).await;
                Ok(())
            }
            Effect::Recording { record, link, to } => self.recording(record, link, *to).await,
        }
    }
}
