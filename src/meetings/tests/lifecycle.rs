//! Reminders and reschedules against the in-memory Zoom and store, with a Discord that records
//! what it was asked to post and fails on demand; the clock is handed in.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::{member, service, topic};
use crate::ids::{GuildId, MemberId};
use crate::meetings::{DueReminder, Herald, HeraldError, Meetings, Pass, Requester};
use crate::store::{GuildSettings, MeetingChange, MeetingRecord, SettingsChange, Store};

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

pub(super) async fn scheduled(service: &Meetings, who: &Requester, name: &str) -> MeetingRecord {
    service.create(who, &topic(name)).await.unwrap().record
}

pub(super) fn due(record: &MeetingRecord) -> Timestamp {
    record.reminder_due.expect("a reminder is pending")
}

pub(super) fn pass(picked: usize, posted: usize, dropped: usize) -> Pass {
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

#[tokio::test]
async fn two_replicas_on_one_store_post_a_due_reminder_once_and_take_over_from_one_that_died() {
    let (first, zoom, store) = service();
    let second = Meetings::new(zoom as Arc<dyn crate::meetings::Zoom>, store.clone());
    let (posts_first, posts_second) = (Posts::default(), Posts::default());
    let record = scheduled(&first, &member(1), "sync").await;

    let (a, b) = tokio::join!(
        first.remind_due(&posts_first, due(&record)),
        second.remind_due(&posts_second, due(&record)),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.posted + b.posted, 1, "{a:?} {b:?}");
    assert_eq!(posts_first.taken().len() + posts_second.taken().len(), 1);

    // The replica that posted died before recording it: the other waits out its lease.
    store.put_meeting(&record).await.unwrap();
    let (died, other) = if a.posted == 1 {
        (&posts_first, (&second, &posts_second))
    } else {
        (&posts_second, (&first, &posts_first))
    };
    let within = other
        .0
        .remind_due(other.1, due(&record) + SignedDuration::from_secs(30));
    assert_eq!(within.await.unwrap().elsewhere, 1, "still leased");
    let after = other
        .0
        .remind_due(other.1, due(&record) + SignedDuration::from_mins(3));
    assert_eq!(after.await.unwrap().posted, 1, "taken over");
    assert_eq!(died.taken()[0].nonce, other.1.taken()[0].nonce);
}
