//! Every backend keeps the `Store` trait's contract alike: the same behaviour, written once as a
//! generic test, run against memory, sled and a real PostgreSQL. What only sled does (its
//! directory lock, reopening, its on-disk layout) is in `store.rs`; what only PostgreSQL does
//! (migrations, restarts) in `postgres.rs`.

use crate::support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use zoombot::ids::{ChannelId, GuildId, MemberId, MessageId, RoleId};
use zoombot::store::{
    GuildSettings, MeetingChange, MeetingRecord, MemberLink, MemberPrefs, MemoryStore, PendingLink,
    PgStore, SettingField, SettingsChange, SledStore, Store, StoreError, Unfinished,
};

pub const GUILD: GuildId = GuildId(1_200_000_000_000_000_001);
const OTHER: GuildId = GuildId(1_200_000_000_000_000_002);

/// A backend under test.
#[derive(Clone, Copy)]
pub enum Kind {
    Memory,
    Sled,
    Postgres,
}

/// A record as a backend keeps it, for planting bytes a newer zoombot or a damaged disk wrote.
#[derive(Clone, Copy)]
pub enum Raw {
    Settings(GuildId),
    Prefs(MemberId),
    Meeting(GuildId, i64),
}

enum Place {
    Memory,
    Sled(tempfile::TempDir),
    Postgres(String),
}

/// A store, and a second handle on the same data: for PostgreSQL another `PgStore` (another
/// replica's pool), elsewhere the same store (one process is all they serve).
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub second: Arc<dyn Store>,
    place: Place,
}

/// How long a sled directory may stay locked after its handle was dropped.
const UNLOCKED_WITHIN: Duration = Duration::from_secs(10);

fn sled_raw(dir: &Path) -> ::sled::Db {
    let deadline = std::time::Instant::now() + UNLOCKED_WITHIN;
    loop {
        match ::sled::open(dir) {
            Ok(db) => return db,
            Err(err)
                if std::time::Instant::now() < deadline && err.to_string().contains("lock") =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(err) => panic!("raw open: {err:?}"),
        }
    }
}

fn sled_open(dir: &Path) -> SledStore {
    let deadline = std::time::Instant::now() + UNLOCKED_WITHIN;
    loop {
        match SledStore::open(dir) {
            Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other.expect("open the store"),
        }
    }
}

/// The sled tree and key of a record (sled's on-disk layout).
fn sled_key(raw: Raw) -> (&'static str, Vec<u8>) {
    match raw {
        Raw::Settings(guild) => ("guild_settings", guild.0.to_be_bytes().to_vec()),
        Raw::Prefs(member) => ("member_prefs", member.0.to_be_bytes().to_vec()),
        Raw::Meeting(guild, zoom_id) => {
            let mut key = guild.0.to_be_bytes().to_vec();
            key.extend_from_slice(&zoom_id.to_be_bytes());
            ("meetings", key)
        }
    }
}

/// The table and key columns of a record, and the key as SQL sees it (the same 64 bits).
fn sql_key(raw: Raw) -> (&'static str, &'static str, i64, i64) {
    let bits = |id: u64| i64::from_ne_bytes(id.to_ne_bytes());
    match raw {
        Raw::Settings(guild) => (
            "guild_settings",
            "guild = $1 AND $2::bigint = $2",
            bits(guild.0),
            0,
        ),
        Raw::Prefs(member) => (
            "member_prefs",
            "member = $1 AND $2::bigint = $2",
            bits(member.0),
            0,
        ),
        Raw::Meeting(guild, zoom_id) => (
            "meetings",
            "guild = $1 AND zoom_id = $2",
            bits(guild.0),
            zoom_id,
        ),
    }
}

impl Backend {
    /// A fresh, empty store of `kind`; `None` when PostgreSQL is unavailable (after a notice).
    pub async fn new(kind: Kind) -> Option<Self> {
        Some(match kind {
            Kind::Memory => {
                let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
                Self {
                    second: Arc::clone(&store),
                    store,
                    place: Place::Memory,
                }
            }
            Kind::Sled => {
                let dir = tempfile::tempdir().expect("temporary dir");
                let store: Arc<dyn Store> = Arc::new(sled_open(dir.path()));
                Self {
                    second: Arc::clone(&store),
                    store,
                    place: Place::Sled(dir),
                }
            }
            Kind::Postgres => {
                let db = support::postgres::database().await?;
                let (store, second) =
                    tokio::join!(PgStore::connect(&db.url, 8), PgStore::connect(&db.url, 8));
                Self {
                    store: Arc::new(store.expect("connect")),
                    second: Arc::new(second.expect("connect a second replica")),
                    place: Place::Postgres(db.url),
                }
            }
        })
    }

    /// Writes `bytes` as the record `raw`, under the store's feet, and hands the store back.
    pub async fn plant(self, raw: Raw, bytes: &[u8]) -> Self {
        match self.place {
            Place::Memory => panic!("the memory store keeps no bytes"),
            Place::Sled(dir) => {
                drop((self.store, self.second));
                let db = sled_raw(dir.path());
                let (tree, key) = sled_key(raw);
                db.open_tree(tree).unwrap().insert(key, bytes).unwrap();
                db.flush().unwrap();
                drop(db);
                let store: Arc<dyn Store> = Arc::new(sled_open(dir.path()));
                Self {
                    second: Arc::clone(&store),
                    store,
                    place: Place::Sled(dir),
                }
            }
            Place::Postgres(ref url) => {
                let client = support::postgres::raw(url).await;
                let (table, _, key, zoom_id) = sql_key(raw);
                let sql = if let Raw::Meeting(..) = raw {
                    "INSERT INTO meetings (guild, zoom_id, ends_at, record) \
                     VALUES ($1, $2, now() + interval '1 day', $3) \
                     ON CONFLICT (guild, zoom_id) DO UPDATE SET record = EXCLUDED.record"
                        .to_owned()
                } else {
                    let column = if table == "guild_settings" {
                        "guild"
                    } else {
                        "member"
                    };
                    format!(
                        "INSERT INTO {table} ({column}, record) SELECT $1, $3 WHERE $2::bigint = $2 \
                         ON CONFLICT ({column}) DO UPDATE SET record = EXCLUDED.record"
                    )
                };
                client
                    .execute(&sql, &[&key, &zoom_id, &bytes])
                    .await
                    .unwrap();
                self
            }
        }
    }

    /// The bytes kept as each record of `raws` (the store is closed first where it must be).
    pub async fn raws(self, raws: &[Raw]) -> Vec<Option<Vec<u8>>> {
        let mut found = Vec::new();
        match self.place {
            Place::Memory => panic!("the memory store keeps no bytes"),
            Place::Sled(dir) => {
                self.store.flush().await.unwrap();
                drop((self.store, self.second));
                let db = sled_raw(dir.path());
                for raw in raws {
                    let (tree, key) = sled_key(*raw);
                    let bytes = db.open_tree(tree).unwrap().get(key).unwrap();
                    found.push(bytes.map(|b| b.to_vec()));
                }
            }
            Place::Postgres(url) => {
                let client = support::postgres::raw(&url).await;
                for raw in raws {
                    let (table, filter, key, zoom_id) = sql_key(*raw);
                    let sql = format!("SELECT record FROM {table} WHERE {filter}");
                    let row = client.query_opt(&sql, &[&key, &zoom_id]).await.unwrap();
                    found.push(row.map(|r| r.get::<_, Vec<u8>>(0)));
                }
            }
        }
        found
    }
}

/// Instantiates each generic test once per backend.
macro_rules! on_backends {
    ($module:ident, $kind:expr, $($test:ident),* $(,)?) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    if let Some(backend) = super::Backend::new($kind).await {
                        super::$test(backend).await;
                    }
                }
            )*
        }
    };
}

macro_rules! every_backend {
    ($($test:ident),* $(,)?) => {
        on_backends!(on_memory, super::Kind::Memory, $($test),*);
        on_backends!(on_sled, super::Kind::Sled, $($test),*);
        on_backends!(on_postgres, super::Kind::Postgres, $($test),*);
    };
}

every_backend!(
    meetings_are_read_back_per_server_and_by_number,
    only_meetings_that_have_not_ended_are_listed_and_pruning_follows_the_end,
    concurrent_settings_changes_of_different_fields_all_land,
    a_cancel_and_the_note_of_its_message_racing_on_one_record_both_land,
    settings_and_time_zones_change_as_named,
    a_daily_quota_taken_from_many_tasks_at_once_counts_exactly_its_limit,
    the_due_time_index_follows_each_change,
    the_webhook_inbox_keeps_each_event_once_in_order_until_applied,
    a_pending_link_is_taken_once_and_forgotten_when_expired,
    member_links_are_kept_found_by_zoom_user_and_removed,
    concurrent_slots_at_the_limit_are_taken_exactly_count_times,
    a_delivery_is_first_once_across_replicas,
    a_lease_is_exclusive_renewed_by_its_owner_and_taken_over_when_expired,
    an_unfinished_interaction_is_kept_handed_over_once_and_finished,
);

// The memory store keeps values, not bytes: nothing in it can be unreadable.
on_backends!(
    bytes_on_sled,
    super::Kind::Sled,
    records_from_a_newer_zoombot_are_refused_and_left_as_they_are,
    an_unreadable_record_is_refused_and_never_overwritten,
);
on_backends!(
    bytes_on_postgres,
    super::Kind::Postgres,
    records_from_a_newer_zoombot_are_refused_and_left_as_they_are,
    an_unreadable_record_is_refused_and_never_overwritten,
);

pub fn record(zoom_id: i64) -> MeetingRecord {
    MeetingRecord {
        guild: GUILD,
        channel: ChannelId(7),
        message: None,
        creator: MemberId(9),
        zoom_id,
        topic: "Weekly sync".into(),
        start: "2026-12-01T09:30:00Z".parse::<Timestamp>().unwrap(),
        duration_minutes: 45,
        timezone: "Europe/Berlin".into(),
        cancelled: false,
        uuid: None,
        created_at: None,
        event: None,
        reminder_due: None,
        reminded: None,
        reminder_minutes: None,
        series: None,
        skipped: Vec::new(),
        event_at: None,
        held: None,
        member_host: false,
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

async fn meetings_are_read_back_per_server_and_by_number(b: Backend) {
    let store = &b.store;
    store.put_meeting(&record(1)).await.unwrap();
    store.put_meeting(&record(2)).await.unwrap();
    let elsewhere = MeetingRecord {
        guild: OTHER,
        ..record(3)
    };
    store.put_meeting(&elsewhere).await.unwrap();
    let renamed = MeetingRecord {
        topic: "Renamed".into(),
        ..record(2)
    };
    store.put_meeting(&renamed).await.unwrap();

    assert_eq!(
        store.meeting(GUILD, 2).await.unwrap(),
        Some(renamed.clone())
    );
    assert_eq!(
        store.meeting(GUILD, 3).await.unwrap(),
        None,
        "another server's"
    );
    let ids: Vec<i64> = store
        .guild_meetings(GUILD)
        .await
        .unwrap()
        .iter()
        .map(|m| m.zoom_id)
        .collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(b.second.zoom_meeting(3).await.unwrap(), Some(elsewhere));
    assert_eq!(store.zoom_meeting(4).await.unwrap(), None);
    assert!(store.guild_meetings(GuildId(5)).await.unwrap().is_empty());
    store.flush().await.unwrap();
}

async fn only_meetings_that_have_not_ended_are_listed_and_pruning_follows_the_end(b: Backend) {
    let store = &b.store;
    let now = at("2026-12-02T12:00:00Z");
    for (id, start) in [
        (1, now - hours(48)),
        (2, now + hours(1)),
        (3, now - hours(3)),
    ] {
        let r = MeetingRecord {
            start,
            ..record(id)
        };
        store.put_meeting(&r).await.unwrap();
    }
    let ids = async |store: &Arc<dyn Store>| {
        let mut ids: Vec<i64> = store
            .meetings_ending_after(GUILD, now)
            .await
            .unwrap()
            .iter()
            .map(|r| r.zoom_id)
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(store).await, [2]);
    // Moved into the future, and out of it again: the index follows the record.
    let later = MeetingRecord {
        start: now + hours(5),
        ..record(3)
    };
    store.put_meeting(&later).await.unwrap();
    let earlier = MeetingRecord {
        start: now - hours(10),
        ..record(2)
    };
    store.put_meeting(&earlier).await.unwrap();
    assert_eq!(ids(store).await, [3]);
    assert!(
        store
            .meetings_ending_after(OTHER, now - hours(1000))
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(store.prune_meetings(now - hours(24)).await.unwrap(), 1);
    assert_eq!(store.meeting(GUILD, 1).await.unwrap(), None);
    assert_eq!(
        store.zoom_meeting(1).await.unwrap(),
        None,
        "its number went too"
    );
    assert_eq!(
        store.prune_meetings(now).await.unwrap(),
        1,
        "2 ended 10 h ago"
    );
    assert_eq!(store.meeting(GUILD, 3).await.unwrap(), Some(later));
}

async fn concurrent_settings_changes_of_different_fields_all_land(b: Backend) {
    const ROUNDS: u32 = 50;
    type Setter = fn(&mut GuildSettings, u32);
    let setters: [Setter; 6] = [
        |s, i| s.duration_minutes = Some(i + 1),
        |s, i| s.timezone = Some(format!("zone-{i}")),
        |s, i| s.host_user = Some(format!("user-{i}")),
        |s, i| s.creator_role = Some(RoleId(u64::from(i))),
        |s, i| s.waiting_room = Some(i % 2 == 0),
        |s, i| s.mute_upon_entry = Some(i % 2 == 1),
    ];
    let writers: Vec<_> = setters
        .into_iter()
        .enumerate()
        .map(|(n, setter)| {
            // Half the writers through the second replica.
            let store = Arc::clone(if n % 2 == 0 { &b.store } else { &b.second });
            tokio::spawn(async move {
                for i in 0..ROUNDS {
                    let mut change = GuildSettings::default();
                    setter(&mut change, i);
                    store
                        .update_guild_settings(GUILD, SettingsChange::Set(&change))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let mut expected = GuildSettings::default();
    for setter in setters {
        setter(&mut expected, ROUNDS - 1);
    }
    assert_eq!(b.store.guild_settings(GUILD).await.unwrap(), expected);
    assert!(b.store.guild_settings(OTHER).await.unwrap().is_empty());
}

async fn a_cancel_and_the_note_of_its_message_racing_on_one_record_both_land(b: Backend) {
    const ROUNDS: u64 = 100;
    b.store.put_meeting(&record(1)).await.unwrap();
    let notes = {
        let store = Arc::clone(&b.store);
        tokio::spawn(async move {
            for i in 1..=ROUNDS {
                let change = MeetingChange::Message {
                    channel: ChannelId(i),
                    message: MessageId(i),
                };
                store.update_meeting(GUILD, 1, &change).await.unwrap();
            }
        })
    };
    let cancel = {
        let store = Arc::clone(&b.second);
        tokio::spawn(async move {
            for i in 1..=ROUNDS {
                let change = if i == ROUNDS {
                    MeetingChange::Cancel
                } else {
                    MeetingChange::Uuid(format!("uuid-{i}"))
                };
                store.update_meeting(GUILD, 1, &change).await.unwrap();
            }
        })
    };
    notes.await.unwrap();
    cancel.await.unwrap();

    let stored = b.store.meeting(GUILD, 1).await.unwrap().unwrap();
    assert_eq!(stored.message, Some(MessageId(ROUNDS)));
    assert_eq!(stored.channel, ChannelId(ROUNDS));
    assert!(stored.cancelled);
    assert_eq!(stored.uuid, Some(format!("uuid-{}", ROUNDS - 1)));
    let none = b
        .store
        .update_meeting(GUILD, 2, &MeetingChange::Cancel)
        .await;
    assert_eq!(none.unwrap(), None, "no record, nothing made up");
}

async fn settings_and_time_zones_change_as_named(b: Backend) {
    let store = &b.store;
    let first = GuildSettings {
        duration_minutes: Some(45),
        waiting_room: Some(true),
        ..GuildSettings::default()
    };
    let second = GuildSettings {
        waiting_room: Some(false),
        host_user: Some("ops@example.com".into()),
        ..GuildSettings::default()
    };
    store
        .update_guild_settings(GUILD, SettingsChange::Set(&first))
        .await
        .unwrap();
    store
        .update_guild_settings(GUILD, SettingsChange::Set(&second))
        .await
        .unwrap();
    let after = store
        .update_guild_settings(GUILD, SettingsChange::Reset(SettingField::Duration))
        .await
        .unwrap();
    let expected = GuildSettings {
        waiting_room: Some(false),
        host_user: Some("ops@example.com".into()),
        ..GuildSettings::default()
    };
    assert_eq!(after, expected);
    assert_eq!(b.second.guild_settings(GUILD).await.unwrap(), expected);
    let cleared = store
        .update_guild_settings(GUILD, SettingsChange::ResetAll)
        .await
        .unwrap();
    assert!(cleared.is_empty());

    assert_eq!(
        store.member_prefs(MemberId(9)).await.unwrap(),
        MemberPrefs::default()
    );
    let set = store
        .set_member_timezone(MemberId(9), Some("Asia/Tokyo"))
        .await
        .unwrap();
    assert_eq!(set.timezone.as_deref(), Some("Asia/Tokyo"));
    assert_eq!(b.second.member_prefs(MemberId(9)).await.unwrap(), set);
    assert_eq!(
        store.member_prefs(MemberId(10)).await.unwrap(),
        MemberPrefs::default()
    );
    let unset = store.set_member_timezone(MemberId(9), None).await.unwrap();
    assert_eq!(unset, MemberPrefs::default());
    assert_eq!(
        store.member_prefs(MemberId(9)).await.unwrap(),
        MemberPrefs::default()
    );
}

async fn a_daily_quota_taken_from_many_tasks_at_once_counts_exactly_its_limit(b: Backend) {
    let day = jiff::civil::date(2026, 12, 2);
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &b.store } else { &b.second });
            tokio::spawn(async move { store.take_daily("host:me", day, 10).await.unwrap() })
        })
        .collect();
    let mut taken = 0;
    for task in tasks {
        taken += usize::from(task.await.unwrap());
    }

    assert_eq!(taken, 10);
    let store = &b.store;
    assert!(!store.take_daily("host:me", day, 10).await.unwrap());
    assert!(
        store.take_daily("host:other", day, 10).await.unwrap(),
        "counters apart"
    );
    store.give_back_daily("host:me", day).await.unwrap();
    assert!(
        store.take_daily("host:me", day, 10).await.unwrap(),
        "one given back"
    );
    assert!(!store.take_daily("host:me", day, 10).await.unwrap());
    let tomorrow = day.tomorrow().unwrap();
    assert!(
        store.take_daily("host:me", tomorrow, 10).await.unwrap(),
        "a new day starts from zero"
    );
    store.give_back_daily("host:me", day).await.unwrap();
    assert!(
        !store.take_daily("host:me", tomorrow, 1).await.unwrap(),
        "giving back yesterday's use gives nothing back today"
    );
    assert!(
        !store.take_daily("fresh", day, 0).await.unwrap(),
        "a limit of 0"
    );
}

async fn the_due_time_index_follows_each_change(b: Backend) {
    let store = &b.store;
    let base = at("2026-12-10T09:00:00Z");
    let now = base - hours(48);
    let pending = |id: i64, h: i64| {
        let start = base + hours(h);
        MeetingRecord {
            start,
            reminder_minutes: Some(15),
            reminder_due: Some(start - SignedDuration::from_mins(15)),
            ..record(id)
        }
    };
    let records = [pending(1, 0), pending(2, 1), pending(3, 2), pending(4, 3)];
    for r in &records {
        store.put_meeting(r).await.unwrap();
    }
    assert_eq!(
        store.next_reminder().await.unwrap(),
        records[0].reminder_due
    );
    let moved = MeetingChange::Reschedule {
        start: records[0].start + hours(24),
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
        now: records[2].start - SignedDuration::from_mins(15),
        start: records[2].start,
    };
    store.update_meeting(GUILD, 3, &posted).await.unwrap();
    let due = async |until: Timestamp, limit: usize| -> Vec<i64> {
        let due = b.second.due_reminders(until, limit).await.unwrap();
        due.iter().map(|r| r.zoom_id).collect()
    };
    // 2 cancelled and 3 reminded: none pending; 1 moved a day on, after 4.
    assert_eq!(due(base + hours(24 * 30), 10).await, [4, 1]);
    assert_eq!(
        due(base + hours(24 * 30), 1).await,
        [4],
        "at most the limit"
    );
    assert_eq!(
        due(base + hours(4), 10).await,
        [4],
        "1 is due at its new time only"
    );
    assert_eq!(due(base - hours(1), 10).await, Vec::<i64>::new());
    assert_eq!(
        store.next_reminder().await.unwrap(),
        records[3].reminder_due
    );
    // Pruned by the end it has now: 1 ends a day later than it was first recorded to.
    assert_eq!(store.prune_meetings(base + hours(5)).await.unwrap(), 3);
    assert!(store.meeting(GUILD, 1).await.unwrap().is_some());
}

async fn the_webhook_inbox_keeps_each_event_once_in_order_until_applied(b: Backend) {
    let store = &b.store;
    let received = at("2026-12-02T10:00:00Z");
    let mut kept = Vec::new();
    for (n, key) in ["started|u1|1", "ended|u1|2", "started|u1|1", "started|u2|3"]
        .into_iter()
        .enumerate()
    {
        let via = if n % 2 == 0 { store } else { &b.second };
        kept.push(
            via.receive_event(key, &format!("{{\"n\":{n}}}"), received)
                .await
                .unwrap(),
        );
    }
    assert_eq!(kept, [true, true, false, true]);
    let first = store.pending_events(1).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].key, "started|u1|1");
    assert_eq!(first[0].raw, "{\"n\":0}");
    assert_eq!(first[0].received_at, received);
    store.applied_event(first[0].seq).await.unwrap();
    assert!(
        !store
            .receive_event("started|u1|1", "{}", received)
            .await
            .unwrap(),
        "still a duplicate once applied"
    );
    let pending: Vec<String> = store
        .pending_events(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(pending, ["ended|u1|2", "started|u2|3"]);
    let later = at("2026-12-05T10:00:00Z");
    assert_eq!(
        store.forget_event_keys(received).await.unwrap(),
        0,
        "none before"
    );
    assert_eq!(store.forget_event_keys(later).await.unwrap(), 3);
    assert!(
        store
            .receive_event("started|u1|1", "{}", later)
            .await
            .unwrap()
    );
}

fn pending_link(expires_at: Timestamp) -> PendingLink {
    PendingLink {
        member: MemberId(9),
        guild: GUILD,
        expires_at,
        sealed: "sealed-verifier".into(),
    }
}

async fn a_pending_link_is_taken_once_and_forgotten_when_expired(b: Backend) {
    let expires = at("2026-12-02T10:10:00Z");
    b.store
        .put_pending_link("state-1", &pending_link(expires))
        .await
        .unwrap();
    b.store
        .put_pending_link("state-2", &pending_link(expires + hours(1)))
        .await
        .unwrap();
    let takers: Vec<_> = (0..10)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &b.store } else { &b.second });
            tokio::spawn(async move { store.take_pending_link("state-1").await.unwrap() })
        })
        .collect();
    let mut taken = Vec::new();
    for taker in takers {
        taken.extend(taker.await.unwrap());
    }
    assert_eq!(
        taken,
        [pending_link(expires)],
        "exactly one callback gets it"
    );
    assert_eq!(b.store.take_pending_link("nope").await.unwrap(), None);
    assert_eq!(
        b.store
            .forget_pending_links(expires + hours(2))
            .await
            .unwrap(),
        1
    );
    assert_eq!(b.store.take_pending_link("state-2").await.unwrap(), None);
}

fn unfinished(id: u64, owner: &str) -> Unfinished {
    Unfinished {
        id,
        owner: owner.into(),
        at: at("2026-12-02T10:00:00Z"),
        sealed: format!("sealed-interaction-{id}"),
    }
}

async fn an_unfinished_interaction_is_kept_handed_over_once_and_finished(b: Backend) {
    // Ids past i64::MAX, as Discord's snowflakes are in PostgreSQL's signed bigint.
    let (first, second) = (u64::MAX - 1, 1_500_000_000_000_000_001);
    b.store
        .put_unfinished(&unfinished(first, "dead"))
        .await
        .unwrap();
    b.store
        .put_unfinished(&unfinished(second, "alive"))
        .await
        .unwrap();
    let mut all = b.second.unfinished().await.unwrap();
    all.sort_by_key(|u| u.id);
    assert_eq!(
        all,
        [unfinished(second, "alive"), unfinished(first, "dead")]
    );

    let claims: Vec<_> = (0..10)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &b.store } else { &b.second });
            tokio::spawn(async move {
                let me = format!("taker-{n}");
                store
                    .claim_unfinished(first, "dead", &me)
                    .await
                    .unwrap()
                    .then_some(me)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for claim in claims {
        winners.extend(claim.await.unwrap());
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one process takes it over: {winners:?}"
    );
    let now = b.store.unfinished().await.unwrap();
    let taken = now.iter().find(|u| u.id == first).expect("still kept");
    assert_eq!(taken.owner, winners[0]);
    assert_eq!(taken.sealed, unfinished(first, "dead").sealed);
    assert!(
        !b.store
            .claim_unfinished(second, "dead", "taker")
            .await
            .unwrap(),
        "only its owner's can be handed over"
    );
    assert!(!b.store.claim_unfinished(42, "dead", "taker").await.unwrap());

    b.second.finish_unfinished(first).await.unwrap();
    b.store.finish_unfinished(first).await.unwrap();
    let left: Vec<u64> = b
        .store
        .unfinished()
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(left, [second]);
}

fn link(member: u64, zoom_user: &str) -> MemberLink {
    MemberLink {
        member: MemberId(member),
        zoom_user: zoom_user.into(),
        email: format!("{zoom_user}@example.com"),
        linked_at: at("2026-12-02T10:00:00Z"),
        expires_at: at("2026-12-02T11:00:00Z"),
        sealed: "sealed".into(),
    }
}

async fn member_links_are_kept_found_by_zoom_user_and_removed(b: Backend) {
    let store = &b.store;
    store.put_member_link(&link(1, "zu-a")).await.unwrap();
    store.put_member_link(&link(2, "zu-a")).await.unwrap();
    store.put_member_link(&link(3, "zu-b")).await.unwrap();
    // Member 3 links another Zoom user: the link is replaced, not added.
    store.put_member_link(&link(3, "zu-c")).await.unwrap();

    assert_eq!(
        b.second.member_link(MemberId(1)).await.unwrap(),
        Some(link(1, "zu-a"))
    );
    assert_eq!(store.member_link(MemberId(4)).await.unwrap(), None);
    let mut of_a: Vec<u64> = store
        .zoom_user_links("zu-a")
        .await
        .unwrap()
        .iter()
        .map(|l| l.member.0)
        .collect();
    of_a.sort_unstable();
    assert_eq!(of_a, [1, 2]);
    assert!(store.zoom_user_links("zu-b").await.unwrap().is_empty());
    assert_eq!(
        store.zoom_user_links("zu-c").await.unwrap(),
        [link(3, "zu-c")]
    );
    assert_eq!(
        store.delete_member_link(MemberId(1)).await.unwrap(),
        Some(link(1, "zu-a"))
    );
    assert_eq!(store.delete_member_link(MemberId(1)).await.unwrap(), None);
    assert_eq!(
        store.zoom_user_links("zu-a").await.unwrap(),
        [link(2, "zu-a")]
    );
}

#[allow(clippy::too_many_lines)] // one contract, read top to bottom
async fn concurrent_slots_at_the_limit_are_taken_exactly_count_times(b: Backend) {
    let window = Duration::from_secs(60);
    let now = at("2026-12-02T10:00:00Z");
    let takers: Vec<_> = (0..30)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &b.store } else { &b.second });
            tokio::spawn(async move {
                store
                    .coordination()
                    .take_slot("cooldown:g", 5, window, now)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut answers = Vec::new();
    for taker in takers {
        answers.push(taker.await.unwrap());
    }
    let taken = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(taken, 5, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| *a == Ok(now) || *a == Err(now + SignedDuration::from_secs(60)))
    );

    let store = &b.store;
    let soon = now + SignedDuration::from_secs(30);
    assert_eq!(
        store
            .coordination()
            .take_slot("cooldown:g", 5, window, soon)
            .await
            .unwrap(),
        Err(now + SignedDuration::from_secs(60)),
        "full until the oldest frees up"
    );
    assert_eq!(
        store
            .coordination()
            .take_slot("cooldown:h", 5, window, soon)
            .await
            .unwrap(),
        Ok(soon)
    );
    store
        .coordination()
        .give_back_slot("cooldown:g", now)
        .await
        .unwrap();
    assert_eq!(
        store
            .coordination()
            .take_slot("cooldown:g", 5, window, soon)
            .await
            .unwrap(),
        Ok(soon),
        "one given back"
    );
    assert!(
        store
            .coordination()
            .take_slot("cooldown:g", 5, window, soon)
            .await
            .unwrap()
            .is_err()
    );
    // At now + 60 s the four taken at `now` are out of the window; the one at `soon` is not.
    let later = now + SignedDuration::from_secs(60);
    for _ in 0..4 {
        assert_eq!(
            store
                .coordination()
                .take_slot("cooldown:g", 5, window, later)
                .await
                .unwrap(),
            Ok(later)
        );
    }
    assert_eq!(
        store
            .coordination()
            .take_slot("cooldown:g", 5, window, later)
            .await
            .unwrap(),
        Err(soon + SignedDuration::from_secs(60))
    );
    assert!(
        store
            .coordination()
            .take_slot("never", 0, window, now)
            .await
            .unwrap()
            .is_err()
    );

    // Forgetting the slots taken before `later` frees the one taken at `soon`.
    let forgotten = store
        .coordination()
        .forget_transient(now, later)
        .await
        .unwrap();
    assert_eq!(
        forgotten,
        1 + 1,
        "the one taken at `soon` on g and the one on h"
    );
    assert_eq!(
        store
            .coordination()
            .take_slot("cooldown:g", 5, window, later)
            .await
            .unwrap(),
        Ok(later)
    );
    assert!(
        store
            .coordination()
            .take_slot("cooldown:g", 5, window, later)
            .await
            .unwrap()
            .is_err()
    );
}

async fn a_delivery_is_first_once_across_replicas(b: Backend) {
    let until = at("2026-12-02T10:15:00Z");
    let deliveries: Vec<_> = (0..20)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &b.store } else { &b.second });
            tokio::spawn(async move {
                store
                    .coordination()
                    .first_delivery("interaction:1", until)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut firsts = 0;
    for delivery in deliveries {
        firsts += usize::from(delivery.await.unwrap());
    }
    assert_eq!(firsts, 1);
    assert!(
        b.store
            .coordination()
            .first_delivery("interaction:2", until)
            .await
            .unwrap()
    );
    assert!(
        !b.second
            .coordination()
            .first_delivery("interaction:2", until)
            .await
            .unwrap()
    );

    assert_eq!(
        b.store
            .coordination()
            .forget_transient(until, until)
            .await
            .unwrap(),
        0,
        "not yet"
    );
    let after = until + SignedDuration::from_secs(1);
    assert_eq!(
        b.store
            .coordination()
            .forget_transient(after, after)
            .await
            .unwrap(),
        2
    );
    assert!(
        b.store
            .coordination()
            .first_delivery("interaction:1", after)
            .await
            .unwrap(),
        "forgotten"
    );
}

#[allow(clippy::too_many_lines)] // one contract, read top to bottom
async fn a_lease_is_exclusive_renewed_by_its_owner_and_taken_over_when_expired(b: Backend) {
    let now = at("2026-12-02T10:00:00Z");
    let until = now + SignedDuration::from_secs(30);
    let takers: Vec<_> = (0..10)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &b.store } else { &b.second });
            tokio::spawn(async move {
                let owner = format!("replica-{n}");
                store
                    .coordination()
                    .take_lease("scheduler", &owner, until, now)
                    .await
                    .unwrap()
                    .then_some(owner)
            })
        })
        .collect();
    let mut holders = Vec::new();
    for taker in takers {
        holders.extend(taker.await.unwrap());
    }
    assert_eq!(holders.len(), 1, "{holders:?}");
    let holder = holders.remove(0);
    let (store, second) = (&b.store, &b.second);
    let soon = now + SignedDuration::from_secs(10);
    assert!(
        !second
            .coordination()
            .take_lease("scheduler", "other", soon + hours(1), soon)
            .await
            .unwrap()
    );
    let renewed = now + SignedDuration::from_secs(60);
    assert!(
        store
            .coordination()
            .take_lease("scheduler", &holder, renewed, soon)
            .await
            .unwrap(),
        "renewed"
    );
    let past_first = now + SignedDuration::from_secs(45);
    assert!(
        !second
            .coordination()
            .take_lease("scheduler", "other", past_first + hours(1), past_first)
            .await
            .unwrap(),
        "the renewal holds past the first expiry"
    );
    assert!(
        store
            .coordination()
            .take_lease("elsewhere", "other", until, now)
            .await
            .unwrap(),
        "names apart"
    );

    // Expired: anyone takes it over, and the old owner no longer holds it.
    let expired = renewed + SignedDuration::from_secs(1);
    assert!(
        second
            .coordination()
            .take_lease("scheduler", "other", expired + hours(1), expired)
            .await
            .unwrap()
    );
    assert!(
        !store
            .coordination()
            .take_lease("scheduler", &holder, expired + hours(1), expired)
            .await
            .unwrap()
    );
    store
        .coordination()
        .release_lease("scheduler", &holder)
        .await
        .unwrap();
    assert!(
        !store
            .coordination()
            .take_lease("scheduler", &holder, expired + hours(1), expired)
            .await
            .unwrap(),
        "only its owner gives a lease up"
    );
    second
        .coordination()
        .release_lease("scheduler", "other")
        .await
        .unwrap();
    assert!(
        store
            .coordination()
            .take_lease("scheduler", &holder, expired + hours(1), expired)
            .await
            .unwrap()
    );

    // Leases expired before `now` are forgotten: "elsewhere" (until + 0), not "scheduler".
    let forgotten = store
        .coordination()
        .forget_transient(until + SignedDuration::from_secs(1), now)
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
}

async fn records_from_a_newer_zoombot_are_refused_and_left_as_they_are(b: Backend) {
    let newer_settings = br#"{"v":2,"d":{"duration_minutes":45,"new_field":{"x":1}}}"#;
    let newer_prefs = br#"{"v":7,"d":{"timezone":"Europe/Paris"}}"#;
    let newer_meeting = br#"{"v":3,"d":{"whatever":true}}"#;
    let b = b.plant(Raw::Settings(GUILD), newer_settings).await;
    let b = b.plant(Raw::Prefs(MemberId(9)), newer_prefs).await;
    let b = b.plant(Raw::Meeting(GUILD, 5), newer_meeting).await;

    let err = b
        .store
        .update_guild_settings(GUILD, SettingsChange::Reset(SettingField::WaitingRoom))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerVersion {
                version: 2,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer zoombot"), "{err}");
    assert!(matches!(
        b.second.guild_settings(GUILD).await,
        Err(StoreError::NewerVersion { version: 2, .. })
    ));
    assert!(matches!(
        b.store.set_member_timezone(MemberId(9), None).await,
        Err(StoreError::NewerVersion { version: 7, .. })
    ));
    assert!(matches!(
        b.store
            .update_meeting(GUILD, 5, &MeetingChange::Cancel)
            .await,
        Err(StoreError::NewerVersion { version: 3, .. })
    ));
    assert!(matches!(
        b.store.meeting(GUILD, 5).await,
        Err(StoreError::NewerVersion { version: 3, .. })
    ));

    let kept = b
        .raws(&[
            Raw::Settings(GUILD),
            Raw::Prefs(MemberId(9)),
            Raw::Meeting(GUILD, 5),
        ])
        .await;
    assert_eq!(
        kept,
        [
            Some(newer_settings.to_vec()),
            Some(newer_prefs.to_vec()),
            Some(newer_meeting.to_vec())
        ]
    );
}

async fn an_unreadable_record_is_refused_and_never_overwritten(b: Backend) {
    let garbage = b"\x00\x01not json";
    let b = b.plant(Raw::Settings(GUILD), garbage).await;
    let b = b
        .plant(Raw::Meeting(GUILD, 5), b"{\"v\":1,\"d\":{\"guild\":\"x\"}}")
        .await;

    assert!(matches!(
        b.store.guild_settings(GUILD).await,
        Err(StoreError::Corrupt { .. })
    ));
    let ten_minutes = GuildSettings {
        duration_minutes: Some(10),
        ..GuildSettings::default()
    };
    let update = b
        .store
        .update_guild_settings(GUILD, SettingsChange::Set(&ten_minutes))
        .await;
    assert!(
        matches!(update, Err(StoreError::Corrupt { .. })),
        "{update:?}"
    );
    let update = b
        .second
        .update_meeting(GUILD, 5, &MeetingChange::Cancel)
        .await;
    assert!(
        matches!(update, Err(StoreError::Corrupt { .. })),
        "{update:?}"
    );
    assert!(
        b.store
            .update_guild_settings(OTHER, SettingsChange::Set(&ten_minutes))
            .await
            .is_ok(),
        "another server's settings are not held up"
    );
    let kept = b.raws(&[Raw::Settings(GUILD)]).await;
    assert_eq!(kept, [Some(garbage.to_vec())]);
}
