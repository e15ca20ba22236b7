//! Host links stay with their meeting: an ambiguous create never adopts someone else's meeting,
//! a host link or a delete is only for the meeting that was recorded, and one server or member
//! cannot spend the Zoom host's daily quota for everyone. The service against the fake Zoom.

use crate::support;

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use support::fake_zoom::{CreateFailure, FakeZoom};
use support::zoom_client;
use zoombot::ids::{ChannelId, GuildId, MemberId};
use zoombot::meetings::{Created, Limits, Meetings, Requester, ServiceError};
use zoombot::scheduling::Cooldown;
use zoombot::scheduling::plan::MeetInput;
use zoombot::store::{GuildSettings, MeetingRecord, MemoryStore, SettingsChange, Store};
use zoombot::zoom::ZoomError;

const SERVER_A: GuildId = GuildId(1_200_000_000_000_000_001);
const SERVER_B: GuildId = GuildId(1_200_000_000_000_000_002);

fn member(guild: GuildId, member: u64) -> Requester {
    Requester {
        guild,
        channel: ChannelId(guild.0 + 7),
        member: MemberId(member),
        manage_guild: false,
        roles: vec![],
    }
}

/// The meeting both servers schedule: same topic, start and length.
fn weekly_sync() -> MeetInput {
    MeetInput {
        topic: "Weekly sync".into(),
        when: Some("tomorrow 15:00".into()),
        duration: Some("45m".into()),
        ..MeetInput::default()
    }
}

fn service(zoom: &FakeZoom, store: &Arc<MemoryStore>) -> Meetings {
    Meetings::new(
        Arc::new(zoom_client(zoom)),
        Arc::clone(store) as Arc<dyn Store>,
    )
}

fn start_url(created: &Created) -> String {
    created
        .meeting
        .start_url
        .as_ref()
        .map(|s| s.expose().to_owned())
        .unwrap_or_default()
}

/// Server A schedules the weekly sync; then server B schedules the same, and B's first create
/// meets `failure`.
async fn a_then_b_after(failure: CreateFailure) -> (FakeZoom, Arc<MemoryStore>, Created, Created) {
    let zoom = FakeZoom::start().await;
    let store = Arc::new(MemoryStore::new());
    let service = service(&zoom, &store);
    let a = service
        .create(&member(SERVER_A, 1), &weekly_sync())
        .await
        .unwrap();
    zoom.fail_next_creates(1, failure);
    let b = service
        .create(&member(SERVER_B, 2), &weekly_sync())
        .await
        .unwrap();
    (zoom, store, a, b)
}

#[tokio::test]
async fn an_ambiguous_create_never_adopts_the_look_alike_another_server_was_given() {
    // Nothing is created by B's first send: the look-alike is A's.
    let (zoom, _, a, b) = a_then_b_after(CreateFailure::BeforeCreate(500)).await;

    assert_ne!(b.meeting.id, a.meeting.id, "B was handed A's meeting");
    assert_ne!(start_url(&b), start_url(&a), "B was handed A's host link");
    assert_eq!(
        zoom.meeting_count(),
        2,
        "B's meeting was made on the resend"
    );
}

#[tokio::test]
async fn a_create_that_zoom_made_before_failing_adopts_its_own_meeting_not_the_older_look_alike() {
    let (zoom, store, a, b) = a_then_b_after(CreateFailure::AfterCreate(500)).await;

    assert_ne!(b.meeting.id, a.meeting.id);
    assert_eq!(zoom.meeting_count(), 2, "no duplicate, no orphan");
    let ids: Vec<i64> = zoom
        .meetings()
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .collect();
    assert!(
        ids.contains(&b.meeting.id),
        "B got the meeting its own send made"
    );
    for id in ids {
        assert!(
            store.zoom_meeting(id).await.unwrap().is_some(),
            "meeting {id} in Zoom is recorded (not orphaned)"
        );
    }
}

#[tokio::test]
async fn after_a_restart_a_meeting_in_the_store_is_never_adopted() {
    let zoom = FakeZoom::start().await;
    let store = Arc::new(MemoryStore::new());
    let a = service(&zoom, &store)
        .create(&member(SERVER_A, 1), &weekly_sync())
        .await
        .unwrap();

    // A new process: its Zoom client has handed out nothing yet, but the store remembers A's.
    let restarted = service(&zoom, &store);
    zoom.fail_next_creates(1, CreateFailure::BeforeCreate(500));
    let b = restarted
        .create(&member(SERVER_B, 2), &weekly_sync())
        .await
        .unwrap();

    assert_ne!(
        b.meeting.id, a.meeting.id,
        "B was handed A's recorded meeting"
    );
    assert_eq!(zoom.meeting_count(), 2);
}

#[tokio::test]
async fn several_look_alikes_after_an_ambiguous_failure_are_refused_not_guessed() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    let meeting = zoombot::meetings::new_meeting(
        &zoombot::scheduling::plan::plan(
            &weekly_sync(),
            &zoombot::scheduling::plan::Defaults::default(),
            Timestamp::now(),
        )
        .unwrap(),
    );
    // Two identical meetings made outside this client (the Zoom app, another replica), then
    // this client's create is made by Zoom and answered 500.
    let other = zoom_client(&zoom);
    other.create_meeting("me", &meeting).await.unwrap();
    zoom.fail_next_creates(1, CreateFailure::AfterCreate(500));

    let err = client.create_meeting("me", &meeting).await.unwrap_err();

    match err {
        ZoomError::LookAlikes(ids) => assert_eq!(ids.len(), 2, "{ids:?}"),
        other => panic!("expected a refusal to guess, got {other:?}"),
    }
    assert_eq!(zoom.meeting_count(), 2, "nothing was sent a third time");
}

#[tokio::test]
async fn a_host_link_is_refused_when_zoom_gave_the_number_to_another_meeting() {
    let zoom = FakeZoom::start().await;
    let store = Arc::new(MemoryStore::new());
    let alice = member(SERVER_A, 1);
    let client = Arc::new(zoom_client(&zoom));
    let service = Meetings::new(
        Arc::clone(&client) as Arc<dyn zoombot::meetings::Zoom>,
        Arc::clone(&store) as Arc<dyn Store>,
    );
    let a = service.create(&alice, &weekly_sync()).await.unwrap();
    service
        .host_link(&alice, a.meeting.id)
        .await
        .expect("the creator's link while the meeting is Zoom's");

    // Zoom forgets A's meeting and gives its number to server B's.
    zoom.reuse_meeting_numbers();
    let other = MeetInput {
        topic: "Board meeting".into(),
        ..weekly_sync()
    };
    let b = Meetings::new(client, Arc::new(MemoryStore::new()) as Arc<dyn Store>)
        .create(&member(SERVER_B, 2), &other)
        .await
        .unwrap();
    assert_eq!(b.meeting.id, a.meeting.id, "the fake reuses numbers");

    let link = service.host_link(&alice, a.meeting.id).await;
    assert!(
        matches!(link, Err(ServiceError::GoneFromZoom(_))),
        "{link:?}"
    );
    let cancelled = service.cancel(&alice, a.meeting.id).await;
    assert!(cancelled.is_ok(), "{cancelled:?}");
    assert!(
        zoom.meeting(b.meeting.id).is_some(),
        "B's meeting was not deleted by A's cancel"
    );
}

#[tokio::test]
async fn a_host_link_is_refused_once_the_meeting_is_over() {
    let zoom = FakeZoom::start().await;
    let store = Arc::new(MemoryStore::new());
    let alice = member(SERVER_A, 1);
    let start = Timestamp::now() - SignedDuration::from_hours(3);
    store
        .put_meeting(&MeetingRecord {
            guild: alice.guild,
            channel: alice.channel,
            message: None,
            creator: alice.member,
            zoom_id: 12_345_678_901,
            topic: "Yesterday's".into(),
            start,
            duration_minutes: 60,
            timezone: "UTC".into(),
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
        })
        .await
        .unwrap();

    let link = service(&zoom, &store)
        .host_link(&alice, 12_345_678_901)
        .await;

    assert!(matches!(link, Err(ServiceError::MeetingOver)), "{link:?}");
    assert!(zoom.requests().is_empty(), "Zoom was not asked");
}

#[tokio::test]
async fn host_links_are_rate_limited_per_member() {
    let zoom = FakeZoom::start().await;
    let store = Arc::new(MemoryStore::new());
    let alice = member(SERVER_A, 1);
    let service = service(&zoom, &store);
    let a = service.create(&alice, &weekly_sync()).await.unwrap();
    zoom.clear_requests();

    let mut refused = 0;
    for _ in 0..40 {
        match service.host_link(&alice, a.meeting.id).await {
            Ok(_) => {}
            Err(ServiceError::HostLinkLimit { retry_at }) => {
                assert!(retry_at > Timestamp::now());
                refused += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    let allowed = Limits::DEFAULT.host_links.count as usize;
    assert_eq!(refused, 40 - allowed);
    assert_eq!(
        zoom.requests().len(),
        allowed,
        "one Zoom call per link given"
    );
}

#[tokio::test]
async fn cooldown_off_does_not_lift_the_operators_limit_per_server_per_day() {
    let zoom = FakeZoom::start().await;
    let store = Arc::new(MemoryStore::new());
    store
        .update_guild_settings(SERVER_A, SettingsChange::Set(&no_cooldown()))
        .await
        .unwrap();
    let service = service(&zoom, &store).with_limits(Limits {
        per_server_per_day: 3,
        per_member: Cooldown::OFF,
        ..Limits::DEFAULT
    });

    let mut created = 0;
    let mut refusal = None;
    for i in 0..5 {
        let input = MeetInput {
            topic: format!("Meeting {i}"),
            ..MeetInput::default()
        };
        match service.create(&member(SERVER_A, 1), &input).await {
            Ok(_) => created += 1,
            Err(err) => refusal = Some(err),
        }
    }

    assert_eq!(created, 3);
    assert_eq!(zoom.meeting_count(), 3, "refused before Zoom was asked");
    assert!(
        matches!(
            refusal,
            Some(ServiceError::ServerDailyLimit { limit: 3, reset_at }) if reset_at > Timestamp::now()
        ),
        "{refusal:?}"
    );
    service
        .create(&member(SERVER_B, 1), &weekly_sync())
        .await
        .expect("another server has its own day");
}

#[tokio::test]
async fn a_member_in_several_servers_gets_one_allowance_not_one_per_server() {
    let zoom = FakeZoom::start().await;
    let store = Arc::new(MemoryStore::new());
    let service = service(&zoom, &store).with_limits(Limits {
        per_member: Cooldown {
            count: 3,
            window_minutes: 60,
        },
        ..Limits::DEFAULT
    });

    let mut results = Vec::new();
    for (i, guild) in [SERVER_A, SERVER_B, GuildId(3), GuildId(4)]
        .into_iter()
        .enumerate()
    {
        let input = MeetInput {
            topic: format!("Meeting {i}"),
            ..MeetInput::default()
        };
        results.push(service.create(&member(guild, 1), &input).await);
    }

    assert!(results[..3].iter().all(Result::is_ok));
    assert!(
        matches!(results[3], Err(ServiceError::MemberLimit { .. })),
        "{:?}",
        results[3]
    );
    assert_eq!(zoom.meeting_count(), 3);
}

#[tokio::test]
async fn the_hosts_daily_quota_is_counted_across_servers_and_refused_before_zoom() {
    let zoom = FakeZoom::start().await;
    let store = Arc::new(MemoryStore::new());
    for guild in [SERVER_A, SERVER_B] {
        store
            .update_guild_settings(guild, SettingsChange::Set(&no_cooldown()))
            .await
            .unwrap();
    }
    let service = service(&zoom, &store).with_limits(Limits {
        per_host_per_day: 4,
        per_member: Cooldown::OFF,
        ..Limits::DEFAULT
    });
    // A create Zoom refuses outright made nothing, so it costs nothing.
    zoom.fail_next_creates(1, CreateFailure::BeforeCreate(400));
    let first = service.create(&member(SERVER_A, 1), &weekly_sync()).await;
    assert!(first.is_err());

    let mut outcomes = Vec::new();
    for i in 0..6u64 {
        let guild = if i % 2 == 0 { SERVER_A } else { SERVER_B };
        let input = MeetInput {
            topic: format!("Meeting {i}"),
            ..MeetInput::default()
        };
        outcomes.push(service.create(&member(guild, i), &input).await);
    }

    assert_eq!(outcomes.iter().filter(|r| r.is_ok()).count(), 4);
    assert_eq!(zoom.meeting_count(), 4);
    assert!(
        matches!(
            outcomes[5],
            Err(ServiceError::Zoom(ZoomError::RateLimited {
                daily: true,
                retry_at: Some(_)
            }))
        ),
        "{:?}",
        outcomes[5]
    );
}

/// Settings that turn the server's cooldown off.
fn no_cooldown() -> GuildSettings {
    GuildSettings {
        cooldown: Some(Cooldown::OFF),
        ..GuildSettings::default()
    }
}
