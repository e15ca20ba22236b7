//! Interactions left unfinished: taken over once, only from a process that stopped, and a /meet
//! taken over finishes with the meeting the dead process made rather than a second one.

use super::*;
use crate::meetings::unfinished::Journal;
use crate::sealed::Sealer;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::SignedDuration;

fn journal(alive_for_ms: i64) -> Journal {
    Journal::timed(
        Sealer::derive_for(&Secret::new("bot token"), b"test"),
        SignedDuration::from_millis(alive_for_ms),
        SignedDuration::ZERO,
    )
}

/// Two processes on one store, as two replicas on one database.
fn two(store: &Arc<MemoryStore>, zoom: &Arc<MemoryZoom>) -> (Meetings, Meetings) {
    let one = || {
        Meetings::new(
            Arc::clone(zoom) as Arc<dyn Zoom>,
            Arc::clone(store) as Arc<dyn Store>,
        )
    };
    (
        one().with_journal(journal(300)),
        one().with_journal(journal(300)),
    )
}

#[tokio::test]
async fn an_interaction_is_taken_over_only_once_its_process_stopped_and_only_once() {
    let (store, zoom) = (
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryZoom::default()),
    );
    let (dies, lives) = two(&store, &zoom);
    dies.beat().await.unwrap();
    dies.hold(7, b"{\"id\":\"7\"}", Timestamp::now())
        .await
        .unwrap();
    assert!(
        lives.take_over().await.unwrap().is_empty(),
        "taken from a process still alive"
    );
    // The heartbeat runs out 300 ms after the last beat; looked for within a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let taken = loop {
        let taken = lives.take_over().await.unwrap();
        if !taken.is_empty() || std::time::Instant::now() > deadline {
            break taken;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(taken.len(), 1, "never taken over");
    assert_eq!(
        (taken[0].id, taken[0].raw.as_slice()),
        (7, &b"{\"id\":\"7\"}"[..])
    );
    let (_, third) = two(&store, &zoom);
    assert!(
        third.take_over().await.unwrap().is_empty(),
        "taken over twice"
    );
    // Sealed: neither the bytes nor their base64 appear (a check for a short word such as "id"
    // would fail at random: base64 of random bytes holds it about once in fifty).
    let sealed = store.unfinished().await.unwrap()[0].sealed.clone();
    let plain = b"{\"id\":\"7\"}";
    let bytes = URL_SAFE_NO_PAD
        .decode(&sealed)
        .expect("sealed text is base64");
    assert!(
        !bytes.windows(plain.len()).any(|w| w == plain),
        "kept in the clear"
    );
    assert!(
        !sealed.contains(&URL_SAFE_NO_PAD.encode(plain)),
        "kept in the clear, as base64"
    );
    lives.finished(7).await;
    assert!(store.unfinished().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_meet_taken_over_adopts_what_the_dead_process_made_and_makes_nothing_twice() {
    let (service, zoom, _store) = service();
    let since = Timestamp::now();
    // Zoom made it, and the process died before recording it.
    let asked = topic("Made, not recorded");
    let (_, defaults) = service.meet_defaults(&member(1)).await.unwrap();
    let planned = plan(&asked, &defaults, since).unwrap();
    zoom.create_meeting("me", &new_meeting(&planned), &none_known)
        .await
        .unwrap();
    let adopted = service
        .resume_create(&member(1), &asked, since)
        .await
        .unwrap();
    assert_eq!(zoom.count(), 1, "a second meeting was made");
    assert!(adopted.record.message.is_none());

    // Recorded and announced: found in the store, nothing made.
    let mut recorded = adopted.record.clone();
    recorded.message = Some(MessageId(5));
    service.store().put_meeting(&recorded).await.unwrap();
    let again = service
        .resume_create(&member(1), &asked, since)
        .await
        .unwrap();
    assert_eq!(again.record.zoom_id, adopted.record.zoom_id);
    assert_eq!(again.record.message, Some(MessageId(5)));
    assert_eq!(zoom.count(), 1);

    // Nothing made at all: made now, once.
    let fresh = service
        .resume_create(&member(1), &topic("Never sent"), since)
        .await
        .unwrap();
    assert_eq!(zoom.count(), 2);
    assert_ne!(fresh.record.zoom_id, adopted.record.zoom_id);
}

#[tokio::test]
async fn a_meet_taken_over_reads_relative_times_as_at_its_moment_not_the_handlers() {
    let (service, zoom, _store) = service();
    // Written down 5 s before its handler ran (a busy process), then the process died after
    // recording the meeting and before telling the channel.
    let at = Timestamp::now() - SignedDuration::from_secs(5);
    let asked = MeetInput {
        when: Some("in 1h".into()),
        ..topic("Relative")
    };
    let first = service.create_at(&member(1), &asked, at).await.unwrap();
    assert_eq!(first.record.start, at + SignedDuration::from_hours(1));
    let finished = service.resume_create(&member(1), &asked, at).await.unwrap();
    assert_eq!(finished.record.zoom_id, first.record.zoom_id);
    assert_eq!(zoom.count(), 1, "a second meeting was made");
}
