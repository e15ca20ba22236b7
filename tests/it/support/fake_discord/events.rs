//! Guild scheduled events: `/guilds/{guild}/scheduled-events[/{event}[/users]]` with Discord's
//! checks (lengths, privacy level, an EXTERNAL event's location and end, a start in the future,
//! status transitions), its cap of 100 active events per server, the permission the bot may lack
//! and a moderator who deletes an event behind the bot's back.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value, json};

use super::{FakeDiscord, Member, Reply, Req, State, bot_user_json, id_of, limit_error};

/// Discord's cap on SCHEDULED and ACTIVE events in one server.
const MAX_ACTIVE_EVENTS: usize = 100;
const SCHEDULED: u64 = 1;
const ACTIVE: u64 = 2;
const COMPLETED: u64 = 3;
const CANCELED: u64 = 4;
const EXTERNAL: u64 = 3;

#[derive(Clone, Debug)]
struct StoredEvent {
    json: Value,
    interested: BTreeSet<u64>,
}

#[derive(Default)]
pub(super) struct Events {
    guilds: HashMap<u64, BTreeMap<u64, StoredEvent>>,
    denied: BTreeSet<u64>,
}

impl FakeDiscord {
    /// While `deny` holds, creating, editing and deleting events in `guild` answers 403 50013
    /// "Missing Permissions" (the bot lacks Create Events / Manage Events there).
    pub fn deny_create_events(&self, guild: u64, deny: bool) {
        let mut state = self.lock();
        if deny {
            state.events.denied.insert(guild);
        } else {
            state.events.denied.remove(&guild);
        }
    }

    /// A moderator deletes the event in Discord's client: it is gone for the bot too (404 10070).
    pub fn delete_event_as_moderator(&self, guild: u64, event: u64) {
        if let Some(events) = self.lock().events.guilds.get_mut(&guild) {
            events.remove(&event);
        }
    }

    /// `user_id` marks the event as interested (listed by its `users` endpoint, counted in
    /// `user_count`); false when there is no such event.
    pub fn add_interested(&self, guild: u64, event: u64, user_id: u64) -> bool {
        self.with_event(guild, event, |e| {
            e.interested.insert(user_id);
        })
    }

    /// `user_id` is no longer interested; false when there is no such event.
    pub fn remove_interested(&self, guild: u64, event: u64, user_id: u64) -> bool {
        self.with_event(guild, event, |e| {
            e.interested.remove(&user_id);
        })
    }

    fn with_event(&self, guild: u64, event: u64, change: impl FnOnce(&mut StoredEvent)) -> bool {
        let mut state = self.lock();
        let found = state
            .events
            .guilds
            .get_mut(&guild)
            .and_then(|events| events.get_mut(&event));
        found.map(change).is_some()
    }

    /// The events of `guild` as Discord answers them, in creation order.
    pub fn scheduled_events(&self, guild: u64) -> Vec<Value> {
        self.lock()
            .events
            .guilds
            .get(&guild)
            .map(|events| events.values().map(|e| e.json.clone()).collect())
            .unwrap_or_default()
    }

    /// One event of `guild` as Discord answers it, or None once deleted.
    pub fn scheduled_event(&self, guild: u64, event: u64) -> Option<Value> {
        self.lock()
            .events
            .guilds
            .get(&guild)?
            .get(&event)
            .map(|e| e.json.clone())
    }
}

fn unknown_event() -> Reply {
    Reply::error(404, 10070, "Unknown Guild Scheduled Event")
}

/// `segments` after `/guilds/{guild}/scheduled-events`.
pub(super) fn route(state: &mut State, req: &Req<'_>, guild: u64, segments: &[&str]) -> Reply {
    let method = req.method.as_str();
    let writes = matches!(method, "POST" | "PATCH" | "DELETE");
    if writes && state.events.denied.contains(&guild) {
        return Reply::error(403, 50013, "Missing Permissions");
    }
    let event = match segments.first().map(|s| s.parse::<u64>()) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return unknown_event(),
    };
    let with_count = req.query_flag("with_user_count");
    let now = state_now_utc(state.clock_offset);
    match (method, event, segments.get(1).copied()) {
        ("POST", None, _) => create(state, guild, req.body),
        ("GET", None, _) => {
            let events = state.events.guilds.get(&guild);
            let list = events.into_iter().flat_map(BTreeMap::values);
            Reply::ok(list.map(|e| answer(e, with_count)).collect())
        }
        (_, Some(event), None) => {
            let Some(stored) = state
                .events
                .guilds
                .get_mut(&guild)
                .and_then(|events| events.get_mut(&event))
            else {
                return unknown_event();
            };
            match method {
                "GET" => Reply::ok(answer(stored, with_count)),
                "PATCH" => edit(stored, req.body, now),
                "DELETE" => {
                    state
                        .events
                        .guilds
                        .get_mut(&guild)
                        .map(|events| events.remove(&event));
                    Reply::no_content()
                }
                _ => Reply::error(405, 0, "405: Method Not Allowed"),
            }
        }
        ("GET", Some(event), Some("users")) => users(state, req, guild, event),
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}

fn answer(event: &StoredEvent, with_count: bool) -> Value {
    let mut json = event.json.clone();
    if with_count {
        json["user_count"] = json!(event.interested.len());
    }
    json
}

/// Wall time on the fake's clock (`advance_clock` moves it too).
fn state_now_utc(offset: std::time::Duration) -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    jiff::SignedDuration::try_from(offset)
        .ok()
        .and_then(|d| now.checked_add(d).ok())
        .unwrap_or(now)
}

fn field_error(field: &str, code: &str, message: &str) -> Reply {
    Reply::invalid_form(limit_error(&[field.to_owned()], code, message))
}

fn nested_error(path: &[&str], code: &str, message: &str) -> Reply {
    let path: Vec<String> = path.iter().map(|p| (*p).to_owned()).collect();
    Reply::invalid_form(limit_error(&path, code, message))
}

fn required(field: &str) -> Reply {
    field_error(field, "BASE_TYPE_REQUIRED", "This field is required")
}

fn timestamp(fields: &Map<String, Value>, key: &str) -> Result<Option<jiff::Timestamp>, Reply> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => text.parse().map(Some).map_err(|_| {
            field_error(
                key,
                "DATE_TIME_TYPE_PARSE",
                &format!("Could not parse {text}. Should be ISO8601."),
            )
        }),
        Some(_) => Err(field_error(
            key,
            "DATE_TIME_TYPE_PARSE",
            "Should be ISO8601.",
        )),
    }
}

/// Name, description, privacy level and location: the checks creating and editing share.
fn check_fields(fields: &Map<String, Value>) -> Result<(), Reply> {
    if let Some(name) = fields.get("name") {
        let length = name.as_str().map_or(0, |s| s.chars().count());
        if !(1..=100).contains(&length) {
            return Err(field_error(
                "name",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
    }
    let description = fields.get("description").and_then(Value::as_str);
    if description.is_some_and(|d| d.chars().count() > 1000) {
        return Err(field_error(
            "description",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 1000 or fewer in length.",
        ));
    }
    if let Some(level) = fields.get("privacy_level")
        && level.as_u64() != Some(2)
    {
        return Err(field_error(
            "privacy_level",
            "BASE_TYPE_CHOICES",
            "Value must be one of {2}.",
        ));
    }
    if let Some(metadata) = fields.get("entity_metadata").filter(|m| !m.is_null()) {
        let length = metadata["location"]
            .as_str()
            .map_or(0, |s| s.chars().count());
        if !(1..=100).contains(&length) {
            return Err(nested_error(
                &["entity_metadata", "location"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
    }
    Ok(())
}

/// An EXTERNAL event needs a location and an end; the end comes after the start.
fn check_times(json: &Value, now: jiff::Timestamp, start_changed: bool) -> Result<(), Reply> {
    let fields = json.as_object().cloned().unwrap_or_default();
    let start = timestamp(&fields, "scheduled_start_time")?;
    let end = timestamp(&fields, "scheduled_end_time")?;
    let Some(start) = start else {
        return Err(required("scheduled_start_time"));
    };
    if start_changed && start <= now {
        return Err(field_error(
            "scheduled_start_time",
            "GUILD_SCHEDULED_EVENT_SCHEDULED_START_TIME_IN_THE_PAST",
            "Cannot schedule event in the past.",
        ));
    }
    if json["entity_type"].as_u64() == Some(EXTERNAL) {
        if json["entity_metadata"]["location"].as_str().is_none() {
            return Err(nested_error(
                &["entity_metadata", "location"],
                "BASE_TYPE_REQUIRED",
                "This field is required",
            ));
        }
        if end.is_none() {
            return Err(field_error(
                "scheduled_end_time",
                "GUILD_SCHEDULED_EVENT_EXTERNAL_REQUIRES_END_TIME",
                "An external event requires an end time.",
            ));
        }
    }
    if end.is_some_and(|end| end <= start) {
        return Err(field_error(
            "scheduled_end_time",
            "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
            "Cannot schedule event to end before starting.",
        ));
    }
    Ok(())
}

fn create(state: &mut State, guild: u64, body: Option<&Value>) -> Reply {
    let Some(fields) = body.and_then(Value::as_object) else {
        return required("name");
    };
    for key in [
        "name",
        "privacy_level",
        "scheduled_start_time",
        "entity_type",
    ] {
        if fields.get(key).is_none_or(Value::is_null) {
            return required(key);
        }
    }
    if let Err(reply) = check_fields(fields) {
        return reply;
    }
    let entity_type = fields["entity_type"].as_u64();
    let channel = fields.get("channel_id").and_then(id_of);
    match entity_type {
        Some(EXTERNAL) if channel.is_some() => {
            return field_error(
                "channel_id",
                "GUILD_SCHEDULED_EVENT_EXTERNAL_CHANNEL_ID_NOT_ALLOWED",
                "An external event cannot have a channel.",
            );
        }
        Some(EXTERNAL) => {}
        Some(1 | 2) if channel.is_none() => return required("channel_id"),
        Some(1 | 2) => {}
        _ => {
            return field_error(
                "entity_type",
                "BASE_TYPE_CHOICES",
                "Value must be one of {1, 2, 3}.",
            );
        }
    }
    let now = state_now_utc(state.clock_offset);
    let external = entity_type == Some(EXTERNAL);
    let mut json = json!({
        "guild_id": guild.to_string(),
        "name": fields["name"],
        "description": fields.get("description").cloned().unwrap_or(Value::Null),
        "channel_id": channel.map(|c| c.to_string()),
        "creator_id": FakeDiscord::BOT_USER_ID.to_string(),
        "creator": bot_user_json(),
        "image": null,
        "scheduled_start_time": fields["scheduled_start_time"],
        "scheduled_end_time": fields.get("scheduled_end_time").cloned().unwrap_or(Value::Null),
        "status": SCHEDULED,
        "entity_type": entity_type,
        "entity_id": null,
        "recurrence_rule": null,
        "privacy_level": 2,
        "guild_scheduled_event_exceptions": [],
        "entity_metadata": if external {
            json!({ "location": fields.get("entity_metadata").map_or(Value::Null, |m| m["location"].clone()) })
        } else {
            Value::Null
        },
    });
    if let Err(reply) = check_times(&json, now, true) {
        return reply;
    }
    normalize_times(&mut json);
    let active = state.events.guilds.get(&guild).map_or(0, |events| {
        let live = |e: &&StoredEvent| matches!(e.json["status"].as_u64(), Some(SCHEDULED | ACTIVE));
        events.values().filter(live).count()
    });
    if active >= MAX_ACTIVE_EVENTS {
        return Reply::error(
            400,
            30038,
            "Maximum number of guild scheduled events reached (100)",
        );
    }
    let id = state.snowflake();
    json["id"] = json!(id.to_string());
    let stored = StoredEvent {
        json,
        interested: BTreeSet::new(),
    };
    let answer = stored.json.clone();
    state
        .events
        .guilds
        .entry(guild)
        .or_default()
        .insert(id, stored);
    Reply::ok(answer)
}

/// Discord answers timestamps in its own form (`+00:00`, microseconds).
fn normalize_times(json: &mut Value) {
    for key in ["scheduled_start_time", "scheduled_end_time"] {
        if let Some(at) = json[key]
            .as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        {
            json[key] = json!(at.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string());
        }
    }
}

fn transition_allowed(from: u64, to: u64) -> bool {
    from == to
        || matches!(
            (from, to),
            (SCHEDULED, ACTIVE | CANCELED) | (ACTIVE, COMPLETED)
        )
}

fn edit(event: &mut StoredEvent, body: Option<&Value>, now: jiff::Timestamp) -> Reply {
    let fields = body.and_then(Value::as_object).cloned().unwrap_or_default();
    if let Err(reply) = check_fields(&fields) {
        return reply;
    }
    let from = event.json["status"].as_u64().unwrap_or(SCHEDULED);
    if let Some(to) = fields.get("status").and_then(Value::as_u64)
        && !transition_allowed(from, to)
    {
        return field_error(
            "status",
            "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
            "Cannot change the status of this event to that status.",
        );
    }
    if matches!(from, COMPLETED | CANCELED) && !fields.is_empty() {
        return field_error(
            "status",
            "GUILD_SCHEDULED_EVENT_ALREADY_ENDED",
            "This event has already ended.",
        );
    }
    let mut next = event.json.clone();
    for (key, value) in &fields {
        let editable = [
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "status",
            "entity_metadata",
            "channel_id",
            "entity_type",
        ];
        if editable.contains(&key.as_str()) && !(key == "entity_type" && value.is_null()) {
            next[key] = value.clone();
        }
    }
    let start_changed =
        fields.contains_key("scheduled_start_time") && next["status"].as_u64() == Some(SCHEDULED);
    if let Err(reply) = check_times(&next, now, start_changed) {
        return reply;
    }
    normalize_times(&mut next);
    event.json = next;
    Reply::ok(event.json.clone())
}

/// `GET …/{event}/users`: interested users in id order, `limit` 1–100 (100), `before`/`after`,
/// `with_member` adding each one's member object.
fn users(state: &State, req: &Req<'_>, guild: u64, event: u64) -> Reply {
    let Some(stored) = state
        .events
        .guilds
        .get(&guild)
        .and_then(|events| events.get(&event))
    else {
        return unknown_event();
    };
    let query: BTreeMap<String, String> = form_urlencoded::parse(req.query.as_bytes())
        .into_owned()
        .collect();
    let limit = match query.get("limit").map(|v| v.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            return field_error(
                "limit",
                "NUMBER_TYPE_MAX",
                "int value should be less than or equal to 100.",
            );
        }
    };
    let snowflake = |key: &str| query.get(key).and_then(|v| v.parse::<u64>().ok());
    let (before, after) = (snowflake("before"), snowflake("after"));
    let with_member = req.query_flag("with_member");
    let users: Vec<Value> = stored
        .interested
        .iter()
        .filter(|id| before.is_none_or(|b| **id < b) && after.is_none_or(|a| **id > a))
        .take(limit)
        .map(|user_id| {
            let member = Member::regular(*user_id);
            let mut json = json!({
                "guild_scheduled_event_id": event.to_string(),
                "guild_scheduled_event_exception_id": null,
                "user_id": user_id.to_string(),
                "user": member.user_json(),
                "response": 1,
            });
            if with_member {
                json["member"] = member.member_json();
            }
            json
        })
        .collect();
    Reply::ok(Value::Array(users))
}
