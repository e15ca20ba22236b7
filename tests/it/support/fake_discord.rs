//! A fake Discord for end-to-end tests: REST (axum) and gateway (tokio-tungstenite) on 127.0.0.1,
//! faithful enough that the real serenity 0.12.5 client runs against it unchanged.
//!
//! serenity must be built with `HttpBuilder::new(token).proxy(fake.url()).ratelimiter_disabled(true)`
//! (its rate limiter ignores the proxy) and handed over with `ClientBuilder::new_with_http`; it then
//! asks `GET /api/v10/gateway` here and connects to the fake's gateway on another port.
//!
//! What it models, because the bot's correctness depends on it:
//! - the 3 s acknowledgement deadline (10062), a second acknowledgement (40060), the 15 min token
//!   lifetime (10015), all with an injectable clock;
//! - a deferred ("thinking") original that the FIRST follow-up replaces, taking the defer's
//!   visibility whatever flags the follow-up carries (discord-api-docs #2742, #2866);
//! - messages as state: edits change them, so a test can ask what the public channel shows now;
//! - Discord's message limits (2000 chars, embeds, components), empty messages (50006), closed DMs
//!   (50007), 429s with headers, missing auth (401), privileged intents (close 4014);
//! - guild scheduled events with Discord's checks, limits and statuses (`events.rs`);
//! - `enforce_nonce` (a repeated send answers the first message), replies, channels that go away,
//!   the bot's servers and permissions, and a token Discord no longer accepts (`access.rs`).

// Explicit paths: the examples include this file by `#[path]`, which would look for these beside it.
#[path = "fake_discord/access.rs"]
mod access;
#[path = "fake_discord/events.rs"]
mod events;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::handshake::server::{
    Request as WsRequest, Response as WsResponse,
};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// `MANAGE_GUILD`, what zoombot's admin commands require.
pub const MANAGE_GUILD: u64 = 1 << 5;
/// What an ordinary member may do in a text channel (view, send, embed, history, app commands).
pub const MEMBER_PERMISSIONS: u64 = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31);
/// The bot's permissions in the channel, sent as `app_permissions`.
pub const BOT_PERMISSIONS: u64 = MEMBER_PERMISSIONS | (1 << 15) | (1 << 18);
/// `CREATE_EVENTS`: what creating a scheduled event needs (since Feb 2026).
pub const CREATE_EVENTS: u64 = 1 << 44;
/// Ephemeral message flag.
pub const EPHEMERAL: u64 = 1 << 6;
/// "Bot is thinking…" message flag.
pub const LOADING: u64 = 1 << 7;
/// The flag an edit may toggle on an existing message.
const SUPPRESS_EMBEDS: u64 = 1 << 2;
/// Privileged intents: `GUILD_MEMBERS`, `GUILD_PRESENCES`, `MESSAGE_CONTENT`.
const PRIVILEGED_INTENTS: u64 = (1 << 1) | (1 << 8) | (1 << 15);
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
/// How long an interaction token works for webhooks.
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

/// One REST request as the fake received it, with the answer it gave.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The path without the query, e.g. `/api/v10/interactions/1/tok/callback`.
    pub path: String,
    /// The JSON body, or the `payload_json` part of a multipart body.
    pub body: Option<Value>,
    pub authorization: Option<String>,
    /// The status the fake answered.
    pub status: u16,
    /// The JSON the fake answered, if any.
    pub response: Option<Value>,
    /// The files of a multipart body: each part's file name and text.
    pub files: Vec<(String, String)>,
}

/// One send that `enforce_nonce` answered with an earlier message, creating nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonceReplay {
    pub channel_id: u64,
    pub nonce: String,
    /// The earlier message the answer carried.
    pub message_id: u64,
}

/// Where a message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The interaction's initial response (callback 4/5, or the message a component sits on).
    Original,
    /// A follow-up through the interaction webhook.
    Followup,
    /// `POST /channels/{id}/messages` (guild channel or DM).
    Channel,
}

/// A message as it is now (after every edit).
#[derive(Clone, Debug)]
pub struct Message {
    pub id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub flags: u64,
    pub ephemeral: bool,
    /// A deferred response nobody has edited yet ("Bot is thinking…").
    pub thinking: bool,
    pub origin: Origin,
    /// The `nonce` the message was sent with (an integer one as its decimal text).
    pub nonce: Option<String>,
    /// The `allowed_mentions` it was sent with, as sent (Discord does not echo it back).
    pub allowed_mentions: Option<Value>,
    /// The message it replies to: its `message_reference` as Discord answers it (`type`,
    /// `channel_id`, `message_id`, …).
    pub reference: Option<Value>,
}

impl Message {
    /// Everything a reader can see (content, embeds, components) as one string, for `contains`
    /// checks such as "the host link is not in any public message".
    pub fn text(&self) -> String {
        let mut text = self.content.clone();
        for part in self.embeds.iter().chain(&self.components) {
            text.push('\n');
            text.push_str(&part.to_string());
        }
        text
    }
}

/// The member who invokes an interaction.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: u64,
    pub name: String,
    pub permissions: u64,
    pub roles: Vec<u64>,
}

impl Member {
    /// A member with ordinary permissions.
    pub fn regular(user_id: u64) -> Self {
        Self {
            user_id,
            name: format!("member{user_id}"),
            permissions: MEMBER_PERMISSIONS,
            roles: vec![],
        }
    }

    /// A member who may manage the guild (`MANAGE_GUILD`).
    pub fn admin(user_id: u64) -> Self {
        Self {
            permissions: MEMBER_PERMISSIONS | MANAGE_GUILD,
            name: format!("admin{user_id}"),
            ..Self::regular(user_id)
        }
    }

    fn user_json(&self) -> Value {
        json!({
            "id": self.user_id.to_string(),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": null,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": null,
            "avatar_decoration_data": null,
            "collectibles": null,
        })
    }

    fn member_json(&self) -> Value {
        json!({
            "user": self.user_json(),
            "nick": null,
            "avatar": null,
            "banner": null,
            "roles": self.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "permissions": self.permissions.to_string(),
            "communication_disabled_until": null,
            "unusual_dm_activity_until": null,
        })
    }
}

fn bot_user_json() -> Value {
    json!({
        "id": FakeDiscord::BOT_USER_ID.to_string(),
        "username": "zoombot",
        "global_name": null,
        "discriminator": "4242",
        "avatar": null,
        "bot": true,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": null,
        "avatar_decoration_data": null,
        "collectibles": null,
        "banner": null,
        "accent_color": null,
    })
}

fn plain_user_json(user_id: u64) -> Value {
    Member::regular(user_id).user_json()
}

fn now_iso() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Microsecond)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

fn id_of(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn error_body(code: u64, message: &str) -> Value {
    json!({ "message": message, "code": code })
}

// ---------------------------------------------------------------------------------------------
// Interaction payload builders
// ---------------------------------------------------------------------------------------------

fn base_interaction(
    id: u64,
    token: &str,
    kind: u64,
    guild: u64,
    channel: u64,
    member: &Member,
) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("id".into(), json!(id.to_string()));
    map.insert(
        "application_id".into(),
        json!(FakeDiscord::APPLICATION_ID.to_string()),
    );
    map.insert("type".into(), json!(kind));
    map.insert("token".into(), json!(token));
    map.insert("version".into(), json!(1));
    map.insert("guild_id".into(), json!(guild.to_string()));
    map.insert(
        "guild".into(),
        json!({ "id": guild.to_string(), "locale": "en-US", "features": [] }),
    );
    map.insert("channel_id".into(), json!(channel.to_string()));
    map.insert(
        "channel".into(),
        json!({
            "id": channel.to_string(),
            "type": 0,
            "guild_id": guild.to_string(),
            "name": "general",
            "permissions": member.permissions.to_string(),
            "flags": 0,
            "last_message_id": null,
            "parent_id": null,
            "position": 0,
            "nsfw": false,
            "rate_limit_per_user": 0,
            "topic": null,
        }),
    );
    map.insert("member".into(), member.member_json());
    map.insert("app_permissions".into(), json!(BOT_PERMISSIONS.to_string()));
    map.insert("locale".into(), json!("en-US"));
    map.insert("guild_locale".into(), json!("en-US"));
    map.insert("entitlements".into(), json!([]));
    map.insert(
        "authorizing_integration_owners".into(),
        json!({ "0": guild.to_string() }),
    );
    map.insert("context".into(), json!(0));
    map.insert("attachment_size_limit".into(), json!(10_485_760));
    map
}

/// A stable command id for `name` (the fake replaces it with the registered id when it knows one).
fn command_id_for(name: &str) -> u64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    1_000_000_000_000_000_000 + hash % 100_000_000_000_000_000
}

/// Subcommands (types 1 and 2) always carry `options`, as serenity requires.
fn normalize_options(options: Value) -> Vec<Value> {
    let Value::Array(list) = options else {
        return vec![];
    };
    list.into_iter()
        .map(|mut option| {
            let kind = option.get("type").and_then(Value::as_u64);
            if matches!(kind, Some(1 | 2)) {
                let nested = normalize_options(option["options"].take());
                option["options"] = Value::Array(nested);
            }
            option
        })
        .collect()
}

/// The ids given to role options (type 8), subcommands included.
fn role_option_ids(options: &[Value], ids: &mut Vec<String>) {
    for option in options {
        if option["type"] == 8
            && let Some(id) = option["value"].as_str()
        {
            ids.push(id.to_owned());
        }
        if let Some(nested) = option["options"].as_array() {
            role_option_ids(nested, ids);
        }
    }
}

/// A role object as Discord sends it in `data.resolved.roles`.
fn role_json(id: &str) -> Value {
    json!({
        "id": id,
        "name": format!("role{id}"),
        "color": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": 1,
        "permissions": MEMBER_PERMISSIONS.to_string(),
        "managed": false,
        "mentionable": true,
        "flags": 0,
    })
}

fn command_data(name: &str, options: Value) -> Value {
    let options = normalize_options(options);
    let mut data = json!({ "id": command_id_for(name).to_string(), "name": name, "type": 1 });
    // Discord resolves the objects that options refer to.
    let mut roles = Vec::new();
    role_option_ids(&options, &mut roles);
    if !roles.is_empty() {
        let resolved: serde_json::Map<String, Value> =
            roles.iter().map(|id| (id.clone(), role_json(id))).collect();
        data["resolved"] = json!({ "roles": resolved });
    }
    if !options.is_empty() {
        data["options"] = Value::Array(options);
    }
    data
}

/// An `INTERACTION_CREATE` payload for a slash command (type 2). `options` in Discord's form:
/// `[{"name","type","value"}]`, a subcommand as `{"name","type":1,"options":[…]}`.
pub fn slash_command(
    id: u64,
    token: &str,
    guild: u64,
    channel: u64,
    member: &Member,
    name: &str,
    options: Value,
) -> Value {
    let mut map = base_interaction(id, token, 2, guild, channel, member);
    map.insert("data".into(), command_data(name, options));
    Value::Object(map)
}

/// [`slash_command`] in the fake's server and channel, where most tests run their commands.
pub fn slash_command_here(
    id: u64,
    token: &str,
    member: &Member,
    name: &str,
    options: Value,
) -> Value {
    slash_command(
        id,
        token,
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        member,
        name,
        options,
    )
}

fn mark_focused(options: &mut [Value]) -> bool {
    for option in options.iter_mut() {
        if option.get("focused").and_then(Value::as_bool) == Some(true) {
            return true;
        }
        if let Some(nested) = option.get_mut("options").and_then(Value::as_array_mut)
            && mark_focused(nested)
        {
            return true;
        }
    }
    for option in options.iter_mut() {
        if option.get("value").is_some() {
            option["focused"] = json!(true);
            return true;
        }
    }
    false
}

/// An autocomplete interaction (type 4). Exactly one option should carry `"focused": true` (its
/// value is the text typed so far, a string); if none does, the first option with a value is marked.
pub fn autocomplete(
    id: u64,
    token: &str,
    guild: u64,
    channel: u64,
    member: &Member,
    name: &str,
    options: Value,
) -> Value {
    let mut map = base_interaction(id, token, 4, guild, channel, member);
    let mut data = command_data(name, options);
    if let Some(list) = data.get_mut("options").and_then(Value::as_array_mut) {
        mark_focused(list);
    }
    map.insert("data".into(), data);
    Value::Object(map)
}

/// A minimal bot message with `message_id` (the fake substitutes the stored message, if it has it).
fn placeholder_message(message_id: u64, channel: u64) -> Value {
    json!({
        "id": message_id.to_string(),
        "channel_id": channel.to_string(),
        "type": 0,
        "content": "",
        "author": bot_user_json(),
        "attachments": [],
        "embeds": [],
        "components": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": false,
        "pinned": false,
        "tts": false,
        "timestamp": now_iso(),
        "edited_timestamp": null,
        "flags": 0,
        "application_id": FakeDiscord::APPLICATION_ID.to_string(),
        "webhook_id": FakeDiscord::APPLICATION_ID.to_string(),
    })
}

/// A button click (type 3, `component_type` 2) on message `message_id`, which Discord includes.
pub fn button_click(
    id: u64,
    token: &str,
    guild: u64,
    channel: u64,
    member: &Member,
    custom_id: &str,
    message_id: u64,
) -> Value {
    let mut map = base_interaction(id, token, 3, guild, channel, member);
    map.insert(
        "data".into(),
        json!({ "custom_id": custom_id, "component_type": 2 }),
    );
    map.insert("message".into(), placeholder_message(message_id, channel));
    Value::Object(map)
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct StoredMessage {
    json: Value,
    channel_id: u64,
    ephemeral: bool,
    thinking: bool,
    deleted: bool,
    origin: Origin,
    token: Option<String>,
    dm_user: Option<u64>,
    /// When it was created, on the fake's clock (the nonce window counts from here).
    created_at: Instant,
    nonce: Option<String>,
    allowed_mentions: Option<Value>,
}

impl StoredMessage {
    fn view(&self) -> Message {
        let list = |key: &str| {
            self.json
                .get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        Message {
            id: id_of(&self.json["id"]).unwrap_or_default(),
            content: self.json["content"].as_str().unwrap_or_default().to_owned(),
            embeds: list("embeds"),
            components: list("components"),
            flags: self.json["flags"].as_u64().unwrap_or_default(),
            ephemeral: self.ephemeral,
            thinking: self.thinking,
            origin: self.origin,
            nonce: self.nonce.clone(),
            allowed_mentions: self.allowed_mentions.clone(),
            reference: self.json.get("message_reference").cloned(),
        }
    }
}

#[derive(Clone, Debug)]
struct InteractionState {
    id: String,
    token: String,
    kind: u64,
    channel_id: u64,
    /// The message a component sits on.
    source_message: Option<u64>,
    dispatched_at: Instant,
    acked_at: Option<Instant>,
    callback_type: Option<u64>,
    original: Option<u64>,
    followups: Vec<u64>,
    expired: bool,
    autocomplete_choices: Option<Vec<Value>>,
}

struct RateLimitRule {
    path_contains: Option<String>,
    remaining: usize,
    retry_after: f64,
}

struct Fault {
    path_contains: String,
    status: u16,
    code: u64,
    message: String,
}

#[derive(Clone)]
enum Outgoing {
    Text(String),
    Close(u16, String),
    Drop,
}

struct Connection {
    id: u64,
    tx: mpsc::UnboundedSender<Outgoing>,
    /// IDENTIFY answered with READY, or RESUME answered with RESUMED.
    live: bool,
}

struct LoggedDispatch {
    seq: u64,
    frame: Value,
    delivered: bool,
}

#[derive(Default)]
struct Gateway {
    conn: Option<Connection>,
    next_conn_id: u64,
    session_id: Option<String>,
    seq: u64,
    log: Vec<LoggedDispatch>,
    identify: Option<Value>,
    queries: Vec<String>,
    connections: usize,
    identifies: usize,
    resumes: usize,
    /// New connections are closed before the WebSocket handshake (the gateway is down).
    refusing: bool,
    /// Every IDENTIFY is answered with this close code (a refusal Discord makes after the
    /// token is known good over REST: 4004 for a reset token, 4014 for intents, 4012, …).
    refuse_identify: Option<u16>,
    /// What `GET /gateway` answers instead of the fake's own gateway (a closed port, say).
    advertised_url: Option<String>,
}

struct State {
    requests: Vec<Recorded>,
    clock_offset: Duration,
    ack_deadline: Duration,
    rate_limits: VecDeque<RateLimitRule>,
    faults: Vec<Fault>,
    interactions: HashMap<String, InteractionState>,
    tokens: HashMap<String, String>,
    callbacks: Vec<(String, Value)>,
    messages: BTreeMap<u64, StoredMessage>,
    dm_channels: HashMap<u64, u64>,
    closed_dms: Vec<u64>,
    global_commands: Vec<Value>,
    guild_commands: HashMap<u64, Vec<Value>>,
    last_snowflake: u64,
    gateway: Gateway,
    events: events::Events,
    access: access::Access,
}

impl State {
    fn new() -> Self {
        Self {
            requests: vec![],
            clock_offset: Duration::ZERO,
            ack_deadline: Duration::from_secs(3),
            rate_limits: VecDeque::new(),
            faults: vec![],
            interactions: HashMap::new(),
            tokens: HashMap::new(),
            callbacks: vec![],
            messages: BTreeMap::new(),
            dm_channels: HashMap::new(),
            closed_dms: vec![],
            global_commands: vec![],
            guild_commands: HashMap::new(),
            last_snowflake: 0,
            gateway: Gateway::default(),
            events: events::Events::default(),
            access: access::Access::default(),
        }
    }

    fn now(&self) -> Instant {
        Instant::now() + self.clock_offset
    }

    fn snowflake(&mut self) -> u64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let candidate = ms.saturating_sub(DISCORD_EPOCH_MS) << 22;
        self.last_snowflake = candidate.max(self.last_snowflake + 1);
        self.last_snowflake
    }

    fn live_messages(&self) -> impl Iterator<Item = &StoredMessage> {
        self.messages.values().filter(|m| !m.deleted)
    }
}

struct Inner {
    state: Mutex<State>,
    notify: Notify,
    rest_url: String,
    gateway_url: String,
    tasks: Mutex<Vec<AbortHandle>>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn poke(&self) {
        self.notify.notify_waiters();
    }
}

struct TaskGuard(Arc<Inner>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        for task in self
            .0
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            task.abort();
        }
    }
}

/// The fake. Cheap to clone; the servers stop when the last clone is dropped.
#[derive(Clone)]
pub struct FakeDiscord {
    inner: Arc<Inner>,
    _guard: Arc<TaskGuard>,
}

impl FakeDiscord {
    pub const APPLICATION_ID: u64 = 1_100_000_000_000_000_001;
    pub const BOT_USER_ID: u64 = 1_100_000_000_000_000_001;
    pub const BOT_TOKEN: &'static str = "fake-bot-token.zoombot.test";
    /// A guild and channel tests may use when they need no particular ones.
    pub const GUILD_ID: u64 = 1_200_000_000_000_000_001;
    pub const CHANNEL_ID: u64 = 1_200_000_000_000_000_002;

    /// Starts the REST server and the gateway on ephemeral ports.
    pub async fn start() -> Self {
        let rest = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Discord REST port");
        let gateway = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Discord gateway port");
        let rest_url = format!("http://{}", rest.local_addr().expect("REST address"));
        let gateway_url = format!("ws://{}", gateway.local_addr().expect("gateway address"));
        let inner = Arc::new(Inner {
            state: Mutex::new(State::new()),
            notify: Notify::new(),
            rest_url,
            gateway_url,
            tasks: Mutex::new(vec![]),
        });
        let router = Router::new()
            .fallback(rest_handler)
            .with_state(Arc::clone(&inner));
        let rest_task = tokio::spawn(async move {
            let _ = axum::serve(rest, router).await;
        });
        let gateway_task = tokio::spawn(accept_gateway(Arc::clone(&inner), gateway));
        inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend([rest_task.abort_handle(), gateway_task.abort_handle()]);
        let guard = Arc::new(TaskGuard(Arc::clone(&inner)));
        Self {
            inner,
            _guard: guard,
        }
    }

    /// `http://127.0.0.1:PORT`: what goes into `HttpBuilder::proxy` and `DISCORD_API_BASE`.
    pub fn url(&self) -> String {
        self.inner.rest_url.clone()
    }

    /// The variables that point the real binary at this fake, with the token it accepts.
    pub fn bot_env(&self) -> [(&'static str, String); 2] {
        [
            ("DISCORD_TOKEN", Self::BOT_TOKEN.to_owned()),
            ("DISCORD_API_BASE", self.url()),
        ]
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    // ---- observation ------------------------------------------------------------------------

    /// Every REST request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests with `method` whose path contains `path_contains`.
    pub fn requests_matching(&self, method: &str, path_contains: &str) -> Vec<Recorded> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.method == method && r.path.contains(path_contains))
            .cloned()
            .collect()
    }

    /// The interaction's original response as it is now (None before a 4/5 callback or after
    /// deletion; for a component acknowledged with 6/7, the message the component sits on).
    pub fn original(&self, interaction_token: &str) -> Option<Message> {
        let state = self.lock();
        let interaction = state
            .interactions
            .get(state.tokens.get(interaction_token)?)?;
        let id = interaction.original?;
        state
            .messages
            .get(&id)
            .filter(|m| !m.deleted)
            .map(StoredMessage::view)
    }

    /// The follow-ups that became messages of their own (a follow-up that replaced a thinking
    /// original is the original, not listed here).
    pub fn followups(&self, interaction_token: &str) -> Vec<Message> {
        let state = self.lock();
        let Some(interaction) = state
            .tokens
            .get(interaction_token)
            .and_then(|id| state.interactions.get(id))
        else {
            return vec![];
        };
        interaction
            .followups
            .iter()
            .filter_map(|id| state.messages.get(id))
            .filter(|m| !m.deleted)
            .map(StoredMessage::view)
            .collect()
    }

    /// Every message everyone in a guild channel can see (not ephemeral, not deleted, not a DM),
    /// thinking defers included, oldest first.
    pub fn public_messages(&self) -> Vec<Message> {
        self.lock()
            .live_messages()
            .filter(|m| !m.ephemeral && m.dm_user.is_none())
            .map(StoredMessage::view)
            .collect()
    }

    /// The ephemeral messages (original and follow-ups) of one interaction.
    pub fn ephemeral_messages_for(&self, interaction_token: &str) -> Vec<Message> {
        self.lock()
            .live_messages()
            .filter(|m| m.ephemeral && m.token.as_deref() == Some(interaction_token))
            .map(StoredMessage::view)
            .collect()
    }

    /// The messages the bot sent to `user_id` by DM.
    pub fn dms(&self, user_id: u64) -> Vec<Message> {
        self.lock()
            .live_messages()
            .filter(|m| m.dm_user == Some(user_id))
            .map(StoredMessage::view)
            .collect()
    }

    /// The visible messages of one channel (ephemeral ones excluded).
    pub fn channel_messages(&self, channel_id: u64) -> Vec<Message> {
        self.lock()
            .live_messages()
            .filter(|m| m.channel_id == channel_id && !m.ephemeral)
            .map(StoredMessage::view)
            .collect()
    }

    /// Any message by id, as it is now (deleted ones included).
    pub fn message(&self, message_id: u64) -> Option<Message> {
        self.lock()
            .messages
            .get(&message_id)
            .map(StoredMessage::view)
    }

    /// Every accepted interaction callback: (interaction id, body).
    pub fn callbacks(&self) -> Vec<(String, Value)> {
        self.lock().callbacks.clone()
    }

    /// The choices of the autocomplete result (callback 8) for an interaction.
    pub fn autocomplete_choices(&self, interaction_id: &str) -> Option<Vec<Value>> {
        self.lock()
            .interactions
            .get(interaction_id)?
            .autocomplete_choices
            .clone()
    }

    /// Time from dispatch to the accepted callback.
    pub fn ack_latency(&self, interaction_id: &str) -> Option<Duration> {
        let state = self.lock();
        let interaction = state.interactions.get(interaction_id)?;
        Some(
            interaction
                .acked_at?
                .saturating_duration_since(interaction.dispatched_at),
        )
    }

    /// The commands last registered by bulk overwrite: global (`None`) or for a guild.
    pub fn registered_commands(&self, guild: Option<u64>) -> Vec<Value> {
        let state = self.lock();
        match guild {
            None => state.global_commands.clone(),
            Some(guild) => state
                .guild_commands
                .get(&guild)
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// Waits until `what` holds, re-checking after every request and gateway event, up to `timeout`.
    pub async fn wait_for(&self, what: impl Fn(&FakeDiscord) -> bool, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if what(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return what(self);
            }
        }
    }

    // ---- switches -----------------------------------------------------------------------------

    /// The next `n` REST requests get 429 with `retry_after` seconds.
    pub fn rate_limit_next(&self, n: usize, retry_after: f64) {
        self.lock().rate_limits.push_back(RateLimitRule {
            path_contains: None,
            remaining: n,
            retry_after,
        });
    }

    /// The next `n` REST requests whose path contains `path_contains` get 429.
    pub fn rate_limit_next_on(&self, path_contains: &str, n: usize, retry_after: f64) {
        self.lock().rate_limits.push_back(RateLimitRule {
            path_contains: Some(path_contains.to_owned()),
            remaining: n,
            retry_after,
        });
    }

    /// The next request whose path contains `path_contains` fails with `status` and Discord's
    /// error body `{"message","code"}`, without side effects.
    pub fn fail_next_with(&self, path_contains: &str, status: u16, code: u64, message: &str) {
        self.lock().faults.push(Fault {
            path_contains: path_contains.to_owned(),
            status,
            code,
            message: message.to_owned(),
        });
    }

    /// Every message to `user_id`'s DM channel fails with 403 50007 (DMs closed) until reopened.
    pub fn set_dms_closed(&self, user_id: u64, closed: bool) {
        let mut state = self.lock();
        state.closed_dms.retain(|u| *u != user_id);
        if closed {
            state.closed_dms.push(user_id);
        }
    }

    /// The acknowledgement deadline (Discord: 3 s). A callback later than this gets 10062.
    pub fn set_ack_deadline(&self, deadline: Duration) {
        self.lock().ack_deadline = deadline;
    }

    /// Webhook calls with this interaction token get 404 10015 from now on.
    pub fn expire_token(&self, interaction_token: &str) {
        let mut state = self.lock();
        if let Some(id) = state.tokens.get(interaction_token).cloned()
            && let Some(interaction) = state.interactions.get_mut(&id)
        {
            interaction.expired = true;
        }
    }

    /// Moves the fake's clock forward (deadlines, token lifetimes, latencies use it).
    pub fn advance_clock(&self, by: Duration) {
        self.lock().clock_offset += by;
    }

    /// From now on every IDENTIFY is answered by closing the connection with `code` (`None`:
    /// IDENTIFY is checked as usual), whatever its token and intents.
    pub fn refuse_identify_with(&self, code: Option<u16>) {
        self.lock().gateway.refuse_identify = code;
    }

    /// From now on `GET /api/v10/gateway` (and `/gateway/bot`) answers `url` as the gateway's
    /// address, so the client connects there: `ws://127.0.0.1:PORT` with nothing listening is a
    /// gateway that cannot be reached while REST works.
    pub fn advertise_gateway_url(&self, url: &str) {
        self.lock().gateway.advertised_url = Some(url.to_owned());
    }

    // ---- gateway ------------------------------------------------------------------------------

    /// Sends a dispatch (op 0) with the next sequence number. Without a live connection it is
    /// kept and delivered on RESUME (replay) or after the next READY: delivery is at least once.
    /// `INTERACTION_CREATE` registers the interaction (its 3 s clock starts now); a component's
    /// `message` is replaced by the stored message (an unknown one is stored from the payload) and a
    /// command's `data.id` by the registered id.
    #[allow(clippy::unused_async)] // async so delivery may become awaited without breaking callers
    pub async fn dispatch(&self, event_name: &str, data: Value) {
        let mut data = data;
        {
            let mut state = self.lock();
            if event_name == "INTERACTION_CREATE" {
                register_interaction(&mut state, &mut data);
            }
            state.gateway.seq += 1;
            let seq = state.gateway.seq;
            let frame = json!({ "op": 0, "s": seq, "t": event_name, "d": data });
            let delivered = match &state.gateway.conn {
                Some(conn) if conn.live => conn.tx.send(Outgoing::Text(frame.to_string())).is_ok(),
                _ => false,
            };
            state.gateway.log.push(LoggedDispatch {
                seq,
                frame,
                delivered,
            });
        }
        self.inner.poke();
    }

    /// `dispatch("INTERACTION_CREATE", payload)`.
    pub async fn dispatch_interaction(&self, payload: Value) {
        self.dispatch("INTERACTION_CREATE", payload).await;
    }

    /// True while a connection has identified (READY sent) or resumed (RESUMED sent).
    pub fn is_ready(&self) -> bool {
        self.lock().gateway.conn.as_ref().is_some_and(|c| c.live)
    }

    /// Waits until a connection is live (IDENTIFY received and READY sent, or resumed).
    pub async fn wait_until_ready(&self, timeout: Duration) -> bool {
        self.wait_for(FakeDiscord::is_ready, timeout).await
    }

    /// The `d` of the last IDENTIFY (token, intents, properties, shard, …).
    pub fn identify_payload(&self) -> Option<Value> {
        self.lock().gateway.identify.clone()
    }

    /// Cuts the TCP connection without a close frame, like a network failure (serenity resumes);
    /// returns once the fake has closed the socket.
    pub async fn drop_connection(&self) {
        self.end_connection(Outgoing::Drop).await;
    }

    /// Closes the connection with a close frame `code` (4000 resumable; 4007/4009 force a new
    /// session; 4004 fails authentication); returns once the fake has closed the socket.
    pub async fn close_connection(&self, code: u16) {
        self.end_connection(Outgoing::Close(code, "closed by the fake".to_owned()))
            .await;
    }

    async fn end_connection(&self, message: Outgoing) {
        let ended = {
            let mut state = self.lock();
            let Some(conn) = state.gateway.conn.as_mut() else {
                return;
            };
            conn.live = false;
            let _ = conn.tx.send(message);
            conn.id
        };
        let closed = |f: &FakeDiscord| f.lock().gateway.conn.as_ref().is_none_or(|c| c.id != ended);
        self.wait_for(closed, Duration::from_secs(5)).await;
    }

    /// While `refuse` holds, new gateway connections are cut before the WebSocket handshake, as if
    /// the gateway were down; connections already open stay.
    pub fn set_gateway_refusing(&self, refuse: bool) {
        self.lock().gateway.refusing = refuse;
    }

    /// WebSocket connections accepted so far.
    pub fn connection_count(&self) -> usize {
        self.lock().gateway.connections
    }

    /// Successful RESUMEs so far.
    pub fn resume_count(&self) -> usize {
        self.lock().gateway.resumes
    }

    /// IDENTIFYs so far.
    pub fn identify_count(&self) -> usize {
        self.lock().gateway.identifies
    }

    /// The query string of every gateway connection (serenity: `v=10`).
    pub fn gateway_queries(&self) -> Vec<String> {
        self.lock().gateway.queries.clone()
    }

    // ---- interactions over HTTP (an Interactions Endpoint URL) -----------------------------

    /// An interaction Discord is about to post to an Interactions Endpoint URL: registered as
    /// [`FakeDiscord::dispatch`] registers one (its 3 s clock starts now; a command's `data.id`
    /// becomes the registered id), and returned as Discord would post it.
    pub fn prepare_http_interaction(&self, payload: Value) -> Value {
        let mut payload = payload;
        register_interaction(&mut self.lock(), &mut payload);
        self.inner.poke();
        payload
    }

    /// Takes `response`, the endpoint's 200 body, as interaction `id`'s first response, as
    /// Discord takes it: the same checks and effects as a callback by REST (which then gets
    /// 40060). The status a callback would have got: 204 when accepted.
    pub fn take_http_response(&self, id: &str, response: &Value) -> u16 {
        let reply = {
            let mut state = self.lock();
            let Some(token) = state.interactions.get(id).map(|i| i.token.clone()) else {
                return 404;
            };
            let method = Method::POST;
            let req = Req {
                method: &method,
                path: "",
                query: "",
                authorization: None,
                body: Some(response),
                at: state.now(),
            };
            interaction_callback(&mut state, &req, id, &token)
        };
        self.inner.poke();
        reply.status
    }
}

fn register_interaction(state: &mut State, data: &mut Value) {
    let (Some(id), Some(token)) = (
        data["id"].as_str().map(str::to_owned),
        data["token"].as_str().map(str::to_owned),
    ) else {
        return;
    };
    let kind = data["type"].as_u64().unwrap_or_default();
    let channel_id = id_of(&data["channel_id"]).unwrap_or_default();
    let guild_id = id_of(&data["guild_id"]);
    if matches!(kind, 2 | 4) {
        let name = data["data"]["name"].as_str().unwrap_or_default().to_owned();
        let registered = guild_id
            .and_then(|g| state.guild_commands.get(&g))
            .and_then(|cmds| cmds.iter().find(|c| c["name"] == name.as_str()))
            .map(|c| (c["id"].clone(), true))
            .or_else(|| {
                state
                    .global_commands
                    .iter()
                    .find(|c| c["name"] == name.as_str())
                    .map(|c| (c["id"].clone(), false))
            });
        if let Some((command_id, in_guild)) = registered {
            data["data"]["id"] = command_id;
            if in_guild {
                data["data"]["guild_id"] = json!(guild_id.unwrap_or_default().to_string());
            }
        }
    }
    let mut source_message = None;
    if kind == 3
        && let Some(message_id) = id_of(&data["message"]["id"])
    {
        source_message = Some(message_id);
        if let Some(stored) = state.messages.get(&message_id) {
            data["message"] = stored.json.clone();
        } else {
            let ephemeral = data["message"]["flags"].as_u64().unwrap_or_default() & EPHEMERAL != 0;
            state.messages.insert(
                message_id,
                StoredMessage {
                    json: data["message"].clone(),
                    channel_id,
                    ephemeral,
                    thinking: false,
                    deleted: false,
                    origin: Origin::Channel,
                    token: None,
                    dm_user: None,
                    created_at: state.now(),
                    nonce: None,
                    allowed_mentions: None,
                },
            );
        }
    }
    let dispatched_at = state.now();
    state.tokens.insert(token.clone(), id.clone());
    state.interactions.insert(
        id.clone(),
        InteractionState {
            id,
            token,
            kind,
            channel_id,
            source_message,
            dispatched_at,
            acked_at: None,
            callback_type: None,
            original: None,
            followups: vec![],
            expired: false,
            autocomplete_choices: None,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------

async fn accept_gateway(inner: Arc<Inner>, listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        // Events are small frames sent one by one: without this, Nagle's algorithm holds each
        // behind the bot's delayed ACK of the one before (up to 40 ms on Linux), which shows
        // as acknowledgement latency that is the fake's, not the bot's.
        let _ = stream.set_nodelay(true);
        let task = tokio::spawn(serve_gateway_connection(Arc::clone(&inner), stream));
        inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task.abort_handle());
    }
}

enum Event {
    In(Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>),
    Out(Option<Outgoing>),
}

async fn serve_gateway_connection(inner: Arc<Inner>, stream: TcpStream) {
    if inner.lock().gateway.refusing {
        drop(stream);
        return;
    }
    let query = Arc::new(Mutex::new(String::new()));
    let captured = Arc::clone(&query);
    // tungstenite's callback signature fixes the large error type.
    #[allow(clippy::result_large_err)]
    let callback = move |request: &WsRequest, response: WsResponse| {
        let mut query = captured.lock().unwrap_or_else(PoisonError::into_inner);
        request
            .uri()
            .query()
            .unwrap_or_default()
            .clone_into(&mut query);
        Ok(response)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn_id = {
        let mut state = inner.lock();
        let gateway = &mut state.gateway;
        gateway.next_conn_id += 1;
        gateway.connections += 1;
        gateway
            .queries
            .push(query.lock().unwrap_or_else(PoisonError::into_inner).clone());
        let hello = json!({ "op": 10, "s": null, "t": null, "d": { "heartbeat_interval": HEARTBEAT_INTERVAL_MS } });
        let _ = tx.send(Outgoing::Text(hello.to_string()));
        gateway.conn = Some(Connection {
            id: gateway.next_conn_id,
            tx: tx.clone(),
            live: false,
        });
        gateway.next_conn_id
    };
    inner.poke();
    loop {
        let event = tokio::select! {
            incoming = ws.next() => Event::In(incoming),
            outgoing = rx.recv() => Event::Out(outgoing),
        };
        match event {
            Event::In(Some(Ok(WsMessage::Text(text)))) => {
                handle_client_frame(&inner, conn_id, &text);
                inner.poke();
            }
            Event::In(Some(Ok(
                WsMessage::Ping(_)
                | WsMessage::Pong(_)
                | WsMessage::Binary(_)
                | WsMessage::Frame(_),
            ))) => {}
            Event::In(_) | Event::Out(None | Some(Outgoing::Drop)) => break,
            Event::Out(Some(Outgoing::Text(text))) => {
                if ws.send(WsMessage::Text(text)).await.is_err() {
                    break;
                }
            }
            Event::Out(Some(Outgoing::Close(code, reason))) => {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: reason.into(),
                };
                let _ = ws.send(WsMessage::Close(Some(frame))).await;
                break;
            }
        }
    }
    {
        let mut state = inner.lock();
        if state.gateway.conn.as_ref().is_some_and(|c| c.id == conn_id) {
            state.gateway.conn = None;
        }
    }
    inner.poke();
}

fn send_frame(state: &State, conn_id: u64, frame: &Value) {
    if let Some(conn) = state.gateway.conn.as_ref().filter(|c| c.id == conn_id) {
        let _ = conn.tx.send(Outgoing::Text(frame.to_string()));
    }
}

fn close_conn(state: &mut State, conn_id: u64, code: u16, reason: &str) {
    if let Some(conn) = state.gateway.conn.as_mut().filter(|c| c.id == conn_id) {
        conn.live = false;
        let _ = conn.tx.send(Outgoing::Close(code, reason.to_owned()));
    }
}

fn token_ok(token: &Value) -> bool {
    let token = token.as_str().unwrap_or_default();
    token.strip_prefix("Bot ").unwrap_or(token) == FakeDiscord::BOT_TOKEN
}

fn handle_client_frame(inner: &Inner, conn_id: u64, text: &str) {
    let mut state = inner.lock();
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        close_conn(&mut state, conn_id, 4002, "Error while decoding payload.");
        return;
    };
    match frame["op"].as_u64() {
        Some(1) => {
            send_frame(
                &state,
                conn_id,
                &json!({ "op": 11, "s": null, "t": null, "d": null }),
            );
        }
        Some(2) => identify(&mut state, conn_id, &inner.gateway_url, &frame["d"]),
        Some(6) => resume(&mut state, conn_id, &frame["d"]),
        Some(3 | 4 | 8 | 31) => {}
        _ => close_conn(&mut state, conn_id, 4001, "Unknown opcode."),
    }
}

fn identify(state: &mut State, conn_id: u64, gateway_url: &str, d: &Value) {
    state.gateway.identifies += 1;
    state.gateway.identify = Some(d.clone());
    if let Some(code) = state.gateway.refuse_identify {
        close_conn(state, conn_id, code, "Refused by the fake.");
        return;
    }
    if state.access.token_rejected || !token_ok(&d["token"]) {
        close_conn(state, conn_id, 4004, "Authentication failed.");
        return;
    }
    let Some(intents) = d["intents"].as_u64() else {
        close_conn(state, conn_id, 4013, "Invalid intent(s).");
        return;
    };
    if intents & PRIVILEGED_INTENTS != 0 {
        close_conn(state, conn_id, 4014, "Disallowed intent(s).");
        return;
    }
    let session_id = format!("fake-session-{}", state.snowflake());
    // Dispatches the old session never delivered are re-sent in the new one (at least once).
    let undelivered: Vec<Value> = state
        .gateway
        .log
        .iter()
        .filter(|l| !l.delivered)
        .map(|l| l.frame.clone())
        .collect();
    state.gateway.session_id = Some(session_id.clone());
    state.gateway.seq = 1;
    state.gateway.log.clear();
    let ready = json!({
        "op": 0, "s": 1, "t": "READY",
        "d": {
            "v": 10,
            "user": bot_user_json().as_object().cloned().map(|mut u| {
                u.insert("verified".into(), json!(true));
                u.insert("mfa_enabled".into(), json!(false));
                u.insert("email".into(), Value::Null);
                Value::Object(u)
            }),
            "guilds": [{ "id": FakeDiscord::GUILD_ID.to_string(), "unavailable": true }],
            "session_id": session_id,
            "resume_gateway_url": gateway_url,
            "shard": d.get("shard").cloned().unwrap_or_else(|| json!([0, 1])),
            "application": { "id": FakeDiscord::APPLICATION_ID.to_string(), "flags": 0 },
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "user_settings": {},
            "_trace": ["[\"fake-discord\"]"],
        }
    });
    send_frame(state, conn_id, &ready);
    state.gateway.log.push(LoggedDispatch {
        seq: 1,
        frame: ready,
        delivered: true,
    });
    for mut frame in undelivered {
        state.gateway.seq += 1;
        frame["s"] = json!(state.gateway.seq);
        send_frame(state, conn_id, &frame);
        let seq = state.gateway.seq;
        state.gateway.log.push(LoggedDispatch {
            seq,
            frame,
            delivered: true,
        });
    }
    if let Some(conn) = state.gateway.conn.as_mut().filter(|c| c.id == conn_id) {
        conn.live = true;
    }
}

fn resume(state: &mut State, conn_id: u64, d: &Value) {
    let session_ok = d["session_id"].as_str().is_some()
        && d["session_id"].as_str() == state.gateway.session_id.as_deref();
    if state.access.token_rejected || !token_ok(&d["token"]) {
        close_conn(state, conn_id, 4004, "Authentication failed.");
        return;
    }
    if !session_ok {
        send_frame(
            state,
            conn_id,
            &json!({ "op": 9, "s": null, "t": null, "d": false }),
        );
        return;
    }
    state.gateway.resumes += 1;
    let after = d["seq"].as_u64().unwrap_or_default();
    let replay: Vec<Value> = state
        .gateway
        .log
        .iter()
        .filter(|l| l.seq > after)
        .map(|l| l.frame.clone())
        .collect();
    for frame in &replay {
        send_frame(state, conn_id, frame);
    }
    for logged in &mut state.gateway.log {
        logged.delivered = true;
    }
    state.gateway.seq += 1;
    let seq = state.gateway.seq;
    let resumed =
        json!({ "op": 0, "s": seq, "t": "RESUMED", "d": { "_trace": ["[\"fake-discord\"]"] } });
    send_frame(state, conn_id, &resumed);
    state.gateway.log.push(LoggedDispatch {
        seq,
        frame: resumed,
        delivered: true,
    });
    if let Some(conn) = state.gateway.conn.as_mut().filter(|c| c.id == conn_id) {
        conn.live = true;
    }
}

// ---------------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------------

struct Reply {
    status: u16,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            headers: vec![],
        }
    }

    fn ok(body: Value) -> Self {
        Self::json(200, body)
    }

    fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            headers: vec![],
        }
    }

    fn error(status: u16, code: u64, message: &str) -> Self {
        Self::json(status, error_body(code, message))
    }

    fn not_found() -> Self {
        Self::error(404, 0, "404: Not Found")
    }

    fn unknown_message() -> Self {
        Self::error(404, 10008, "Unknown Message")
    }

    fn unknown_webhook() -> Self {
        Self::error(404, 10015, "Unknown Webhook")
    }

    fn invalid_form(errors: Value) -> Self {
        let mut body = error_body(50035, "Invalid Form Body");
        body["errors"] = errors;
        Self::json(400, body)
    }
}

struct Req<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    authorization: Option<&'a str>,
    body: Option<&'a Value>,
    at: Instant,
}

impl Req<'_> {
    fn query_flag(&self, name: &str) -> bool {
        form_urlencoded::parse(self.query.as_bytes())
            .any(|(key, value)| key == name && (value == "true" || value == "True"))
    }
}

async fn rest_handler(
    AxumState(inner): AxumState<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or_default().to_owned();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    let content_type = header("content-type").unwrap_or_default();
    let parsed = parse_body(&body, &content_type);
    let reply = {
        let mut state = inner.lock();
        let req_at = at + state.clock_offset;
        let reply = match &parsed {
            Err(()) => Reply::error(400, 50109, "The request body contains invalid JSON."),
            Ok(json_body) => {
                let req = Req {
                    method: &method,
                    path: &path,
                    query: &query,
                    authorization: authorization.as_deref(),
                    body: json_body.as_ref(),
                    at: req_at,
                };
                handle(&mut state, &inner, &req)
            }
        };
        state.requests.push(Recorded {
            method: method.to_string(),
            path: path.clone(),
            body: parsed.ok().flatten(),
            authorization,
            status: reply.status,
            response: reply.body.clone(),
            files: files(&body, &content_type),
        });
        reply
    };
    inner.poke();
    into_response(reply)
}

fn into_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match reply.body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    };
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

/// JSON, or the `payload_json` part of a multipart body; `Err` for a body that is not JSON.
fn parse_body(body: &[u8], content_type: &str) -> Result<Option<Value>, ()> {
    if body.is_empty() {
        return Ok(None);
    }
    if let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
    {
        let boundary = boundary.trim_matches('"');
        let text = String::from_utf8_lossy(body);
        let delimiter = format!("--{boundary}");
        for part in text.split(delimiter.as_str()) {
            let Some((head, content)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            if head.contains("name=\"payload_json\"") {
                let content = content.strip_suffix("\r\n").unwrap_or(content);
                return serde_json::from_str(content).map(Some).map_err(|_| ());
            }
        }
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|_| ())
}

/// The file parts of a multipart body (`files[n]`): file name and content.
fn files(body: &[u8], content_type: &str) -> Vec<(String, String)> {
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
    else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{}", boundary.trim_matches('"'));
    text.split(delimiter.as_str())
        .filter_map(|part| {
            let (head, content) = part.split_once("\r\n\r\n")?;
            let name = head.split("filename=\"").nth(1)?.split('"').next()?;
            let content = content.strip_suffix("\r\n").unwrap_or(content);
            Some((name.to_owned(), content.to_owned()))
        })
        .collect()
}

fn needs_no_auth(segments: &[&str]) -> bool {
    matches!(
        segments,
        ["gateway"] | ["interactions", _, _, "callback"] | ["webhooks", _, _, ..]
    )
}

fn handle(state: &mut State, inner: &Inner, req: &Req<'_>) -> Reply {
    let Some(rest) = req.path.strip_prefix("/api/v10/") else {
        return Reply::not_found();
    };
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    // A reset token stops the bot's own calls; interaction tokens keep working without it.
    if !needs_no_auth(&segments)
        && (state.access.token_rejected
            || req.authorization != Some(format!("Bot {}", FakeDiscord::BOT_TOKEN).as_str()))
    {
        return Reply::error(401, 0, "401: Unauthorized");
    }
    if let Some(reply) = rate_limited(state, req.path) {
        return reply;
    }
    if let Some(index) = state
        .faults
        .iter()
        .position(|f| req.path.contains(&f.path_contains))
    {
        let fault = state.faults.remove(index);
        return Reply::error(fault.status, fault.code, &fault.message);
    }
    if let Some(reply) = access::channel_gone(state, &segments) {
        return reply;
    }
    route(state, inner, req, &segments)
}

fn rate_limited(state: &mut State, path: &str) -> Option<Reply> {
    let rule = state.rate_limits.iter_mut().find(|r| {
        r.remaining > 0
            && r.path_contains
                .as_ref()
                .is_none_or(|p| path.contains(p.as_str()))
    })?;
    rule.remaining -= 1;
    let retry_after = rule.retry_after;
    state.rate_limits.retain(|r| r.remaining > 0);
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        + retry_after;
    let mut reply = Reply::json(
        429,
        json!({ "message": "You are being rate limited.", "retry_after": retry_after, "global": false, "code": 0 }),
    );
    reply.headers = vec![
        ("retry-after", format!("{}", retry_after.ceil())),
        ("x-ratelimit-limit", "5".to_owned()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", format!("{reset:.3}")),
        ("x-ratelimit-reset-after", format!("{retry_after:.3}")),
        ("x-ratelimit-bucket", "fakebucket".to_owned()),
        ("x-ratelimit-scope", "user".to_owned()),
    ];
    Some(reply)
}

fn route(state: &mut State, inner: &Inner, req: &Req<'_>, segments: &[&str]) -> Reply {
    let app = FakeDiscord::APPLICATION_ID.to_string();
    let method = req.method.as_str();
    match (method, segments) {
        ("GET", ["gateway"]) => Reply::ok(json!({ "url": advertised(state, inner) })),
        ("GET", ["gateway", "bot"]) => Reply::ok(json!({
            "url": advertised(state, inner),
            "shards": 1,
            "session_start_limit": { "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1 },
        })),
        ("GET", ["users", "@me"]) => Reply::ok(current_user_json()),
        ("GET", ["users", "@me", "guilds"]) => access::my_guilds(state, req),
        (_, ["guilds", guild, "scheduled-events", ..]) => match guild.parse() {
            Ok(guild) => events::route(state, req, guild, &segments[3..]),
            Err(_) => Reply::error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["oauth2", "applications", "@me"]) => Reply::ok(application_json()),
        (_, ["applications", a, ..]) if *a != app => Reply::error(403, 50001, "Missing Access"),
        ("PUT", ["applications", _, "commands"]) => overwrite_commands(state, None, req.body),
        ("GET", ["applications", _, "commands"]) => {
            Reply::ok(Value::Array(state.global_commands.clone()))
        }
        ("PUT", ["applications", _, "guilds", guild, "commands"]) => match guild.parse() {
            Ok(guild) => overwrite_commands(state, Some(guild), req.body),
            Err(_) => Reply::error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["applications", _, "guilds", guild, "commands"]) => {
            let commands = guild
                .parse()
                .ok()
                .and_then(|g: u64| state.guild_commands.get(&g).cloned())
                .unwrap_or_default();
            Reply::ok(Value::Array(commands))
        }
        ("POST", ["interactions", id, token, "callback"]) => {
            interaction_callback(state, req, id, token)
        }
        (_, ["webhooks", a, _, ..]) if *a != app => Reply::unknown_webhook(),
        ("POST", ["webhooks", _, token]) => create_followup(state, req, token),
        (_, ["webhooks", _, token, "messages", message]) => {
            webhook_message(state, req, token, message)
        }
        ("POST", ["users", "@me", "channels"]) => create_dm(state, req.body),
        ("POST", ["channels", channel, "messages"]) => match channel.parse() {
            Ok(channel) => create_channel_message(state, channel, req),
            Err(_) => Reply::error(404, 10003, "Unknown Channel"),
        },
        (_, ["channels", channel, "messages", message]) => {
            channel_message(state, req, channel, message)
        }
        (
            _,
            [
                "gateway" | "users" | "oauth2" | "applications" | "interactions" | "webhooks"
                | "channels",
                ..,
            ],
        ) => Reply::error(405, 0, "405: Method Not Allowed"),
        _ => Reply::not_found(),
    }
}

fn advertised(state: &State, inner: &Inner) -> String {
    state
        .gateway
        .advertised_url
        .clone()
        .unwrap_or_else(|| inner.gateway_url.clone())
}

fn current_user_json() -> Value {
    let mut user = bot_user_json();
    user["verified"] = json!(true);
    user["mfa_enabled"] = json!(false);
    user["locale"] = json!("en-US");
    user["email"] = Value::Null;
    user["premium_type"] = json!(0);
    user
}

fn application_json() -> Value {
    json!({
        "id": FakeDiscord::APPLICATION_ID.to_string(),
        "name": "zoombot",
        "icon": null,
        "description": "",
        "type": null,
        "bot": bot_user_json(),
        "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": "0".repeat(64),
        "flags": 0,
        "flags_new": "0",
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "role_connections_verification_url": null,
        "owner": plain_user_json(1_100_000_000_000_000_999),
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": null,
        "eligible_oauth2_scopes": [],
        "summary": "",
    })
}

fn overwrite_commands(state: &mut State, guild: Option<u64>, body: Option<&Value>) -> Reply {
    let Some(list) = body.and_then(Value::as_array) else {
        return Reply::invalid_form(
            json!({ "_errors": [{ "code": "BASE_TYPE_ARRAY", "message": "Must be an array." }] }),
        );
    };
    let previous = match guild {
        None => state.global_commands.clone(),
        Some(g) => state.guild_commands.get(&g).cloned().unwrap_or_default(),
    };
    let mut commands = vec![];
    for command in list {
        let Some(mut command) = command.as_object().cloned() else {
            continue;
        };
        let name = command
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let kind = command.get("type").and_then(Value::as_u64).unwrap_or(1);
        // Overwriting keeps the id of a command with the same name and type, as Discord does.
        let id = previous
            .iter()
            .find(|p| p["name"] == name.as_str() && p["type"].as_u64() == Some(kind))
            .map_or_else(|| json!(state.snowflake().to_string()), |p| p["id"].clone());
        if let Some(options) = command.get_mut("options") {
            strip_nulls(options);
        }
        command.insert("id".into(), id);
        command.insert("type".into(), json!(kind));
        command.insert(
            "application_id".into(),
            json!(FakeDiscord::APPLICATION_ID.to_string()),
        );
        command.insert("version".into(), json!(state.snowflake().to_string()));
        command.entry("description").or_insert(json!(""));
        // Requests carry an integer, responses a string (a permission bit set), as the spec says.
        let permissions = match command.get("default_member_permissions") {
            Some(Value::Number(n)) => json!(n.to_string()),
            Some(other) => other.clone(),
            None => Value::Null,
        };
        command.insert("default_member_permissions".into(), permissions);
        command.entry("nsfw").or_insert(json!(false));
        if let Some(g) = guild {
            command.insert("guild_id".into(), json!(g.to_string()));
        } else {
            command.entry("integration_types").or_insert(json!([0]));
            command.entry("contexts").or_insert(Value::Null);
        }
        commands.push(Value::Object(command));
    }
    match guild {
        None => state.global_commands.clone_from(&commands),
        Some(g) => {
            state.guild_commands.insert(g, commands.clone());
        }
    }
    Reply::ok(Value::Array(commands))
}

/// Discord omits absent option fields rather than answering `null` (serenity sends nulls).
fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

// ---- message limits -------------------------------------------------------------------------

fn limit_error(path: &[String], code: &str, message: &str) -> Value {
    let mut errors = json!({ "_errors": [{ "code": code, "message": message }] });
    for key in path.iter().rev() {
        errors = json!({ key.clone(): errors });
    }
    errors
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

fn too_long(value: &Value, max: usize, path: &[String]) -> Option<Value> {
    (chars(value) > max).then(|| {
        limit_error(
            path,
            "BASE_TYPE_MAX_LENGTH",
            &format!("Must be {max} or fewer in length."),
        )
    })
}

fn embed_error(embed: &Value, path: &[String]) -> Option<Value> {
    let at = |key: &str| [path, &[key.to_owned()]].concat();
    let checks = [("title", 256), ("description", 4096)];
    for (key, max) in checks {
        if let Some(error) = too_long(&embed[key], max, &at(key)) {
            return Some(error);
        }
    }
    if let Some(error) = too_long(
        &embed["footer"]["text"],
        2048,
        &[path, &["footer".to_owned(), "text".to_owned()]].concat(),
    ) {
        return Some(error);
    }
    if let Some(error) = too_long(
        &embed["author"]["name"],
        256,
        &[path, &["author".to_owned(), "name".to_owned()]].concat(),
    ) {
        return Some(error);
    }
    let fields = embed["fields"].as_array().cloned().unwrap_or_default();
    if fields.len() > 25 {
        return Some(limit_error(
            &at("fields"),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
    for (i, field) in fields.iter().enumerate() {
        let field_path = [path, &["fields".to_owned(), i.to_string()]].concat();
        for (key, max) in [("name", 256), ("value", 1024)] {
            if field[key].as_str().is_none_or(str::is_empty) {
                return Some(limit_error(
                    &[field_path.clone(), vec![key.to_owned()]].concat(),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                ));
            }
            if let Some(error) = too_long(
                &field[key],
                max,
                &[field_path.clone(), vec![key.to_owned()]].concat(),
            ) {
                return Some(error);
            }
        }
    }
    None
}

fn embeds_total(embeds: &[Value]) -> usize {
    embeds
        .iter()
        .map(|e| {
            let fields: usize = e["fields"].as_array().map_or(0, |f| {
                f.iter()
                    .map(|f| chars(&f["name"]) + chars(&f["value"]))
                    .sum()
            });
            chars(&e["title"])
                + chars(&e["description"])
                + chars(&e["footer"]["text"])
                + chars(&e["author"]["name"])
                + fields
        })
        .sum()
}

fn component_error(components: &[Value]) -> Option<Value> {
    if components.len() > 5 && components.iter().all(|c| c["type"].as_u64() == Some(1)) {
        return Some(limit_error(
            &["components".to_owned()],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 5 or fewer in length.",
        ));
    }
    let mut seen: Vec<String> = vec![];
    for (r, row) in components.iter().enumerate() {
        let children = row["components"].as_array().cloned().unwrap_or_default();
        let row_path = vec![
            "components".to_owned(),
            r.to_string(),
            "components".to_owned(),
        ];
        if row["type"].as_u64() == Some(1) && children.len() > 5 {
            return Some(limit_error(
                &row_path,
                "BASE_TYPE_MAX_LENGTH",
                "Must be 5 or fewer in length.",
            ));
        }
        for (c, child) in children.iter().enumerate() {
            let path = |key: &str| [row_path.clone(), vec![c.to_string(), key.to_owned()]].concat();
            if let Some(error) = too_long(&child["label"], 80, &path("label")) {
                return Some(error);
            }
            if let Some(error) = too_long(&child["custom_id"], 100, &path("custom_id")) {
                return Some(error);
            }
            if child["type"].as_u64() == Some(2) {
                let link = child["style"].as_u64() == Some(5);
                if link && (child["url"].as_str().is_none() || !child["custom_id"].is_null()) {
                    return Some(limit_error(
                        &path("url"),
                        "BUTTON_COMPONENT_URL_REQUIRED",
                        "A link button requires a url and no custom_id.",
                    ));
                }
                if !link
                    && child["custom_id"].as_str().is_none()
                    && child["style"].as_u64() != Some(6)
                {
                    return Some(limit_error(
                        &path("custom_id"),
                        "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED",
                        "A custom id is required",
                    ));
                }
            }
            if let Some(id) = child["custom_id"].as_str() {
                if seen.iter().any(|s| s == id) {
                    return Some(limit_error(
                        &path("custom_id"),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    ));
                }
                seen.push(id.to_owned());
            }
        }
    }
    None
}

/// Discord's checks of a message body; `creating` adds the "empty message" rule.
fn check_message(body: &Value, creating: bool) -> Result<(), Reply> {
    if let Some(error) = too_long(&body["content"], 2000, &["content".to_owned()]) {
        return Err(Reply::invalid_form(error));
    }
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if embeds.len() > 10 {
        return Err(Reply::invalid_form(limit_error(
            &["embeds".to_owned()],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        )));
    }
    for (i, embed) in embeds.iter().enumerate() {
        if let Some(error) = embed_error(embed, &["embeds".to_owned(), i.to_string()]) {
            return Err(Reply::invalid_form(error));
        }
    }
    if embeds_total(&embeds) > 6000 {
        return Err(Reply::invalid_form(limit_error(
            &["embeds".to_owned()],
            "MESSAGE_EMBEDS_TOO_LONG",
            "Embed size exceeds maximum size of 6000",
        )));
    }
    let components = body["components"].as_array().cloned().unwrap_or_default();
    if let Some(error) = component_error(&components) {
        return Err(Reply::invalid_form(error));
    }
    let has = |key: &str| body[key].as_array().is_some_and(|a| !a.is_empty());
    let empty = body["content"].as_str().is_none_or(str::is_empty)
        && embeds.is_empty()
        && components.is_empty()
        && !has("attachments")
        && !has("sticker_ids")
        && body["poll"].is_null();
    if creating && empty {
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    Ok(())
}

// ---- messages -------------------------------------------------------------------------------

/// Components as Discord answers them: every component gets a numeric `id` (depth first from 1)
/// unless it was given one.
fn normalize_components(components: &Value) -> Value {
    fn number(list: &mut [Value], next: &mut u64) {
        for component in list {
            if component.get("id").is_none_or(Value::is_null) {
                component["id"] = json!(*next);
            }
            *next += 1;
            if let Some(children) = component
                .get_mut("components")
                .and_then(Value::as_array_mut)
            {
                number(children, next);
            }
        }
    }
    let mut list = components.as_array().cloned().unwrap_or_default();
    number(&mut list, &mut 1);
    Value::Array(list)
}

fn normalize_embeds(embeds: &Value) -> Value {
    let list = embeds.as_array().cloned().unwrap_or_default();
    Value::Array(
        list.into_iter()
            .map(|mut e| {
                if e.get("type").is_none() {
                    e["type"] = json!("rich");
                }
                if let Some(fields) = e.get_mut("fields").and_then(Value::as_array_mut) {
                    for field in fields {
                        if field.get("inline").is_none() {
                            field["inline"] = json!(false);
                        }
                    }
                }
                e
            })
            .collect(),
    )
}

struct NewMessage<'a> {
    channel_id: u64,
    body: &'a Value,
    flags: u64,
    kind: u64,
    origin: Origin,
    token: Option<String>,
    dm_user: Option<u64>,
    thinking: bool,
}

fn insert_message(state: &mut State, new: NewMessage<'_>) -> u64 {
    let id = state.snowflake();
    let body = new.body;
    let mut json = json!({
        "id": id.to_string(),
        "type": new.kind,
        "content": if new.thinking { "" } else { body["content"].as_str().unwrap_or_default() },
        "channel_id": new.channel_id.to_string(),
        "author": bot_user_json(),
        "attachments": [],
        "embeds": if new.thinking { json!([]) } else { normalize_embeds(&body["embeds"]) },
        "mentions": [],
        "mention_roles": [],
        "pinned": false,
        "mention_everyone": false,
        "tts": body["tts"].as_bool().unwrap_or(false),
        "timestamp": now_iso(),
        "edited_timestamp": null,
        "flags": new.flags,
        "components": if new.thinking { json!([]) } else { normalize_components(&body["components"]) },
    });
    if new.token.is_some() {
        json["application_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        json["webhook_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
    }
    state.messages.insert(
        id,
        StoredMessage {
            json,
            channel_id: new.channel_id,
            ephemeral: new.flags & EPHEMERAL != 0,
            thinking: new.thinking,
            deleted: false,
            origin: new.origin,
            token: new.token,
            dm_user: new.dm_user,
            created_at: state.now(),
            nonce: None,
            allowed_mentions: new.body.get("allowed_mentions").cloned(),
        },
    );
    id
}

/// Applies an edit body: present keys replace (null clears), absent keys stay; ends "thinking".
fn apply_edit(message: &mut StoredMessage, body: &Value) {
    let Some(fields) = body.as_object() else {
        return;
    };
    let json = &mut message.json;
    if let Some(content) = fields.get("content") {
        json["content"] = json!(content.as_str().unwrap_or_default());
    }
    if let Some(embeds) = fields.get("embeds") {
        json["embeds"] = normalize_embeds(embeds);
    }
    if let Some(components) = fields.get("components") {
        json["components"] = normalize_components(components);
    }
    let mut flags = json["flags"].as_u64().unwrap_or_default() & !LOADING;
    if let Some(new_flags) = fields.get("flags").and_then(Value::as_u64) {
        flags = (flags & !SUPPRESS_EMBEDS) | (new_flags & SUPPRESS_EMBEDS);
    }
    json["flags"] = json!(flags);
    if message.thinking {
        message.thinking = false;
    } else {
        json["edited_timestamp"] = json!(now_iso());
    }
}

fn interaction_callback(state: &mut State, req: &Req<'_>, id: &str, token: &str) -> Reply {
    let Some(interaction) = state.interactions.get(id).cloned() else {
        return Reply::error(404, 10062, "Unknown interaction");
    };
    if interaction.token != token {
        return Reply::error(401, 50027, "Invalid Webhook Token");
    }
    if interaction.acked_at.is_some() {
        return Reply::error(400, 40060, "Interaction has already been acknowledged.");
    }
    if req.at.saturating_duration_since(interaction.dispatched_at) > state.ack_deadline {
        return Reply::error(404, 10062, "Unknown interaction");
    }
    let body = req.body.cloned().unwrap_or(Value::Null);
    let kind = body["type"].as_u64();
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    let allowed = match interaction.kind {
        2 => matches!(kind, Some(4 | 5 | 9 | 10 | 12)),
        3 => matches!(kind, Some(4..=7 | 9 | 10)),
        4 => kind == Some(8),
        5 => matches!(kind, Some(4..=7)),
        _ => kind == Some(1),
    };
    if !allowed {
        return Reply::invalid_form(limit_error(
            &["type".to_owned()],
            "INTERACTION_RESPONSE_TYPE_INVALID",
            "Interaction response type is invalid",
        ));
    }
    if matches!(kind, Some(4 | 7))
        && let Err(reply) = check_message(&data, kind == Some(4))
    {
        return reply;
    }
    let mut original = None;
    let mut choices = None;
    match kind {
        Some(4 | 5) => {
            let thinking = kind == Some(5);
            let flags = data["flags"].as_u64().unwrap_or_default();
            let flags = if thinking {
                (flags & EPHEMERAL) | LOADING
            } else {
                flags
            };
            let message_type = if interaction.kind == 2 { 20 } else { 0 };
            let message = NewMessage {
                channel_id: interaction.channel_id,
                body: &data,
                flags,
                kind: message_type,
                origin: Origin::Original,
                token: Some(interaction.token.clone()),
                dm_user: None,
                thinking,
            };
            original = Some(insert_message(state, message));
        }
        Some(6 | 7) => {
            original = interaction.source_message;
            if kind == Some(7)
                && let Some(message) = interaction
                    .source_message
                    .and_then(|m| state.messages.get_mut(&m))
            {
                apply_edit(message, &data);
            }
        }
        Some(8) => choices = Some(data["choices"].as_array().cloned().unwrap_or_default()),
        _ => {}
    }
    let at = req.at;
    if let Some(stored) = state.interactions.get_mut(id) {
        stored.acked_at = Some(at);
        stored.callback_type = kind;
        stored.original = original;
        stored.autocomplete_choices = choices;
    }
    state.callbacks.push((id.to_owned(), body.clone()));
    if req.query_flag("with_response") {
        let message = original
            .and_then(|m| state.messages.get(&m))
            .map(|m| m.json.clone());
        return Reply::ok(json!({
            "interaction": {
                "id": id, "type": interaction.kind, "activity_instance_id": null,
                "response_message_id": original.map(|m| m.to_string()),
                "response_message_loading": kind == Some(5),
                "response_message_ephemeral": message.as_ref().is_some_and(|m| m["flags"].as_u64().unwrap_or_default() & EPHEMERAL != 0),
            },
            "resource": { "type": kind, "message": message },
        }));
    }
    Reply::no_content()
}

/// The interaction behind a webhook token, if the token still works.
fn webhook_interaction(state: &State, token: &str) -> Result<InteractionState, Reply> {
    let interaction = state
        .tokens
        .get(token)
        .and_then(|id| state.interactions.get(id))
        .ok_or_else(Reply::unknown_webhook)?;
    let age = state
        .now()
        .saturating_duration_since(interaction.dispatched_at);
    if interaction.expired || age > TOKEN_LIFETIME || interaction.acked_at.is_none() {
        return Err(Reply::unknown_webhook());
    }
    Ok(interaction.clone())
}

fn create_followup(state: &mut State, req: &Req<'_>, token: &str) -> Reply {
    let interaction = match webhook_interaction(state, token) {
        Ok(interaction) => interaction,
        Err(reply) => return reply,
    };
    let body = req.body.cloned().unwrap_or(Value::Null);
    if let Err(reply) = check_message(&body, true) {
        return reply;
    }
    // The first follow-up while a deferred original still "thinks" replaces it and keeps the
    // defer's visibility, whatever its own flags say (discord-api-docs #2742, #2866).
    if interaction.callback_type == Some(5)
        && let Some(original) = interaction
            .original
            .and_then(|id| state.messages.get_mut(&id))
            .filter(|m| m.thinking && !m.deleted)
    {
        let mut edit = body.clone();
        edit.as_object_mut().map(|o| o.remove("flags"));
        apply_edit(original, &edit);
        let extra = body["flags"].as_u64().unwrap_or_default() & SUPPRESS_EMBEDS;
        let flags = original.json["flags"].as_u64().unwrap_or_default() | extra;
        original.json["flags"] = json!(flags);
        return Reply::ok(original.json.clone());
    }
    let flags = body["flags"].as_u64().unwrap_or_default()
        & (EPHEMERAL | SUPPRESS_EMBEDS | (1 << 12) | (1 << 15));
    let message = NewMessage {
        channel_id: interaction.channel_id,
        body: &body,
        flags,
        kind: 0,
        origin: Origin::Followup,
        token: Some(interaction.token.clone()),
        dm_user: None,
        thinking: false,
    };
    let id = insert_message(state, message);
    if let Some(stored) = state.interactions.get_mut(&interaction.id) {
        stored.followups.push(id);
    }
    Reply::ok(state.messages[&id].json.clone())
}

fn webhook_message(state: &mut State, req: &Req<'_>, token: &str, message: &str) -> Reply {
    let interaction = match webhook_interaction(state, token) {
        Ok(interaction) => interaction,
        Err(reply) => return reply,
    };
    let id = if message == "@original" {
        interaction.original
    } else {
        message
            .parse()
            .ok()
            .filter(|id| Some(*id) == interaction.original || interaction.followups.contains(id))
    };
    let Some(stored) = id
        .and_then(|id| state.messages.get_mut(&id))
        .filter(|m| !m.deleted)
    else {
        return Reply::unknown_message();
    };
    message_verb(stored, req)
}

fn create_dm(state: &mut State, body: Option<&Value>) -> Reply {
    let Some(user) = body.and_then(|b| id_of(&b["recipient_id"])) else {
        return Reply::invalid_form(limit_error(
            &["recipient_id".to_owned()],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    };
    let channel = if let Some(channel) = state.dm_channels.get(&user) {
        *channel
    } else {
        let channel = state.snowflake();
        state.dm_channels.insert(user, channel);
        channel
    };
    Reply::ok(json!({
        "id": channel.to_string(),
        "type": 1,
        "last_message_id": null,
        "flags": 0,
        "recipients": [plain_user_json(user)],
    }))
}

fn create_channel_message(state: &mut State, channel: u64, req: &Req<'_>) -> Reply {
    let body = req.body;
    let dm_user = state
        .dm_channels
        .iter()
        .find(|(_, c)| **c == channel)
        .map(|(u, _)| *u);
    if dm_user.is_some_and(|u| state.closed_dms.contains(&u)) {
        return Reply::error(403, 50007, "Cannot send messages to this user");
    }
    let body = body.cloned().unwrap_or(Value::Null);
    if let Err(reply) = check_message(&body, true) {
        return reply;
    }
    let nonce = match access::nonce_of(&body) {
        Ok(nonce) => nonce,
        Err(reply) => return reply,
    };
    if let Some(earlier) = access::earlier_with_nonce(state, channel, nonce.as_deref(), &body) {
        return Reply::ok(earlier);
    }
    let reference = match access::reply_reference(state, channel, &body) {
        Ok(reference) => reference,
        Err(reply) => return reply,
    };
    let flags =
        body["flags"].as_u64().unwrap_or_default() & (SUPPRESS_EMBEDS | (1 << 12) | (1 << 15));
    let message = NewMessage {
        channel_id: channel,
        body: &body,
        flags,
        kind: if reference.is_some() { 19 } else { 0 },
        origin: Origin::Channel,
        token: None,
        dm_user,
        thinking: false,
    };
    let id = insert_message(state, message);
    access::count_post(state, channel);
    let Some(stored) = state.messages.get_mut(&id) else {
        return Reply::unknown_message();
    };
    if let Some(nonce) = &nonce {
        stored.json["nonce"] = body["nonce"].clone();
        stored.nonce = Some(nonce.clone());
    }
    if let Some(reference) = reference {
        stored.json["message_reference"] = reference;
    }
    Reply::ok(stored.json.clone())
}

/// GET, DELETE or PATCH of a message found by a webhook or channel route.
fn message_verb(stored: &mut StoredMessage, req: &Req<'_>) -> Reply {
    match req.method.as_str() {
        "GET" => Reply::ok(stored.json.clone()),
        "DELETE" => {
            stored.deleted = true;
            Reply::no_content()
        }
        "PATCH" => {
            let body = req.body.cloned().unwrap_or(Value::Null);
            if let Err(reply) = check_message(&body, false) {
                return reply;
            }
            apply_edit(stored, &body);
            Reply::ok(stored.json.clone())
        }
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}

fn channel_message(state: &mut State, req: &Req<'_>, channel: &str, message: &str) -> Reply {
    let channel: Option<u64> = channel.parse().ok();
    let Some(stored) = message
        .parse()
        .ok()
        .and_then(|id: u64| state.messages.get_mut(&id))
        .filter(|m| Some(m.channel_id) == channel && !m.deleted && !m.ephemeral)
    else {
        return Reply::unknown_message();
    };
    message_verb(stored, req)
}
