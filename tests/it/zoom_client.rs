//! The Zoom client against the fake Zoom: tokens, retries, rate limits, ambiguous creates, errors.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use support::fake_zoom::{CreateFailure, FakeZoom, RateLimit, TokenFailure};
use support::{zoom_client, zoom_config};
use zoombot::secret::Secret;
use zoombot::zoom::model::{AutoRecording, MeetingSettings, MeetingUpdate, NewMeeting};
use zoombot::zoom::{AuthProblem, Missing, ZoomClient, ZoomError};

fn meeting(topic: &str) -> NewMeeting {
    let start = Timestamp::now() + jiff::SignedDuration::from_hours(24);
    NewMeeting::new(topic, start, 45)
}

async fn create_many(client: &Arc<ZoomClient>, n: usize) -> Vec<Result<i64, ZoomError>> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let client = Arc::clone(client);
            tokio::spawn(async move {
                client
                    .create_meeting("me", &meeting(&format!("m{i}")))
                    .await
                    .map(|m| m.id)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_calls_on_a_cold_client_fetch_one_token() {
    let zoom = FakeZoom::start().await;
    zoom.set_latency(Duration::from_millis(20));
    let client = Arc::new(zoom_client(&zoom));

    let results = create_many(&client, 100).await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(zoom.token_requests(), 1);
    assert_eq!(zoom.meeting_count(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_live_two_seconds_are_renewed_without_errors_over_six_seconds() {
    let zoom = FakeZoom::start().await;
    zoom.set_token_ttl(2);
    let client = Arc::new(zoom_client(&zoom));

    let mut errors = 0;
    let started = tokio::time::Instant::now();
    for i in 0..60u32 {
        tokio::time::sleep_until(started + Duration::from_millis(100) * i).await;
        if client.get_user("me").await.is_err() {
            errors += 1;
        }
    }

    assert_eq!(errors, 0);
    assert!(
        zoom.token_requests() >= 3,
        "tokens: {}",
        zoom.token_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_tokens_mid_run_loses_no_call_and_fetches_one_new_token() {
    let zoom = FakeZoom::start().await;
    zoom.set_latency(Duration::from_millis(5));
    let client = Arc::new(zoom_client(&zoom));
    assert!(create_many(&client, 20).await.iter().all(Result::is_ok));

    zoom.revoke_tokens();
    let results = create_many(&client, 50).await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(zoom.token_requests(), 2);
    assert_eq!(zoom.meeting_count(), 70);
}

#[tokio::test]
async fn the_token_request_is_a_form_with_basic_auth_and_api_calls_carry_the_bearer_token() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);

    client.get_user("me").await.expect("user");

    let requests = zoom.requests();
    let token = requests
        .iter()
        .find(|r| r.path == "/oauth/token")
        .expect("token request");
    assert_eq!(token.method, "POST");
    let body = token.body.as_ref().expect("form body");
    assert_eq!(body["grant_type"], "account_credentials");
    assert_eq!(body["account_id"], FakeZoom::ACCOUNT_ID);
    assert!(
        token
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
    );
    let call = requests
        .iter()
        .find(|r| r.path == "/v2/users/me")
        .expect("api call");
    assert!(
        call.authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Bearer "))
    );
}

#[tokio::test]
async fn token_endpoint_errors_name_the_likely_cause_and_are_fetched_once() {
    let zoom = FakeZoom::start().await;
    zoom.set_token_failure(Some(TokenFailure::InvalidClient));
    // A slow answer keeps all callers waiting on the one fetch in flight.
    zoom.set_latency(Duration::from_millis(300));
    let client = Arc::new(zoom_client(&zoom));

    // Reads, not creates: creates that share a stripe queue behind each other, so a queued
    // one asks for its token only after the failed fetch, and rightly tries again.
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = Arc::clone(&client);
            tokio::spawn(async move { client.get_user("me").await.map(|u| u.id) })
        })
        .collect();
    let mut results = Vec::new();
    for call in calls {
        results.push(call.await.expect("task"));
    }

    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(ZoomError::Auth(AuthProblem::InvalidClient)))),
        "{results:?}"
    );
    assert_eq!(
        zoom.token_requests(),
        1,
        "callers waiting on a failed fetch share its error"
    );
    assert_eq!(zoom.meeting_count(), 0);
    let text = results[0].as_ref().unwrap_err().to_string();
    assert!(text.contains("ZOOM_CLIENT_SECRET"), "{text}");

    zoom.set_token_failure(Some(TokenFailure::InvalidAccount));
    let fresh = zoom_client(&zoom);
    assert!(matches!(
        fresh.get_user("me").await,
        Err(ZoomError::Auth(AuthProblem::InvalidAccount))
    ));
}

#[tokio::test]
async fn a_token_endpoint_that_is_down_is_retried_then_reported() {
    let zoom = FakeZoom::start().await;
    zoom.set_token_failure(Some(TokenFailure::Down));
    let client = zoom_client(&zoom);

    let err = client.get_user("me").await.unwrap_err();

    assert!(
        matches!(err, ZoomError::Transport { sent: false, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert_eq!(zoom.token_requests(), 4, "retried up to max_attempts");
}

#[tokio::test]
async fn per_second_rate_limits_are_waited_out_and_retried() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    zoom.rate_limit_next(
        2,
        RateLimit::PerSecond {
            retry_after_secs: 1,
        },
    );

    let started = std::time::Instant::now();
    let created = client.create_meeting("me", &meeting("after a 429")).await;

    assert!(created.is_ok(), "{created:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited for Retry-After each time"
    );
    assert_eq!(zoom.meeting_count(), 1);
}

#[tokio::test]
async fn per_second_waits_are_bounded() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    zoom.rate_limit_next(
        10,
        RateLimit::PerSecond {
            retry_after_secs: 2,
        },
    );

    let err = client.get_meeting(1).await.unwrap_err();

    assert!(
        matches!(err, ZoomError::RateLimited { daily: false, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_daily_limit_is_not_retried_and_carries_its_reset() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    zoom.rate_limit_next(1, RateLimit::Daily);

    let err = client
        .create_meeting("me", &meeting("one too many"))
        .await
        .unwrap_err();

    let ZoomError::RateLimited {
        daily: true,
        retry_at: Some(at),
    } = err
    else {
        panic!("{err:?}")
    };
    let midnight = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .unwrap();
    assert_eq!(
        at,
        midnight
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
    );
    let creates = zoom
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/meetings"))
        .count();
    assert_eq!(creates, 1);
}

#[tokio::test]
async fn the_daily_limit_is_recognised_by_the_fakes_per_user_counter_too() {
    let zoom = FakeZoom::start().await;
    zoom.set_daily_create_limit(Some(2));
    let client = zoom_client(&zoom);

    for i in 0..2 {
        client
            .create_meeting("me", &meeting(&format!("ok {i}")))
            .await
            .expect("within the limit");
    }
    let err = client
        .create_meeting("me", &meeting("third"))
        .await
        .unwrap_err();

    assert!(
        matches!(err, ZoomError::RateLimited { daily: true, .. }),
        "{err:?}"
    );
    assert_eq!(zoom.meeting_count(), 2);
}

#[tokio::test]
async fn reads_deletes_and_updates_are_retried_after_5xx() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    let m = client
        .create_meeting("me", &meeting("retry me"))
        .await
        .unwrap();

    zoom.fail_next(2, 503);
    assert_eq!(client.get_meeting(m.id).await.unwrap().id, m.id);
    zoom.fail_next(2, 500);
    let update = MeetingUpdate {
        topic: Some("renamed".to_owned()),
        ..MeetingUpdate::default()
    };
    client.update_meeting(m.id, &update).await.unwrap();
    zoom.fail_next(1, 502);
    client.delete_meeting(m.id).await.unwrap();

    assert_eq!(zoom.meeting_count(), 0);
}

#[tokio::test]
async fn persistent_5xx_on_a_read_gives_up_after_the_bounded_attempts() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    zoom.fail_next(100, 500);

    let err = client.get_meeting(1).await.unwrap_err();

    assert!(matches!(err, ZoomError::Api { status: 500, .. }), "{err:?}");
    let gets = zoom
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/meetings/1")
        .count();
    assert_eq!(gets, 4);
}

#[tokio::test]
async fn a_create_that_failed_after_zoom_created_it_adopts_the_meeting() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    zoom.fail_next_creates(1, CreateFailure::AfterCreate(500));

    let m = client
        .create_meeting("me", &meeting("ambiguous"))
        .await
        .expect("adopted");

    assert_eq!(zoom.meeting_count(), 1);
    assert_eq!(zoom.meetings()[0]["id"], m.id);
    assert!(
        m.start_url.is_some(),
        "the adopted meeting comes with its start link"
    );
}

#[tokio::test]
async fn a_create_that_failed_before_zoom_created_it_is_sent_once_more() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    zoom.fail_next_creates(1, CreateFailure::BeforeCreate(503));

    client
        .create_meeting("me", &meeting("retried"))
        .await
        .expect("created on the retry");

    assert_eq!(zoom.meeting_count(), 1);
}

#[tokio::test]
async fn a_create_that_timed_out_after_zoom_created_it_leaves_exactly_one_meeting() {
    let zoom = FakeZoom::start().await;
    let client = impatient_client(&zoom);
    zoom.fail_next_creates(1, CreateFailure::SlowAfterCreate(Duration::from_secs(2)));

    client
        .create_meeting("me", &meeting("slow"))
        .await
        .expect("adopted");

    assert_eq!(zoom.meeting_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twin_creates_never_adopt_each_others_meeting() {
    let zoom = FakeZoom::start().await;
    zoom.set_latency(Duration::from_millis(50));
    let client = Arc::new(zoom_client(&zoom));
    zoom.fail_next_creates(1, CreateFailure::BeforeCreate(500));
    let twin = meeting("Standup");

    let (a, b) = tokio::join!(
        client.create_meeting("me", &twin),
        client.create_meeting("me", &twin)
    );

    let (a, b) = (a.expect("first twin").id, b.expect("second twin").id);
    assert_ne!(a, b, "each request gets its own meeting and host link");
    assert_eq!(zoom.meeting_count(), 2);
}

#[tokio::test]
async fn a_create_is_resent_after_each_5xx_whose_check_found_nothing_up_to_three_sends() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    zoom.fail_next_creates(2, CreateFailure::BeforeCreate(500));

    client
        .create_meeting("me", &meeting("third time lucky"))
        .await
        .expect("made on the third send");

    assert_eq!(creates(&zoom), 3);
    assert_eq!(zoom.meeting_count(), 1);
}

#[tokio::test]
async fn a_create_that_fails_three_times_ambiguously_is_not_sent_a_fourth_time() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    zoom.fail_next_creates(5, CreateFailure::BeforeCreate(500));

    let err = client
        .create_meeting("me", &meeting("down"))
        .await
        .unwrap_err();

    assert!(err.is_ambiguous());
    assert_eq!(creates(&zoom), 3);
    assert_eq!(zoom.meeting_count(), 0);
}

#[tokio::test]
async fn a_create_that_timed_out_with_nothing_found_is_not_resent() {
    let zoom = FakeZoom::start().await;
    let client = impatient_client(&zoom);
    // Zoom's edge holds the request past the timeout, then makes nothing the search can see.
    zoom.fail_next_creates(1, CreateFailure::BeforeCreate(500));
    zoom.slow_next(1, Duration::from_secs(1));

    let err = client
        .create_meeting("me", &meeting("still in the making"))
        .await
        .unwrap_err();

    assert!(
        matches!(err, ZoomError::Transport { sent: true, .. }),
        "{err:?}"
    );
    assert_eq!(creates(&zoom), 1, "no resend after an untrustworthy check");
}

/// A client that gives up on a request after 300 ms.
fn impatient_client(zoom: &FakeZoom) -> ZoomClient {
    let mut config = zoom_config(zoom);
    config.request_timeout = Duration::from_millis(300);
    ZoomClient::new(&config)
        .unwrap()
        .with_retry_policy(support::quick_retries())
}

/// How many creates reached the fake.
fn creates(zoom: &FakeZoom) -> usize {
    zoom.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/users/me/meetings")
        .count()
}

#[tokio::test]
async fn a_create_whose_second_send_fails_after_zoom_created_it_adopts_the_meeting() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    // The first send dies at Zoom's edge (nothing made); the second is made, then answered 500.
    zoom.fail_next(1, 503);
    zoom.fail_next_creates(1, CreateFailure::AfterCreate(500));

    let m = client
        .create_meeting("me", &meeting("made on the second send"))
        .await
        .expect("adopted, not reported as failed while it exists");

    assert_eq!(zoom.meeting_count(), 1);
    assert_eq!(zoom.meetings()[0]["id"], m.id);
    let creates = zoom
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/users/me/meetings")
        .count();
    assert_eq!(creates, 2);
}

#[tokio::test]
async fn zoom_error_codes_become_typed_errors() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);

    assert!(matches!(
        client.get_meeting(12_345).await,
        Err(ZoomError::NotFound(Missing::Meeting(_)))
    ));
    assert!(matches!(
        client.get_user("nobody@example.com").await,
        Err(ZoomError::NotFound(Missing::User(_)))
    ));
    assert!(matches!(
        client
            .create_meeting("nobody@example.com", &meeting("x"))
            .await,
        Err(ZoomError::NotFound(Missing::User(_)))
    ));
}

#[tokio::test]
async fn invalid_meetings_are_refused_before_anything_is_sent() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    let mut m = meeting(&"x".repeat(201));
    m.password = Some(Secret::new("far too long a passcode"));

    let err = client.create_meeting("me", &m).await.unwrap_err();

    assert!(
        matches!(&err, ZoomError::Invalid { errors, .. } if errors.len() == 2),
        "{err:?}"
    );
    assert!(zoom.requests().is_empty());
}

#[tokio::test]
async fn listing_follows_every_page() {
    let zoom = FakeZoom::start().await;
    let client = Arc::new(zoom_client(&zoom));
    assert!(create_many(&client, 650).await.iter().all(Result::is_ok));

    let listed = client.list_upcoming("me").await.unwrap();

    assert_eq!(listed.len(), 650);
    let pages = zoom
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/v2/users/me/meetings")
        .count();
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn an_unreachable_zoom_is_a_transport_error_that_was_not_sent() {
    let zoom = FakeZoom::start().await;
    let mut config = zoom_config(&zoom);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    config.api_base = format!("http://127.0.0.1:{port}/v2");
    let client = ZoomClient::new(&config)
        .unwrap()
        .with_retry_policy(support::quick_retries());

    let err = client
        .create_meeting("me", &meeting("nowhere"))
        .await
        .unwrap_err();

    assert!(
        matches!(err, ZoomError::Transport { sent: false, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("could not be reached"));
}

#[tokio::test]
async fn settings_reach_zoom_and_come_back() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    let mut m = meeting("with settings");
    m.timezone = Some("Europe/Berlin".to_owned());
    m.settings = MeetingSettings {
        waiting_room: Some(true),
        join_before_host: Some(false),
        mute_upon_entry: Some(true),
        auto_recording: Some(AutoRecording::Cloud),
        ..MeetingSettings::default()
    };

    let created = client.create_meeting("me", &m).await.unwrap();

    let settings = created.settings.expect("settings echoed");
    assert_eq!(settings.waiting_room, Some(true));
    assert_eq!(settings.auto_recording, Some(AutoRecording::Cloud));
    assert_eq!(
        created.start_time.map(Timestamp::as_second),
        Some(m.start_time.as_second())
    );
    let fresh = client.get_meeting(created.id).await.unwrap();
    assert_ne!(
        fresh.start_url.as_ref().map(Secret::expose),
        created.start_url.as_ref().map(Secret::expose),
        "each GET issues a fresh start link"
    );
}

// ---- series (type 8) --------------------------------------------------------------------------

use zoombot::scheduling::recurrence::{Repeat, Series};
use zoombot::zoom::model::{OccurrenceStatus, Recurrence};

/// The first start of the series tests: a Monday in Berlin, weeks before summer time ends.
fn first_start(zone: &str) -> jiff::Zoned {
    format!("2035-10-08T15:00[{zone}]").parse().unwrap()
}

fn series_meeting(series: Series, first: &jiff::Zoned) -> NewMeeting {
    let zone = first.time_zone().iana_name().unwrap();
    let recurrence = Recurrence::from(&series.rule(first));
    NewMeeting::recurring("Series", first.timestamp(), 45, zone, recurrence)
}

#[tokio::test]
async fn zoom_lays_out_every_series_at_the_starts_the_domain_computes() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    for zone in ["Europe/Berlin", "America/New_York", "Australia/Sydney"] {
        for repeat in Repeat::ALL {
            let first = first_start(zone);
            let series = Series::new(repeat, 8).unwrap();
            let created = client
                .create_meeting("me", &series_meeting(series, &first))
                .await
                .unwrap();
            let zoom_starts: Vec<Timestamp> =
                created.occurrences.iter().map(|o| o.start_time).collect();
            assert_eq!(
                zoom_starts,
                series.occurrences(&first),
                "{repeat} in {zone}"
            );
            let ids: Vec<String> = zoom_starts
                .iter()
                .map(|t| t.as_millisecond().to_string())
                .collect();
            let zoom_ids: Vec<&str> = created
                .occurrences
                .iter()
                .map(|o| o.occurrence_id.as_str())
                .collect();
            assert_eq!(zoom_ids, ids, "occurrence ids are epoch milliseconds");
        }
    }
}

#[tokio::test]
async fn a_recurring_create_validates_against_zooms_spec() {
    let Some(spec) = support::specs::zoom() else {
        return;
    };
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    let first = first_start("Europe/Berlin");
    let series = Series::new(Repeat::Biweekly, 6).unwrap();
    client
        .create_meeting("me", &series_meeting(series, &first))
        .await
        .unwrap();
    let body = zoom
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/meetings"));
    let body = body.and_then(|r| r.body).expect("the create's body");
    assert_eq!(
        body["recurrence"],
        serde_json::json!({"type":2,"repeat_interval":2,"weekly_days":"2","end_times":6})
    );
    let schema = support::specs::request_schema(&spec, "/users/{userId}/meetings", "post");
    let validator = support::specs::validator(&spec, schema);
    assert!(
        support::specs::violations(&validator, &body).is_empty(),
        "{body}"
    );
}

#[tokio::test]
async fn one_occurrence_is_deleted_and_the_rest_of_the_series_stays() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    let first = first_start("Europe/Berlin");
    let series = Series::new(Repeat::Weekly, 3).unwrap();
    let created = client
        .create_meeting("me", &series_meeting(series, &first))
        .await
        .unwrap();
    let second = created.occurrences[1].occurrence_id.clone();
    zoom.clear_requests();

    client.delete_occurrence(created.id, &second).await.unwrap();

    let sent = zoom.requests();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].query.as_deref()),
        ("DELETE", Some(format!("occurrence_id={second}").as_str()))
    );
    let got = client.get_meeting(created.id).await.unwrap();
    let statuses: Vec<OccurrenceStatus> = got.occurrences.iter().map(|o| o.status).collect();
    assert_eq!(
        statuses,
        [
            OccurrenceStatus::Available,
            OccurrenceStatus::Deleted,
            OccurrenceStatus::Available
        ]
    );
    // Twice, or one that never was: Zoom's "Invalid parameter: occurrence_id."
    for wrong in [second.as_str(), "123"] {
        let err = client
            .delete_occurrence(created.id, wrong)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ZoomError::Invalid { message, .. } if message.contains("occurrence_id")),
            "{err:?}"
        );
    }
    client.delete_meeting(created.id).await.unwrap();
    assert_eq!(zoom.meeting_count(), 0);
}

#[tokio::test]
async fn a_series_moves_with_its_recurrence_and_one_occurrence_moves_alone() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    let first = first_start("Europe/Berlin");
    let series = Series::new(Repeat::Weekly, 4).unwrap();
    let created = client
        .create_meeting("me", &series_meeting(series, &first))
        .await
        .unwrap();

    // A Tuesday now: the weekday is in the recurrence, so it goes along.
    let tuesday: jiff::Zoned = "2035-10-09T10:00[Europe/Berlin]".parse().unwrap();
    let update = MeetingUpdate {
        recurrence: Some(Recurrence::from(&series.rule(&tuesday))),
        ..MeetingUpdate::reschedule(tuesday.timestamp(), 30)
    };
    client.update_meeting(created.id, &update).await.unwrap();
    let got = client.get_meeting(created.id).await.unwrap();
    let starts: Vec<Timestamp> = got.occurrences.iter().map(|o| o.start_time).collect();
    assert_eq!(starts, series.occurrences(&tuesday));
    assert!(got.occurrences.iter().all(|o| o.duration == Some(30)));

    let third = got.occurrences[2].clone();
    let later = third.start_time + jiff::SignedDuration::from_hours(2);
    client
        .update_occurrence(
            created.id,
            &third.occurrence_id,
            &MeetingUpdate::reschedule(later, 60),
        )
        .await
        .unwrap();
    let got = client.get_meeting(created.id).await.unwrap();
    assert_eq!(
        (got.occurrences[2].start_time, got.occurrences[2].duration),
        (later, Some(60))
    );
    assert_eq!(
        got.occurrences[2].occurrence_id, third.occurrence_id,
        "an occurrence keeps its id"
    );
    assert_eq!(got.occurrences[3].start_time, starts[3]);
}

#[tokio::test]
async fn what_zoom_would_refuse_of_a_series_is_refused_before_sending() {
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);
    let first = first_start("Europe/Berlin");
    let mut m = series_meeting(Series::new(Repeat::Weekly, 3).unwrap(), &first);
    m.recurrence.as_mut().unwrap().end_times = Some(61);
    let err = client.create_meeting("me", &m).await.unwrap_err();
    assert!(
        matches!(&err, ZoomError::Invalid { errors, .. } if errors[0].field == "recurrence.end_times"),
        "{err:?}"
    );

    let renamed = MeetingUpdate {
        topic: Some("t".to_owned()),
        ..MeetingUpdate::default()
    };
    let err = client
        .update_occurrence(1, "2076066000000", &renamed)
        .await
        .unwrap_err();
    assert!(matches!(err, ZoomError::Invalid { .. }), "{err:?}");
    assert!(zoom.requests().is_empty());
}
