//! What only the PostgreSQL store does: migrations (concurrent starts, a newer schema refused),
//! an unreachable database named without its password, and a server restarted under load.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::postgres::{create_database, own_server, raw};
use zoombot::ids::{ChannelId, GuildId, MessageId};
use zoombot::store::postgres::{Migrated, SCHEMA_VERSION, SchemaStatus};
use zoombot::store::{MeetingChange, PgStore, Store, StoreError};

use crate::store_conformance::record;

const GUILD: GuildId = GuildId(1_200_000_000_000_000_001);

#[test]
fn the_socket_url_form_ci_uses_is_read_as_a_unix_socket() {
    let url = support::postgres::url("postgres", std::path::Path::new("/tmp/zb pg.1"), "zb");
    assert_eq!(url, "postgres://postgres@%2Ftmp%2Fzb pg.1/zb");
    let config: tokio_postgres::Config = url.parse().expect("the URL parses");
    assert_eq!(
        config.get_hosts(),
        [tokio_postgres::config::Host::Unix("/tmp/zb pg.1".into())]
    );
    assert_eq!(config.get_user(), Some("postgres"));
    assert_eq!(config.get_dbname(), Some("zb"));
}

#[tokio::test]
async fn migrations_applied_by_several_replicas_starting_at_once_are_applied_once() {
    let Some(db) = support::postgres::database().await else {
        return;
    };
    assert_eq!(
        PgStore::schema_status(&db.url).await.unwrap(),
        SchemaStatus {
            found: None,
            known: SCHEMA_VERSION
        },
        "an empty database"
    );
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PgStore::connect(&url, 2).await })
        })
        .collect();
    let mut stores = Vec::new();
    for start in starts {
        stores.push(start.await.unwrap().expect("every replica starts"));
    }

    let client = raw(&db.url).await;
    let versions: Vec<i32> = client
        .query("SELECT version FROM zoombot_schema", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [i32::try_from(SCHEMA_VERSION).unwrap()]);
    assert_eq!(
        PgStore::schema_status(&db.url).await.unwrap().found,
        Some(SCHEMA_VERSION)
    );
    assert_eq!(
        PgStore::migrate(&db.url).await.unwrap(),
        Migrated {
            from: SCHEMA_VERSION,
            to: SCHEMA_VERSION
        },
        "nothing left to apply"
    );
    stores[0].put_meeting(&record(1)).await.unwrap();
    assert_eq!(stores[5].meeting(GUILD, 1).await.unwrap(), Some(record(1)));
}

#[tokio::test]
async fn a_database_at_version_1_is_brought_to_the_newest_schema_keeping_its_records() {
    let Some(db) = support::postgres::database().await else {
        return;
    };
    let store = PgStore::connect(&db.url, 2).await.unwrap();
    store.put_meeting(&record(1)).await.unwrap();
    // What the release before the unfinished interactions left: version 1, no such table and
    // no `take_slot` (version 3).
    let client = raw(&db.url).await;
    client
        .batch_execute(
            "DROP TABLE unfinished; DROP FUNCTION take_slot; UPDATE zoombot_schema SET version = 1",
        )
        .await
        .unwrap();
    assert_eq!(
        PgStore::migrate(&db.url).await.unwrap(),
        Migrated {
            from: 1,
            to: SCHEMA_VERSION
        }
    );
    let store = PgStore::connect(&db.url, 2).await.unwrap();
    assert_eq!(store.meeting(GUILD, 1).await.unwrap(), Some(record(1)));
    assert!(store.unfinished().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_database_whose_schema_is_newer_is_refused_and_left_as_it_is() {
    let Some(db) = support::postgres::database().await else {
        return;
    };
    // As a newer zoombot would leave it: its version, and a table this one does not know.
    let client = raw(&db.url).await;
    client
        .batch_execute(
            "CREATE TABLE zoombot_schema (only_row boolean PRIMARY KEY DEFAULT true, version integer NOT NULL); \
             INSERT INTO zoombot_schema VALUES (true, 42); \
             CREATE TABLE from_the_future (x integer)",
        )
        .await
        .unwrap();

    let started = PgStore::connect(&db.url, 2).await.unwrap_err();
    let migrated = PgStore::migrate(&db.url).await.unwrap_err();

    for err in [&started, &migrated] {
        assert!(
            matches!(err, StoreError::NewerSchema { found: 42, known } if *known == SCHEMA_VERSION),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("schema is version 42")
                && text.contains(&format!("knows up to {SCHEMA_VERSION}"))
                && text.contains("run the newer zoombot"),
            "{text}"
        );
    }
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        tables,
        ["from_the_future", "zoombot_schema"],
        "nothing made"
    );
    let version: i32 = client
        .query_one("SELECT version FROM zoombot_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, 42);
    assert_eq!(
        PgStore::schema_status(&db.url).await.unwrap().found,
        Some(42),
        "doctor reads it"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_named_without_its_password_within_a_bound() {
    // Port 1 on loopback: nothing listens, the connection is refused (no network is needed).
    let started = Instant::now();
    let err = PgStore::connect("postgres://zoombot:hunter2@127.0.0.1:1/zoombot", 2)
        .await
        .unwrap_err();
    let socket = PgStore::connect("postgres://zoombot:hunter2@%2Fnonexistent%2Fdir/zoombot", 2)
        .await
        .unwrap_err();
    let keyed = PgStore::migrate("host=127.0.0.1 port=1 user=zoombot password=hunter2")
        .await
        .unwrap_err();

    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    for (err, named) in [
        (&err, "postgres://zoombot:***@127.0.0.1:1/zoombot"),
        (
            &socket,
            "postgres://zoombot:***@%2Fnonexistent%2Fdir/zoombot",
        ),
        (&keyed, "host=127.0.0.1 port=1 user=zoombot password=***"),
    ] {
        assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(named), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    }
}

/// How long one store operation may take, whatever the server does: a restart ends sessions at
/// once and a down server refuses connections, so an operation that takes longer is stuck.
const OPERATION_BOUND: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Tally {
    /// Daily counts taken (answered `true`).
    counted: AtomicUsize,
    /// Daily counts that failed: each may or may not have been counted (its answer was lost).
    uncertain: AtomicUsize,
    /// Rounds answered `Ok` throughout.
    done: AtomicUsize,
    /// Rounds answered `Ok` throughout after the restart finished.
    after: AtomicUsize,
    /// Operations failed with `StoreError::Backend`.
    failed: AtomicUsize,
    /// Operations that failed otherwise, or hung: each is a failure of the test.
    wrong: std::sync::Mutex<Vec<String>>,
}

/// One round of operations: a daily count taken, a meeting's record changed and one replaced.
async fn round(store: &PgStore, worker: i64, i: u64, tally: &Tally) -> Result<(), StoreError> {
    let day = jiff::civil::date(2026, 12, 2);
    match store.take_daily("restart", day, u32::MAX).await {
        Ok(true) => tally.counted.fetch_add(1, Ordering::SeqCst),
        Ok(false) => return Err(StoreError::Backend("the count was refused".to_owned())),
        Err(err) => {
            tally.uncertain.fetch_add(1, Ordering::SeqCst);
            return Err(err);
        }
    };
    let note = MeetingChange::Message {
        channel: ChannelId(i),
        message: MessageId(i),
    };
    store.update_meeting(GUILD, worker, &note).await?;
    store.put_meeting(&record(100 + worker)).await
}

async fn work(
    store: Arc<PgStore>,
    worker: i64,
    tally: Arc<Tally>,
    restarted: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let mut i: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let was_restarted = restarted.load(Ordering::SeqCst);
        match tokio::time::timeout(OPERATION_BOUND, round(&store, worker, i, &tally)).await {
            Ok(Ok(())) => {
                tally.done.fetch_add(1, Ordering::SeqCst);
                if was_restarted {
                    tally.after.fetch_add(1, Ordering::SeqCst);
                }
            }
            Ok(Err(StoreError::Backend(_))) => {
                tally.failed.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Err(other)) => tally.wrong.lock().unwrap().push(format!("{other:?}")),
            Err(_) => tally
                .wrong
                .lock()
                .unwrap()
                .push("an operation hung".to_owned()),
        }
    }
}

/// Polls `ready` until it holds or `within` passed.
async fn wait_until(within: Duration, ready: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while !ready() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// An operator restarts PostgreSQL while the bot works: each operation under way either
/// completes or fails as a backend failure (none hangs, none half-writes), and once the server
/// is back the same store works again (the pool replaced its broken connections).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_survive_a_postgresql_restart_mid_run() {
    const WORKERS: i64 = 8;
    let Some(server) = own_server() else {
        return;
    };
    let url = create_database(&server.url("postgres")).await;
    let store = Arc::new(PgStore::connect(&url, 6).await.expect("connect"));
    for worker in 0..WORKERS {
        store.put_meeting(&record(worker)).await.unwrap();
    }
    let tally = Arc::new(Tally::default());
    let (restarted, stop) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            tokio::spawn(work(
                Arc::clone(&store),
                worker,
                Arc::clone(&tally),
                Arc::clone(&restarted),
                Arc::clone(&stop),
            ))
        })
        .collect();
    assert!(
        wait_until(Duration::from_secs(30), || tally
            .done
            .load(Ordering::SeqCst)
            >= 50)
        .await,
        "the work is under way"
    );

    let server = tokio::task::spawn_blocking(move || server.restart().map(|()| server))
        .await
        .unwrap()
        .expect("pg_ctl restart");
    restarted.store(true, Ordering::SeqCst);
    let recovered = wait_until(Duration::from_secs(60), || {
        tally.after.load(Ordering::SeqCst) >= 50
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        tokio::time::timeout(OPERATION_BOUND * 2, worker)
            .await
            .expect("every worker stops")
            .unwrap();
    }

    let wrong = tally.wrong.lock().unwrap().clone();
    assert!(wrong.is_empty(), "{wrong:?}");
    assert!(recovered, "operations succeed again after the restart");
    // Nothing half-written: every record reads back whole, every count is accounted for.
    let meetings = store
        .guild_meetings(GUILD)
        .await
        .expect("every record reads");
    assert_eq!(meetings.len(), usize::try_from(WORKERS * 2).unwrap());
    let client = raw(&url).await;
    let stored: i32 = client
        .query_one(
            "SELECT count FROM daily_counts WHERE counter = 'restart'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let stored = usize::try_from(stored).unwrap();
    let counted = tally.counted.load(Ordering::SeqCst);
    let uncertain = tally.uncertain.load(Ordering::SeqCst);
    assert!(
        counted <= stored && stored <= counted + uncertain,
        "{counted} counted, {uncertain} uncertain, {stored} stored"
    );
    eprintln!(
        "restart: {} rounds done, {} failed as backend errors",
        tally.done.load(Ordering::SeqCst),
        tally.failed.load(Ordering::SeqCst)
    );

    // A server that is down fails each operation at once, and is used again once it is up.
    let server = tokio::task::spawn_blocking(move || server.stop().map(|()| server))
        .await
        .unwrap()
        .expect("pg_ctl stop");
    let began = Instant::now();
    let down = store
        .take_daily("restart", jiff::civil::date(2026, 12, 3), 5)
        .await;
    assert!(matches!(down, Err(StoreError::Backend(_))), "{down:?}");
    assert!(began.elapsed() < OPERATION_BOUND, "{:?}", began.elapsed());
    let server = tokio::task::spawn_blocking(move || server.start_again().map(|()| server))
        .await
        .unwrap()
        .expect("pg_ctl start");
    let up = store
        .take_daily("restart", jiff::civil::date(2026, 12, 3), 5)
        .await;
    assert!(up.unwrap(), "counted once the server is up");
    drop(server);
}

/// Unreadable records due for a reminder must not hold up the readable ones: each leaves the
/// index of due times once read (as on sled), the record itself left as it is.
#[tokio::test]
async fn unreadable_records_due_for_a_reminder_do_not_hold_up_the_others() {
    let Some(db) = support::postgres::database().await else {
        return;
    };
    let store = PgStore::connect(&db.url, 2).await.unwrap();
    let due: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
    let readable = zoombot::store::MeetingRecord {
        reminder_due: Some(due + jiff::SignedDuration::from_mins(5)),
        ..record(10)
    };
    store.put_meeting(&readable).await.unwrap();
    let client = raw(&db.url).await;
    let newer = br#"{"v":9,"d":{}}"#.as_slice();
    for zoom_id in 1..=3_i64 {
        client
            .execute(
                "INSERT INTO meetings (guild, zoom_id, ends_at, reminder_due, record) \
                 VALUES ($1, $2, $3, $3, $4)",
                &[&1_i64, &zoom_id, &due, &newer],
            )
            .await
            .unwrap();
    }

    let until = due + jiff::SignedDuration::from_hours(1);
    let first = store.due_reminders(until, 2).await.unwrap();
    let second = store.due_reminders(until, 2).await.unwrap();
    let third = store.due_reminders(until, 2).await.unwrap();

    assert_eq!(first, [], "the batch held two unreadable ones");
    assert_eq!(
        second,
        std::slice::from_ref(&readable),
        "the third unreadable one went, then this"
    );
    assert_eq!(
        third,
        [readable],
        "it stays due until stepped; the others are out"
    );
    let kept: Vec<Vec<u8>> = client
        .query(
            "SELECT record FROM meetings WHERE guild = 1 ORDER BY zoom_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kept, [newer, newer, newer], "left as they are");
    assert!(matches!(
        store.meeting(GuildId(1), 1).await,
        Err(StoreError::NewerVersion { version: 9, .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_is_down_commands_say_so_healthz_is_503_and_both_recover() {
    use support::bot::{TestBot, strings};
    use support::fake_discord::Member;
    let Some(server) = own_server() else {
        return;
    };
    let url = create_database(&server.url("postgres")).await;
    let store = Arc::new(PgStore::connect(&url, 4).await.expect("connect"));
    let bot = TestBot::start_with(|_| {}, Some(store)).await;
    let alice = Member::regular(1_400_000_000_000_000_401);
    assert_eq!(bot.http_get("/healthz").await.0, 200);

    let server = tokio::task::spawn_blocking(move || server.stop().map(|()| server))
        .await
        .unwrap()
        .expect("pg_ctl stop");
    let (answer, _) = bot.meet(&alice, strings(&[("topic", "While down")])).await;
    assert!(
        !answer.content.starts_with("Scheduled")
            && answer.content.to_lowercase().contains("try again"),
        "{}",
        answer.content
    );
    let (status, body) = bot.http_get("/healthz").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("store:") && body.contains("PostgreSQL at"),
        "{body}"
    );
    assert_eq!(
        bot.zoom.meeting_count(),
        0,
        "nothing made that could not be recorded"
    );

    let _server = tokio::task::spawn_blocking(move || server.start_again().map(|()| server))
        .await
        .unwrap()
        .expect("pg_ctl start");
    let (answer, _) = bot.meet(&alice, strings(&[("topic", "Back")])).await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert_eq!(bot.http_get("/healthz").await.0, 200);
}
