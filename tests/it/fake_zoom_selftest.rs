//! The fake Zoom checked against itself and against Zoom's Meetings spec, so the tests that use it
//! can trust it.

use crate::support::{fake_zoom, specs};

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fake_zoom::{CreateFailure, FakeZoom, RateLimit, TokenFailure};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

async fn token_response(zoom: &FakeZoom, id: &str, secret: &str, account: &str) -> Response {
    client()
        .post(zoom.oauth_url())
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "account_credentials"),
            ("account_id", account),
        ])
        .send()
        .await
        .expect("token request")
}

/// The token endpoint's answer to the app's own credentials.
async fn token_for_the_app(zoom: &FakeZoom) -> Response {
    token_response(
        zoom,
        FakeZoom::CLIENT_ID,
        FakeZoom::CLIENT_SECRET,
        FakeZoom::ACCOUNT_ID,
    )
    .await
}

async fn token(zoom: &FakeZoom) -> String {
    let resp = token_for_the_app(zoom).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

async fn json_of(resp: Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

async fn create(zoom: &FakeZoom, token: &str, body: &Value) -> (StatusCode, Value) {
    let resp = client()
        .post(format!("{}/users/me/meetings", zoom.api_base()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("create request");
    json_of(resp).await
}

async fn get_meeting(zoom: &FakeZoom, token: &str, id: &Value) -> (StatusCode, Value) {
    let resp = client()
        .get(format!("{}/meetings/{id}", zoom.api_base()))
        .bearer_auth(token)
        .send()
        .await
        .expect("get request");
    json_of(resp).await
}

async fn get_me(zoom: &FakeZoom, token: &str) -> (StatusCode, Value) {
    let resp = client()
        .get(format!("{}/users/me", zoom.api_base()))
        .bearer_auth(token)
        .send()
        .await
        .expect("get user request");
    json_of(resp).await
}

fn future(hours: i64) -> String {
    let t = jiff::Timestamp::now().as_second() + hours * 3600;
    jiff::Timestamp::from_second(t)
        .expect("timestamp")
        .to_string()
}

#[tokio::test]
async fn a_token_from_account_credentials_opens_the_api() {
    let zoom = FakeZoom::start().await;

    let resp = token_for_the_app(&zoom).await;
    let (status, body) = json_of(resp).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["api_url"], json!(zoom.url()));
    assert!(
        body["scope"]
            .as_str()
            .unwrap()
            .contains("meeting:write:meeting:admin")
    );
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (status, user) = get_me(&zoom, &token).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["id"], FakeZoom::DEFAULT_USER_ID);
    assert_eq!(user["email"], FakeZoom::DEFAULT_USER_EMAIL);
    assert_eq!(user["status"], "active");

    // Zoom also takes the parameters from the query string; each token is new.
    let resp = client()
        .post(format!(
            "{}?grant_type=account_credentials&account_id={}",
            zoom.oauth_url(),
            FakeZoom::ACCOUNT_ID
        ))
        .basic_auth(FakeZoom::CLIENT_ID, Some(FakeZoom::CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(body["access_token"].as_str().unwrap(), token);
    assert_eq!(zoom.token_requests(), 2);
}

#[tokio::test]
async fn the_token_endpoint_answers_zoom_oauth_errors() {
    let zoom = FakeZoom::start().await;

    let (status, body) =
        json_of(token_response(&zoom, "nope", "nope", FakeZoom::ACCOUNT_ID).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"reason":"Invalid client_id or client_secret","error":"invalid_client"})
    );

    let (status, body) =
        json_of(token_response(&zoom, FakeZoom::CLIENT_ID, FakeZoom::CLIENT_SECRET, "other").await)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"reason":"Invalid account_id","error":"invalid_request"})
    );

    let resp = client()
        .post(zoom.oauth_url())
        .basic_auth(FakeZoom::CLIENT_ID, Some(FakeZoom::CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(resp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"reason":"Unsupported grant type","error":"unsupported_grant_type"})
    );

    zoom.set_token_failure(Some(TokenFailure::Down));
    let resp = token_for_the_app(&zoom).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.text().await.unwrap().is_empty());

    zoom.set_token_failure(Some(TokenFailure::InvalidClient));
    let resp = token_for_the_app(&zoom).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    zoom.set_token_failure(None);
    token(&zoom).await;
    assert_eq!(zoom.token_requests(), 6);
}

#[tokio::test]
async fn the_api_wants_a_valid_bearer_token() {
    let zoom = FakeZoom::start().await;
    let invalid = json!({"code":124,"message":"Invalid access token."});

    let resp = client()
        .get(format!("{}/users/me", zoom.api_base()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp).await,
        (StatusCode::UNAUTHORIZED, invalid.clone())
    );
    assert_eq!(
        get_me(&zoom, "made-up").await,
        (StatusCode::UNAUTHORIZED, invalid.clone())
    );

    let token = token(&zoom).await;
    assert_eq!(get_me(&zoom, &token).await.0, StatusCode::OK);
    zoom.revoke_tokens();
    assert_eq!(
        get_me(&zoom, &token).await,
        (StatusCode::UNAUTHORIZED, invalid)
    );
}

#[tokio::test]
async fn a_token_expires_after_its_ttl() {
    let zoom = FakeZoom::start().await;
    zoom.set_token_ttl(1);
    let resp = token_for_the_app(&zoom).await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_owned();

    let deadline = Instant::now() + Duration::from_secs(5);
    let (status, body) = loop {
        let answer = get_me(&zoom, &token).await;
        if answer.0 != StatusCode::OK || Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"code":124,"message":"Access token is expired."})
    );
}

#[tokio::test]
async fn an_issued_token_opens_the_api_uncounted_until_tokens_are_expired() {
    let zoom = FakeZoom::start().await;
    let issued = zoom.issue_token();

    assert_eq!(get_me(&zoom, &issued).await.0, StatusCode::OK);
    assert_eq!(zoom.token_requests(), 0);

    zoom.expire_tokens();
    assert_eq!(
        get_me(&zoom, &issued).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"code":124,"message":"Access token is expired."})
        )
    );
    assert_eq!(get_me(&zoom, &token(&zoom).await).await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_app_that_is_not_activated_gets_no_token() {
    let zoom = FakeZoom::start().await;
    zoom.set_token_failure(Some(TokenFailure::NotActivated));

    let resp = token_for_the_app(&zoom).await;

    assert_eq!(
        json_of(resp).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"reason":"The app has been disabled","error":"invalid_client"})
        )
    );
}

/// Pages through `type=upcoming` and returns the start times in order; checks every page.
async fn upcoming_start_times(
    zoom: &FakeZoom,
    token: &str,
    page_size: usize,
    total: usize,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut page_token = String::new();
    for _ in 0..=total {
        let resp = client()
            .get(format!("{}/users/me/meetings", zoom.api_base()))
            .query(&[
                ("type", "upcoming"),
                ("page_size", &page_size.to_string()),
                ("next_page_token", &page_token),
            ])
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let (status, page) = json_of(resp).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total_records"], total);
        assert_eq!(page["page_size"], page_size);
        for m in page["meetings"].as_array().unwrap() {
            assert!(m.get("start_url").is_none() && m.get("password").is_none());
            seen.push(m["start_time"].as_str().unwrap().to_owned());
        }
        page["next_page_token"]
            .as_str()
            .unwrap()
            .clone_into(&mut page_token);
        if page_token.is_empty() {
            break;
        }
    }
    seen
}

#[tokio::test]
async fn a_meeting_is_created_read_listed_updated_and_deleted() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;

    let (status, created) = create(
        &zoom,
        &token,
        &json!({"topic":"Standup","type":2,"start_time":future(3),"duration":30,
                "timezone":"Europe/Berlin","agenda":"daily","settings":{"join_before_host":true}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].clone();
    let id_digits = id.as_i64().expect("integer id").to_string();
    assert_eq!(id_digits.len(), 11);
    assert_eq!(created["topic"], "Standup");
    assert_eq!(created["host_email"], FakeZoom::DEFAULT_USER_EMAIL);
    assert_eq!(created["timezone"], "Europe/Berlin");
    assert_eq!(created["settings"]["join_before_host"], true);
    assert_eq!(created["settings"]["mute_upon_entry"], false);
    let password = created["password"].as_str().unwrap();
    assert!((6..=10).contains(&password.len()));
    let start_url = created["start_url"].as_str().unwrap();
    assert!(start_url.starts_with(&format!("https://zoom.us/s/{id_digits}?zak=")));
    assert!(
        created["join_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://zoom.us/j/{id_digits}?pwd="))
    );
    let created_at = created["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 20,
        "{created_at}"
    );

    let (status, got) = get_meeting(&zoom, &token, &id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["status"], "waiting");
    assert_eq!(got["host_id"], FakeZoom::DEFAULT_USER_ID);
    assert_eq!(got["start_time"], created["start_time"]);
    assert_ne!(
        got["start_url"], created["start_url"],
        "a fresh zak on every GET"
    );

    for hour in [5, 1, 9, 7] {
        let (status, _) = create(
            &zoom,
            &token,
            &json!({"topic":format!("at {hour}"),"type":2,"start_time":future(hour),"duration":60}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let seen = upcoming_start_times(&zoom, &token, 2, 5).await;
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "sorted: {seen:?}");

    let new_start = future(4);
    let resp = client()
        .patch(format!("{}/meetings/{id}", zoom.api_base()))
        .bearer_auth(&token)
        .json(&json!({"topic":"Retro","start_time":new_start}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (_, got) = get_meeting(&zoom, &token, &id).await;
    assert_eq!(got["topic"], "Retro");
    assert_eq!(got["start_time"], json!(new_start));

    let resp = client()
        .delete(format!("{}/meetings/{id}", zoom.api_base()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get_meeting(&zoom, &token, &id).await,
        (
            StatusCode::NOT_FOUND,
            json!({"code":3001,"message":format!("Meeting does not exist: {id_digits}.")})
        )
    );
    assert_eq!(zoom.meeting_count(), 4);
    assert_eq!(
        zoom.meetings_created(),
        5,
        "the deleted one counts as created"
    );
}

#[tokio::test]
async fn a_local_start_time_is_read_in_the_given_timezone_or_else_the_hosts() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    zoom.set_user_timezone(FakeZoom::DEFAULT_USER_ID, "Asia/Kolkata");

    let (status, in_berlin) = create(
        &zoom,
        &token,
        &json!({"topic":"t","type":2,"start_time":"2031-07-01T15:00:00","timezone":"Europe/Berlin"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, in_kolkata) = create(
        &zoom,
        &token,
        &json!({"topic":"t","type":2,"start_time":"2031-07-01T15:00:00"}),
    )
    .await;

    assert_eq!(status, StatusCode::CREATED, "{in_kolkata}");
    assert_eq!(in_berlin["start_time"], "2031-07-01T13:00:00Z");
    assert_eq!(in_kolkata["timezone"], "Asia/Kolkata");
    assert_eq!(in_kolkata["start_time"], "2031-07-01T09:30:00Z");
}

#[tokio::test]
async fn invalid_meeting_requests_get_validation_errors() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let cases = [
        (json!({"topic": "x".repeat(201)}), "topic"),
        (json!({"agenda": "x".repeat(2001)}), "agenda"),
        (json!({"password": "12345678901"}), "password"),
        (json!({"password": "a b"}), "password"),
        (json!({"duration": 0}), "duration"),
        (json!({"duration": "60"}), "duration"),
        (json!({"type": 5}), "type"),
        (json!({"start_time": "tomorrow"}), "start_time"),
        (json!({"timezone": "Mars/Olympus"}), "timezone"),
    ];
    for (body, field) in cases {
        let (status, answer) = create(&zoom, &token, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["code"], 300);
        assert_eq!(answer["message"], "Validation Failed.");
        assert_eq!(answer["errors"][0]["field"], field, "{answer}");
    }

    let resp = client()
        .post(format!("{}/users/me/meetings", zoom.api_base()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"code":300,"message":"Request Body should be a valid JSON object."})
        )
    );

    let resp = client()
        .post(format!("{}/users/nobody/meetings", zoom.api_base()))
        .bearer_auth(&token)
        .json(&json!({"topic":"t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp).await,
        (
            StatusCode::NOT_FOUND,
            json!({"code":1001,"message":"User does not exist: nobody."})
        )
    );
    assert_eq!(zoom.meeting_count(), 0);
}

#[tokio::test]
async fn rate_limits_answer_429_with_zoom_headers() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let body = json!({"topic":"t","type":2,"start_time":future(2)});

    zoom.rate_limit_next(
        1,
        RateLimit::PerSecond {
            retry_after_secs: 2,
        },
    );
    let resp = client()
        .post(format!("{}/users/me/meetings", zoom.api_base()))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["retry-after"], "2");
    assert_eq!(resp.headers()["x-ratelimit-type"], "QPS");
    assert_eq!(resp.headers()["x-ratelimit-category"], "Medium");
    let (status, answer) = json_of(resp).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer["code"], 429);

    zoom.rate_limit_next(1, RateLimit::Daily);
    let resp = client()
        .post(format!("{}/users/me/meetings", zoom.api_base()))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let tomorrow = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        resp.headers()["retry-after"],
        format!("{tomorrow}T00:00:00Z").as_str()
    );
    assert_eq!(resp.headers()["x-ratelimit-type"], "Daily-limit");
    assert_eq!(zoom.meeting_count(), 0);

    zoom.set_daily_create_limit(Some(1));
    assert_eq!(create(&zoom, &token, &body).await.0, StatusCode::CREATED);
    let (status, answer) = create(&zoom, &token, &body).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("daily rate limit (1)")
    );
    assert_eq!(zoom.meeting_count(), 1);
}

#[tokio::test]
async fn create_failures_leave_the_meeting_count_as_zoom_would() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let body = json!({"topic":"t","type":2,"start_time":future(2)});

    zoom.fail_next_creates(1, CreateFailure::BeforeCreate(503));
    assert_eq!(
        create(&zoom, &token, &body).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(zoom.meeting_count(), 0);

    zoom.fail_next_creates(1, CreateFailure::AfterCreate(502));
    assert_eq!(
        create(&zoom, &token, &body).await.0,
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(zoom.meeting_count(), 1);

    zoom.fail_next_creates(1, CreateFailure::SlowAfterCreate(Duration::from_secs(5)));
    let outcome = Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .post(format!("{}/users/me/meetings", zoom.api_base()))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await;
    assert!(outcome.is_err_and(|e| e.is_timeout()));
    assert_eq!(zoom.meeting_count(), 2);

    assert_eq!(create(&zoom, &token, &body).await.0, StatusCode::CREATED);
    assert_eq!(zoom.meeting_count(), 3);
}

#[tokio::test]
async fn fail_next_and_slow_next_hit_any_api_request_once_each() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;

    zoom.fail_next(1, 500);
    assert_eq!(
        get_me(&zoom, &token).await,
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"code":500,"message":"Internal Server Error"})
        )
    );
    assert_eq!(get_me(&zoom, &token).await.0, StatusCode::OK);

    zoom.slow_next(1, Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(get_me(&zoom, &token).await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    get_me(&zoom, &token).await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn random_faults_hit_their_share_of_api_requests_with_zoom_shaped_answers() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let http = client();
    zoom.set_fault_rate(50, Duration::from_secs(5));

    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..1000 {
        let resp = http
            .get(format!("{}/users/me", zoom.api_base()))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get user request");
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(resp.headers()["retry-after"], "1");
            assert_eq!(resp.headers()["x-ratelimit-type"], "QPS");
            assert_eq!(resp.headers()["x-ratelimit-category"], "Light");
        }
        let (_, body) = json_of(resp).await;
        if !status.is_success() {
            assert_eq!(body["code"], status.as_u16(), "{body}");
        }
        *statuses.entry(status.as_u16()).or_default() += 1;
    }

    // 5% of 1,000 is 50. The fault generator has a fixed seed, so this count is the same in
    // every run: the bounds check the rate is honoured, and cannot flake.
    let failed = 1000 - statuses.get(&200).copied().unwrap_or(0);
    assert!((35..=65).contains(&failed), "{statuses:?}");
    assert_eq!(zoom.fault_counts().total(), failed);
    for status in [500, 503, 429] {
        assert!(statuses.contains_key(&status), "no {status}: {statuses:?}");
    }
    assert_eq!(
        statuses.len(),
        4,
        "only 200, 500, 503 and 429: {statuses:?}"
    );

    // The token endpoint is never faulted, and 0 turns the faults off.
    zoom.set_fault_rate(1000, Duration::from_secs(5));
    assert!(!get_me(&zoom, &token).await.0.is_success());
    for _ in 0..20 {
        token_for_the_app(&zoom)
            .await
            .error_for_status()
            .expect("a token");
    }
    zoom.set_fault_rate(0, Duration::ZERO);
    for _ in 0..50 {
        assert_eq!(get_me(&zoom, &token).await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn random_create_faults_fail_before_or_after_creating_as_counted() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    // Held answers outlast the client's timeout: the client sees a timeout, as with a slow Zoom.
    let http = Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("reqwest client");
    zoom.set_fault_rate(300, Duration::from_secs(1));

    let (mut created, mut timed_out, mut rate_limited) = (0, Vec::new(), 0);
    let mut server_errors = Vec::new();
    for i in 0..400 {
        let topic = format!("t{i}");
        let outcome = http
            .post(format!("{}/users/me/meetings", zoom.api_base()))
            .bearer_auth(&token)
            .json(&json!({"topic": topic, "type": 2, "start_time": future(2)}))
            .send()
            .await;
        let resp = match outcome {
            Err(e) if e.is_timeout() => {
                timed_out.push(topic);
                continue;
            }
            outcome => outcome.expect("create request"),
        };
        match resp.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(resp.headers()["retry-after"], "1");
                assert_eq!(resp.headers()["x-ratelimit-category"], "Medium");
                rate_limited += 1;
            }
            StatusCode::INTERNAL_SERVER_ERROR => {
                assert_eq!(
                    json_of(resp).await.1,
                    json!({"code":500,"message":"Internal Server Error"})
                );
                server_errors.push(topic);
            }
            other => panic!("unexpected {other}"),
        }
    }

    let topics: BTreeSet<String> = zoom
        .meetings()
        .iter()
        .map(|m| m["topic"].as_str().expect("topic").to_owned())
        .collect();
    let counts = zoom.fault_counts();
    // Each kind of the mix shows up, and the faults are about 30% of 400.
    assert!(
        counts.create_error_before > 0
            && counts.create_error_after > 0
            && counts.create_held > 0
            && counts.rate_limited > 0,
        "{counts:?}"
    );
    assert!((90..=150).contains(&counts.total()), "{counts:?}");
    assert_eq!(rate_limited, counts.rate_limited);
    // A 500 after creating left the meeting; a 500 before did not; a held answer did.
    let existing = server_errors.iter().filter(|t| topics.contains(*t)).count();
    assert_eq!(existing, counts.create_error_after);
    assert_eq!(server_errors.len() - existing, counts.create_error_before);
    assert_eq!(timed_out.len(), counts.create_held);
    assert!(timed_out.iter().all(|t| topics.contains(t)));
    assert_eq!(zoom.meeting_count(), created + existing + timed_out.len());
}

#[tokio::test]
async fn a_token_without_the_scope_gets_4711() {
    let zoom = FakeZoom::start().await;
    zoom.set_scopes("meeting:read:meeting:admin");
    let token = token(&zoom).await;

    let (status, answer) = create(&zoom, &token, &json!({"topic":"t"})).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], 4711);
}

#[tokio::test]
async fn requests_are_recorded_until_recording_is_turned_off() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    create(&zoom, &token, &json!({"topic":"t"})).await;

    let requests = zoom.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/oauth/token");
    assert_eq!(
        requests[0].body.as_ref().unwrap()["grant_type"],
        "account_credentials"
    );
    assert!(
        requests[0]
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[1].path, "/v2/users/me/meetings");
    assert_eq!(requests[1].authorization, Some(format!("Bearer {token}")));
    assert_eq!(requests[1].body, Some(json!({"topic":"t"})));

    zoom.set_recording(false);
    get_me(&zoom, &token).await;
    assert_eq!(zoom.requests().len(), 2);
}

// ---- against the spec -------------------------------------------------------------------------

/// Follows `$ref`s and single-element `allOf`s to a schema object.
fn resolve<'a>(spec: &'a Value, mut schema: &'a Value) -> &'a Value {
    loop {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap();
            schema = &spec["components"]["schemas"][name];
        } else if let Some([only]) = schema["allOf"].as_array().map(Vec::as_slice) {
            schema = only;
        } else {
            return schema;
        }
    }
}

fn properties(spec: &Value, schema: &Value) -> BTreeSet<String> {
    let schema = resolve(spec, schema);
    let mut keys: BTreeSet<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        keys.extend(properties(spec, part));
    }
    keys
}

fn response_schema<'a>(spec: &'a Value, path: &str, method: &str, status: &str) -> &'a Value {
    &spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

/// What is wrong with `instance` by a spec schema, with the spec's components in scope.
fn schema_errors(spec: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut root = schema.clone();
    root["components"] = spec["components"].clone();
    let validator = jsonschema::validator_for(&root).expect("spec schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn assert_valid(spec: &Value, schema: &Value, instance: &Value) {
    let errors = schema_errors(spec, schema, instance);
    assert!(errors.is_empty(), "{errors:?}\n{instance}");
}

/// Response keys the spec lists that Zoom sends only for some meetings (recurring, registration,
/// PMI, continuous chat, scheduled for someone else, tracking fields).
const CONDITIONAL: &[&str] = &[
    "assistant_id",
    "chat_join_url",
    "dynamic_host_key",
    "occurrences",
    "pmi",
    "recurrence",
    "registration_url",
    "tracking_fields",
];

fn assert_same_keys(spec_keys: &BTreeSet<String>, fake: &Value, what: &str) {
    let fake_keys = keys(fake);
    let extra: Vec<_> = fake_keys.difference(spec_keys).collect();
    let missing: Vec<_> = spec_keys
        .difference(&fake_keys)
        .filter(|k| !CONDITIONAL.contains(&k.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "{what}: keys the spec does not list: {extra:?}"
    );
    assert!(
        missing.is_empty(),
        "{what}: spec keys the fake leaves out: {missing:?}"
    );
}

#[tokio::test]
async fn meeting_responses_have_the_keys_and_types_of_the_spec() {
    let Some(spec) = specs::zoom() else {
        return;
    };
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let (status, created) = create(
        &zoom,
        &token,
        &json!({"topic":"t","type":2,"start_time":future(2),"duration":45,"agenda":"a"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let create_schema = response_schema(&spec, "/users/{userId}/meetings", "post", "201");
    assert_same_keys(
        &properties(&spec, create_schema),
        &created,
        "POST /users/{userId}/meetings",
    );
    let settings_schema = &resolve(&spec, create_schema)["properties"]["settings"];
    let spec_settings = properties(&spec, settings_schema);
    let extra: Vec<_> = keys(&created["settings"])
        .difference(&spec_settings)
        .cloned()
        .collect();
    assert!(
        extra.is_empty(),
        "settings keys the spec does not list: {extra:?}"
    );
    assert_valid(&spec, create_schema, &created);
    // The check can fail: a string id is caught.
    let mut wrong = created.clone();
    wrong["id"] = json!(created["id"].to_string());
    assert!(!schema_errors(&spec, create_schema, &wrong).is_empty());

    let (_, got) = get_meeting(&zoom, &token, &created["id"]).await;
    let get_schema = response_schema(&spec, "/meetings/{meetingId}", "get", "200");
    assert_same_keys(
        &properties(&spec, get_schema),
        &got,
        "GET /meetings/{meetingId}",
    );
    assert_valid(&spec, get_schema, &got);

    let resp = client()
        .get(format!("{}/users/me/meetings", zoom.api_base()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (_, listed) = json_of(resp).await;
    let list_schema = response_schema(&spec, "/users/{userId}/meetings", "get", "200");
    assert_same_keys(
        &properties(&spec, list_schema),
        &listed,
        "GET /users/{userId}/meetings",
    );
    let item_schema = &resolve(&spec, &resolve(&spec, list_schema)["allOf"][1])["properties"]["meetings"]
        ["items"];
    assert_same_keys(
        &properties(&spec, item_schema),
        &listed["meetings"][0],
        "list item",
    );
    assert_valid(&spec, list_schema, &listed);
}

#[tokio::test]
async fn a_create_500_rate_fails_only_creates_and_makes_nothing_when_it_does() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    zoom.set_create_500_rate(500);
    let body = json!({"topic": "Sync", "type": 2, "start_time": future(2), "duration": 30});

    let mut failed = 0;
    for _ in 0..100 {
        let (status, _) = create(&zoom, &token, &body).await;
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            failed += 1;
        } else {
            assert_eq!(status, StatusCode::CREATED);
        }
        assert_eq!(
            get_me(&zoom, &token).await.0,
            StatusCode::OK,
            "reads are left alone"
        );
    }

    assert!((30..70).contains(&failed), "{failed} of 100 failed");
    assert_eq!(
        zoom.meeting_count(),
        100 - failed,
        "a failed create made nothing"
    );
    assert_eq!(zoom.fault_counts().create_error_before, failed);
    zoom.set_create_500_rate(0);
    assert_eq!(create(&zoom, &token, &body).await.0, StatusCode::CREATED);
}

// ---- recurring meetings (type 8) --------------------------------------------------------------

/// Mondays 15:00 in Berlin from 15 October 2035, across the end of summer time on the 28th.
fn weekly_berlin(times: u32) -> Value {
    json!({"topic":"Series","type":8,"start_time":"2035-10-15T13:00:00Z","duration":45,
           "timezone":"Europe/Berlin",
           "recurrence":{"type":2,"repeat_interval":1,"weekly_days":"2","end_times":times}})
}

async fn send(
    zoom: &FakeZoom,
    token: &str,
    method: reqwest::Method,
    path_and_query: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = client()
        .request(method, format!("{}{path_and_query}", zoom.api_base()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    json_of(request.send().await.expect("request")).await
}

fn starts_and_ids(meeting: &Value) -> Vec<(String, String, String)> {
    meeting["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| {
            (
                o["start_time"].as_str().unwrap().to_owned(),
                o["occurrence_id"].as_str().unwrap().to_owned(),
                o["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_weekly_series_lists_its_occurrences_at_the_same_berlin_time_with_epoch_ms_ids() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let (status, created) = create(&zoom, &token, &weekly_berlin(3)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let expected = |start: &str| {
        let ms = start.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        (start.to_owned(), ms.to_string(), "available".to_owned())
    };
    let want = vec![
        expected("2035-10-15T13:00:00Z"),
        expected("2035-10-22T13:00:00Z"),
        expected("2035-10-29T14:00:00Z"),
    ];
    assert_eq!(starts_and_ids(&created), want);
    assert_eq!(want[0].1, "2076066000000");
    assert_eq!(created["recurrence"]["weekly_days"], "2");
    let (_, got) = get_meeting(&zoom, &token, &created["id"]).await;
    assert_eq!(starts_and_ids(&got), want);
    assert_eq!(got["occurrences"][0]["duration"], 45);
}

#[tokio::test]
async fn series_lay_out_daily_monthly_and_several_weekdays_as_zoom_does() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let starts = |rec: Value, start: &str, tz: &str| {
        let body = json!({"topic":"s","type":8,"start_time":start,"duration":30,"timezone":tz,"recurrence":rec});
        let zoom = &zoom;
        let token = &token;
        async move {
            let (status, created) = create(zoom, token, &body).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            starts_and_ids(&created)
                .into_iter()
                .map(|(s, _, _)| s)
                .collect::<Vec<_>>()
        }
    };
    // Every other day at 09:30 in New York, across the start of summer time (11 March 2035).
    assert_eq!(
        starts(
            json!({"type":1,"repeat_interval":2,"end_times":3}),
            "2035-03-09T14:30:00Z",
            "America/New_York"
        )
        .await,
        [
            "2035-03-09T14:30:00Z",
            "2035-03-11T13:30:00Z",
            "2035-03-13T13:30:00Z"
        ]
    );
    // Monthly on the 31st: the fake gives shorter months their last day (Zoom does not say).
    assert_eq!(
        starts(
            json!({"type":3,"monthly_day":31,"end_times":3}),
            "2035-01-31T10:00:00Z",
            "UTC"
        )
        .await,
        [
            "2035-01-31T10:00:00Z",
            "2035-02-28T10:00:00Z",
            "2035-03-31T10:00:00Z"
        ]
    );
    // Sundays and Wednesdays, from a Wednesday: the first is the start itself.
    assert_eq!(
        starts(
            json!({"type":2,"weekly_days":"1,4","end_times":3}),
            "2035-01-31T10:00:00Z",
            "UTC"
        )
        .await,
        [
            "2035-01-31T10:00:00Z",
            "2035-02-04T10:00:00Z",
            "2035-02-07T10:00:00Z"
        ]
    );
    // Until a date instead of a count.
    assert_eq!(
        starts(
            json!({"type":1,"end_date_time":"2035-02-02T10:00:00Z"}),
            "2035-01-31T10:00:00Z",
            "UTC"
        )
        .await,
        [
            "2035-01-31T10:00:00Z",
            "2035-02-01T10:00:00Z",
            "2035-02-02T10:00:00Z"
        ]
    );
}

#[tokio::test]
async fn a_series_without_a_valid_recurrence_is_refused_with_code_300() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let mut no_recurrence = weekly_berlin(3);
    no_recurrence.as_object_mut().unwrap().remove("recurrence");
    let cases = [
        (no_recurrence, "recurrence"),
        (
            json!({"type":8,"recurrence":{"type":2,"weekly_days":"2","end_times":61}}),
            "recurrence.end_times",
        ),
        (
            json!({"type":8,"recurrence":{"type":2,"weekly_days":"2","end_times":-1}}),
            "recurrence.end_times",
        ),
        (
            json!({"type":8,"recurrence":{"type":1,"end_times":3,"end_date_time":"2035-01-01T00:00:00Z"}}),
            "recurrence.end_times",
        ),
        (
            json!({"type":8,"recurrence":{"type":2,"end_times":3}}),
            "recurrence.weekly_days",
        ),
        (
            json!({"type":8,"recurrence":{"type":2,"weekly_days":"8","end_times":3}}),
            "recurrence.weekly_days",
        ),
        (
            json!({"type":8,"recurrence":{"type":3,"monthly_day":32,"end_times":3}}),
            "recurrence.monthly_day",
        ),
        (
            json!({"type":8,"recurrence":{"type":1,"repeat_interval":100,"end_times":3}}),
            "recurrence.repeat_interval",
        ),
        (
            json!({"type":8,"recurrence":{"type":4,"end_times":3}}),
            "recurrence.type",
        ),
        (
            json!({"type":8,"recurrence":{"end_times":3}}),
            "recurrence.type",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = create(&zoom, &token, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["code"], 300, "{answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{body}: {answer}");
    }
    assert_eq!(zoom.meeting_count(), 0);
}

#[tokio::test]
async fn deleting_an_occurrence_marks_it_deleted_and_keeps_the_series() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let (_, created) = create(&zoom, &token, &weekly_berlin(3)).await;
    let id = &created["id"];
    let second = created["occurrences"][1]["occurrence_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/meetings/{id}?occurrence_id={second}");

    assert_eq!(
        send(&zoom, &token, reqwest::Method::DELETE, &path, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, got) = get_meeting(&zoom, &token, id).await;
    let statuses: Vec<String> = starts_and_ids(&got)
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    assert_eq!(statuses, ["available", "deleted", "available"]);
    assert_eq!(zoom.meeting_count(), 1);

    let invalid = (
        StatusCode::BAD_REQUEST,
        json!({"code":300,"message":"Invalid parameter: occurrence_id."}),
    );
    assert_eq!(
        send(&zoom, &token, reqwest::Method::DELETE, &path, None).await,
        invalid,
        "deleted already"
    );
    let unknown = format!("/meetings/{id}?occurrence_id=123");
    assert_eq!(
        send(&zoom, &token, reqwest::Method::DELETE, &unknown, None).await,
        invalid
    );

    let whole = format!("/meetings/{id}");
    assert_eq!(
        send(&zoom, &token, reqwest::Method::DELETE, &whole, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        zoom.meeting_count(),
        0,
        "without occurrence_id the series goes"
    );
}

#[tokio::test]
async fn a_patch_moves_the_whole_series_or_one_occurrence() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let (_, created) = create(&zoom, &token, &weekly_berlin(3)).await;
    let id = &created["id"];
    let third = created["occurrences"][2]["occurrence_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // One occurrence: a new start and length, its id kept, the others untouched.
    let path = format!("/meetings/{id}?occurrence_id={third}");
    let body = json!({"start_time":"2035-10-30T16:00:00Z","duration":60});
    assert_eq!(
        send(&zoom, &token, reqwest::Method::PATCH, &path, Some(&body))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, got) = get_meeting(&zoom, &token, id).await;
    assert_eq!(
        got["occurrences"][2],
        json!({"occurrence_id":third,"start_time":"2035-10-30T16:00:00Z","duration":60,"status":"available"})
    );
    assert_eq!(got["occurrences"][0]["start_time"], "2035-10-15T13:00:00Z");
    let (_, one) = send(&zoom, &token, reqwest::Method::GET, &path, None).await;
    assert_eq!(
        (&one["start_time"], &one["duration"]),
        (&json!("2035-10-30T16:00:00Z"), &json!(60))
    );

    // The series: a start without its recurrence is refused (the spec requires it)...
    let whole = format!("/meetings/{id}");
    let moved = json!({"start_time":"2035-10-16T08:00:00Z"});
    let (status, answer) = send(&zoom, &token, reqwest::Method::PATCH, &whole, Some(&moved)).await;
    assert_eq!(
        (status, &answer["errors"][0]["field"]),
        (StatusCode::BAD_REQUEST, &json!("recurrence"))
    );
    // ...and with it, every occurrence is laid out again: Tuesdays 10:00 Berlin.
    let moved = json!({"start_time":"2035-10-16T08:00:00Z","recurrence":{"type":2,"weekly_days":"3","end_times":2}});
    assert_eq!(
        send(&zoom, &token, reqwest::Method::PATCH, &whole, Some(&moved))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, got) = get_meeting(&zoom, &token, id).await;
    let starts: Vec<String> = starts_and_ids(&got)
        .into_iter()
        .map(|(s, _, _)| s)
        .collect();
    assert_eq!(starts, ["2035-10-16T08:00:00Z", "2035-10-23T08:00:00Z"]);

    // A start in the past is ignored for a series; the rest of the update still applies.
    let past = json!({"start_time":"2020-01-01T10:00:00Z","duration":20,
                      "recurrence":{"type":2,"weekly_days":"3","end_times":2}});
    assert_eq!(
        send(&zoom, &token, reqwest::Method::PATCH, &whole, Some(&past))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, got) = get_meeting(&zoom, &token, id).await;
    assert_eq!(got["start_time"], "2035-10-16T08:00:00Z");
    assert_eq!(got["occurrences"][1]["duration"], 20);

    let unknown = format!("/meetings/{id}?occurrence_id=1");
    let (status, answer) = send(&zoom, &token, reqwest::Method::PATCH, &unknown, Some(&body)).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::BAD_REQUEST, &json!(300))
    );
}

#[tokio::test]
async fn past_occurrences_are_listed_only_when_asked_for() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    // Daily, the first three over by now, the last two to come.
    let first = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3 * 24 + 1);
    let body = json!({"topic":"s","type":8,"start_time":first.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                      "duration":30,"timezone":"UTC","recurrence":{"type":1,"end_times":5}});
    let (_, created) = create(&zoom, &token, &body).await;
    let (_, got) = get_meeting(&zoom, &token, &created["id"]).await;
    assert_eq!(got["occurrences"].as_array().unwrap().len(), 1, "{got}");
    let path = format!("/meetings/{}?show_previous_occurrences=true", created["id"]);
    let (_, all) = send(&zoom, &token, reqwest::Method::GET, &path, None).await;
    assert_eq!(all["occurrences"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn series_updates_count_against_the_daily_limit_and_deletes_do_not() {
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    zoom.set_daily_create_limit(Some(2));
    let (_, created) = create(&zoom, &token, &weekly_berlin(3)).await;
    let id = &created["id"];
    let first = created["occurrences"][0]["occurrence_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = format!("/meetings/{id}?occurrence_id={first}");
    let body = json!({"duration":50});
    assert_eq!(
        send(&zoom, &token, reqwest::Method::PATCH, &one, Some(&body))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, answer) = send(&zoom, &token, reqwest::Method::PATCH, &one, Some(&body)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("daily rate limit (2)")
    );
    let whole = format!("/meetings/{id}");
    assert_eq!(
        send(
            &zoom,
            &token,
            reqwest::Method::PATCH,
            &whole,
            Some(&json!({"topic":"t"}))
        )
        .await
        .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send(&zoom, &token, reqwest::Method::DELETE, &one, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn series_responses_have_the_types_of_the_spec() {
    let Some(spec) = specs::zoom() else {
        return;
    };
    let zoom = FakeZoom::start().await;
    let token = token(&zoom).await;
    let mut body = weekly_berlin(3);
    body["agenda"] = json!("a");
    let (status, created) = create(&zoom, &token, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let create_schema = response_schema(&spec, "/users/{userId}/meetings", "post", "201");
    assert_same_keys(&properties(&spec, create_schema), &created, "POST type 8");
    assert_valid(&spec, create_schema, &created);
    let (_, got) = get_meeting(&zoom, &token, &created["id"]).await;
    let get_schema = response_schema(&spec, "/meetings/{meetingId}", "get", "200");
    assert_valid(&spec, get_schema, &got);
    // The check can fail: a numeric occurrence id is caught.
    let mut wrong = got.clone();
    wrong["occurrences"][0]["occurrence_id"] = json!(2_076_066_000_000_i64);
    assert!(!schema_errors(&spec, get_schema, &wrong).is_empty());
}

// ---- user-level OAuth (authorization code with PKCE, rotating refresh tokens) -----------------

/// RFC 7636 Appendix B (the challenge as the RFC prints it and as SHA-256 gives it).
const PKCE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const PKCE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:1/zoom/callback";

fn no_redirects() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// The consent page's redirect target (`Location`).
async fn authorize(zoom: &FakeZoom, state: &str) -> String {
    let resp = no_redirects()
        .get(zoom.authorize_base())
        .query(&[
            ("response_type", "code"),
            ("client_id", FakeZoom::USER_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("state", state),
            ("code_challenge", PKCE_CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .expect("authorize request");
    assert_eq!(resp.status(), StatusCode::FOUND);
    resp.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned()
}

fn query_param(location: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(location).expect("location url");
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn user_token(zoom: &FakeZoom, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = client()
        .post(zoom.oauth_url())
        .basic_auth(FakeZoom::USER_CLIENT_ID, Some(FakeZoom::USER_CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .expect("user token request");
    json_of(resp).await
}

async fn exchange(
    zoom: &FakeZoom,
    code: &str,
    redirect: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    user_token(
        zoom,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(zoom: &FakeZoom, refresh_token: &str) -> (StatusCode, Value) {
    user_token(
        zoom,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// A full code flow for the signed-in user: (access token, refresh token).
async fn user_grant(zoom: &FakeZoom) -> (String, String) {
    let location = authorize(zoom, "s").await;
    let code = query_param(&location, "code").expect("code");
    let (status, body) = exchange(zoom, &code, REDIRECT, PKCE_VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["access_token"].as_str().expect("access").to_owned(),
        body["refresh_token"].as_str().expect("refresh").to_owned(),
    )
}

fn invalid_code() -> Value {
    json!({"reason": "Invalid authorization code", "error": "invalid_grant"})
}

#[test]
fn the_rfc_7636_vector_is_what_s256_gives() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(PKCE_VERIFIER.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    assert_eq!(challenge, PKCE_CHALLENGE);
}

#[tokio::test]
async fn the_code_flow_with_pkce_gives_a_user_token_acting_as_the_user() {
    let zoom = FakeZoom::start().await;
    zoom.add_user("member-2", "member@example.com");
    zoom.sign_in("member-2");
    let location = authorize(&zoom, "a b&c=d").await;
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("a b&c=d"));
    let code = query_param(&location, "code").expect("code");
    let (status, body) = exchange(&zoom, &code, REDIRECT, PKCE_VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], FakeZoom::USER_SCOPES);
    assert_eq!(zoom.code_exchanges(), 1);
    let access = body["access_token"].as_str().expect("access");
    assert_eq!(
        zoom.current_refresh_token("member-2").as_deref(),
        body["refresh_token"].as_str()
    );
    assert!(zoom.user_access_tokens_valid("member-2"));

    let (status, me) = get_me(&zoom, access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], "member-2");
    let (status, created) = create(
        &zoom,
        access,
        &json!({"topic": "mine", "start_time": future(2)}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, full) = get_meeting(&zoom, access, &created["id"]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(full["host_id"], "member-2");

    // Another user's meeting and user are out of reach; the S2S token still reaches both.
    let s2s = token(&zoom).await;
    let (_, theirs) = create(
        &zoom,
        &s2s,
        &json!({"topic": "theirs", "start_time": future(3)}),
    )
    .await;
    let (status, body) = get_meeting(&zoom, access, &theirs["id"]).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::NOT_FOUND, json!(3001))
    );
    let resp = client()
        .get(format!(
            "{}/users/{}",
            zoom.api_base(),
            FakeZoom::DEFAULT_USER_ID
        ))
        .bearer_auth(access)
        .send()
        .await
        .expect("get user");
    let (status, body) = json_of(resp).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::NOT_FOUND, json!(1001))
    );
    let (status, _) = get_meeting(&zoom, &s2s, &created["id"]).await;
    assert_eq!(status, StatusCode::OK);

    zoom.expire_user_tokens("member-2");
    let (status, body) = get_me(&zoom, access).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!(124))
    );
}

#[tokio::test]
async fn bad_exchanges_are_invalid_grant_and_burn_the_code() {
    let zoom = FakeZoom::start().await;
    let code = query_param(&authorize(&zoom, "s").await, "code").expect("code");
    let (status, body) = exchange(
        &zoom,
        &code,
        REDIRECT,
        "wrong-verifier-wrong-verifier-wrong-verifier",
    )
    .await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, invalid_code()));
    // Burnt by the failed attempt.
    let (status, body) = exchange(&zoom, &code, REDIRECT, PKCE_VERIFIER).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, invalid_code()));

    let code = query_param(&authorize(&zoom, "s").await, "code").expect("code");
    let (status, body) = exchange(&zoom, &code, "http://127.0.0.1:1/other", PKCE_VERIFIER).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, invalid_code()));

    let code = query_param(&authorize(&zoom, "s").await, "code").expect("code");
    let (status, _) = exchange(&zoom, &code, REDIRECT, PKCE_VERIFIER).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = exchange(&zoom, &code, REDIRECT, PKCE_VERIFIER).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, invalid_code()));
    assert_eq!(zoom.invalid_grants(), 4);
    assert_eq!(zoom.code_exchanges(), 1);
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_bad_requests_are_400() {
    let zoom = FakeZoom::start().await;
    zoom.set_consent(false);
    let location = authorize(&zoom, "xyz").await;
    assert_eq!(
        location,
        format!("{REDIRECT}?error=access_denied&state=xyz")
    );
    let resp = no_redirects()
        .get(zoom.authorize_base())
        .query(&[
            ("response_type", "code"),
            ("client_id", FakeZoom::USER_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("code_challenge", PKCE_CHALLENGE),
            ("code_challenge_method", "plain"),
        ])
        .send()
        .await
        .expect("authorize");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn refresh_tokens_rotate_strictly() {
    let zoom = FakeZoom::start().await;
    let (access1, refresh1) = user_grant(&zoom).await;
    let (status, body) = refresh(&zoom, &refresh1).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refresh2 = body["refresh_token"].as_str().expect("refresh").to_owned();
    assert_ne!(refresh1, refresh2);
    let invalid = json!({"reason": "Invalid Token!", "error": "invalid_grant"});
    let (status, body) = refresh(&zoom, &refresh1).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, invalid.clone()));
    let (status, body) = refresh(&zoom, &refresh2).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refresh3 = body["refresh_token"].as_str().expect("refresh").to_owned();
    assert_eq!(
        zoom.current_refresh_token(FakeZoom::DEFAULT_USER_ID),
        Some(refresh3)
    );
    assert_eq!(zoom.user_refreshes(FakeZoom::DEFAULT_USER_ID), 2);
    assert_eq!(zoom.user_refresh_requests(), 3);
    assert_eq!(zoom.invalid_grants(), 1);
    // The old access token lives until it expires.
    let (status, _) = get_me(&zoom, &access1).await;
    assert_eq!(status, StatusCode::OK);

    zoom.set_user_token_failure(Some(503));
    let current = zoom
        .current_refresh_token(FakeZoom::DEFAULT_USER_ID)
        .expect("current");
    let (status, body) = refresh(&zoom, &current).await;
    assert_eq!(
        (status, body),
        (StatusCode::SERVICE_UNAVAILABLE, Value::Null)
    );
    assert_eq!(
        zoom.current_refresh_token(FakeZoom::DEFAULT_USER_ID),
        Some(current)
    );
}

#[tokio::test]
async fn revoke_kills_the_access_and_the_refresh_token() {
    let zoom = FakeZoom::start().await;
    let (access, refresh_token) = user_grant(&zoom).await;
    let resp = client()
        .post(zoom.revoke_url())
        .basic_auth(FakeZoom::USER_CLIENT_ID, Some(FakeZoom::USER_CLIENT_SECRET))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("revoke");
    let (status, body) = json_of(resp).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "success"}))
    );
    assert_eq!(zoom.revocations(), 1);
    let (status, body) = get_me(&zoom, &access).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!(124))
    );
    let (status, body) = refresh(&zoom, &refresh_token).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_grant"))
    );
    assert_eq!(zoom.current_refresh_token(FakeZoom::DEFAULT_USER_ID), None);
    assert!(!zoom.user_access_tokens_valid(FakeZoom::DEFAULT_USER_ID));

    // remove_app does the same.
    let (access, _) = user_grant(&zoom).await;
    zoom.remove_app(FakeZoom::DEFAULT_USER_ID);
    let (status, _) = get_me(&zoom, &access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_clients_keep_to_their_grants() {
    let zoom = FakeZoom::start().await;
    let resp = client()
        .post(zoom.oauth_url())
        .basic_auth(FakeZoom::CLIENT_ID, Some(FakeZoom::CLIENT_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .expect("token");
    let (status, body) = json_of(resp).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("unsupported_grant_type"))
    );
    let (status, body) = user_token(
        &zoom,
        &[
            ("grant_type", "account_credentials"),
            ("account_id", FakeZoom::ACCOUNT_ID),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("unsupported_grant_type"))
    );
    assert_eq!(zoom.token_requests(), 1);
}

#[tokio::test]
async fn user_token_ttl_and_latency_apply_to_user_token_requests() {
    let zoom = FakeZoom::start().await;
    zoom.set_user_token_ttl(120);
    zoom.set_user_token_latency(Duration::from_millis(300));
    let started = Instant::now();
    let (_, refresh_token) = user_grant(&zoom).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    // The rotation is made before the delayed answer leaves.
    let (answer, seen) = tokio::join!(refresh(&zoom, &refresh_token), async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        zoom.current_refresh_token(FakeZoom::DEFAULT_USER_ID)
    });
    let (status, body) = answer;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expires_in"], 120);
    assert_ne!(seen, Some(refresh_token));
    assert_eq!(seen.as_deref(), body["refresh_token"].as_str());
}
