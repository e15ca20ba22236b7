//! The real `zoombot` binary running the bot: nothing secret reaches a log line or a public
//! message, JSON logs follow an interaction through its span, start-up and shutdown say what
//! they did, and SIGTERM shuts it down cleanly after finishing what is in flight.

use crate::support;

use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::bot::{PATIENCE, strings};
use support::fake_discord::{self, FakeDiscord, Member};
use support::fake_zoom::FakeZoom;

const ALICE: u64 = 1_400_000_000_000_000_001;
const BOB: u64 = 1_400_000_000_000_000_002;

struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
    discord: FakeDiscord,
    zoom: Arc<FakeZoom>,
    data: Arc<tempfile::TempDir>,
}

/// Starts the binary against fresh fakes, with a fresh data directory.
async fn start(rust_log: &str) -> Running {
    start_with(&[("RUST_LOG", rust_log)]).await
}

/// Starts the binary against fresh fakes with `extra` variables; its HTTP server on a free port.
async fn start_with(extra: &[(&str, &str)]) -> Running {
    let discord = FakeDiscord::start().await;
    let zoom = Arc::new(FakeZoom::start().await);
    let data = Arc::new(tempfile::tempdir().expect("data dir"));
    spawn(extra, discord, zoom, data).await
}

/// Runs the binary with `env`, collecting its log.
fn launch(env: Vec<(&'static str, String)>, extra: &[(&str, &str)]) -> (Child, Arc<Mutex<String>>) {
    let mut child = support::binary_command(env, extra, &std::env::temp_dir())
        .spawn()
        .expect("start zoombot");
    let log = support::capture_stderr(&mut child);
    (child, log)
}

/// Starts the binary against `discord` and `zoom` with its data in `data`, and waits until it
/// has connected and registered its commands (again, after a restart).
async fn spawn(
    extra: &[(&str, &str)],
    discord: FakeDiscord,
    zoom: Arc<FakeZoom>,
    data: Arc<tempfile::TempDir>,
) -> Running {
    let before = support::registrations(&discord);
    let (child, log) = launch(support::binary_env(&discord, &zoom, data.path()), extra);
    let ready = support::registered(&discord, before).await;
    assert!(ready, "the bot did not start: {}", log.lock().unwrap());
    Running {
        child,
        log,
        discord,
        zoom,
        data,
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
        let payload = fake_discord::slash_command_here(id, &token, member, name, options);
        self.discord.dispatch_interaction(payload).await;
        token
    }

    /// Alice's `/meet` with `options`, once answered privately and posted publicly; its token.
    async fn meet_posted(&self, id: u64, options: &[(&str, &str)]) -> String {
        let token = self
            .slash(id, &Member::regular(ALICE), "meet", strings(options))
            .await;
        self.answered(&token).await;
        let posted = self
            .discord
            .wait_for(|d| !d.followups(&token).is_empty(), PATIENCE)
            .await;
        assert!(posted, "no public message: {}", self.log.lock().unwrap());
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
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Some(addr) = support::listening_addr(&self.log.lock().unwrap()) {
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
        self.signal("-TERM");
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Stops the bot (SIGTERM, or SIGKILL when `kill`) and starts it again on the same fakes
    /// and data directory.
    async fn restart(self, kill: bool) -> Running {
        self.signal(if kill { "-KILL" } else { "-TERM" });
        let (discord, zoom, data) = (
            self.discord.clone(),
            Arc::clone(&self.zoom),
            Arc::clone(&self.data),
        );
        let (code, log) = self.exit_code().await;
        if kill {
            assert_eq!(code, None, "killed by a signal: {log}");
        } else {
            assert_eq!(code, Some(0), "{log}");
        }
        spawn(&[("RUST_LOG", "info")], discord, zoom, data).await
    }

    /// Alice's `/meet` of `topic`, once Discord has its acknowledgement; its token.
    async fn meet_acknowledged(&self, topic: &str) -> String {
        let meet = self
            .slash(
                1,
                &Member::regular(ALICE),
                "meet",
                strings(&[("topic", topic)]),
            )
            .await;
        let acked = self
            .discord
            .wait_for(|d| d.original(&meet).is_some(), PATIENCE)
            .await;
        assert!(acked);
        meet
    }

    async fn exit_code(mut self) -> (Option<i32>, String) {
        let status = tokio::task::spawn_blocking(move || {
            for _ in 0..600 {
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

impl Drop for Running {
    fn drop(&mut self) {
        // A failed test must not leave a bot running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/meet-settings set` with these options, as a server admin; returns the private answer.
async fn set_settings(bot: &Running, id: u64, options: serde_json::Value) -> String {
    let token = bot
        .slash(
            id,
            &Member::admin(ALICE),
            "meet-settings",
            json!([{"name": "set", "type": 1, "options": options}]),
        )
        .await;
    bot.answered(&token).await;
    bot.discord.original(&token).expect("answer").text()
}

/// `/meet-settings show` as a server admin.
async fn shown_settings(bot: &Running, id: u64) -> String {
    let token = bot
        .slash(
            id,
            &Member::admin(ALICE),
            "meet-settings",
            json!([{"name": "show", "type": 1}]),
        )
        .await;
    bot.answered(&token).await;
    bot.discord.original(&token).expect("answer").text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_member_time_zones_survive_a_restart_and_shape_the_next_meeting() {
    let bot = start("info").await;
    let saved = set_settings(
        &bot,
        1,
        json!([
            {"name": "duration", "type": 3, "value": "45m"},
            {"name": "timezone", "type": 3, "value": "Europe/Berlin"},
            {"name": "waiting_room", "type": 5, "value": true},
        ]),
    )
    .await;
    assert!(saved.contains("Saved"), "{saved}");
    let zone = bot
        .slash(
            2,
            &Member::regular(BOB),
            "meet-timezone",
            strings(&[("zone", "Asia/Tokyo")]),
        )
        .await;
    bot.answered(&zone).await;

    let bot = bot.restart(false).await;

    let shown = shown_settings(&bot, 3).await;
    assert!(
        shown.contains("45 min")
            && shown.contains("Europe/Berlin")
            && !shown.contains("45 min *(default)*"),
        "{shown}"
    );
    let meet = bot
        .slash(
            4,
            &Member::regular(BOB),
            "meet",
            strings(&[("topic", "After restart"), ("when", "tomorrow 09:00")]),
        )
        .await;
    bot.answered(&meet).await;
    let created = bot.zoom.meetings();
    assert_eq!(created.len(), 1, "{}", bot.log.lock().unwrap());
    assert_eq!(created[0]["duration"], 45);
    assert_eq!(
        created[0]["timezone"], "Asia/Tokyo",
        "the member's zone beats the server's"
    );
    assert_eq!(created[0]["settings"]["waiting_room"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_acknowledged_just_before_sigkill_is_there_after_the_restart() {
    let bot = start("info").await;
    // Nothing else written before: the change is the only thing sled had to make durable.
    let saved = set_settings(
        &bot,
        1,
        json!([{"name": "duration", "type": 3, "value": "1h10m"}]),
    )
    .await;
    assert!(saved.contains("70 min"), "{saved}");

    let bot = bot.restart(true).await;

    let shown = shown_settings(&bot, 2).await;
    assert!(shown.contains("**duration**: 70 min"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_held_by_another_process_stops_the_bot_with_an_error_naming_it() {
    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    let data = tempfile::tempdir().expect("data dir");
    let held = zoombot::store::SledStore::open(data.path()).expect("first open");

    let (mut child, log) = launch(
        support::binary_env(&discord, &zoom, data.path()),
        &[("RUST_LOG", "info")],
    );
    let status = tokio::task::spawn_blocking(move || {
        for _ in 0..200 {
            if let Some(status) = child.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        None
    })
    .await
    .expect("join");
    drop(held);

    let log = log.lock().unwrap().clone();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(
        log.contains(&data.path().display().to_string())
            && log.contains("in use by another process"),
        "{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        discord.identify_count() == 0,
        "it stopped before connecting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_start_link_token_secret_or_passcode_reaches_a_log_line_or_a_public_message() {
    let bot = start("trace").await;

    let meet = bot
        .meet_posted(1, &[("topic", "Secret sync"), ("passcode", "pa55word")])
        .await;
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

    let meet = bot.meet_acknowledged("Caught mid-flight").await;
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
    let data_dir = bot.data.path().display().to_string();
    let addr = bot.http_addr().await;
    let meet = bot
        .meet_posted(7, &[("topic", "Logged sync"), ("passcode", "l0gged")])
        .await;
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
    assert_eq!(starting["data_dir"].as_str(), Some(data_dir.as_str()));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_waits_for_a_create_that_takes_most_of_the_zoom_timeout() {
    // Longer than the old 10 s drain, shorter than the 14 s Zoom request timeout: the create
    // succeeds, and the member must hear of it and the store must have it.
    let bot = start_with(&[("RUST_LOG", "info"), ("ZOOM_REQUEST_TIMEOUT", "14s")]).await;
    bot.zoom.slow_next(1, Duration::from_millis(11_500));

    let meet = bot.meet_acknowledged("Slow to create").await;
    bot.terminate();
    let discord = bot.discord.clone();
    let zoom = Arc::clone(&bot.zoom);
    let (code, log) = bot.exit_code().await;

    assert_eq!(code, Some(0), "{log}");
    assert_eq!(zoom.meeting_count(), 1, "{log}");
    assert!(
        discord
            .original(&meet)
            .is_some_and(|m| !m.thinking && m.content.contains("zak=")),
        "the member was given the meeting Zoom made: {log}"
    );
    assert!(log.contains("in-flight commands finished"), "{log}");
}

/// Meetings at `zoom` starting in twenty minutes (five more each second), recorded in `data`
/// with reminders twenty minutes ahead: due now and over the next seconds, as a bot finds them
/// after being down through their due times, or started just before them.
async fn due_reminders(zoom: &FakeZoom, data: &std::path::Path, n: usize) -> Vec<i64> {
    use jiff::{SignedDuration, Timestamp};
    use zoombot::ids::{ChannelId, GuildId, MemberId};
    use zoombot::store::{MeetingRecord, SledStore, Store};

    let http = reqwest::Client::new();
    let token = zoom.issue_token();
    let store = SledStore::open(data).expect("store");
    let now = Timestamp::now();
    let mut ids = Vec::new();
    for i in 0..n {
        let start = now
            + SignedDuration::from_mins(20)
            + SignedDuration::from_secs(i64::try_from(i / 5).expect("small"));
        let made: Value = http
            .post(format!("{}/users/me/meetings", zoom.api_base()))
            .bearer_auth(&token)
            .json(
                &json!({"topic": format!("due {i}"), "type": 2, "duration": 30,
                "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()}),
            )
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        let id = made["id"].as_i64().expect("id");
        let start: Timestamp = made["start_time"]
            .as_str()
            .expect("start")
            .parse()
            .expect("a time");
        let record = MeetingRecord {
            guild: GuildId(FakeDiscord::GUILD_ID),
            channel: ChannelId(FakeDiscord::CHANNEL_ID),
            message: None,
            creator: MemberId(ALICE),
            zoom_id: id,
            topic: format!("due {i}"),
            start,
            duration_minutes: 30,
            timezone: "UTC".to_owned(),
            cancelled: false,
            uuid: None,
            created_at: made["created_at"].as_str().and_then(|t| t.parse().ok()),
            event: None,
            reminder_due: Some(start - SignedDuration::from_mins(20)),
            reminded: None,
            reminder_minutes: Some(20),
            series: None,
            skipped: Vec::new(),
            event_at: None,
            held: None,
            member_host: false,
        };
        store.put_meeting(&record).await.expect("put");
        ids.push(id);
    }
    store.flush().await.expect("flush");
    ids
}

fn reminders_posted(discord: &FakeDiscord) -> Vec<String> {
    discord
        .channel_messages(FakeDiscord::CHANNEL_ID)
        .into_iter()
        .map(|m| m.content)
        .filter(|c| c.starts_with('⏰'))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_due_across_a_sigkill_are_each_posted_exactly_once() {
    const N: usize = 20;
    let discord = FakeDiscord::start().await;
    let zoom = Arc::new(FakeZoom::start().await);
    let data = Arc::new(tempfile::tempdir().expect("data dir"));
    let ids = due_reminders(&zoom, data.path(), N).await;
    let bot = spawn(
        &[("RUST_LOG", "info")],
        discord.clone(),
        zoom,
        Arc::clone(&data),
    )
    .await;
    assert!(
        discord
            .wait_for(|d| !reminders_posted(d).is_empty(), PATIENCE)
            .await,
        "no reminder: {}",
        bot.log.lock().unwrap()
    );

    // Killed while posting; then, as if every post so far had been lost before it was noted,
    // the data directory says each is still pending: the restart sends them all again.
    bot.signal("-KILL");
    let (discord, zoom, data) = (
        bot.discord.clone(),
        Arc::clone(&bot.zoom),
        Arc::clone(&bot.data),
    );
    let (code, _) = bot.exit_code().await;
    assert_eq!(code, None);
    {
        use zoombot::store::{SledStore, Store};
        let store = SledStore::open(data.path()).expect("store");
        for id in &ids {
            let guild = zoombot::ids::GuildId(FakeDiscord::GUILD_ID);
            let mut pending = store
                .meeting(guild, *id)
                .await
                .expect("read")
                .expect("there");
            pending.reminded = None;
            pending.reminder_due = Some(jiff::Timestamp::now());
            store.put_meeting(&pending).await.expect("put");
        }
        store.flush().await.expect("flush");
    }
    let bot = spawn(&[("RUST_LOG", "info")], discord.clone(), zoom, data).await;

    assert!(
        discord
            .wait_for(
                |d| reminders_posted(d).len() >= N && !d.nonce_replays().is_empty(),
                PATIENCE
            )
            .await,
        "posted: {:?}\n{}",
        reminders_posted(&discord),
        bot.log.lock().unwrap()
    );
    let mut posted = reminders_posted(&discord);
    posted.sort();
    posted.dedup();
    assert_eq!(posted.len(), N, "one reminder per meeting");
    assert_eq!(
        discord.posts_created(FakeDiscord::CHANNEL_ID),
        N,
        "none posted twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meet_whose_process_was_sigkilled_mid_create_is_finished_by_the_next_start() {
    let bot = start("info").await;
    // Zoom makes the meeting and holds its answer: the process dies before it hears of it.
    bot.zoom.fail_next_creates(
        1,
        support::fake_zoom::CreateFailure::SlowAfterCreate(Duration::from_secs(60)),
    );
    let meet = bot.meet_acknowledged("Made as the bot died").await;
    // The fake has no signal for it: its count, looked at until a bound.
    let deadline = std::time::Instant::now() + PATIENCE;
    while bot.zoom.meetings_created() == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        bot.zoom.meetings_created(),
        1,
        "{}",
        bot.log.lock().unwrap()
    );

    let bot = bot.restart(true).await;
    // Taken over once the restart has let a create the dead process sent settle (15 s).
    let finished = bot
        .discord
        .wait_for(|d| !d.followups(&meet).is_empty(), Duration::from_secs(60))
        .await;
    assert!(finished, "never finished: {}", bot.log.lock().unwrap());
    let answer = bot.discord.original(&meet).expect("answered");
    assert!(
        !answer.thinking && answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert_eq!(bot.zoom.meetings().len(), 1, "a second meeting was made");
    assert!(
        bot.log.lock().unwrap().contains("finishing an interaction"),
        "{}",
        bot.log.lock().unwrap()
    );
}
