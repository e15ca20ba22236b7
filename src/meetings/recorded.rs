//! Acting on a recorded meeting — cancelling it, handing out its host link — only while Zoom's
//! meeting under that number is still the one recorded: Zoom reuses numbers.

use jiff::Timestamp;

use super::{Meetings, Requester, ServiceError};
use crate::secret::Secret;
use crate::store::{MeetingChange, MeetingRecord};
use crate::zoom::model::Meeting;
use crate::zoom::{Missing, ZoomError};

/// How long after its planned end a meeting still gets host links: meetings overrun.
const HOST_LINK_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

impl Meetings {
    /// Cancels a meeting: deletes it in Zoom and marks the record. The creator or a member with
    /// Manage Server may. Zoom's meeting under that number is checked to be the recorded one
    /// first: a number Zoom reused belongs to someone else's meeting.
    pub async fn cancel(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<MeetingRecord, ServiceError> {
        let record = self.recorded(who, zoom_id).await?;
        if record.creator != who.member && !who.manage_guild {
            return Err(ServiceError::NotAllowedToCancel);
        }
        let deleted = match self.in_zoom(&record).await {
            Ok(_) => self.zoom_for(&record).delete_meeting(zoom_id).await,
            Err(ServiceError::GoneFromZoom(_)) => Ok(()),
            Err(err) => return Err(err),
        };
        match deleted {
            // Deleted in Zoom already: the bot's record just catches up.
            Ok(()) | Err(ZoomError::NotFound(Missing::Meeting(_))) => {}
            Err(err) => return Err(err.into()),
        }
        let record = self
            .store
            .update_meeting(who.guild, zoom_id, &MeetingChange::Cancel)
            .await?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        self.store.flush().await?;
        Ok(record)
    }

    /// Cancels the next occurrence of a series (the whole series when it is the last one left):
    /// deletes it in Zoom by its occurrence id and notes it skipped. The same rules as
    /// [`Meetings::cancel`]. Returns the record and the occurrence's start.
    pub async fn cancel_next(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<(MeetingRecord, Option<Timestamp>), ServiceError> {
        let record = self.recorded(who, zoom_id).await?;
        let now = Timestamp::now();
        let upcoming: Vec<Timestamp> = record
            .occurrences()
            .into_iter()
            .filter(|s| *s > now)
            .collect();
        if record.series.is_none() || upcoming.len() < 2 {
            return Ok((self.cancel(who, zoom_id).await?, None));
        }
        if record.creator != who.member && !who.manage_guild {
            return Err(ServiceError::NotAllowedToCancel);
        }
        let next = upcoming[0];
        let meeting = self.in_zoom(&record).await?;
        let occurrence = meeting
            .occurrences
            .iter()
            .find(|o| o.start_time == next)
            .ok_or(ServiceError::GoneFromZoom(zoom_id))?;
        match self
            .zoom_for(&record)
            .delete_occurrence(zoom_id, &occurrence.occurrence_id)
            .await
        {
            Ok(()) | Err(ZoomError::NotFound(Missing::Meeting(_))) => {}
            Err(err) => return Err(err.into()),
        }
        let record = self
            .store
            .update_meeting(
                who.guild,
                zoom_id,
                &MeetingChange::Skip { start: next, now },
            )
            .await?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        self.store.flush().await?;
        self.reminders_changed.notify_one();
        Ok((record, Some(next)))
    }

    /// A meeting's join link, fresh from Zoom, for anyone the lists show it to (its channel, its
    /// creator, or a member with Manage Server).
    pub async fn join_link(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<(MeetingRecord, String), ServiceError> {
        let record = self.recorded(who, zoom_id).await?;
        if !who.manage_guild && !super::Scope::Channel.shows(&record, who) {
            return Err(ServiceError::UnknownMeeting(zoom_id));
        }
        let meeting = self.in_zoom(&record).await?;
        Ok((record, meeting.join_url))
    }

    /// A freshly issued start link (they expire after about two hours), for the creator only,
    /// until an hour after the meeting's planned end, and only from the recorded meeting.
    pub async fn host_link(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<(MeetingRecord, Secret), ServiceError> {
        let record = self.recorded(who, zoom_id).await?;
        if record.creator != who.member {
            return Err(ServiceError::NotCreator);
        }
        if record.end() + HOST_LINK_GRACE < Timestamp::now() {
            return Err(ServiceError::MeetingOver);
        }
        if !self.limits.host_links.is_off() {
            self.take_slot(
                &super::limits::host_link_key(who.member),
                self.limits.host_links,
            )
            .await?
            .map_err(|retry_at| ServiceError::HostLinkLimit { retry_at })?;
        }
        let meeting = self.in_zoom(&record).await?;
        let link = meeting.start_url.ok_or_else(|| {
            ZoomError::Unreadable("the meeting came without its start link".to_owned())
        })?;
        Ok((record, link))
    }

    /// This server's record of a meeting that was not cancelled.
    pub(super) async fn recorded(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<MeetingRecord, ServiceError> {
        let record = self
            .store
            .meeting(who.guild, zoom_id)
            .await?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        if record.cancelled {
            return Err(ServiceError::AlreadyCancelled);
        }
        Ok(record)
    }

    /// Zoom's meeting under the record's number, if it is the recorded one: the same UUID (once
    /// known) or creation time, topic and start. Learns the UUID the first time.
    pub(super) async fn in_zoom(&self, record: &MeetingRecord) -> Result<Meeting, ServiceError> {
        let meeting = match self.zoom_for(record).get_meeting(record.zoom_id).await {
            Err(ZoomError::NotFound(Missing::Meeting(_))) => {
                return Err(ServiceError::GoneFromZoom(record.zoom_id));
            }
            other => other?,
        };
        if !is_recorded(record, &meeting) {
            tracing::warn!(
                meeting_id = record.zoom_id,
                "Zoom's meeting under this number is not the one the bot recorded; refusing it"
            );
            return Err(ServiceError::GoneFromZoom(record.zoom_id));
        }
        if record.uuid.is_none()
            && let Some(uuid) = &meeting.uuid
        {
            // Best effort: without it, the creation time still tells the meetings apart.
            let learned = self
                .store
                .update_meeting(
                    record.guild,
                    record.zoom_id,
                    &MeetingChange::Uuid(uuid.clone()),
                )
                .await;
            if let Err(err) = learned {
                tracing::warn!(error = %err, "could not note a meeting's UUID");
            }
        }
        Ok(meeting)
    }
}

/// Whether Zoom's `meeting` is the one `record` was made for, not a later meeting Zoom gave the
/// same number.
fn is_recorded(record: &MeetingRecord, meeting: &Meeting) -> bool {
    let same = |a: Option<&str>, b: Option<&str>| a.zip(b).is_none_or(|(a, b)| a == b);
    same(record.uuid.as_deref(), meeting.uuid.as_deref())
        && record
            .created_at
            .zip(meeting.created_at)
            .is_none_or(|(a, b)| a == b)
        && meeting.topic == record.topic
        // Zoom keeps whole seconds; a series may be shown at any of its occurrences.
        && meeting.start_time.is_some_and(|zoom| {
            zoom.as_second() == record.start.as_second()
                || (record.series.is_some() && record.occurrences().contains(&zoom))
        })
}
