//! `POST /zoom/webhook` on the bot's real HTTP server, with an inbox that records what reaches
//! it: Zoom's signature and timestamp are checked before anything is kept, bad requests get the
//! status Zoom reads as "do not retry" (4xx) and a failure to keep an event the one it retries on
//! (5xx); nothing secret is logged.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zoombot::discord::GatewayStatus;
use zoombot::health::{Health, watch_flushes};
use zoombot::http::{self, HttpState, Webhooks};
use zoombot::meetings::ServiceError;
use zoombot::meetings::webhooks::{Inbox, Received};
use zoombot::metrics::Metrics;
use zoombot::secret::Secret;
use zoombot::store::{MemoryStore, StoreError};
use zoombot::zoom::webhook::WebhookEvent;

const SECRET: &str = "zoom-webhook-secret-token-for-tests";

/// One call of the inbox: the event's type, its meeting and the raw body.
type Call = (String, Option<i64>, Vec<u8>);

/// An inbox that records every call, answering `New` (or failing when told to).
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
    fail: bool,
}

impl Recorder {
    fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait::async_trait]
impl Inbox for Recorder {
    async fn receive(&self, event: &WebhookEvent, raw: &[u8]) -> Result<Received, ServiceError> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((event.event.clone(), event.meeting(), raw.to_vec()));
        if self.fail {
            return Err(StoreError::Backend("disk full".to_owned()).into());
        }
        Ok(Received::New)
    }
}

/// The bot's HTTP server on a loopback port, with webhooks on into `inbox` (or off).
struct Server {
    addr: SocketAddr,
    metrics: Arc<Metrics>,
}

async fn serve(inbox: Option<Arc<Recorder>>) -> Server {
    let (_, flushes) = watch_flushes(Arc::new(MemoryStore::new()));
    let metrics = Arc::new(Metrics::new());
    let state = HttpState {
        health: Health::new(Arc::new(GatewayStatus::default()), flushes),
        metrics: Arc::clone(&metrics),
        webhooks: inbox.map(|inbox| Webhooks {
            secret: Secret::new(SECRET),
            inbox,
        }),
        accounts: None,
        user_webhooks: None,
        interactions: None,
    };
    let listener = http::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(http::serve(listener, state, std::future::pending()));
    Server { addr, metrics }
}

fn hmac_hex(key: &str, data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("key");
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// Zoom's headers for `body` signed at `timestamp`, computed here from the documented formula.
fn zoom_signature(timestamp: &str, body: &str) -> String {
    format!(
        "v0={}",
        hmac_hex(SECRET, format!("v0:{timestamp}:{body}").as_bytes())
    )
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn started(meeting: i64) -> String {
    format!(
        r#"{{"event":"meeting.started","event_ts":1700000000000,"payload":{{"account_id":"acc","object":{{"id":"{meeting}","uuid":"u1==","topic":"Sync","start_time":"2026-12-03T15:00:02Z","host_id":"h"}}}}}}"#
    )
}

/// A post: `headers` as given, JSON unless `content_type` says otherwise. Status and body.
async fn post(
    addr: SocketAddr,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, String)],
) -> (u16, String) {
    let mut request = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .post(format!("http://{addr}/zoom/webhook"));
    if !headers.iter().any(|(k, _)| *k == "content-type") {
        request = request.header("content-type", "application/json; charset=utf-8");
    }
    for (k, v) in headers {
        request = request.header(*k, v);
    }
    let response = request.body(body).send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Posts `body` signed like Zoom at `timestamp`.
async fn post_signed(addr: SocketAddr, body: &str, timestamp: i64) -> (u16, String) {
    let ts = timestamp.to_string();
    let signature = zoom_signature(&ts, body);
    let headers = [
        ("x-zm-request-timestamp", ts),
        ("x-zm-signature", signature),
    ];
    post(addr, body.to_owned(), &headers).await
}

fn counted(server: &Server, event: &str, outcome: &str) -> bool {
    server.metrics.render().contains(&format!(
        "zoombot_webhooks_total{{event=\"{event}\",outcome=\"{outcome}\"}} 1\n"
    ))
}

#[tokio::test]
async fn a_signed_event_reaches_the_inbox_once_with_its_raw_body_and_gets_200() {
    let inbox = Arc::new(Recorder::default());
    let server = serve(Some(Arc::clone(&inbox))).await;
    let body = started(85_746_065_432);

    let (status, answer) = post_signed(server.addr, &body, now()).await;

    assert_eq!((status, answer.as_str()), (200, "{}"));
    let calls = inbox.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "meeting.started");
    assert_eq!(calls[0].1, Some(85_746_065_432));
    assert_eq!(calls[0].2, body.as_bytes(), "the body as Zoom sent it");
    assert!(counted(&server, "meeting.started", "received"));
}

#[tokio::test]
async fn a_replayed_event_passes_the_signature_check_and_the_inbox_sees_it_twice() {
    let inbox = Arc::new(Recorder::default());
    let server = serve(Some(Arc::clone(&inbox))).await;
    let body = started(1);
    let ts = now();

    assert_eq!(post_signed(server.addr, &body, ts).await.0, 200);
    assert_eq!(post_signed(server.addr, &body, ts).await.0, 200);

    // Deduplicating is the inbox's job (by the event's key), not the signature check's.
    assert_eq!(inbox.calls().len(), 2);
}

#[tokio::test]
async fn a_bad_or_missing_signature_or_timestamp_is_401_and_never_reaches_the_inbox() {
    let inbox = Arc::new(Recorder::default());
    let server = serve(Some(Arc::clone(&inbox))).await;
    let body = started(1);
    let ts = now().to_string();
    let good = zoom_signature(&ts, &body);
    let other_body = zoom_signature(&ts, &started(2));
    let wrong_key = format!(
        "v0={}",
        hmac_hex("another-secret", format!("v0:{ts}:{body}").as_bytes())
    );
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "bad signature",
            vec![
                ("x-zm-request-timestamp", ts.clone()),
                ("x-zm-signature", "v0=00ff".to_owned()),
            ],
        ),
        (
            "another key",
            vec![
                ("x-zm-request-timestamp", ts.clone()),
                ("x-zm-signature", wrong_key),
            ],
        ),
        (
            "another body",
            vec![
                ("x-zm-request-timestamp", ts.clone()),
                ("x-zm-signature", other_body),
            ],
        ),
        ("no signature", vec![("x-zm-request-timestamp", ts.clone())]),
        ("no timestamp", vec![("x-zm-signature", good.clone())]),
        (
            "non-numeric timestamp",
            vec![
                ("x-zm-request-timestamp", "now".to_owned()),
                ("x-zm-signature", zoom_signature("now", &body)),
            ],
        ),
        ("nothing", vec![]),
    ];
    for (case, headers) in cases {
        let (status, _) = post(server.addr, body.clone(), &headers).await;
        assert_eq!(status, 401, "{case}");
    }
    // Signed correctly, but outside the five minutes either way.
    for (case, at) in [
        ("6 minutes old", now() - 360),
        ("6 minutes ahead", now() + 360),
    ] {
        assert_eq!(post_signed(server.addr, &body, at).await.0, 401, "{case}");
    }

    assert!(inbox.calls().is_empty(), "{:?}", inbox.calls());
    let text = server.metrics.render();
    assert!(
        text.contains(
            "zoombot_webhooks_total{event=\"meeting.started\",outcome=\"rejected_signature\"} 5\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "zoombot_webhooks_total{event=\"meeting.started\",outcome=\"rejected_timestamp\"} 4\n"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn malformed_oversized_or_non_json_bodies_are_refused_before_the_inbox() {
    let inbox = Arc::new(Recorder::default());
    let server = serve(Some(Arc::clone(&inbox))).await;
    let body = started(1);
    let truncated = &body[..body.len() / 2];
    let deep = format!(
        r#"{{"event":"meeting.started","payload":{{"x":{}1{}}}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let huge = format!(
        r#"{{"event":"meeting.started","payload":{{"x":"{}"}}}}"#,
        "a".repeat(1_000_000)
    );

    assert_eq!(
        post_signed(server.addr, truncated, now()).await.0,
        400,
        "truncated"
    );
    assert_eq!(
        post_signed(server.addr, &deep, now()).await.0,
        400,
        "nested 200 deep"
    );
    assert_eq!(
        post_signed(server.addr, "[]", now()).await.0,
        400,
        "no event"
    );
    assert_eq!(post_signed(server.addr, &huge, now()).await.0, 413, "1 MB");
    let ts = now().to_string();
    let form = [
        (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("x-zm-signature", zoom_signature(&ts, &body)),
        ("x-zm-request-timestamp", ts),
    ];
    assert_eq!(post(server.addr, body.clone(), &form).await.0, 415, "form");

    assert!(inbox.calls().is_empty());
    assert!(counted(&server, "other", "too_large"));
}

#[tokio::test]
async fn an_event_the_bot_does_not_read_is_handed_on_by_its_type_even_in_another_shape() {
    let inbox = Arc::new(Recorder::default());
    let server = serve(Some(Arc::clone(&inbox))).await;
    // A user event: its object's id is letters, which no meeting id is.
    let body = r#"{"event":"user.updated","event_ts":5,"payload":{"object":{"id":"KDcuGIm1QgePTO8WbOqwIQ"}}}"#;

    assert_eq!(post_signed(server.addr, body, now()).await.0, 200);

    assert_eq!(inbox.calls()[0].0, "user.updated");
    assert!(
        counted(&server, "other", "received"),
        "the label set stays bounded"
    );
}

#[tokio::test]
async fn url_validation_answers_the_hmac_of_the_plain_token_and_refuses_empty_or_huge_ones() {
    let inbox = Arc::new(Recorder::default());
    let server = serve(Some(Arc::clone(&inbox))).await;
    let validation = |token: &str| {
        format!(
            r#"{{"event":"endpoint.url_validation","event_ts":1,"payload":{{"plainToken":"{token}"}}}}"#
        )
    };

    let (status, answer) =
        post_signed(server.addr, &validation("qgg8vlvZRS6UYooatFL8Aw"), now()).await;

    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(
        answer,
        serde_json::json!({
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": hmac_hex(SECRET, b"qgg8vlvZRS6UYooatFL8Aw"),
        })
    );
    // Unsigned, as a validation may come: still answered.
    assert_eq!(post(server.addr, validation("abc"), &[]).await.0, 200);
    // Signed, but not with this secret: refused.
    let ts = now().to_string();
    let forged = [
        ("x-zm-request-timestamp", ts),
        ("x-zm-signature", "v0=00".to_owned()),
    ];
    assert_eq!(post(server.addr, validation("abc"), &forged).await.0, 401);
    assert_eq!(
        post_signed(server.addr, &validation(""), now()).await.0,
        400
    );
    assert_eq!(
        post_signed(server.addr, &validation(&"t".repeat(10_000)), now())
            .await
            .0,
        400
    );
    assert!(
        inbox.calls().is_empty(),
        "a validation is not an event to keep"
    );
}

#[tokio::test]
async fn an_inbox_failure_is_500_so_zoom_retries() {
    let inbox = Arc::new(Recorder {
        fail: true,
        ..Recorder::default()
    });
    let server = serve(Some(Arc::clone(&inbox))).await;

    let (status, _) = post_signed(server.addr, &started(1), now()).await;

    assert_eq!(status, 500);
    assert_eq!(inbox.calls().len(), 1);
    assert!(counted(&server, "meeting.started", "failed"));
}

#[tokio::test]
async fn without_webhook_settings_the_route_does_not_exist() {
    let server = serve(None).await;

    let (status, _) = post_signed(server.addr, &started(1), now()).await;

    assert_eq!(status, 404);
}

/// Everything logged, at every level, while `f` runs on this thread (the test's runtime is
/// single-threaded, so the server's tasks log here too).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn nothing_secret_reaches_the_log_whatever_is_posted() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let inbox = Arc::new(Recorder {
        fail: true,
        ..Recorder::default()
    });
    let server = serve(Some(inbox)).await;
    let body = started(1).replace("Sync", "passcode-in-body-4711");
    let ts = now().to_string();
    let signature = zoom_signature(&ts, &body);
    let bad = format!("v0={}", "ab".repeat(32));
    let malformed =
        r#"{"event":"meeting.started","payload":{"object":{"id":"passcode-in-body-4711"}}}"#;

    post_signed(server.addr, &body, now()).await;
    post(
        server.addr,
        body.clone(),
        &[
            ("x-zm-request-timestamp", ts.clone()),
            ("x-zm-signature", bad.clone()),
        ],
    )
    .await;
    post_signed(server.addr, malformed, now()).await;
    post_signed(server.addr, &body, now() - 3600).await;

    let log = String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(PoisonError::into_inner))
        .into_owned();
    assert!(
        log.contains("refused a Zoom webhook"),
        "the refusals are logged: {log}"
    );
    assert!(log.contains("could not keep a Zoom webhook"), "{log}");
    for secret in [SECRET, "passcode-in-body-4711", &signature[3..], &bad[3..]] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

#[tokio::test]
async fn webhook_test_posts_a_signed_meeting_started_that_the_endpoint_takes() {
    let inbox = Arc::new(Recorder::default());
    let server = serve(Some(Arc::clone(&inbox))).await;
    let url = format!("http://{}/zoom/webhook", server.addr);
    let run = |vars: Vec<(&'static str, String)>, url: String| {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_zoombot"))
                .args(["webhook", "test", "--meeting", "123456789", "--url", &url])
                .env_clear()
                .envs(vars)
                .current_dir(std::env::temp_dir())
                .output()
                .expect("run zoombot")
        })
    };
    let configured = vec![
        ("PUBLIC_URL", "https://bot.example.com".to_owned()),
        ("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET.to_owned()),
    ];

    let out = run(configured, url.clone()).await.expect("join");

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("200 {}"), "{stdout}");
    let calls = inbox.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].0.as_str(), calls[0].1),
        ("meeting.started", Some(123_456_789))
    );

    let wrong = vec![
        ("PUBLIC_URL", "https://bot.example.com".to_owned()),
        ("ZOOM_WEBHOOK_SECRET_TOKEN", "not-the-bots".to_owned()),
    ];
    let out = run(wrong, url.clone()).await.expect("join");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("401"));

    let out = run(vec![], url).await.expect("join");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PUBLIC_URL and ZOOM_WEBHOOK_SECRET_TOKEN"),
        "{stderr}"
    );
    assert_eq!(inbox.calls().len(), 1, "neither reached the inbox");
}

#[tokio::test]
async fn doctor_says_whether_webhooks_are_on_and_fails_half_a_configuration() {
    let doctor = |vars: Vec<(&'static str, &'static str)>| {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_zoombot"))
                .arg("doctor")
                .env_clear()
                .envs(vars)
                .current_dir(std::env::temp_dir())
                .output()
                .expect("run zoombot")
        })
    };

    let on = doctor(vec![
        ("PUBLIC_URL", "https://bot.example.com/"),
        ("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET),
    ])
    .await
    .expect("join");
    let off = doctor(vec![]).await.expect("join");
    let half = doctor(vec![("PUBLIC_URL", "https://bot.example.com")])
        .await
        .expect("join");

    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        text(&on).contains("info  webhooks: on: Zoom posts meeting and recording lifecycle events to POST https://bot.example.com/zoom/webhook"),
        "{}",
        text(&on)
    );
    assert!(!text(&on).contains(SECRET));
    assert!(
        text(&off).contains("info  webhooks: off:")
            && text(&off).contains("set PUBLIC_URL and ZOOM_WEBHOOK_SECRET_TOKEN"),
        "{}",
        text(&off)
    );
    assert!(
        text(&half)
            .contains("FAIL  webhooks: PUBLIC_URL is set but ZOOM_WEBHOOK_SECRET_TOKEN is not"),
        "{}",
        text(&half)
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_start_up_log_says_webhooks_are_off_and_how_to_turn_them_on() {
    let bot = crate::support::binary::Binary::start(crate::support::binary::Start::default()).await;

    let line = bot.log_line("Zoom webhooks").await;

    assert!(line.contains("Zoom webhooks off"), "{line}");
    assert!(
        line.contains("set PUBLIC_URL and ZOOM_WEBHOOK_SECRET_TOKEN"),
        "{line}"
    );
}
