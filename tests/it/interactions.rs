//! `DISCORD_MODE=http`: Discord posts signed interactions to `POST /discord/interactions`, the
//! bot answers the first response in the HTTP response and the rest by REST, as over the
//! gateway, and never opens a gateway connection.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support;
use support::bot::{PATIENCE, TestBot, strings};
use support::fake_discord::{self, EPHEMERAL, FakeDiscord, Member};
use support::signed::{self, post, post_signed, sign};

const ALICE: u64 = 1_400_000_000_000_000_001;

/// The value of the sample `series` (name and labels, exactly as rendered), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

fn ping() -> Vec<u8> {
    json!({"id": "1300000000000000001", "application_id": FakeDiscord::APPLICATION_ID.to_string(), "type": 1, "token": "ping-token", "version": 1})
        .to_string()
        .into_bytes()
}

fn headers(signature: &str, timestamp: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-signature-ed25519", signature.to_owned()),
        ("x-signature-timestamp", timestamp.to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_ping_is_answered_with_a_pong() {
    let bot = TestBot::start_http().await;

    let (status, body) = post_signed(bot.http_addr, &ping()).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"type": 1})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_discord_s_fresh_signature_are_refused_with_401() {
    let bot = TestBot::start_http().await;
    let body = ping();
    let now = signed::now();
    let good = sign(&now, &body);
    let mut flipped = good.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    let old = (jiff::Timestamp::now().as_second() - 10 * 60).to_string();
    let ahead = (jiff::Timestamp::now().as_second() + 10 * 60).to_string();
    let other_body = sign(&now, br#"{"type":1,"id":"2"}"#);

    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "a signature with one digit changed",
            headers(&flipped, &now),
        ),
        ("no headers", vec![]),
        ("no signature", vec![("x-signature-timestamp", now.clone())]),
        ("no timestamp", vec![("x-signature-ed25519", good.clone())]),
        ("a signature over another body", headers(&other_body, &now)),
        ("a signature that is not hex", headers("not-hex", &now)),
        (
            "a replayed signature with its old timestamp",
            headers(&sign(&old, &body), &old),
        ),
        (
            "a timestamp ten minutes ahead",
            headers(&sign(&ahead, &body), &ahead),
        ),
        (
            "another timestamp than the signed one",
            headers(&good, &old),
        ),
    ];
    for (case, headers) in &cases {
        let (status, answer) = post(bot.http_addr, body.clone(), headers).await;
        assert_eq!(status, 401, "{case}: {answer}");
    }

    let (_, metrics) = bot.http_get("/metrics").await;
    for (reason, count) in [
        ("bad_signature", 4.0),
        ("missing_signature", 3.0),
        ("stale_timestamp", 2.0),
    ] {
        let series = format!("zoombot_interactions_rejected_total{{reason=\"{reason}\"}}");
        assert_eq!(sample(&metrics, &series), Some(count), "{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_badly_signed_command_does_nothing() {
    let bot = TestBot::start_http().await;
    let (id, token) = bot.next();
    let payload = fake_discord::slash_command_here(
        id,
        &token,
        &Member::regular(ALICE),
        "meet",
        strings(&[("topic", "Forged")]),
    );
    let payload = bot.discord.prepare_http_interaction(payload);
    let body = payload.to_string().into_bytes();
    let now = signed::now();

    let (status, _) = post(bot.http_addr, body, &headers(&sign(&now, b"{}"), &now)).await;

    assert_eq!(status, 401);
    assert_eq!(bot.zoom.meeting_count(), 0);
    assert!(bot.discord.callbacks().is_empty());
    assert!(bot.discord.followups(&token).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_a_megabyte_is_refused_before_it_is_sent() {
    let bot = TestBot::start_http().await;
    let mut stream = tokio::net::TcpStream::connect(bot.http_addr).await.unwrap();
    let now = signed::now();
    // Only the headers: the answer must come without the body, so it was not read.
    let request = format!(
        "POST {} HTTP/1.1\r\nhost: bot\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nx-signature-ed25519: {}\r\nx-signature-timestamp: {now}\r\n\r\n",
        signed::PATH,
        1024 * 1024 + 1,
        sign(&now, b"")
    );
    stream.write_all(request.as_bytes()).await.unwrap();

    let mut answer = vec![0; 1024];
    let read = tokio::time::timeout(PATIENCE, stream.read(&mut answer))
        .await
        .expect("an answer before the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_body_that_is_not_json_is_a_bad_request() {
    let bot = TestBot::start_http().await;

    let (status, _) = post_signed(bot.http_addr, b"{\"type\": 2, ").await;

    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meet_over_http_is_deferred_privately_in_the_response_then_answered_by_rest() {
    let bot = TestBot::start_http().await;

    let (token, status, response) = bot
        .slash_over_http(
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Over HTTP")]),
        )
        .await;

    assert_eq!(status, 200, "{response}");
    assert_eq!(response["type"], 5, "a deferred response: {response}");
    assert_eq!(
        response["data"]["flags"].as_u64().unwrap_or_default() & EPHEMERAL,
        EPHEMERAL,
        "deferred privately: {response}"
    );
    let answer = bot.answer(&token).await;
    let meeting = bot.zoom.meetings()[0].clone();
    let start_url = format!("https://zoom.us/s/{}?zak=", meeting["id"]);
    assert!(answer.ephemeral, "the host link is private");
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert!(answer.content.contains(&start_url), "{}", answer.content);
    assert!(
        bot.discord
            .wait_for(|d| !d.followups(&token).is_empty(), PATIENCE)
            .await,
        "no public follow-up"
    );
    let public = &bot.discord.followups(&token)[0];
    assert!(!public.ephemeral);
    assert_eq!(public.embeds[0]["title"], "Over HTTP");
    assert!(!public.text().contains("zak="), "{}", public.text());
    assert!(
        bot.discord
            .requests_matching("POST", "/callback")
            .is_empty(),
        "acknowledged by REST as well as in the response"
    );
    assert_eq!(bot.zoom.meeting_count(), 1);
    let series = "zoombot_commands_total{command=\"meet\",outcome=\"ok\"}";
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (_, metrics) = bot.http_get("/metrics").await;
        if sample(&metrics, series) == Some(1.0) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_interaction_delivered_twice_is_acted_on_once() {
    let bot = TestBot::start_http().await;
    let (id, token) = bot.next();
    let payload = fake_discord::slash_command_here(
        id,
        &token,
        &Member::regular(ALICE),
        "meet",
        strings(&[("topic", "Twice")]),
    );

    let (first, _) = bot.deliver(payload.clone()).await;
    let answer = bot.answer(&token).await;
    let (again, _) = post_signed(bot.http_addr, payload.to_string().as_bytes()).await;

    assert_eq!(first, 200);
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert_eq!(again, 409, "a replay is refused");
    assert_eq!(bot.zoom.meeting_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_command_is_refused_privately_in_the_response() {
    let bot = TestBot::start_http().await;

    let (token, status, response) = bot
        .slash_over_http(&Member::regular(ALICE), "meet-old", json!([]))
        .await;

    assert_eq!(status, 200);
    assert_eq!(response["type"], 4, "{response}");
    assert_eq!(
        response["data"]["flags"].as_u64().unwrap_or_default() & EPHEMERAL,
        EPHEMERAL
    );
    let text = response["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("outdated"), "{text}");
    let original = bot.discord.original(&token).expect("Discord took it");
    assert!(original.ephemeral);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autocomplete_is_answered_in_the_response() {
    let bot = TestBot::start_http().await;
    let (id, token) = bot.next();
    let payload = fake_discord::autocomplete(
        id,
        &token,
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &Member::regular(ALICE),
        "meet-timezone",
        strings(&[("zone", "berl")]),
    );

    let (status, response) = bot.deliver(payload).await;

    assert_eq!(status, 200);
    assert_eq!(response["type"], 8, "{response}");
    let choices = response["data"]["choices"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        choices.iter().any(|c| c["value"] == "Europe/Berlin"),
        "{choices:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_the_store_s_alone_and_no_gateway_is_opened() {
    let bot = TestBot::start_http().await;
    bot.deliver(fake_discord::slash_command_here(
        bot.next().0,
        "token-health",
        &Member::regular(ALICE),
        "meet-timezone",
        strings(&[("zone", "Europe/Berlin")]),
    ))
    .await;

    let (status, body) = bot.http_get("/healthz").await;

    assert_eq!((status, body.as_str()), (200, "ok\n"));
    assert_eq!(bot.discord.connection_count(), 0, "a gateway connection");
    assert!(
        bot.discord.requests_matching("GET", "/gateway").is_empty(),
        "asked for the gateway's address"
    );
    assert!(
        !bot.discord.registered_commands(None).is_empty(),
        "the commands are registered without a READY"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_work_when_discord_could_not_be_asked_at_start() {
    let discord = FakeDiscord::start().await;
    // The start-up check learns the application id; without it the bot learns it from the
    // first signed interaction.
    discord.fail_next_with("/users/@me", 500, 0, "Internal Server Error");
    let zoom = support::fake_zoom::FakeZoom::start().await;
    let bot = TestBot::launch(discord, zoom, signed::http_mode, None).await;
    assert!(
        bot.discord
            .wait_for(
                |d| !d.requests_matching("GET", "/users/@me").is_empty(),
                PATIENCE
            )
            .await
    );

    let (token, status, response) = bot
        .slash_over_http(
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Late id")]),
        )
        .await;

    assert_eq!(status, 200, "{response}");
    let answer = bot.answer(&token).await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
}

/// The real binary in http mode against the fakes, logging at trace; killed when dropped.
#[cfg(unix)]
struct HttpBinary {
    child: Option<std::process::Child>,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    discord: FakeDiscord,
    zoom: support::fake_zoom::FakeZoom,
    addr: std::net::SocketAddr,
    _root: tempfile::TempDir,
}

#[cfg(unix)]
impl HttpBinary {
    /// Starts it and waits until it has registered its commands and serves HTTP.
    async fn start() -> Self {
        let discord = FakeDiscord::start().await;
        let zoom = support::fake_zoom::FakeZoom::start().await;
        let root = tempfile::tempdir().unwrap();
        let mut env = support::binary_env(&discord, &zoom, &root.path().join("data"));
        env.extend([
            ("RUST_LOG", "trace".to_owned()),
            ("DISCORD_MODE", "http".to_owned()),
            ("DISCORD_PUBLIC_KEY", signed::public_key_hex()),
        ]);
        let mut child = support::binary_command(env, &[], root.path())
            .spawn()
            .expect("start zoombot");
        let log = support::capture_stderr(&mut child);
        let mut bot = Self {
            child: Some(child),
            log,
            discord,
            zoom,
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            _root: root,
        };
        assert!(support::registered(&bot.discord, 0).await, "{}", bot.log());
        let line = bot.log_line("HTTP server listening").await;
        bot.addr = support::listening_addr(&line).expect("an address");
        bot
    }

    fn log(&self) -> String {
        anstream::adapter::strip_str(&self.log.lock().unwrap()).to_string()
    }

    /// Waits (bounded) for a log line containing `text`.
    async fn log_line(&self, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.log().lines().find(|l| l.contains(text)) {
                return line.to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {text:?} in {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A /meet as interaction `id` with `token`, signed and posted: its payload, signature and
    /// the response (taken by the fake as Discord takes it).
    async fn meet(&self, id: u64, token: &str) -> (String, Value) {
        let payload = self
            .discord
            .prepare_http_interaction(fake_discord::slash_command_here(
                id,
                token,
                &Member::regular(ALICE),
                "meet",
                strings(&[("topic", "Logged")]),
            ));
        let body = payload.to_string().into_bytes();
        let now = signed::now();
        let signature = sign(&now, &body);
        let (status, response) = post(self.addr, body, &headers(&signature, &now)).await;
        assert_eq!(status, 200, "{response}");
        let response: Value = serde_json::from_str(&response).unwrap();
        let id = payload["id"].as_str().unwrap();
        assert_eq!(self.discord.take_http_response(id, &response), 204);
        (signature, payload)
    }

    /// Sends SIGTERM.
    fn terminate(&self) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
    }

    /// Waits for it to exit: whether it exited with 0, and its log.
    async fn exit(&mut self) -> (bool, String) {
        let mut child = self.child.take().expect("running");
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        (status.success(), self.log())
    }
}

#[cfg(unix)]
impl Drop for HttpBinary {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_no_signature_or_token_even_at_trace() {
    let mut bot = HttpBinary::start().await;
    let token = "interaction-token-secret-1";
    let (signature, payload) = bot.meet(1_300_000_000_000_000_077, token).await;
    let now = signed::now();
    let forged = sign(&now, b"forged");
    let (status, _) = post(
        bot.addr,
        payload.to_string().into_bytes(),
        &headers(&forged, &now),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        bot.discord
            .wait_for(|d| !d.followups(token).is_empty(), PATIENCE)
            .await,
        "no public follow-up: {}",
        bot.log()
    );
    bot.terminate();

    let (clean, log) = bot.exit().await;

    assert!(clean, "{log}");
    assert!(
        log.contains("refused a request to the interactions endpoint"),
        "{log}"
    );
    for secret in [signature.as_str(), &forged, token, FakeDiscord::BOT_TOKEN] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    assert_eq!(bot.discord.connection_count(), 0);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_takes_no_new_interaction_and_lets_the_one_in_flight_finish() {
    let mut bot = HttpBinary::start().await;
    bot.zoom.set_latency(Duration::from_millis(1500));
    let token = "interaction-token-in-flight";
    bot.meet(1_300_000_000_000_000_078, token).await;

    bot.terminate();
    bot.log_line("takes no new interactions").await;
    let (refused, _) = post_signed(bot.addr, &ping()).await;
    let (clean, log) = bot.exit().await;

    assert_eq!(refused, 503, "a new interaction while shutting down");
    assert!(clean, "{log}");
    assert!(
        log.contains("in-flight commands finished") && log.contains("shut down; bye"),
        "{log}"
    );
    assert!(
        !bot.discord.followups(token).is_empty(),
        "the meeting in flight was completed: {log}"
    );
    assert!(bot.discord.original(token).is_some_and(|m| !m.thinking));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_serenity_cannot_read_is_still_answered_in_the_response() {
    let bot = TestBot::start_http().await;
    // An integer option carrying text: serenity's model refuses the whole interaction.
    let options = json!([{"name": "topic", "type": 4, "value": "not a number"}]);

    let (_, status, response) = bot
        .slash_over_http(&Member::regular(ALICE), "meet", options)
        .await;

    assert_eq!(status, 200);
    assert_eq!(response["type"], 4, "{response}");
    let text = response["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("can't read"), "{text}");
    assert_eq!(bot.zoom.meeting_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_reaches_discord_before_it_took_the_response_is_sent_again() {
    let bot = TestBot::start_http().await;
    let (id, token) = bot.next();
    let payload = bot
        .discord
        .prepare_http_interaction(fake_discord::slash_command_here(
            id,
            &token,
            &Member::regular(ALICE),
            "meetings",
            json!([{"name": "list", "type": 1, "options": []}]),
        ));
    let (status, text) = post_signed(bot.http_addr, payload.to_string().as_bytes()).await;
    assert_eq!(status, 200);

    // Discord has not taken the HTTP response yet: the bot's edit of the original meets 10015.
    let refused = |d: &FakeDiscord| {
        d.requests()
            .iter()
            .any(|r| r.method == "PATCH" && r.path.contains(&token) && r.status == 404)
    };
    assert!(
        bot.discord.wait_for(refused, PATIENCE).await,
        "no early edit"
    );
    let response: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        bot.discord.take_http_response(&id.to_string(), &response),
        204
    );

    let answer = bot.answer(&token).await;
    assert!(!answer.thinking);
    assert!(answer.ephemeral, "still the private answer");
}
