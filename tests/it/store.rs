//! What only the sled store does: what is written is read back after reopening, a data directory
//! in use is named in the error, concurrent flushes all complete, records written before an index
//! existed are indexed. The contract every backend keeps alike is in `store_conformance.rs`.

use crate::support;

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use support::fake_zoom::FakeZoom;
use support::zoom_client;
use zoombot::ids::{ChannelId, GuildId, MemberId, RoleId};
use zoombot::meetings::{Meetings, Requester, ServiceError};
use zoombot::scheduling::plan::{MeetInput, Recording};
use zoombot::store::{
    GuildSettings, MeetingChange, MeetingRecord, MemberPrefs, SettingsChange, SledStore, Store,
    StoreError,
};

use crate::store_conformance::{GUILD, record};

/// How long a data directory may stay locked after the handle that had it was dropped: sled
/// lets go of its file lock only once its background threads have let go of the database.
const UNLOCKED_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens `dir` with sled itself, waiting (bounded) for a handle just dropped to let go of it.
fn raw_open(dir: &Path) -> sled::Db {
    let deadline = std::time::Instant::now() + UNLOCKED_WITHIN;
    loop {
        match sled::open(dir) {
            Ok(db) => return db,
            Err(err)
                if std::time::Instant::now() < deadline && err.to_string().contains("lock") =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(err) => panic!("raw open: {err:?}"),
        }
    }
}

/// The store in `dir`, waiting (bounded) for a handle just dropped to let go of it.
fn reopen(dir: &Path) -> SledStore {
    let deadline = std::time::Instant::now() + UNLOCKED_WITHIN;
    loop {
        match SledStore::open(dir) {
            Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.expect("open the store"),
        }
    }
}

/// Writes `bytes` under `key` in `tree`, as a damaged disk or a newer zoombot might have.
/// The tree names and keys are the store's on-disk layout.
fn plant(dir: &Path, tree: &str, key: &[u8], bytes: &[u8]) {
    let db = raw_open(dir);
    db.open_tree(tree)
        .expect("tree")
        .insert(key, bytes)
        .expect("insert");
    db.flush().expect("flush");
}

#[tokio::test]
async fn everything_written_and_flushed_is_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let settings = GuildSettings {
        duration_minutes: Some(45),
        timezone: Some("Europe/Berlin".into()),
        auto_recording: Some(Recording::Cloud),
        creator_role: Some(RoleId(5)),
        ..GuildSettings::default()
    };
    let prefs = MemberPrefs {
        timezone: Some("Asia/Tokyo".into()),
    };
    {
        let store = reopen(dir.path());
        store.put_meeting(&record(1)).await.unwrap();
        store.put_meeting(&record(2)).await.unwrap();
        store
            .put_meeting(&MeetingRecord {
                guild: GuildId(GUILD.0 + 1),
                ..record(3)
            })
            .await
            .unwrap();
        store
            .update_guild_settings(GUILD, SettingsChange::Set(&settings))
            .await
            .unwrap();
        store
            .set_member_timezone(MemberId(9), Some("Asia/Tokyo"))
            .await
            .unwrap();
        store.flush().await.unwrap();
    }
    let store = reopen(dir.path());
    assert_eq!(store.guild_settings(GUILD).await.unwrap(), settings);
    assert_eq!(store.member_prefs(MemberId(9)).await.unwrap(), prefs);
    assert_eq!(store.meeting(GUILD, 2).await.unwrap(), Some(record(2)));
    let ids: Vec<_> = store
        .guild_meetings(GUILD)
        .await
        .unwrap()
        .iter()
        .map(|m| m.zoom_id)
        .collect();
    assert_eq!(ids, [1, 2], "another server's meeting is not listed");
    assert_eq!(store.meeting(GUILD, 3).await.unwrap(), None);
    assert!(store.guild_settings(GuildId(1)).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_meet_in_a_server_whose_settings_cannot_be_read_creates_nothing() {
    let zoom = FakeZoom::start().await;
    let dir = tempfile::tempdir().unwrap();
    plant(
        dir.path(),
        "guild_settings",
        &GUILD.0.to_be_bytes(),
        br#"{"v":3,"d":{}}"#,
    );
    let store = Arc::new(reopen(dir.path()));
    let service = Meetings::new(Arc::new(zoom_client(&zoom)), store);
    let who = Requester {
        guild: GUILD,
        channel: ChannelId(7),
        member: MemberId(9),
        manage_guild: false,
        roles: vec![],
    };
    let input = MeetInput {
        topic: "Sync".into(),
        ..MeetInput::default()
    };

    let result = service.create(&who, &input).await;

    assert!(
        matches!(
            result,
            Err(ServiceError::Store(StoreError::NewerVersion { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(zoom.requests().len(), 0, "Zoom was not called");
}

#[test]
fn a_data_dir_already_open_is_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let _first = reopen(dir.path());

    let err = SledStore::open(dir.path()).unwrap_err();

    assert!(
        matches!(&err, StoreError::Locked(d) if d == dir.path()),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&dir.path().display().to_string()) && text.contains("DATA_DIR"),
        "{text}"
    );
}

/// sled 0.34's `flush_async` hangs for good when many tasks call it at once (spacejam/sled#1308:
/// the flushes fill sled's I/O thread pool and wait for writes queued behind them). A burst of
/// /meets then leaves meetings created in Zoom that are never recorded nor answered.
#[test]
fn many_concurrent_writes_each_flushed_all_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let (done, finished) = std::sync::mpsc::channel();
    // On a thread of its own: a hang stays there, and this test fails instead of hanging too.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let recorded = runtime.block_on(async {
            let store = Arc::new(SledStore::open(&path).unwrap());
            let writes: Vec<_> = (0..200)
                .map(|i| {
                    let store = Arc::clone(&store);
                    tokio::spawn(async move {
                        store.put_meeting(&record(i)).await.expect("put");
                        store.flush().await.expect("flush");
                    })
                })
                .collect();
            for write in writes {
                write.await.expect("write task");
            }
            store.guild_meetings(GUILD).await.unwrap().len()
        });
        let _ = done.send(recorded);
    });

    // Generous: 200 small writes flush in well under a second, and a hang never ends.
    let recorded = finished
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("every flush completes");
    assert_eq!(recorded, 200);
}

#[tokio::test]
async fn meetings_past_their_retention_are_pruned_and_stay_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    let now = Timestamp::now();
    let old = MeetingRecord {
        start: now - jiff::SignedDuration::from_hours(32 * 24),
        ..record(1)
    };
    let recent = MeetingRecord {
        start: now - jiff::SignedDuration::from_hours(2 * 24),
        ..record(2)
    };
    store.put_meeting(&old).await.unwrap();
    store.put_meeting(&recent).await.unwrap();

    let pruned = store
        .prune_meetings(now - zoombot::meetings::RETENTION)
        .await
        .unwrap();
    store.flush().await.unwrap();
    drop(store);

    assert_eq!(pruned, 1);
    let store = reopen(dir.path());
    assert_eq!(store.meeting(GUILD, 1).await.unwrap(), None);
    assert_eq!(
        store.zoom_meeting(1).await.unwrap(),
        None,
        "its index entry went too"
    );
    assert_eq!(store.meeting(GUILD, 2).await.unwrap(), Some(recent));
}

#[tokio::test]
async fn a_meeting_recorded_before_the_zoom_id_index_existed_is_found_by_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut key = GUILD.0.to_be_bytes().to_vec();
    key.extend_from_slice(&77_i64.to_be_bytes());
    plant(
        dir.path(),
        "meetings",
        &key,
        &zoombot::store::codec::encode(&record(77)),
    );

    let store = reopen(dir.path());

    assert_eq!(
        store.zoom_meeting(77).await.unwrap().map(|r| r.guild),
        Some(GUILD)
    );
    assert_eq!(store.zoom_meeting(78).await.unwrap(), None);
}

/// The index of due times the reminders' scheduler reads follows every change of a meeting's
/// times the same way on sled (before and after a restart) and in memory, and pruning finds a
/// meeting by the end it has now.
#[tokio::test]
async fn the_due_time_index_follows_each_change_and_pruning_the_end_a_meeting_has_now() {
    async fn replay(store: &dyn Store, records: &[MeetingRecord], now: Timestamp) -> Vec<i64> {
        for r in records {
            store.put_meeting(r).await.unwrap();
        }
        let moved = MeetingChange::Reschedule {
            start: records[0].start + jiff::SignedDuration::from_hours(24),
            duration_minutes: 30,
            now,
        };
        store.update_meeting(GUILD, 1, &moved).await.unwrap();
        store
            .update_meeting(GUILD, 2, &MeetingChange::Cancel)
            .await
            .unwrap();
        let posted = MeetingChange::Stepped {
            reminded: Some(records[2].start),
            event_at: None,
            now: records[2].start - jiff::SignedDuration::from_mins(15),
            start: records[2].start,
        };
        store.update_meeting(GUILD, 3, &posted).await.unwrap();
        let far = now + jiff::SignedDuration::from_hours(24 * 30);
        store
            .due_reminders(far, 10)
            .await
            .unwrap()
            .iter()
            .map(|r| r.zoom_id)
            .collect()
    }
    let base: Timestamp = "2026-12-10T09:00:00Z".parse().unwrap();
    let now = base - jiff::SignedDuration::from_hours(48);
    let pending = |id: i64, hours: i64| {
        let start = base + jiff::SignedDuration::from_hours(hours);
        MeetingRecord {
            start,
            reminder_minutes: Some(15),
            reminder_due: Some(start - jiff::SignedDuration::from_mins(15)),
            ..record(id)
        }
    };
    let records = [pending(1, 0), pending(2, 1), pending(3, 2), pending(4, 3)];
    let dir = tempfile::tempdir().unwrap();
    let on_disk = replay(&reopen(dir.path()), &records, now).await;
    let in_memory = replay(&zoombot::store::MemoryStore::new(), &records, now).await;

    // 2 cancelled and 3 reminded: none pending; 1 moved a day on, after 4.
    assert_eq!(on_disk, [4, 1]);
    assert_eq!(on_disk, in_memory);
    let store = reopen(dir.path());
    let next = store.next_reminder().await.unwrap();
    assert_eq!(next, records[3].reminder_due);
    let soon = base + jiff::SignedDuration::from_hours(4);
    let due: Vec<i64> = store
        .due_reminders(soon, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.zoom_id)
        .collect();
    assert_eq!(due, [4], "1 is due at its new time only");

    // Pruned by the end it has now: 1 ends a day later than it was first recorded to.
    let pruned = store
        .prune_meetings(base + jiff::SignedDuration::from_hours(5))
        .await
        .unwrap();
    assert_eq!(pruned, 3);
    assert!(store.meeting(GUILD, 1).await.unwrap().is_some());
}

/// The webhook inbox keeps each event once, in the order received, until it is applied, on sled
/// (across a restart) as in memory; a redelivery stays a duplicate after it was applied.
#[tokio::test]
async fn the_webhook_inbox_keeps_each_event_once_in_order_until_applied() {
    async fn replay(store: &dyn Store) -> (Vec<bool>, Vec<String>) {
        let at: Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let mut kept = Vec::new();
        for key in ["started|u1|1", "ended|u1|2", "started|u1|1", "started|u2|3"] {
            kept.push(store.receive_event(key, "{}", at).await.unwrap());
        }
        let first = store.pending_events(1).await.unwrap()[0].seq;
        store.applied_event(first).await.unwrap();
        kept.push(store.receive_event("started|u1|1", "{}", at).await.unwrap());
        let pending = store
            .pending_events(10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.key)
            .collect();
        (kept, pending)
    }
    let dir = tempfile::tempdir().unwrap();
    let on_disk = replay(&reopen(dir.path())).await;
    let in_memory = replay(&zoombot::store::MemoryStore::new()).await;

    assert_eq!(on_disk.0, [true, true, false, true, false]);
    assert_eq!(on_disk.1, ["ended|u1|2", "started|u2|3"]);
    assert_eq!(on_disk, in_memory);
    let store = reopen(dir.path());
    assert_eq!(
        store.pending_events(10).await.unwrap().len(),
        2,
        "kept across a restart"
    );
    let later: Timestamp = "2026-12-05T10:00:00Z".parse().unwrap();
    assert_eq!(store.forget_event_keys(later).await.unwrap(), 3);
    assert!(
        store
            .receive_event("started|u1|1", "{}", later)
            .await
            .unwrap()
    );
}
