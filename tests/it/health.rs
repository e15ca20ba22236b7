//! `GET /healthz` and `zoombot healthcheck` against the bot running in-process: unhealthy with
//! the reason until the gateway is ready and while it is lost, healthy otherwise. (The store's
//! states are tested in `src/http.rs`, where a failing store can be put in.)

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::bot::{PATIENCE, TestBot};
use support::fake_discord::FakeDiscord;
use support::fake_zoom::FakeZoom;

/// serenity retries a shard that could not connect every 5 s, and restarting a lost one takes up
/// to 5 s more: coming back takes longer than the usual patience.
const RECONNECT: Duration = Duration::from_secs(30);

/// Polls `/healthz` until its status is `status`, up to `bound`; returns the last body.
async fn healthz_becomes(bot: &TestBot, status: u16, bound: Duration) -> String {
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let (now, body) = bot.http_get("/healthz").await;
        if now == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz stayed {now} ({body:?}), expected {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `zoombot healthcheck` pointed at the bot; returns its exit code and output.
async fn healthcheck(http_addr: String) -> (Option<i32>, String) {
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_zoombot"))
            .arg("healthcheck")
            .env_clear()
            .env("HTTP_ADDR", http_addr)
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run zoombot healthcheck")
    })
    .await
    .expect("join");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_with_the_reason_until_the_gateway_is_ready_then_200() {
    let discord = FakeDiscord::start().await;
    discord.set_gateway_refusing(true);
    let bot = TestBot::launch(discord, FakeZoom::start().await, |_| {}, None).await;

    let (status, body) = bot.http_get("/healthz").await;

    assert_eq!(status, 503, "{body}");
    assert_eq!(body, "unhealthy\nDiscord gateway: not connected yet\n");

    bot.discord.set_gateway_refusing(false);
    let body = healthz_becomes(&bot, 200, RECONNECT).await;
    assert_eq!(body, "ok\n");
    assert!(bot.discord.is_ready());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_turns_503_when_the_gateway_is_lost_and_200_once_it_is_back() {
    let bot = TestBot::start().await;
    assert_eq!(healthz_becomes(&bot, 200, PATIENCE).await, "ok\n");

    bot.discord.set_gateway_refusing(true);
    bot.discord.drop_connection().await;
    let body = healthz_becomes(&bot, 503, PATIENCE).await;

    assert!(body.starts_with("unhealthy\nDiscord gateway: "), "{body}");
    assert!(!body.contains("store"), "{body}");

    bot.discord.set_gateway_refusing(false);
    assert_eq!(healthz_becomes(&bot, 200, RECONNECT).await, "ok\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_healthcheck_command_exits_0_when_healthy_and_1_with_the_reason_otherwise() {
    let bot = TestBot::start().await;
    healthz_becomes(&bot, 200, PATIENCE).await;

    let (code, out) = healthcheck(bot.http_addr.to_string()).await;
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "200 ok\n");

    // HTTP_ADDR as a container sets it: every interface; the check asks loopback.
    let (code, out) = healthcheck(format!("0.0.0.0:{}", bot.http_addr.port())).await;
    assert_eq!(code, Some(0), "{out}");

    bot.discord.set_gateway_refusing(true);
    bot.discord.drop_connection().await;
    healthz_becomes(&bot, 503, PATIENCE).await;
    let (code, out) = healthcheck(bot.http_addr.to_string()).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("503 unhealthy\nDiscord gateway: "), "{out}");
}

#[tokio::test]
async fn the_healthcheck_command_fails_when_nothing_listens() {
    // A port that was free a moment ago and is closed again: nothing answers there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");

    let (code, out) = healthcheck(closed.to_string()).await;

    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("nothing answers there"), "{out}");
}

#[tokio::test]
async fn the_healthcheck_command_rejects_a_malformed_http_addr() {
    let (code, out) = healthcheck("localhost".to_owned()).await;

    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("HTTP_ADDR is not an IP address and port"),
        "{out}"
    );
}
