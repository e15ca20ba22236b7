//! Reminders and reschedules against the in-memory Zoom and store, with a Discord that records
//! what it was asked to post and fails on demand; the clock is handed in.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::{member, service, topic};
use crate::ids::{GuildId, MemberId};
use crate::meetings::{
    DueReminder, Herald, HeraldError, Meetings, Pass, Requester, RescheduleInput, ServiceError,
};
use crate::scheduling::WhenError;
use crate::scheduling::plan::PlanError;
use crate::store::{GuildSettings, MeetingChange, MeetingRecord, SettingsChange, Store};
use crate::zoom::ZoomError;

/// Discord as the scheduler sees it: the reminders it took, in order, and answers to give.
#[derive(Default)]
pub(super) struct Posts {
    pub(super) taken: Mutex<Vec<DueReminder>>,
    fail_next: Mutex<VecDeque<HeraldError>>,
    interested: Mutex<Vec<MemberId>>,
    pub(super) moved: Mutex<Vec<(u64, Timestamp)>>,
}

impl Posts {
    pub(super) fn taken(&self) -> Vec<DueReminder> {
        self.taken.lock().unwrap().clone()
    }
}

#[async_trait]
impl Herald for Posts {
    async fn interested(&self, _: GuildId, _: u64) -> Result<Vec<MemberId>, HeraldError> {
        Ok(self.interested.lock().unwrap().clone())
    }

    async fn move_event(
        &self,
        _: GuildId,
        event: u64,
        start: Timestamp,
        _: Timestamp,
    ) -> Result<(), HeraldError> {
        self.moved.lock().unwrap().push((event, start));
        Ok(())
    }

    async fn replace_event(
        &self,
        _: &MeetingRecord,
        start: Timestamp,
        _: &str,
    ) -> Result<u64, HeraldError> {
        self.moved.lock().unwrap().push((0, start));
        Ok(1000)
    }

    async fn post_reminder(&self, reminder: &DueReminder) -> Result<(), HeraldError> {
        if let Some(err) = self.fail_next.lock().unwrap().pop_front() {
            return Err(err);
        }
        self.taken.lock().unwrap().push(reminder.clone());
        Ok(())
    }
}

async fn scheduled(service: &Meetings, who: &Requester, name: &str) -> MeetingRecord {
    service.create(who, &topic(name)).await.unwrap().record
}

pub(super) fn due(record: &MeetingRecord) -> Timestamp {
    record.reminder_due.expect("a reminder is pending")
}

fn pass(picked: usize, posted: usize, dropped: usize) -> Pass {
    Pass {
        picked,
        posted,
        dropped,
        ..Pass::default()
    }
}

#[tokio::test]
async fn a_reminder_falls_due_its_lead_before_the_start_and_is_posted_once() {
    let (service, _, _) = service();
    let posts = Posts::default();
    let record = scheduled(&service, &member(1), "sync").await;
    assert_eq!(due(&record), record.start - SignedDuration::from_mins(15));

    let early = service.remind_due(&posts, due(&record) - SignedDuration::from_secs(1));
    assert_eq!(early.await.unwrap(), Pass::default());
    assert_eq!(
        service.remind_due(&posts, due(&record)).await.unwrap(),
        pass(1, 1, 0)
    );
    let again = service.remind_due(&posts, due(&record) + SignedDuration::from_mins(1));
    assert_eq!(again.await.unwrap(), Pass::default(), "recorded as posted");

    let taken = posts.taken();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].occurrence, record.start);
    assert_eq!(taken[0].mentions, [MemberId(1)]);
    assert!(
        taken[0]
            .join_url
            .as_deref()
            .is_some_and(|u| u.contains("/j/"))
    );
}

#[tokio::test]
async fn a_reminder_posted_again_after_a_lost_record_carries_the_same_nonce() {
    let (service, _, store) = service();
    let posts = Posts::default();
    let record = scheduled(&service, &member(1), "sync").await;
    service.remind_due(&posts, due(&record)).await.unwrap();
    // A crash between the post and its record: the store still has it as it was, pending.
    store.put_meeting(&record).await.unwrap();

    service.remind_due(&posts, due(&record)).await.unwrap();

    let taken = posts.taken();
    assert_eq!(taken.len(), 2);
    assert_eq!(
        taken[0].nonce, taken[1].nonce,
        "Discord answers the second with the first"
    );
}

#[tokio::test]
async fn cancelled_meetings_get_no_reminder() {
    let (service, _, _) = service();
    let posts = Posts::default();
    let record = scheduled(&service, &member(1), "sync").await;
    let cancelled = service.cancel(&member(1), record.zoom_id).await.unwrap();
    assert_eq!(cancelled.reminder_due, None);

    let handled = service.remind_due(&posts, record.start).await.unwrap();

    assert_eq!(handled, Pass::default());
    assert!(posts.taken().is_empty());
}

#[tokio::test]
async fn a_reminder_due_while_the_bot_was_down_is_posted_before_the_start_and_dropped_after() {
    let (service, _, _) = service();
    let posts = Posts::default();
    let one = scheduled(&service, &member(1), "one").await;
    let two = Meetings::create(
        &service,
        &member(2),
        &crate::scheduling::plan::MeetInput {
            when: Some("tomorrow 15:10".into()),
            ..topic("two")
        },
    )
    .await
    .unwrap()
    .record;

    // Back up (or the clock jumped) past `one`'s start but before `two`'s.
    let now = one.start + SignedDuration::from_mins(1);
    assert!(now < two.start);
    let handled = service.remind_due(&posts, now).await.unwrap();

    // Two was due six minutes ago: posted, and counted late.
    assert_eq!(
        handled,
        Pass {
            late: 1,
            ..pass(2, 1, 1)
        }
    );
    let taken = posts.taken();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].record.zoom_id, two.zoom_id);
}

#[tokio::test]
async fn a_failed_post_is_tried_again_shortly_and_a_gone_channel_drops_it() {
    let (service, _, _) = service();
    let posts = Posts::default();
    let record = scheduled(&service, &member(1), "sync").await;
    posts
        .fail_next
        .lock()
        .unwrap()
        .push_back(HeraldError::Retry("503".into()));

    let first = service.remind_due(&posts, due(&record)).await.unwrap();
    assert_eq!(first.retried, 1);
    let soon = due(&record) + SignedDuration::from_secs(1);
    assert_eq!(
        service.remind_due(&posts, soon).await.unwrap(),
        Pass::default()
    );
    let later = due(&record) + SignedDuration::from_secs(2);
    assert_eq!(
        service.remind_due(&posts, later).await.unwrap(),
        pass(1, 1, 0)
    );
    assert_eq!(posts.taken().len(), 1);

    let other = scheduled(&service, &member(2), "other").await;
    posts
        .fail_next
        .lock()
        .unwrap()
        .push_back(HeraldError::Gone("Unknown Channel".into()));
    assert_eq!(
        service.remind_due(&posts, due(&other)).await.unwrap(),
        pass(1, 0, 1)
    );
    let after = due(&other) + SignedDuration::from_mins(1);
    assert_eq!(
        service.remind_due(&posts, after).await.unwrap(),
        Pass::default()
    );
}

#[tokio::test]
async fn the_creator_and_each_interested_member_are_mentioned_once_and_at_most_a_hundred() {
    let (service, _, store) = service();
    let posts = Posts::default();
    let record = scheduled(&service, &member(1), "sync").await;
    store
        .update_meeting(GuildId(1), record.zoom_id, &MeetingChange::Event(Some(77)))
        .await
        .unwrap();
    *posts.interested.lock().unwrap() = (1..=150).map(MemberId).collect();

    service.remind_due(&posts, due(&record)).await.unwrap();

    let mentions = posts.taken()[0].mentions.clone();
    assert_eq!(mentions.len(), 100);
    assert_eq!(mentions[0], MemberId(1));
    assert_eq!(mentions.iter().filter(|m| **m == MemberId(1)).count(), 1);
}

#[tokio::test]
async fn reminders_off_schedules_none_and_a_longer_lead_is_due_earlier() {
    let (service, _, store) = service();
    let off = GuildSettings {
        reminder_minutes: Some(0),
        ..GuildSettings::default()
    };
    store
        .update_guild_settings(GuildId(1), SettingsChange::Set(&off))
        .await
        .unwrap();
    assert_eq!(
        scheduled(&service, &member(1), "a").await.reminder_due,
        None
    );

    let hour = GuildSettings {
        reminder_minutes: Some(60),
        ..GuildSettings::default()
    };
    store
        .update_guild_settings(GuildId(1), SettingsChange::Set(&hour))
        .await
        .unwrap();
    let record = scheduled(&service, &member(1), "b").await;
    assert_eq!(due(&record), record.start - SignedDuration::from_hours(1));
}

fn moved_to(when: &str) -> RescheduleInput {
    RescheduleInput {
        when: when.into(),
        timezone: Some("UTC".into()),
        ..RescheduleInput::default()
    }
}

#[tokio::test]
async fn a_reschedule_moves_zoom_the_record_and_the_reminder_only_to_the_new_time() {
    let (service, zoom, _) = service();
    let posts = Posts::default();
    let record = scheduled(&service, &member(1), "sync").await;

    let moved = service
        .reschedule(&member(1), record.zoom_id, &moved_to("in 3 days 10:00"))
        .await
        .unwrap();

    let at_zoom = zoom.meetings.lock().unwrap()[&record.zoom_id].clone();
    assert_eq!(at_zoom.start_time, Some(moved.after.start));
    assert_ne!(moved.after.start, record.start);
    assert_eq!(
        moved.after.reminder_due,
        Some(moved.after.start - SignedDuration::from_mins(15))
    );
    // The old due time passes with nothing posted; the new one posts once.
    let old = service.remind_due(&posts, due(&record)).await.unwrap();
    assert_eq!(old, Pass::default());
    let new = service.remind_due(&posts, due(&moved.after)).await.unwrap();
    assert_eq!(new, pass(1, 1, 0));
    assert_eq!(posts.taken()[0].occurrence, moved.after.start);
}

#[tokio::test]
async fn only_the_creator_or_a_manager_may_reschedule_and_only_to_a_time_ahead() {
    let (service, _, _) = service();
    let record = scheduled(&service, &member(1), "sync").await;

    let other = service
        .reschedule(&member(2), record.zoom_id, &moved_to("in 2 days"))
        .await;
    assert!(
        matches!(other, Err(ServiceError::NotAllowedToReschedule)),
        "{other:?}"
    );
    let past = service
        .reschedule(&member(1), record.zoom_id, &moved_to("2026-01-05 10:00"))
        .await;
    assert!(
        matches!(
            past,
            Err(ServiceError::Plan(PlanError::When(
                WhenError::InPast { .. }
            )))
        ),
        "{past:?}"
    );
    let manager = Requester {
        manage_guild: true,
        ..member(3)
    };
    service
        .reschedule(&manager, record.zoom_id, &moved_to("in 2 days"))
        .await
        .expect("a manager may");
    service.cancel(&member(1), record.zoom_id).await.unwrap();
    let cancelled = service
        .reschedule(&member(1), record.zoom_id, &moved_to("in 4 days"))
        .await;
    assert!(
        matches!(cancelled, Err(ServiceError::AlreadyCancelled)),
        "{cancelled:?}"
    );
}

#[tokio::test]
async fn a_reschedule_counts_against_the_hosts_day_and_a_refused_one_gives_it_back() {
    let (service, zoom, _) = service();
    let service = service.with_limits(crate::meetings::Limits {
        per_host_per_day: 2,
        ..crate::meetings::Limits::DEFAULT
    });
    let record = scheduled(&service, &member(1), "sync").await;
    zoom.fail_next(ZoomError::Invalid {
        message: "Invalid field.".into(),
        errors: Vec::new(),
    });
    assert!(
        service
            .reschedule(&member(1), record.zoom_id, &moved_to("in 2 days"))
            .await
            .is_err()
    );

    service
        .reschedule(&member(1), record.zoom_id, &moved_to("in 2 days"))
        .await
        .expect("the refused update was given back");
    let third = service
        .reschedule(&member(1), record.zoom_id, &moved_to("in 3 days"))
        .await;
    assert!(
        matches!(
            third,
            Err(ServiceError::Zoom(ZoomError::RateLimited {
                daily: true,
                ..
            }))
        ),
        "{third:?}"
    );
}

#[tokio::test]
async fn a_meeting_scheduled_inside_its_lead_gets_no_reminder_and_a_step_for_its_old_time_loses_to_a_move()
 {
    let (service, _, store) = service();
    let soon = service
        .create(
            &member(1),
            &crate::scheduling::plan::MeetInput {
                when: Some("in 10 minutes".into()),
                ..topic("soon")
            },
        )
        .await
        .unwrap()
        .record;
    assert_eq!(soon.reminder_due, None, "its announcement is fresh");

    let r = scheduled(&service, &member(1), "sync").await;
    let moved = service
        .reschedule(&member(1), r.zoom_id, &moved_to("in 3 days 10:00"))
        .await
        .unwrap();
    // The scheduler had read the record before the move and reminded the old start.
    let late_step = MeetingChange::Stepped {
        reminded: Some(r.start),
        event_at: None,
        now: due(&r),
        start: r.start,
    };
    let after = store
        .update_meeting(GuildId(1), r.zoom_id, &late_step)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.reminded, None);
    assert_eq!(after.reminder_due, moved.after.reminder_due);
}
