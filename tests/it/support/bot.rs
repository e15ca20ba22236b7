//! The whole bot, in-process, against the fake Discord and the fake Zoom.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use zoombot::config::{BotConfig, DiscordConfig};
use zoombot::secret::Secret;
use zoombot::store::{SledStore, Store};

use super::fake_discord::{self, FakeDiscord, Member, Message};
use super::fake_zoom::FakeZoom;
use super::zoom_config;

/// How long a test waits for something the bot should do promptly.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A running bot and the fakes it talks to.
pub struct TestBot {
    pub discord: FakeDiscord,
    pub zoom: FakeZoom,
    /// Where the bot's HTTP server (`/healthz`, `/metrics`) listens.
    pub http_addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    next_id: AtomicU64,
    store: Arc<dyn Store>,
    // Dropped (deleted) after the task is aborted, with the test.
    data: tempfile::TempDir,
}

/// The bot's configuration for `discord` and `zoom`, keeping its data in `data_dir`.
pub fn bot_config(discord: &FakeDiscord, zoom: &FakeZoom, data_dir: &Path) -> BotConfig {
    BotConfig {
        discord: DiscordConfig {
            token: Secret::new(FakeDiscord::BOT_TOKEN),
            guild_id: Some(FakeDiscord::GUILD_ID),
            api_base: Some(discord.url()),
            mode: zoombot::config::DiscordMode::Gateway,
        },
        zoom: zoom_config(zoom),
        data_dir: data_dir.to_owned(),
        // Port 0: each bot gets a free port; `TestBot` binds it first to learn which.
        http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        log_format: zoombot::telemetry::LogFormat::Pretty,
        limits: zoombot::meetings::Limits::DEFAULT,
        webhooks: None,
        accounts: None,
        database: None,
    }
}

impl TestBot {
    /// Starts the fakes and the bot, and waits until the bot is connected and has registered
    /// its commands.
    pub async fn start() -> Self {
        Self::start_with(|_| {}, None).await
    }

    /// Like [`TestBot::start`], with `tweak` applied to the configuration and, when given, the
    /// bot's store instead of one in a fresh data directory.
    pub async fn start_with(
        tweak: impl FnOnce(&mut BotConfig),
        store: Option<Arc<dyn Store>>,
    ) -> Self {
        let discord = FakeDiscord::start().await;
        let zoom = FakeZoom::start().await;
        let bot = Self::launch(discord, zoom, tweak, store).await;
        let registered = super::registered(&bot.discord, 0).await;
        assert!(
            registered,
            "the bot did not connect and register its commands"
        );
        // The start-up Zoom check fetches a token beside the connection: let it land first, so
        // no test sees it arrive in the middle of what it counts.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while bot.zoom.token_requests() == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot's start-up Zoom check never asked for a token"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bot
    }

    /// Starts the bot against these fakes without waiting for it to connect.
    pub async fn launch(
        discord: FakeDiscord,
        zoom: FakeZoom,
        tweak: impl FnOnce(&mut BotConfig),
        store: Option<Arc<dyn Store>>,
    ) -> Self {
        let data = tempfile::tempdir().expect("temporary data dir");
        let mut config = bot_config(&discord, &zoom, data.path());
        let listener = zoombot::http::bind(config.http_addr)
            .await
            .expect("bind a loopback port");
        let http_addr = listener.local_addr().expect("bound address");
        // Bound first, so a tweak can name the bot's own address (an OAuth redirect URL).
        config.http_addr = http_addr;
        tweak(&mut config);
        let store = match store {
            Some(store) => store,
            None => Arc::new(SledStore::open(data.path()).expect("open the data dir")),
        };
        let kept = Arc::clone(&store);
        let task = tokio::spawn(async move {
            if let Err(err) = zoombot::app::run_on(config, listener, store).await {
                panic!("the bot stopped: {err}");
            }
        });
        Self {
            discord,
            zoom,
            http_addr,
            task,
            next_id: AtomicU64::new(1_300_000_000_000_000_000),
            store: kept,
            data,
        }
    }

    /// The bot's store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Makes everything the bot wrote so far durable (sled writes files in the background).
    pub async fn flush_store(&self) {
        self.store.flush().await.expect("the store flushes");
    }

    /// Every file in the bot's data directory, with its bytes.
    pub fn data_files(&self) -> Vec<(std::path::PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).expect("readable data dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.push((path, bytes));
                }
            }
        }
        let mut files = Vec::new();
        walk(self.data.path(), &mut files);
        files
    }

    /// `GET path` on the bot's HTTP server: status and body.
    pub async fn http_get(&self, path: &str) -> (u16, String) {
        let response = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("http://{}{path}", self.http_addr))
            .send()
            .await
            .expect("the bot's HTTP server answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    /// A fresh interaction id and its token.
    pub fn next(&self) -> (u64, String) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        (id, format!("interaction-token-{id}"))
    }

    /// Sends a slash command as `member`; returns the interaction's id and token.
    pub async fn slash(&self, member: &Member, name: &str, options: Value) -> (u64, String) {
        self.slash_in(FakeDiscord::GUILD_ID, member, name, options)
            .await
    }

    /// Sends a slash command as `member` of `guild`.
    pub async fn slash_in(
        &self,
        guild: u64,
        member: &Member,
        name: &str,
        options: Value,
    ) -> (u64, String) {
        let (id, token) = self.next();
        let payload = fake_discord::slash_command(
            id,
            &token,
            guild,
            FakeDiscord::CHANNEL_ID,
            member,
            name,
            options,
        );
        self.discord.dispatch_interaction(payload).await;
        (id, token)
    }

    /// Runs `/meet` as a member whose Discord speaks `locale`; returns the private answer.
    pub async fn meet_in_locale(&self, member: &Member, locale: &str, options: Value) -> Message {
        let (id, token) = self.next();
        let mut payload = fake_discord::slash_command_here(id, &token, member, "meet", options);
        payload["locale"] = serde_json::json!(locale);
        self.discord.dispatch_interaction(payload).await;
        self.answer(&token).await
    }

    /// Sends an autocomplete request; returns the choices the bot offered.
    pub async fn autocomplete(&self, member: &Member, name: &str, options: Value) -> Vec<Value> {
        let (id, token) = self.next();
        let payload = fake_discord::autocomplete(
            id,
            &token,
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID,
            member,
            name,
            options,
        );
        self.discord.dispatch_interaction(payload).await;
        let key = id.to_string();
        assert!(
            self.discord
                .wait_for(|d| d.autocomplete_choices(&key).is_some(), PATIENCE)
                .await,
            "no autocomplete answer"
        );
        self.discord.autocomplete_choices(&key).unwrap_or_default()
    }

    /// Clicks a button of `message` as `member`; returns the click's token.
    pub async fn click(&self, member: &Member, custom_id: &str, message: u64) -> String {
        let (id, token) = self.next();
        let payload = fake_discord::button_click(
            id,
            &token,
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID,
            member,
            custom_id,
            message,
        );
        self.discord.dispatch_interaction(payload).await;
        token
    }

    /// The private answer to an interaction, once the bot has given it.
    pub async fn answer(&self, token: &str) -> Message {
        let done = self
            .discord
            .wait_for(|d| d.original(token).is_some_and(|m| !m.thinking), PATIENCE)
            .await;
        assert!(done, "the bot never answered interaction {token}");
        self.discord.original(token).expect("answered")
    }

    /// Runs `/<command> <sub>` with `options` as `member`; returns the private answer.
    pub async fn run_sub(
        &self,
        member: &Member,
        command: &str,
        sub: &str,
        options: Value,
    ) -> Message {
        let (_, token) = self.slash(member, command, subcommand(sub, options)).await;
        self.answer(&token).await
    }

    /// Waits until message `id` shows `text` (after an edit, say).
    pub async fn message_shows(&self, id: u64, text: &str) -> bool {
        self.discord
            .wait_for(
                |d| d.message(id).is_some_and(|m| m.text().contains(text)),
                PATIENCE,
            )
            .await
    }

    /// Asserts the bot still serves: a /meet by a member of its own is scheduled, posted, and
    /// makes exactly one more meeting at Zoom.
    pub async fn assert_still_serving(&self) {
        let before = self.zoom.meeting_count();
        let (answer, public) = self
            .meet(
                &Member::regular(1_400_000_000_000_000_999),
                strings(&[("topic", "Still serving")]),
            )
            .await;
        assert!(
            answer.content.starts_with("Scheduled"),
            "{}",
            answer.content
        );
        assert!(public.is_some(), "the channel got the meeting");
        assert_eq!(self.zoom.meeting_count(), before + 1);
    }

    /// Runs `/meet` with `options` and waits for the private answer and, when it succeeded, the
    /// public message.
    pub async fn meet(&self, member: &Member, options: Value) -> (Message, Option<Message>) {
        let (_, token) = self.slash(member, "meet", options).await;
        let answer = self.answer(&token).await;
        let public = if answer.content.starts_with("Scheduled") {
            let posted = self
                .discord
                .wait_for(|d| !d.followups(&token).is_empty(), PATIENCE)
                .await;
            assert!(posted, "no public message");
            self.discord.followups(&token).into_iter().next()
        } else {
            None
        };
        (answer, public)
    }
}

impl Drop for TestBot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `[{"name": k, "type": 3, "value": v}, ...]` for string options.
pub fn strings(options: &[(&str, &str)]) -> Value {
    Value::Array(
        options
            .iter()
            .map(|(name, value)| serde_json::json!({"name": name, "type": 3, "value": value}))
            .collect(),
    )
}

/// A subcommand with its options, as Discord sends it.
pub fn subcommand(name: &str, options: Value) -> Value {
    let mut sub = serde_json::Map::new();
    sub.insert("name".into(), name.into());
    sub.insert("type".into(), 1.into());
    sub.insert("options".into(), options);
    Value::Array(vec![Value::Object(sub)])
}
