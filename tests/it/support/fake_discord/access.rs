//! What the bot may reach and what it already sent: the servers it is in with its permission bits
//! (`GET /users/@me/guilds`), a token Discord stopped accepting, channels deleted or closed to it,
//! `enforce_nonce` (a repeated send answers the first message) and replies (`message_reference`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{
    BOT_PERMISSIONS, CREATE_EVENTS, FakeDiscord, NonceReplay, Reply, Req, State, id_of, limit_error,
};

/// How long Discord remembers a nonce for `enforce_nonce`: "the past few minutes".
const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// A server the bot is in.
#[derive(Clone, Debug)]
pub(super) struct BotGuild {
    name: String,
    permissions: u64,
}

pub(super) struct Access {
    pub(super) token_rejected: bool,
    guilds: BTreeMap<u64, BotGuild>,
    deleted_channels: Vec<u64>,
    denied_channels: Vec<u64>,
    replays: Vec<NonceReplay>,
    /// Messages `POST /channels/{id}/messages` created, by channel.
    posts: BTreeMap<u64, usize>,
}

impl Default for Access {
    fn default() -> Self {
        let test_server = BotGuild {
            name: "Test Server".to_owned(),
            permissions: BOT_PERMISSIONS | CREATE_EVENTS,
        };
        Self {
            token_rejected: false,
            guilds: BTreeMap::from([(FakeDiscord::GUILD_ID, test_server)]),
            deleted_channels: vec![],
            denied_channels: vec![],
            replays: vec![],
            posts: BTreeMap::new(),
        }
    }
}

impl FakeDiscord {
    /// The name `GET /users/@me/guilds` gives the fake's own server ([`FakeDiscord::GUILD_ID`]),
    /// which the bot is in from the start with everything zoombot needs.
    pub const GUILD_NAME: &'static str = "Test Server";

    /// While `reject` holds, every REST call made with the bot token answers 401 code 0 and the
    /// gateway closes an IDENTIFY or RESUME with 4004, as after the token was reset in the
    /// Developer Portal (interaction tokens keep working).
    pub fn reject_token(&self, reject: bool) {
        self.lock().access.token_rejected = reject;
    }

    /// Puts the bot in server `guild` named `name` with `permissions` (replacing what it had there).
    pub fn add_guild(&self, guild: u64, name: &str, permissions: u64) {
        let entry = BotGuild {
            name: name.to_owned(),
            permissions,
        };
        self.lock().access.guilds.insert(guild, entry);
    }

    /// Takes the bot out of `guild`.
    pub fn remove_guild(&self, guild: u64) {
        self.lock().access.guilds.remove(&guild);
    }

    /// The bot's permission bits in `guild` (the bot joins it, named after its id, if it was not in).
    pub fn set_guild_permissions(&self, guild: u64, bits: u64) {
        let mut state = self.lock();
        let entry = state
            .access
            .guilds
            .entry(guild)
            .or_insert_with(|| BotGuild {
                name: format!("server{guild}"),
                permissions: 0,
            });
        entry.permissions = bits;
    }

    /// The channel is deleted: every later call on it answers 404 10003 "Unknown Channel".
    pub fn delete_channel(&self, channel: u64) {
        let mut state = self.lock();
        if !state.access.deleted_channels.contains(&channel) {
            state.access.deleted_channels.push(channel);
        }
    }

    /// While `deny` holds, the bot cannot see `channel` (removed from it, or its role lost the
    /// view): every call on it answers 403 50001 "Missing Access".
    pub fn deny_channel(&self, channel: u64, deny: bool) {
        let mut state = self.lock();
        state.access.denied_channels.retain(|c| *c != channel);
        if deny {
            state.access.denied_channels.push(channel);
        }
    }

    /// The sends that `enforce_nonce` answered with an earlier message, creating nothing.
    pub fn nonce_replays(&self) -> Vec<NonceReplay> {
        self.lock().access.replays.clone()
    }

    /// How many messages `POST /channels/{channel}/messages` really created there (deleted ones
    /// included, answers to a repeated nonce not): the posts a member saw appear.
    pub fn posts_created(&self, channel: u64) -> usize {
        self.lock()
            .access
            .posts
            .get(&channel)
            .copied()
            .unwrap_or_default()
    }
}

/// Counts a message `POST /channels/{channel}/messages` created.
pub(super) fn count_post(state: &mut State, channel: u64) {
    *state.access.posts.entry(channel).or_default() += 1;
}

/// The answer for any call on a deleted or hidden channel.
pub(super) fn channel_gone(state: &State, segments: &[&str]) -> Option<Reply> {
    let ["channels", channel, ..] = segments else {
        return None;
    };
    let channel: u64 = channel.parse().ok()?;
    if state.access.deleted_channels.contains(&channel) {
        return Some(Reply::error(404, 10003, "Unknown Channel"));
    }
    state
        .access
        .denied_channels
        .contains(&channel)
        .then(|| Reply::error(403, 50001, "Missing Access"))
}

/// `GET /users/@me/guilds`: partial guilds in id order, `before`/`after`/`limit` (1–200, 200).
pub(super) fn my_guilds(state: &State, req: &Req<'_>) -> Reply {
    let query: BTreeMap<String, String> = form_urlencoded::parse(req.query.as_bytes())
        .into_owned()
        .collect();
    let snowflake = |key: &str| query.get(key).and_then(|v| v.parse::<u64>().ok());
    let limit = match query.get("limit").map(|v| v.parse::<usize>()) {
        None => 200,
        Some(Ok(n)) if (1..=200).contains(&n) => n,
        Some(_) => {
            return Reply::invalid_form(limit_error(
                &["limit".to_owned()],
                "NUMBER_TYPE_MAX",
                "int value should be less than or equal to 200.",
            ));
        }
    };
    let (before, after) = (snowflake("before"), snowflake("after"));
    let with_counts = req.query_flag("with_counts");
    let guilds: Vec<Value> = state
        .access
        .guilds
        .iter()
        .filter(|(id, _)| before.is_none_or(|b| **id < b) && after.is_none_or(|a| **id > a))
        .take(limit)
        .map(|(id, guild)| {
            let mut json = json!({
                "id": id.to_string(),
                "name": guild.name,
                "icon": null,
                "banner": null,
                "owner": false,
                "permissions": guild.permissions.to_string(),
                "features": [],
            });
            if with_counts {
                json["approximate_member_count"] = json!(2);
                json["approximate_presence_count"] = json!(1);
            }
            json
        })
        .collect();
    Reply::ok(Value::Array(guilds))
}

/// The nonce as text: a string of at most 25 characters or an integer; `Ok(None)` when absent.
pub(super) fn nonce_of(body: &Value) -> Result<Option<String>, Reply> {
    match &body["nonce"] {
        Value::Null => Ok(None),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Value::String(s) if s.chars().count() <= 25 => Ok(Some(s.clone())),
        Value::String(_) => Err(Reply::invalid_form(limit_error(
            &["nonce".to_owned()],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ))),
        _ => Err(Reply::invalid_form(limit_error(
            &["nonce".to_owned()],
            "NONCE_TYPE_INVALID",
            "Nonce must be an integer or a string.",
        ))),
    }
}

/// With `enforce_nonce`, the message the bot already sent to `channel` with this nonce within the
/// window, recorded as a replay. Without `enforce_nonce` a nonce only travels along.
pub(super) fn earlier_with_nonce(
    state: &mut State,
    channel: u64,
    nonce: Option<&str>,
    body: &Value,
) -> Option<Value> {
    let nonce = nonce?;
    if body["enforce_nonce"].as_bool() != Some(true) {
        return None;
    }
    let now = state.now();
    let earlier = state.messages.values().rev().find(|m| {
        m.channel_id == channel
            && m.token.is_none()
            && m.nonce.as_deref() == Some(nonce)
            && id_of(&m.json["author"]["id"]) == Some(FakeDiscord::BOT_USER_ID)
            && now.saturating_duration_since(m.created_at) <= NONCE_WINDOW
    })?;
    let json = earlier.json.clone();
    state.access.replays.push(NonceReplay {
        channel_id: channel,
        nonce: nonce.to_owned(),
        message_id: id_of(&json["id"]).unwrap_or_default(),
    });
    Some(json)
}

/// A reply's `message_reference` as Discord answers it, after checking that the message replied
/// to is in this channel; a missing one fails unless `fail_if_not_exists` is false, and then the
/// message is sent as an ordinary one (`Ok(None)`).
pub(super) fn reply_reference(
    state: &State,
    channel: u64,
    body: &Value,
) -> Result<Option<Value>, Reply> {
    let reference = &body["message_reference"];
    if reference.is_null() {
        return Ok(None);
    }
    let Some(message_id) = id_of(&reference["message_id"]) else {
        return Err(Reply::invalid_form(limit_error(
            &["message_reference".to_owned(), "message_id".to_owned()],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        )));
    };
    let in_channel = id_of(&reference["channel_id"]).unwrap_or(channel);
    let found = state
        .messages
        .get(&message_id)
        .filter(|m| m.channel_id == channel && in_channel == channel && !m.deleted);
    match found {
        Some(_) => {
            let mut answer = json!({
                "type": 0,
                "channel_id": channel.to_string(),
                "message_id": message_id.to_string(),
            });
            if let Some(guild) = id_of(&reference["guild_id"]) {
                answer["guild_id"] = json!(guild.to_string());
            }
            Ok(Some(answer))
        }
        None if reference["fail_if_not_exists"].as_bool() == Some(false) => Ok(None),
        None => Err(Reply::invalid_form(limit_error(
            &["message_reference".to_owned()],
            "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
            "Unknown message",
        ))),
    }
}
