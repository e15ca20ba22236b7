//! The real binary against the fake Discord when Discord refuses or cannot be reached: the
//! operator is told what failed and what to do, in the log, the exit code and `/healthz`, within
//! seconds; and a `pretty` log that is not on a terminal has no colour codes.
#![cfg(unix)]

use crate::support;

use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::bot::PATIENCE;
use support::fake_discord::FakeDiscord;
use support::fake_zoom::FakeZoom;

const TOKEN_REJECTED: &str = "DISCORD_TOKEN was rejected by Discord: Developer Portal → Bot → \
                              Reset Token, then put the new one in .env";

/// How soon after start a failure must be in the log.
const PROMPTLY: Duration = Duration::from_secs(5);

struct Bot {
    child: Child,
    log: Arc<Mutex<String>>,
    started: Instant,
    discord: FakeDiscord,
    _zoom: FakeZoom,
    _data: tempfile::TempDir,
}

/// Starts the binary against `discord` and a fresh fake Zoom, with `extra` variables on top.
async fn start(discord: FakeDiscord, extra: &[(&str, &str)]) -> Bot {
    let zoom = FakeZoom::start().await;
    let data = tempfile::tempdir().expect("data dir");
    let mut env = support::binary_env(&discord, &zoom, data.path());
    env.push(("RUST_LOG", "info".to_owned()));
    let mut child = support::binary_command(env, extra, &std::env::temp_dir())
        .spawn()
        .expect("start zoombot");
    let started = Instant::now();
    let log = support::capture_stderr(&mut child);
    Bot {
        child,
        log,
        started,
        discord,
        _zoom: zoom,
        _data: data,
    }
}

impl Bot {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits (bounded by `within` from the start) for a line containing every one of `words`;
    /// that line and how long after the start it was first seen.
    async fn line_with(&self, words: &[&str], within: Duration) -> (String, Duration) {
        loop {
            let found = self
                .log()
                .lines()
                .find(|l| words.iter().all(|w| l.contains(w)))
                .map(str::to_owned);
            if let Some(line) = found {
                return (line, self.started.elapsed());
            }
            assert!(
                self.started.elapsed() < within,
                "no line with {words:?} within {within:?}: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) for the process to exit; its exit code.
    async fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the bot did not exit: {}", self.log());
    }

    async fn healthz(&self) -> (u16, String) {
        let (line, _) = self.line_with(&["HTTP server listening"], PATIENCE).await;
        let addr = support::listening_addr(&line).expect("address in the log line");
        let response = reqwest::get(format!("http://{addr}/healthz"))
            .await
            .expect("GET /healthz");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts the bot exits with 1 and an ERROR line containing `words`; prints when it came.
async fn assert_stops_saying(mut bot: Bot, words: &[&str], case: &str) {
    let (line, after) = bot.line_with(words, PROMPTLY).await;
    assert!(line.contains("ERROR"), "{line}");
    assert_eq!(bot.exit_code().await, Some(1), "{}", bot.log());
    assert!(!bot.log().contains(FakeDiscord::BOT_TOKEN), "{}", bot.log());
    println!("{case}: {:.2}s after start: {line}", after.as_secs_f64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_discord_rejects_over_rest_stops_the_bot_before_it_connects() {
    let discord = FakeDiscord::start().await;
    let bot = start(discord.clone(), &[("DISCORD_TOKEN", "reset-long-ago")]).await;

    assert_stops_saying(bot, &[TOKEN_REJECTED], "401 on /users/@me").await;
    assert_eq!(discord.connection_count(), 0, "it never connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_closing_with_4004_stops_the_bot_with_the_reset_token_message() {
    let discord = FakeDiscord::start().await;
    discord.refuse_identify_with(Some(4004));
    let bot = start(discord, &[]).await;

    // Serenity's own error for the close and our reading of it race to stop the bot; whichever
    // wins, the operator is told the same, so only that is asserted (a WARN line naming 4004
    // comes first when ours wins, not always).
    assert_stops_saying(bot, &[TOKEN_REJECTED], "gateway close 4004").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disallowed_intents_4014_stop_the_bot_naming_the_intent() {
    let discord = FakeDiscord::start().await;
    discord.refuse_identify_with(Some(4014));
    let bot = start(discord, &[]).await;

    assert_stops_saying(
        bot,
        &[
            "4014",
            "disallowed intents",
            "GUILDS",
            "Privileged Gateway Intents",
        ],
        "gateway close 4014",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_api_version_4012_stops_the_bot_though_serenity_would_retry_it() {
    let discord = FakeDiscord::start().await;
    discord.refuse_identify_with(Some(4012));
    let bot = start(discord, &[]).await;

    assert_stops_saying(
        bot,
        &["4012", "invalid API version", "Update zoombot"],
        "close 4012",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_gateway_is_a_warn_line_within_seconds_and_healthz_names_it() {
    let discord = FakeDiscord::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    discord.advertise_gateway_url(&format!("ws://127.0.0.1:{port}"));
    let bot = start(discord, &[]).await;

    let (line, after) = bot
        .line_with(
            &["WARN", "TCP: connection refused", "next attempt in 5s"],
            PROMPTLY,
        )
        .await;
    println!(
        "gateway unreachable: {:.2}s after start: {line}",
        after.as_secs_f64()
    );
    let (status, body) = bot.healthz().await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("TCP: connection refused") && body.contains(" ago"),
        "{body}"
    );
    assert!(
        bot.log().contains("Discord accepted DISCORD_TOKEN"),
        "{}",
        bot.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_refused_connections_the_first_success_is_one_info_line() {
    let discord = FakeDiscord::start().await;
    discord.set_gateway_refusing(true);
    let bot = start(discord, &[]).await;
    bot.line_with(&["WARN", "Discord gateway connection failed"], PROMPTLY)
        .await;

    bot.discord.set_gateway_refusing(false);
    let (line, _) = bot
        .line_with(&["INFO", "connected after failed attempts"], PATIENCE * 2)
        .await;
    assert!(line.contains("failed_attempts="), "{line}");
    assert!(bot.discord.wait_until_ready(PATIENCE).await);
    let (status, body) = bot.healthz().await;
    assert_eq!(status, 200, "{body}");
    let successes = bot
        .log()
        .lines()
        .filter(|l| l.contains("connected after failed attempts"))
        .count();
    assert_eq!(successes, 1, "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pretty_log_written_to_a_pipe_has_no_escape_codes() {
    let discord = FakeDiscord::start().await;
    let bot = start(discord, &[("LOG_FORMAT", "pretty")]).await;
    bot.line_with(&["commands registered"], PATIENCE).await;

    let log = bot.log();
    assert!(log.contains(" INFO "), "{log}");
    assert!(!log.contains('\u{1b}'), "escape codes in a pipe: {log:?}");
}
