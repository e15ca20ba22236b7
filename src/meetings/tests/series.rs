//! Series against the in-memory Zoom and store: one recurring meeting, a reminder per
//! occurrence, the event moved on, one occurrence cancelled, and the refusals.

use jiff::{SignedDuration, Timestamp};

use super::lifecycle::{Posts, due};
use super::{member, service, topic};
use crate::ids::GuildId;
use crate::meetings::{Pass, ServiceError};
use crate::store::{MeetingChange, Store};

fn weekly(topic_name: &str, occurrences: Option<i64>) -> crate::scheduling::plan::MeetInput {
    crate::scheduling::plan::MeetInput {
        when: Some("monday 15:00".into()),
        timezone: Some("Europe/Berlin".into()),
        repeat: Some(crate::scheduling::recurrence::Repeat::Weekly),
        occurrences,
        ..topic(topic_name)
    }
}

#[tokio::test]
async fn a_weekly_series_is_one_recurring_zoom_meeting_in_its_zone_with_a_reminder_per_occurrence()
{
    let (service, zoom, store) = service();
    let posts = Posts::default();
    let created = service
        .create(&member(1), &weekly("Weekly", Some(3)))
        .await
        .unwrap();
    let asked = zoom.asked.lock().unwrap()[0].clone();
    assert_eq!(asked.kind, 8);
    assert_eq!(asked.timezone.as_deref(), Some("Europe/Berlin"));
    let rule = asked.recurrence.expect("a recurrence");
    assert_eq!((rule.kind, rule.end_times), (2, Some(3)));
    let record = created.record;
    let starts = record.occurrences();
    assert_eq!(starts.len(), 3);
    assert_eq!(due(&record), starts[0] - SignedDuration::from_mins(15));
    store
        .update_meeting(GuildId(1), record.zoom_id, &MeetingChange::Event(Some(9)))
        .await
        .unwrap();

    service.remind_due(&posts, due(&record)).await.unwrap();
    let after_first = store
        .meeting(GuildId(1), record.zoom_id)
        .await
        .unwrap()
        .unwrap();
    let first_end = record.end_of(starts[0]);
    assert_eq!(
        after_first.reminder_due,
        Some(first_end),
        "the event moves on at its end"
    );
    service.remind_due(&posts, first_end).await.unwrap();
    assert_eq!(*posts.moved.lock().unwrap(), [(9, starts[1])]);
    let moved_on = store
        .meeting(GuildId(1), record.zoom_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        moved_on.reminder_due,
        Some(starts[1] - SignedDuration::from_mins(15))
    );
    service
        .remind_due(&posts, starts[1] - SignedDuration::from_mins(15))
        .await
        .unwrap();

    let reminded: Vec<Timestamp> = posts.taken().iter().map(|r| r.occurrence).collect();
    assert_eq!(reminded, starts[..2]);
    assert_ne!(posts.taken()[0].nonce, posts.taken()[1].nonce);
}

#[tokio::test]
async fn cancelling_a_series_next_meeting_skips_it_at_zoom_and_in_the_reminders() {
    let (service, zoom, _) = service();
    let posts = Posts::default();
    let record = service
        .create(&member(1), &weekly("Weekly", Some(3)))
        .await
        .unwrap()
        .record;
    let starts = record.occurrences();
    zoom.meetings
        .lock()
        .unwrap()
        .get_mut(&record.zoom_id)
        .unwrap()
        .occurrences = starts
        .iter()
        .map(|s| {
            serde_json::from_value(serde_json::json!({
                "occurrence_id": s.as_millisecond().to_string(),
                "start_time": s.to_string(),
            }))
            .unwrap()
        })
        .collect();

    let (after, skipped) = service
        .cancel_next(&member(1), record.zoom_id)
        .await
        .unwrap();

    assert_eq!(skipped, Some(starts[0]));
    assert_eq!(after.occurrences(), starts[1..]);
    assert!(!after.cancelled, "the series goes on");
    assert_eq!(
        zoom.meetings.lock().unwrap()[&record.zoom_id]
            .occurrences
            .len(),
        2
    );
    assert_eq!(
        after.reminder_due,
        Some(starts[1] - SignedDuration::from_mins(15))
    );
    assert_eq!(
        service.remind_due(&posts, due(&record)).await.unwrap(),
        Pass::default(),
        "nothing for the skipped meeting"
    );
}

#[tokio::test]
async fn series_of_the_wrong_size_or_without_a_start_are_refused_before_zoom() {
    use crate::scheduling::plan::PlanError;
    let (service, zoom, _) = service();
    for count in [0, 1, 61] {
        let refused = service
            .create(&member(1), &weekly("Weekly", Some(count)))
            .await;
        assert!(
            matches!(refused, Err(ServiceError::Plan(PlanError::Series(_)))),
            "{count}: {refused:?}"
        );
    }
    let no_start = crate::scheduling::plan::MeetInput {
        when: None,
        ..weekly("Weekly", Some(4))
    };
    let refused = service.create(&member(1), &no_start).await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::Plan(PlanError::SeriesWithoutStart))
        ),
        "{refused:?}"
    );
    assert!(zoom.asked.lock().unwrap().is_empty());
}
