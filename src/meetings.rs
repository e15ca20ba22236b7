//! The service every front end calls: create, list, cancel, host link. Settings → plan → Zoom →
//! record. Knows nothing of Discord: its callers hand it plain ids.

use std::sync::Arc;

use jiff::Timestamp;

use crate::ids::{ChannelId, GuildId, MemberId, MessageId};
use crate::scheduling::plan::{Defaults, MeetInput, MeetingPlan, PlanError, Recording, plan};
use crate::secret::Secret;
use crate::store::{MeetingRecord, Store, StoreError};
use crate::zoom::model::{AutoRecording, Meeting, NewMeeting};
use crate::zoom::{Missing, ZoomClient, ZoomError};

/// Who is asking, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requester {
    /// The server.
    pub guild: GuildId,
    /// The channel.
    pub channel: ChannelId,
    /// The member.
    pub member: MemberId,
    /// Whether the member has Manage Server (as Discord computed it for this interaction).
    pub manage_guild: bool,
}

/// Why a request failed. The words a member sees are written in `discord::reply`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// The input cannot make a meeting.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Zoom failed.
    #[error(transparent)]
    Zoom(#[from] ZoomError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No meeting with that id was created from this server.
    #[error("no upcoming meeting with id {0} was scheduled from this server")]
    UnknownMeeting(i64),
    /// Only the creator may do this.
    #[error("only the member who scheduled this meeting can do that")]
    NotCreator,
    /// Only the creator or a member with Manage Server may cancel.
    #[error(
        "only the member who scheduled this meeting, or a member with Manage Server, can cancel it"
    )]
    NotAllowedToCancel,
    /// Already cancelled.
    #[error("this meeting was already cancelled")]
    AlreadyCancelled,
}

/// A meeting just created: what was planned and what Zoom made of it.
#[derive(Debug, Clone)]
pub struct Created {
    /// The checked plan (start in the zone it was read in).
    pub plan: MeetingPlan,
    /// Zoom's meeting, with its join link, start link and passcode.
    pub meeting: Meeting,
    /// What the store keeps of it.
    pub record: MeetingRecord,
}

/// The meetings service.
pub struct Meetings {
    zoom: Arc<ZoomClient>,
    store: Arc<dyn Store>,
}

impl Meetings {
    /// A service over `zoom` and `store`.
    pub fn new(zoom: Arc<ZoomClient>, store: Arc<dyn Store>) -> Self {
        Self { zoom, store }
    }

    /// The Zoom client.
    pub fn zoom(&self) -> &ZoomClient {
        &self.zoom
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Plans, creates and records a meeting. The record is durable before this returns.
    pub async fn create(
        &self,
        who: &Requester,
        input: &MeetInput,
    ) -> Result<Created, ServiceError> {
        let plan = plan(input, &Defaults::default(), Timestamp::now())?;
        let meeting = self
            .zoom
            .create_meeting(self.zoom.host_user(), &new_meeting(&plan))
            .await?;
        let record = MeetingRecord {
            guild: who.guild,
            channel: who.channel,
            message: None,
            creator: who.member,
            zoom_id: meeting.id,
            topic: plan.topic.clone(),
            start: plan.start.timestamp(),
            duration_minutes: plan.length.minutes(),
            timezone: plan
                .start
                .time_zone()
                .iana_name()
                .unwrap_or("UTC")
                .to_owned(),
            cancelled: false,
        };
        if let Err(err) = self.save(&record).await {
            // A meeting nobody can find or cancel helps no one: undo it, then report.
            if let Err(undo) = self.zoom.delete_meeting(meeting.id).await {
                tracing::error!(meeting_id = meeting.id, error = %undo, "could not delete a meeting that was not recorded");
            }
            return Err(err);
        }
        Ok(Created {
            plan,
            meeting,
            record,
        })
    }

    /// Notes where the public message of a meeting is, so cancelling can edit it.
    pub async fn attach_message(
        &self,
        guild: GuildId,
        zoom_id: i64,
        channel: ChannelId,
        message: MessageId,
    ) -> Result<(), ServiceError> {
        let mut record = self
            .store
            .meeting(guild, zoom_id)?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        record.channel = channel;
        record.message = Some(message);
        self.save(&record).await
    }

    /// This server's meetings that have not ended and were not cancelled, soonest first.
    pub fn upcoming(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, ServiceError> {
        let now = Timestamp::now();
        let mut meetings: Vec<_> = self
            .store
            .guild_meetings(guild)?
            .into_iter()
            .filter(|m| !m.cancelled && m.end() > now)
            .collect();
        meetings.sort_by_key(|m| (m.start, m.zoom_id));
        Ok(meetings)
    }

    /// Cancels a meeting: deletes it in Zoom and marks the record. The creator or a member with
    /// Manage Server may.
    pub async fn cancel(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<MeetingRecord, ServiceError> {
        let mut record = self
            .store
            .meeting(who.guild, zoom_id)?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        if record.cancelled {
            return Err(ServiceError::AlreadyCancelled);
        }
        if record.creator != who.member && !who.manage_guild {
            return Err(ServiceError::NotAllowedToCancel);
        }
        match self.zoom.delete_meeting(zoom_id).await {
            // Deleted in Zoom already: the bot's record just catches up.
            Ok(()) | Err(ZoomError::NotFound(Missing::Meeting(_))) => {}
            Err(err) => return Err(err.into()),
        }
        record.cancelled = true;
        self.save(&record).await?;
        Ok(record)
    }

    /// A freshly issued start link (they expire after about two hours), for the creator only.
    pub async fn host_link(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<(MeetingRecord, Secret), ServiceError> {
        let record = self
            .store
            .meeting(who.guild, zoom_id)?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        if record.cancelled {
            return Err(ServiceError::AlreadyCancelled);
        }
        if record.creator != who.member {
            return Err(ServiceError::NotCreator);
        }
        let meeting = self.zoom.get_meeting(zoom_id).await?;
        let link = meeting.start_url.ok_or_else(|| ZoomError::Api {
            status: 200,
            code: None,
            message: "Zoom returned the meeting without a start link".to_owned(),
        })?;
        Ok((record, link))
    }

    async fn save(&self, record: &MeetingRecord) -> Result<(), ServiceError> {
        self.store.put_meeting(record)?;
        self.store.flush().await?;
        Ok(())
    }
}

/// The Zoom request for a plan: exactly the effective values, nothing else.
pub fn new_meeting(plan: &MeetingPlan) -> NewMeeting {
    let mut m = NewMeeting::new(
        plan.topic.clone(),
        plan.start.timestamp(),
        plan.length.minutes(),
    );
    m.timezone = plan.start.time_zone().iana_name().map(str::to_owned);
    m.agenda.clone_from(&plan.agenda);
    m.password = plan.passcode.clone().map(Secret::new);
    if plan.passcode.is_none() && !plan.auto_passcode {
        m.default_password = Some(false);
    }
    m.settings.waiting_room = plan.waiting_room;
    m.settings.join_before_host = plan.join_before_host;
    m.settings.mute_upon_entry = plan.mute_upon_entry;
    m.settings.auto_recording = plan.recording.map(|r| match r {
        Recording::None => AutoRecording::None,
        Recording::Local => AutoRecording::Local,
        Recording::Cloud => AutoRecording::Cloud,
    });
    m
}
