//! Zoom's webhook events against the in-memory store: kept once, applied once each in order,
//! waiting while Discord is down, and what each one changes.

use std::sync::Mutex;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::{member, service, topic};
use crate::ids::GuildId;
use crate::meetings::webhooks::{Effect, Inbox, NotYet, Received, Teller};
use crate::scheduling::settings::RecordingsTo;
use crate::store::{GuildSettings, MeetingRecord, SettingsChange, Store};
use crate::zoom::webhook::WebhookEvent;

/// Discord as the worker sees it: the effects it took, and whether it is down.
#[derive(Default)]
struct Told {
    effects: Mutex<Vec<Effect>>,
    down: Mutex<bool>,
}

impl Told {
    fn kinds(&self) -> Vec<&'static str> {
        self.effects
            .lock()
            .unwrap()
            .iter()
            .map(|e| match e {
                Effect::Live { .. } => "live",
                Effect::Ended { .. } => "ended",
                Effect::Cancelled { .. } => "cancelled",
                Effect::Moved { .. } => "moved",
                Effect::Recording { .. } => "recording",
            })
            .collect()
    }
}

#[async_trait]
impl Teller for Told {
    async fn tell(&self, effect: &Effect, _unsure: bool) -> Result<(), NotYet> {
        if *self.down.lock().unwrap() {
            return Err(NotYet("503".into()));
        }
        self.effects.lock().unwrap().push(effect.clone());
        Ok(())
    }
}

fn event(kind: &str, id: i64, ts: i64, object: &serde_json::Value) -> (WebhookEvent, Vec<u8>) {
    let mut object = object.clone();
    object["id"] = serde_json::json!(id.to_string());
    let body = serde_json::json!({"event": kind, "event_ts": ts, "payload": {"account_id": "a", "object": object}});
    let raw = serde_json::to_vec(&body).unwrap();
    (serde_json::from_slice(&raw).unwrap(), raw)
}

async fn receive(service: &crate::meetings::Meetings, e: &(WebhookEvent, Vec<u8>)) -> Received {
    service.receive(&e.0, &e.1).await.unwrap()
}

async fn meeting(service: &crate::meetings::Meetings) -> MeetingRecord {
    service
        .create(&member(1), &topic("sync"))
        .await
        .unwrap()
        .record
}

#[tokio::test]
async fn an_event_is_kept_once_and_only_for_the_bots_own_meetings() {
    let (service, _, _) = service();
    let r = meeting(&service).await;
    let started = event(
        "meeting.started",
        r.zoom_id,
        1,
        &serde_json::json!({"uuid": "u1"}),
    );

    assert_eq!(receive(&service, &started).await, Received::New);
    assert_eq!(receive(&service, &started).await, Received::Duplicate);
    let other = event("meeting.started", 123, 2, &serde_json::json!({"uuid": "x"}));
    assert_eq!(receive(&service, &other).await, Received::Ignored);
    let unknown = event("user.created", r.zoom_id, 3, &serde_json::json!({}));
    assert_eq!(receive(&service, &unknown).await, Received::Ignored);
}

#[tokio::test]
async fn started_and_ended_show_live_then_the_real_length_and_a_late_started_changes_nothing() {
    let (service, _, store) = service();
    let told = Told::default();
    let r = meeting(&service).await;
    let at = |m: i64| r.start + SignedDuration::from_mins(m);
    for e in [
        event(
            "meeting.started",
            r.zoom_id,
            1,
            &serde_json::json!({"uuid": "u1", "start_time": at(2).to_string()}),
        ),
        event(
            "meeting.ended",
            r.zoom_id,
            2,
            &serde_json::json!({"uuid": "u1", "start_time": at(2).to_string(), "end_time": at(49).to_string()}),
        ),
        // Zoom delivered this `started` again, late, with another timestamp.
        event(
            "meeting.started",
            r.zoom_id,
            3,
            &serde_json::json!({"uuid": "u1", "start_time": at(2).to_string()}),
        ),
    ] {
        assert_eq!(receive(&service, &e).await, Received::New);
    }

    let pass = service.apply_received(&told).await.unwrap();

    assert_eq!((pass.applied.len(), pass.stopped), (3, false));
    assert_eq!(told.kinds(), ["live", "ended"]);
    match &told.effects.lock().unwrap()[1] {
        Effect::Ended { started, ended, .. } => {
            assert_eq!(
                ended.duration_since(*started),
                SignedDuration::from_mins(47)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(store.pending_events(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn while_discord_is_down_events_wait_in_order_and_are_applied_once_when_it_is_back() {
    let (service, _, store) = service();
    let told = Told::default();
    let r = meeting(&service).await;
    for (i, kind) in ["meeting.started", "meeting.ended"].into_iter().enumerate() {
        let e = event(
            kind,
            r.zoom_id,
            i64::try_from(i).unwrap(),
            &serde_json::json!({"uuid": "u1"}),
        );
        receive(&service, &e).await;
    }
    *told.down.lock().unwrap() = true;

    let waited = service.apply_received(&told).await.unwrap();
    assert_eq!((waited.applied.len(), waited.stopped), (0, true));
    assert_eq!(
        store.pending_events(10).await.unwrap().len(),
        2,
        "nothing lost"
    );

    // A restarted bot (another service over the same store) picks them up.
    *told.down.lock().unwrap() = false;
    let restarted = crate::meetings::Meetings::new(
        std::sync::Arc::new(super::MemoryZoom::default()),
        std::sync::Arc::clone(&store) as std::sync::Arc<dyn Store>,
    );
    let back = restarted.apply_received(&told).await.unwrap();
    assert_eq!((back.applied.len(), back.stopped), (2, false));
    assert_eq!(told.kinds(), ["live", "ended"]);
    assert_eq!(restarted.apply_received(&told).await.unwrap().read, 0);
}

#[tokio::test]
async fn deleted_in_zoom_is_a_cancel_and_moved_in_zoom_moves_the_record_and_its_reminder() {
    let (service, _, store) = service();
    let told = Told::default();
    let moved = meeting(&service).await;
    let gone = service
        .create(&member(2), &topic("gone"))
        .await
        .unwrap()
        .record;
    let later = moved.start + SignedDuration::from_hours(2);
    for e in [
        event(
            "meeting.updated",
            moved.zoom_id,
            1,
            &serde_json::json!({"start_time": later.to_string(), "duration": 60}),
        ),
        // The bot's own change, as Zoom reports it: nothing to do.
        event(
            "meeting.updated",
            moved.zoom_id,
            2,
            &serde_json::json!({"start_time": later.to_string(), "duration": 60}),
        ),
        event(
            "meeting.updated",
            moved.zoom_id,
            5,
            &serde_json::json!({"topic": "renamed"}),
        ),
        event(
            "meeting.deleted",
            gone.zoom_id,
            3,
            &serde_json::json!({"uuid": "g"}),
        ),
    ] {
        receive(&service, &e).await;
    }

    service.apply_received(&told).await.unwrap();

    assert_eq!(told.kinds(), ["moved", "moved", "cancelled"]);
    let after = store
        .meeting(GuildId(1), moved.zoom_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.start, after.duration_minutes), (later, 60));
    assert_eq!(after.topic, "renamed");
    assert_eq!(
        after.reminder_due,
        Some(later - SignedDuration::from_mins(15))
    );
    let cancelled = store
        .meeting(GuildId(1), gone.zoom_id)
        .await
        .unwrap()
        .unwrap();
    assert!(cancelled.cancelled);
    assert_eq!(cancelled.reminder_due, None);
}

#[tokio::test]
async fn a_recording_goes_to_the_host_by_default_with_its_passcode_and_nowhere_when_off() {
    let (service, _, store) = service();
    let told = Told::default();
    let r = meeting(&service).await;
    let done = |ts| {
        event(
            "recording.completed",
            r.zoom_id,
            ts,
            &serde_json::json!({
                "uuid": "u1", "share_url": "https://zoom.us/rec/share/abc", "recording_play_passcode": "p@ss",
                "recording_files": [{"download_url": "https://zoom.us/rec/download/abc"}]
            }),
        )
    };
    receive(&service, &done(1)).await;
    service.apply_received(&told).await.unwrap();
    match &told.effects.lock().unwrap()[0] {
        Effect::Recording { link, to, .. } => {
            assert_eq!(*to, RecordingsTo::Host);
            assert_eq!(link.expose(), "https://zoom.us/rec/share/abc?pwd=p@ss");
            assert!(!link.expose().contains("download"));
        }
        other => panic!("{other:?}"),
    }

    let off = GuildSettings {
        recordings: Some(RecordingsTo::Off),
        ..GuildSettings::default()
    };
    store
        .update_guild_settings(GuildId(1), SettingsChange::Set(&off))
        .await
        .unwrap();
    receive(&service, &done(2)).await;
    service.apply_received(&told).await.unwrap();
    assert_eq!(told.kinds(), ["recording"]);
}

#[tokio::test]
async fn while_another_replica_applies_the_inbox_this_one_leaves_it_alone() {
    let (service, _, store) = service();
    let told = Told::default();
    let r = meeting(&service).await;
    let e = event(
        "meeting.started",
        r.zoom_id,
        1,
        &serde_json::json!({"uuid": "u1"}),
    );
    receive(&service, &e).await;
    let now = Timestamp::now();
    let other = store.coordination();
    let held = other.take_lease(
        "webhook-inbox",
        "other replica",
        now + SignedDuration::from_mins(1),
        now,
    );
    assert!(held.await.unwrap());

    let pass = service.apply_received(&told).await.unwrap();
    assert!(pass.elsewhere);
    assert_eq!(pass.read, 0);
    assert!(told.kinds().is_empty());

    other
        .release_lease("webhook-inbox", "other replica")
        .await
        .unwrap();
    let pass = service.apply_received(&told).await.unwrap();
    assert_eq!((pass.applied.len(), pass.elsewhere), (1, false));
    assert_eq!(told.kinds(), ["live"]);
}
