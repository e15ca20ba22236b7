//! Reschedules against the in-memory Zoom and store: Zoom, the record and the reminder move
//! together; who may; the host's day; a step for the old time loses to the move.

use jiff::SignedDuration;

use super::lifecycle::{Posts, due, pass, scheduled};
use super::{member, service, topic};
use crate::ids::GuildId;
use crate::meetings::{Pass, Requester, RescheduleInput, ServiceError};
use crate::scheduling::WhenError;
use crate::scheduling::plan::PlanError;
use crate::store::{MeetingChange, Store};
use crate::zoom::ZoomError;

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
