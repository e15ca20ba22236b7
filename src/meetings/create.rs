//! Creating a meeting: settings → plan → limits → Zoom → record, and finishing one that a process
//! which died had taken up (the record it made, or the meeting Zoom made for it, else a new one).

use jiff::Timestamp;

use super::limits::Taken;
use super::{Created, Host, Meetings, Requester, ServiceError, new_meeting};
use crate::scheduling::plan::{MeetInput, MeetingPlan, plan};
use crate::store::{GuildSettings, MeetingChange, MeetingRecord};
use crate::zoom::ZoomError;
use crate::zoom::meetings::KnownFuture;
use crate::zoom::model::Meeting;

impl Meetings {
    /// Plans, creates and records a meeting. The record is durable before this returns.
    pub async fn create(
        &self,
        who: &Requester,
        input: &MeetInput,
    ) -> Result<Created, ServiceError> {
        self.create_at(who, input, Timestamp::now()).await
    }

    /// [`Meetings::create`] with times in `input` read as at `at`: the moment the interaction
    /// was taken up and written down, so that finishing it elsewhere plans the same meeting.
    pub async fn create_at(
        &self,
        who: &Requester,
        input: &MeetInput,
        at: Timestamp,
    ) -> Result<Created, ServiceError> {
        self.create_once(who, input, at, false).await
    }

    /// Finishes the /meet `input` of `who` that a process which died took up at `since`: the
    /// meeting it recorded (its `record.message` set when the channel was told too), or the one
    /// Zoom made for it, or else a new one. Times in `input` are read as at `since`, and no
    /// limit counts it a second time.
    pub async fn resume_create(
        &self,
        who: &Requester,
        input: &MeetInput,
        since: Timestamp,
    ) -> Result<Created, ServiceError> {
        self.create_once(who, input, since, true).await
    }

    async fn create_once(
        &self,
        who: &Requester,
        input: &MeetInput,
        at: Timestamp,
        resuming: bool,
    ) -> Result<Created, ServiceError> {
        let resumed = resuming.then_some(at);
        let (settings, defaults) = self.meet_defaults(who).await?;
        let plan = plan(input, &defaults, at)?;
        let host = self.host_of(who, &settings).await?;
        if let Some(since) = resumed
            && let Some(record) = self.recorded_since(who, &plan, since).await?
        {
            tracing::info!(
                meeting_id = record.zoom_id,
                "the meeting had been created and recorded"
            );
            let meeting = host.zoom.get_meeting(record.zoom_id).await?;
            return Ok(created(&settings, host, plan, meeting, record));
        }
        // A member's own account is a Zoom user of its own: its daily limit is its own.
        let taken = match resumed {
            Some(_) => Taken::default(),
            None => self.take_quotas(who, &settings, &host.user).await?,
        };
        let meeting = match self.zoom_create(&host, &plan, resumed).await {
            Ok(meeting) => meeting,
            Err(err) => {
                // Only meetings that exist count: a failure costs the member and the server
                // nothing — even an uncertain one, which the client has looked into twice. The
                // host's count stays spent then: Zoom may have counted it.
                self.give_back(who, &taken, !err.is_ambiguous()).await;
                return Err(err.into());
            }
        };
        let mut record = MeetingRecord {
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
            uuid: meeting.uuid.clone(),
            created_at: meeting.created_at,
            event: None,
            reminder_due: None,
            reminded: None,
            reminder_minutes: Some(settings.reminder_lead()),
            series: plan.series,
            skipped: Vec::new(),
            // A series' event is made for its first occurrence, then moves on.
            event_at: plan
                .series
                .filter(|_| settings.events_on())
                .map(|_| plan.start.timestamp()),
            held: None,
            member_host: host.email.is_some(),
        };
        let now = Timestamp::now();
        record.settle(now);
        record.reminder_due = record.wake(now);
        if let Err(err) = self.save(&record).await {
            // A meeting nobody can find or cancel helps no one: undo it, then report.
            if let Err(undo) = host.zoom.delete_meeting(meeting.id).await {
                tracing::error!(meeting_id = meeting.id, error = %undo, "could not delete a meeting that was not recorded");
            }
            // The write may have landed without being made durable: keep it out of every list.
            let _ = self
                .store
                .update_meeting(who.guild, meeting.id, &MeetingChange::Cancel)
                .await;
            self.give_back(who, &taken, false).await;
            return Err(err);
        }
        if record.reminder_due.is_some() {
            self.reminders_changed.notify_one();
        }
        Ok(created(&settings, host, plan, meeting, record))
    }

    /// The meeting at Zoom for `plan`: the one a create taken up at `resumed` made, if it made
    /// one, else a new one.
    async fn zoom_create(
        &self,
        host: &Host,
        plan: &MeetingPlan,
        resumed: Option<Timestamp>,
    ) -> Result<Meeting, ZoomError> {
        // A meeting number someone was given already is never adopted by this create.
        let known = |id| -> KnownFuture<'_> {
            Box::pin(async move { !matches!(self.store.zoom_meeting(id).await, Ok(None)) })
        };
        let zoom_user = if host.email.is_some() {
            "me"
        } else {
            &host.user
        };
        let asked = new_meeting(plan);
        if let Some(since) = resumed
            && let Some(adopted) = host
                .zoom
                .adopt_meeting(zoom_user, &asked, since, &known)
                .await?
        {
            tracing::info!(
                meeting_id = adopted.id,
                "the meeting had been created; adopting it"
            );
            return Ok(adopted);
        }
        host.zoom.create_meeting(zoom_user, &asked, &known).await
    }

    /// The meeting `who` scheduled as `plan` and recorded since `since`, if any.
    async fn recorded_since(
        &self,
        who: &Requester,
        plan: &MeetingPlan,
        since: Timestamp,
    ) -> Result<Option<MeetingRecord>, ServiceError> {
        let start = plan.start.timestamp();
        // Zoom's `created_at` has whole seconds, on Zoom's clock.
        let earliest = since - jiff::SignedDuration::from_secs(2);
        Ok(self
            .store
            .meetings_ending_after(who.guild, start)
            .await?
            .into_iter()
            .find(|r| {
                r.creator == who.member
                    && !r.cancelled
                    && r.topic == plan.topic
                    && r.start == start
                    && r.created_at.is_some_and(|c| c >= earliest)
            }))
    }
}

/// What a create hands back to the front end.
fn created(
    settings: &GuildSettings,
    host: Host,
    plan: MeetingPlan,
    meeting: Meeting,
    record: MeetingRecord,
) -> Created {
    Created {
        member_host: host.email,
        events: settings.events_on(),
        event_problem: None,
        plan,
        meeting,
        record,
        dm_host_link: settings.dm_host_link.unwrap_or(false),
    }
}
