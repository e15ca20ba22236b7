//! Moving a meeting: the same reading of `when` as /meet, Zoom's PATCH, then the record and its
//! reminder.

use jiff::Timestamp;

use super::{Meetings, Requester, ServiceError, defaults};
use crate::scheduling::plan::{MeetInput, MeetingPlan, PlanError, plan};
use crate::store::{MeetingChange, MeetingRecord};
use crate::zoom::model::{MeetingUpdate, Recurrence};

/// What `/meetings reschedule` asks for.
#[derive(Debug, Clone, Default)]
pub struct RescheduleInput {
    /// The new start, as typed ("tomorrow 16:00").
    pub when: String,
    /// A new length; the meeting's own when absent.
    pub duration: Option<String>,
    /// The zone `when` is read in, over the member's and the server's.
    pub timezone: Option<String>,
    /// The member's Discord locale.
    pub locale: Option<String>,
}

/// A meeting moved: its record before and after.
#[derive(Debug, Clone)]
pub struct Rescheduled {
    /// The record as it was.
    pub before: MeetingRecord,
    /// The record now.
    pub after: MeetingRecord,
    /// The new start, in the zone it was read in.
    pub plan: MeetingPlan,
}

impl Meetings {
    /// Moves a meeting to a new start (and length). The creator or a member with Manage Server
    /// may, while it has not started; the new start must lie ahead. Counts against the host's
    /// daily limit, which Zoom applies to updates as to creates.
    pub async fn reschedule(
        &self,
        who: &Requester,
        zoom_id: i64,
        input: &RescheduleInput,
    ) -> Result<Rescheduled, ServiceError> {
        let record = self.recorded(who, zoom_id).await?;
        if record.creator != who.member && !who.manage_guild {
            return Err(ServiceError::NotAllowedToReschedule);
        }
        let now = Timestamp::now();
        if record.start <= now {
            return Err(if record.end() <= now {
                ServiceError::MeetingOver
            } else {
                ServiceError::AlreadyStarted
            });
        }
        let settings = self.store.guild_settings(who.guild).await?;
        let prefs = self.store.member_prefs(who.member).await?;
        let length = format!("{}m", record.duration_minutes);
        let asked = MeetInput {
            topic: record.topic.clone(),
            when: Some(input.when.clone()),
            duration: Some(input.duration.clone().unwrap_or(length)),
            timezone: input.timezone.clone(),
            locale: input.locale.clone(),
            ..MeetInput::default()
        };
        let plan = plan(&asked, &defaults(&settings, prefs), now)?;
        let start = plan.start.timestamp();
        if start <= now {
            return Err(ServiceError::StartNotAhead);
        }
        // Zoom's meeting under that number must still be ours before it is moved.
        self.in_zoom(&record).await?;
        let host = self.host_user_of(&record, &settings).await?;
        let host = host.as_str();
        let day = self.take_host_day(host).await?;
        let mut update = MeetingUpdate::reschedule(start, plan.length.minutes());
        if let Some(series) = &record.series {
            // The whole series moves, repeating in the zone it was made in (Zoom's), with a
            // rule that follows the new first start (another weekday, another day of the month).
            let first = start.to_zoned(record.zoned_start().time_zone().clone());
            series.check_start(&first).map_err(PlanError::from)?;
            update.recurrence = Some(Recurrence::from(&series.rule(&first)));
        }
        if let Err(err) = self
            .zoom_for(&record)
            .update_meeting(zoom_id, &update)
            .await
        {
            if !err.is_ambiguous() {
                self.give_back_host_day(host, day).await;
            }
            return Err(err.into());
        }
        let change = MeetingChange::Reschedule {
            start,
            duration_minutes: plan.length.minutes(),
            now,
        };
        let after = self
            .store
            .update_meeting(who.guild, zoom_id, &change)
            .await?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        self.store.flush().await?;
        self.reminders_changed.notify_one();
        Ok(Rescheduled {
            before: record,
            after,
            plan,
        })
    }
}
