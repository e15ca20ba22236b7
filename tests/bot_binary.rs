//! The real `zoombot` binary running the bot: nothing secret reaches a log line or a public
//! message, JSON logs follow an interaction through its span, start-up and shutdown say what
//! they did, and SIGTERM shuts it down cleanly after finishing what is in flight.

mod support;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::bot::{PATIENCE, bot_config, strings};
use support::fake_discord::{self, FakeDiscord, Member};
use support::fake_zoom::FakeZoom;

const ALICE: u64 = 1_400_000_000_000_000_001;
const BOB: u64 = 1_400_000_000_000_000_002;

/// A data directory of this bot's own: the store locks its directory, and tests run side by side.
fn data_dir() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir()
        .join(format!("zoombot-bot-binary-{}-{n}", std::process::id()))
        .display()
        .to_string()
}

struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
    discord: FakeDiscord,
    zoom: FakeZoom,
}

async fn start(rust_log: &str) -> Running {
    start_with(&[("RUST_LOG", rust_log)]).await
}

/// Starts the binary against fresh fakes with `extra` variables; its HTTP server on a free port.
async fn start_with(extra: &[(&str, &str)]) -> Running {
    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    let config = bot_config(&discord, &zoom);
    let mut child = Command::new(env!("CARGO_BIN_EXE_zoombot"))
        .env_clear()
        .envs([
            ("DISCORD_TOKEN", FakeDiscord::BOT_TOKEN.to_owned()),
            ("DISCORD_GUILD_ID", FakeDiscord::GUILD_ID.to_string()),
            ("DISCORD_API_BASE", discord.url()),
            ("ZOOM_ACCOUNT_ID", config.zoom.account_id.clone()),
            ("ZOOM_CLIENT_ID", config.zoom.client_id.clone()),
            ("ZOOM_CLIENT_SECRET", FakeZoom::CLIENT_SECRET.to_owned()),
            ("ZOOM_API_BASE", config.zoom.api_base.clone()),
            ("ZOOM_OAUTH_URL", config.zoom.oauth_url.clone()),
            // Port 0: tests run side by side; the log says which port was taken.
            ("HTTP_ADDR", "127.0.0.1:0".to_owned()),
            ("DATA_DIR", data_dir()),
        ])
        .envs(extra.iter().map(|(k, v)| (*k, *v)))
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start zoombot");
    let log = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().expect("stderr");
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let ready = discord
        .wait_for(
            |d| {
                !d.registered_commands(Some(FakeDiscord::GUILD_ID))
                    .is_empty()
            },
            PATIENCE,
        )
        .await;
    assert!(ready, "the bot did not start: {}", log.lock().unwrap());
    Running {
        child,
        log,
        discord,
        zoom,
    }
}

impl Running {
    async fn slash(
        &self,
        id: u64,
        member: &Member,
        name: &str,
        options: serde_json::Value,
    ) -> String {
        let token = format!("interaction-token-{id}");
        let payload = fake_discord::slash_command(
            id,
            &token,
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID,
            member,
            name,
            options,
        );
        self.discord.dispatch_interaction(payload).await;
        token
    }

    async fn answered(&self, token: &str) {
        let done = self
            .discord
            .wait_for(|d| d.original(token).is_some_and(|m| !m.thinking), PATIENCE)
            .await;
        assert!(done, "no answer to {token}: {}", self.log.lock().unwrap());
    }

    /// Every secret the bot handled: credentials, tokens Zoom issued, and for each interaction
    /// its token and the `zak` of any host link it answered with.
    fn secrets(&self, interactions: &[&String], passcode: &str) -> Vec<String> {
        let mut secrets = vec![
            FakeDiscord::BOT_TOKEN.to_owned(),
            FakeZoom::CLIENT_SECRET.to_owned(),
            passcode.to_owned(),
        ];
        secrets.extend(self.zoom.requests().iter().filter_map(|r| {
            r.authorization
                .as_deref()?
                .strip_prefix("Bearer ")
                .map(str::to_owned)
        }));
        for token in interactions {
            let zak = self.discord.original(token).and_then(|m| {
                m.content
                    .split("zak=")
                    .nth(1)
                    .map(|z| z.split_whitespace().next().unwrap_or_default().to_owned())
            });
            secrets.extend(zak);
            secrets.push((*token).clone());
        }
        secrets
    }

    /// Where the bot's HTTP server listens, from its start-up log line (pretty or JSON).
    async fn http_addr(&self) -> std::net::SocketAddr {
        let found = |log: &str| {
            let line = log.lines().find(|l| l.contains("HTTP server listening"))?;
            let rest = line
                .split_once("addr=")
                .or_else(|| line.split_once("\"addr\":\""))?
                .1;
            rest.split(|c: char| c == '"' || c.is_whitespace())
                .next()?
                .parse()
                .ok()
        };
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Some(addr) = found(&self.log.lock().unwrap()) {
                return addr;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no HTTP address in the log: {}",
                self.log.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    async fn exit_code(mut self) -> (Option<i32>, String) {
        let status = tokio::task::spawn_blocking(move || {
            for _ in 0..300 {
                if let Some(status) = self.child.try_wait().expect("wait") {
                    return (status.code(), self);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            (None, self)
        })
        .await
        .expect("join");
        let log = status.1.log.lock().unwrap().clone();
        (status.0, log)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_start_link_token_secret_or_passcode_reaches_a_log_line_or_a_public_message() {
    let bot = start("trace").await;

    let meet = bot
        .slash(
            1,
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Secret sync"), ("passcode", "pa55word")]),
        )
        .await;
    bot.answered(&meet).await;
    assert!(
        bot.discord
            .wait_for(|d| !d.followups(&meet).is_empty(), PATIENCE)
            .await
    );
    let public = bot.discord.followups(&meet).remove(0);
    for (i, member) in [Member::regular(ALICE), Member::regular(BOB)]
        .iter()
        .enumerate()
    {
        let token = format!("click-{i}");
        let click = fake_discord::button_click(
            100 + i as u64,
            &token,
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID,
            member,
            &format!("zoombot:start:{}", bot.zoom.meetings()[0]["id"]),
            public.id,
        );
        bot.discord.dispatch_interaction(click).await;
        bot.answered(&token).await;
    }
    let id = bot.zoom.meetings()[0]["id"].to_string();
    let link = bot.slash(2, &Member::regular(ALICE), "meetings", json!([{"name": "host-link", "type": 1, "options": [{"name": "meeting", "type": 3, "value": id}]}])).await;
    bot.answered(&link).await;
    let cancel = bot.slash(3, &Member::regular(ALICE), "meetings", json!([{"name": "cancel", "type": 1, "options": [{"name": "meeting", "type": 3, "value": id}]}])).await;
    bot.answered(&cancel).await;

    let secrets = bot.secrets(&[&meet, &link, &cancel], "pa55word");
    assert!(secrets.len() >= 7, "{} secrets collected", secrets.len());
    let publics: Vec<String> = bot
        .discord
        .public_messages()
        .iter()
        .map(support::fake_discord::Message::text)
        .collect();
    bot.terminate();
    let (code, log) = bot.exit_code().await;
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("DEBUG"), "the log ran at debug level");
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "a secret reached the log: {secret}"
        );
        for text in &publics {
            assert!(
                !text.contains(secret.as_str()),
                "a secret reached a public message: {secret}"
            );
        }
    }
    assert!(publics.iter().all(|t| !t.contains("zak=")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_meet_in_flight_finish_then_exits_cleanly() {
    let bot = start("info").await;
    bot.zoom.set_latency(Duration::from_millis(800));

    let meet = bot
        .slash(
            1,
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Caught mid-flight")]),
        )
        .await;
    let acked = bot
        .discord
        .wait_for(|d| d.original(&meet).is_some(), PATIENCE)
        .await;
    assert!(acked);
    bot.terminate();
    let discord = bot.discord.clone();
    let (code, log) = bot.exit_code().await;

    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("shutting down")
            && log.contains("in-flight commands finished")
            && log.contains("store flushed"),
        "{log}"
    );
    assert!(
        !discord.followups(&meet).is_empty(),
        "the meeting in flight was completed: {log}"
    );
    assert!(discord.original(&meet).is_some_and(|m| !m.thinking));
}

/// One JSON log line, which must be an object; a failure names the line.
fn json_line(line: &str) -> Value {
    match serde_json::from_str::<Value>(line) {
        Ok(object @ Value::Object(_)) => object,
        _ => panic!("not a JSON object: {line}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_and_follow_an_interaction_through_its_span() {
    let bot = start_with(&[("RUST_LOG", "debug"), ("LOG_FORMAT", "json")]).await;
    let addr = bot.http_addr().await;
    let meet = bot
        .slash(
            7,
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Logged sync"), ("passcode", "l0gged")]),
        )
        .await;
    bot.answered(&meet).await;
    assert!(
        bot.discord
            .wait_for(|d| !d.followups(&meet).is_empty(), PATIENCE)
            .await
    );
    let health = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("the binary serves /healthz on HTTP_ADDR");
    assert_eq!(health.status(), 200);
    let secrets = bot.secrets(&[&meet], "l0gged");
    bot.terminate();
    let (code, log) = bot.exit_code().await;
    assert_eq!(code, Some(0), "{log}");

    let lines: Vec<_> = log.lines().map(json_line).collect();
    assert!(lines.len() > 10, "{log}");
    for line in &lines {
        for key in ["timestamp", "level", "target"] {
            assert!(line[key].is_string(), "no {key}: {line:?}");
        }
        assert!(line["fields"].is_object(), "no fields: {line:?}");
    }
    assert!(lines.iter().any(|l| l["level"] == "DEBUG"), "ran at debug");
    let message = |l: &Value| l["fields"]["message"].as_str().map(str::to_owned);
    let find = |text: &str| {
        lines
            .iter()
            .find(|l| message(l).is_some_and(|m| m.contains(text)))
            .unwrap_or_else(|| panic!("no {text:?} line in {log}"))
    };

    // The interaction's lines carry its span: who, where, which command, which interaction.
    let in_interaction: Vec<_> = lines
        .iter()
        .filter(|l| l["span"]["interaction_id"] == "7")
        .collect();
    let messages: Vec<_> = in_interaction.iter().filter_map(|l| message(l)).collect();
    assert!(
        ["meeting created", "interaction handled"]
            .iter()
            .all(|m| messages.iter().any(|seen| seen == m)),
        "{messages:?}"
    );
    for line in &in_interaction {
        let span = &line["span"];
        assert_eq!(span["name"], "interaction", "{line:?}");
        assert_eq!(span["command"], "meet");
        assert_eq!(span["guild"], FakeDiscord::GUILD_ID.to_string());
        assert_eq!(span["channel"], FakeDiscord::CHANNEL_ID.to_string());
        assert_eq!(span["user"], ALICE.to_string());
        assert!(line["spans"].is_array(), "{line:?}");
    }
    assert_eq!(find("interaction handled")["fields"]["outcome"], "ok");

    // Start-up: which application, servers, commands, Zoom host user, data dir, HTTP address.
    let starting = &find("starting zoombot")["fields"];
    assert_eq!(starting["zoom_host_user"], "me");
    assert!(
        starting["data_dir"]
            .as_str()
            .is_some_and(|d| d.contains("zoombot-bot-binary"))
    );
    assert_eq!(starting["http"], addr.to_string());
    let connected = &find("connected to Discord")["fields"];
    assert_eq!(
        connected["application"],
        FakeDiscord::APPLICATION_ID.to_string()
    );
    assert_eq!(connected["guilds"], FakeDiscord::GUILD_ID.to_string());
    let registered = &find("commands registered globally")["fields"];
    let names = registered["commands"].as_str().unwrap_or_default();
    assert!(
        ["meet", "meetings"]
            .iter()
            .all(|c| names.split(',').any(|n| n == *c)),
        "{names}"
    );
    // Shutdown: what it waited for.
    let bye = &find("shut down; bye")["fields"];
    assert_eq!(bye["store"], "flushed");
    assert_eq!(bye["http"], "stopped");
    assert!(bye["commands_waited_for"].is_number(), "{bye:?}");

    assert!(secrets.len() >= 5, "{} secrets collected", secrets.len());
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "a secret reached the log: {secret}"
        );
    }
}
