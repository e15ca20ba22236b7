//! What a member may see and do, end to end through the fake Discord: meetings stay with their
//! channel, a member's agenda cannot dress itself up, Administrator counts as Manage Server, and
//! interactions the bot cannot read or does not handle still get an answer.

use crate::support;
use crate::support::specs::DiscordSpec;

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use support::bot::{PATIENCE, TestBot, strings, subcommand};
use support::fake_discord::{self, EPHEMERAL, FakeDiscord, Member, Message};

const ALICE: u64 = 1_400_000_000_000_000_001;
const BOB: u64 = 1_400_000_000_000_000_002;
const ADMIN: u64 = 1_400_000_000_000_000_003;
const EVE_MOD: u64 = 1_400_000_000_000_000_004;
/// A channel only moderators can read.
const MODS: u64 = FakeDiscord::CHANNEL_ID + 100;
/// Another channel Alice uses.
const DESIGN: u64 = FakeDiscord::CHANNEL_ID + 200;
const MODS_TOPIC: &str = "Mods only: ban appeal of eve";
/// `ADMINISTRATOR`: every permission, whatever other bits are set.
const ADMINISTRATOR: u64 = 1 << 3;

/// Interaction ids of this file's own payloads, apart from the ones `TestBot` hands out.
static NEXT_ID: AtomicU64 = AtomicU64::new(1_310_000_000_000_000_000);

fn next() -> (u64, String) {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    (id, format!("security-token-{id}"))
}

/// A slash command by `member` in `channel`; returns its token.
async fn slash_in_channel(
    bot: &TestBot,
    channel: u64,
    member: &Member,
    name: &str,
    options: Value,
) -> String {
    let (id, token) = next();
    let payload = fake_discord::slash_command(
        id,
        &token,
        FakeDiscord::GUILD_ID,
        channel,
        member,
        name,
        options,
    );
    bot.discord.dispatch_interaction(payload).await;
    token
}

/// A /meet by `member` in `channel` that was scheduled; returns the Zoom id.
async fn meet_in(bot: &TestBot, channel: u64, member: &Member, topic: &str) -> i64 {
    let before: Vec<_> = bot
        .zoom
        .meetings()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    let token = slash_in_channel(bot, channel, member, "meet", strings(&[("topic", topic)])).await;
    let answer = bot.answer(&token).await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    bot.zoom
        .meetings()
        .iter()
        .find(|m| !before.contains(&m["id"]))
        .and_then(|m| m["id"].as_i64())
        .expect("a new meeting at Zoom")
}

/// `/meetings` with `options` by `member` in the usual channel; the private answer.
async fn meetings(bot: &TestBot, member: &Member, options: Value) -> Message {
    let (_, token) = bot.slash(member, "meetings", options).await;
    bot.answer(&token).await
}

fn list(scope: Option<&str>) -> Value {
    let options = scope.map_or_else(
        || json!([]),
        |s| json!([{"name": "scope", "type": 3, "value": s}]),
    );
    subcommand("list", options)
}

fn pick(sub: &str, typed: &str) -> Value {
    subcommand(sub, json!([{"name": "meeting", "type": 3, "value": typed}]))
}

fn names(choices: &[Value]) -> Vec<String> {
    choices
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_suggestions_show_this_channels_meetings_and_the_members_own_only() {
    let bot = TestBot::start().await;
    let alice = Member::regular(ALICE);
    let mods = meet_in(&bot, MODS, &Member::admin(EVE_MOD), MODS_TOPIC).await;
    meet_in(
        &bot,
        FakeDiscord::CHANNEL_ID,
        &Member::regular(BOB),
        "Team lunch",
    )
    .await;
    meet_in(&bot, DESIGN, &alice, "Alice's review").await;

    let listed = meetings(&bot, &alice, list(None)).await;
    let text = listed.text();
    assert!(listed.ephemeral);
    assert!(
        text.contains("Team lunch") && text.contains("Alice's review"),
        "this channel's and her own: {text}"
    );
    assert!(
        text.contains(&format!("<#{DESIGN}>")),
        "her own meeting elsewhere says where: {text}"
    );
    assert!(!text.contains("ban appeal"), "{text}");

    for sub in ["cancel", "host-link"] {
        let offered = names(&bot.autocomplete(&alice, "meetings", pick(sub, "")).await);
        assert!(
            offered.iter().all(|n| !n.contains("ban appeal")),
            "{sub}: {offered:?}"
        );
        assert!(
            offered.iter().any(|n| n.contains("Alice's review")),
            "{sub}: {offered:?}"
        );
    }
    // Managers too: other channels' meetings only when they ask for the server's list.
    let offered = names(
        &bot.autocomplete(&Member::admin(ADMIN), "meetings", pick("cancel", ""))
            .await,
    );
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert!(offered[0].contains("Team lunch"), "{offered:?}");

    let refused = meetings(&bot, &alice, list(Some("server"))).await;
    assert!(refused.ephemeral);
    assert!(
        refused.content.contains("Manage Server") && !refused.text().contains("ban appeal"),
        "{}",
        refused.text()
    );

    let everything = meetings(&bot, &Member::admin(ADMIN), list(Some("server")))
        .await
        .text();
    for topic in [MODS_TOPIC, "Team lunch", "Alice's review"] {
        assert!(everything.contains(topic), "{topic}: {everything}");
    }

    // A typed id still reaches the permission checks, which already let a manager cancel.
    let cancelled = meetings(
        &bot,
        &Member::admin(ADMIN),
        pick("cancel", &mods.to_string()),
    )
    .await;
    assert!(
        cancelled.content.contains("Cancelled"),
        "{}",
        cancelled.content
    );
    assert!(bot.zoom.meeting(mods).is_none(), "deleted at Zoom");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creator_still_cancels_their_meeting_of_another_channel_by_its_id() {
    let bot = TestBot::start().await;
    let alice = Member::regular(ALICE);
    let theirs = meet_in(&bot, DESIGN, &Member::regular(BOB), "Bob's design crit").await;
    let own = meet_in(&bot, DESIGN, &alice, "Alice's review").await;

    let offered = names(
        &bot.autocomplete(&alice, "meetings", pick("cancel", ""))
            .await,
    );
    assert_eq!(offered.len(), 1, "only her own from here: {offered:?}");
    let refused = meetings(&bot, &alice, pick("cancel", &theirs.to_string())).await;
    assert!(
        refused.content.contains("Manage Server"),
        "{}",
        refused.content
    );
    let done = meetings(&bot, &alice, pick("cancel", &own.to_string())).await;
    assert!(done.content.contains("Cancelled"), "{}", done.content);
    assert!(bot.zoom.meeting(own).is_none() && bot.zoom.meeting(theirs).is_some());
}

/// Whether every character Discord's markdown acts on is escaped, so `text` reads literally.
fn literal(text: &str) -> bool {
    let mut escaped = false;
    let mut line_start = true;
    for c in text.chars() {
        if !escaped && ("*_~|`[]()<>".contains(c) || (line_start && "#-".contains(c))) {
            return false;
        }
        escaped = !escaped && c == '\\';
        line_start = c == '\n' || (line_start && c.is_whitespace());
    }
    true
}

fn unescaped(text: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in text.chars() {
        if c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_message_shows_the_agenda_literally_not_as_markdown() {
    let bot = TestBot::start().await;
    let agenda = "[Join the meeting here](https://zoom.us.evil.example/j/1) <@&123> ||free nitro|| \
                  <t:1900000000:R> **urgent** `code` ~~old~~ __under__ <:emoji:1>\n# Heading\n-# small print";
    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "Standup"), ("agenda", agenda)]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );

    let public = public.expect("a public message");
    let description = public.embeds[0]["description"]
        .as_str()
        .expect("the agenda");
    assert!(literal(description), "{description}");
    assert_eq!(
        unescaped(description),
        agenda,
        "every character is still there"
    );
    assert!(
        description.contains(r"\[Join the meeting here\]\(https://zoom.us.evil.example/j/1\)"),
        "{description}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_with_administrator_alone_counts_as_managing_the_server() {
    let bot = TestBot::start().await;
    let admin = Member {
        permissions: ADMINISTRATOR,
        ..Member::regular(ADMIN)
    };

    let saved = bot
        .run_sub(
            &admin,
            "meet-settings",
            "set",
            json!([{"name": "duration", "type": 3, "value": "45m"}]),
        )
        .await
        .text();
    assert!(
        saved.contains("Saved") && saved.contains("**duration**: 45 min"),
        "{saved}"
    );

    meet_in(&bot, MODS, &Member::regular(BOB), MODS_TOPIC).await;
    let everything = meetings(&bot, &admin, list(Some("server"))).await;
    assert!(
        everything.text().contains(MODS_TOPIC),
        "{}",
        everything.text()
    );
}

/// The callback the bot gave interaction `id`, once it has.
async fn callback(bot: &TestBot, id: u64) -> Value {
    let key = id.to_string();
    let answered = bot
        .discord
        .wait_for(|d| d.callbacks().iter().any(|(i, _)| *i == key), PATIENCE)
        .await;
    assert!(answered, "interaction {id} got no answer");
    bot.discord
        .callbacks()
        .into_iter()
        .find(|(i, _)| *i == key)
        .map(|(_, body)| body)
        .expect("answered")
}

fn assert_private(body: &Value, says: &str) {
    assert_eq!(body["type"], 4, "{body}");
    let flags = body["data"]["flags"].as_u64().unwrap_or_default();
    assert!(flags & EPHEMERAL != 0, "private: {body}");
    let content = body["data"]["content"].as_str().unwrap_or_default();
    assert!(content.contains(says), "{body}");
    assert_eq!(
        body["data"]["allowed_mentions"]["parse"],
        json!([]),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_serenity_cannot_read_is_answered_as_outdated() {
    let bot = TestBot::start().await;
    let member = Member::regular(ALICE);
    // `duration` as an integer option whose value is text: serenity's model refuses the event.
    let (id, token) = next();
    let options = json!([
        {"name": "topic", "type": 3, "value": "Old client"},
        {"name": "duration", "type": 4, "value": "45m"},
    ]);
    let payload = fake_discord::slash_command(
        id,
        &token,
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &member,
        "meet",
        options,
    );
    bot.discord.dispatch_interaction(payload).await;
    assert_private(&callback(&bot, id).await, "outdated");

    // An autocomplete takes only choices: none.
    let (id, token) = next();
    let options = json!([{"name": "cancel", "type": 1, "options": [
        {"name": "meeting", "type": 3, "value": 5, "focused": true},
    ]}]);
    let payload = fake_discord::autocomplete(
        id,
        &token,
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &member,
        "meetings",
        options,
    );
    bot.discord.dispatch_interaction(payload).await;
    let body = callback(&bot, id).await;
    assert_eq!(body, json!({"type": 8, "data": {"choices": []}}));

    assert_eq!(bot.zoom.meeting_count(), 0, "nothing was scheduled");
    if let Some(spec) = DiscordSpec::load() {
        for request in bot.discord.requests_matching("POST", "/callback") {
            let violations = spec
                .request_violations(&request)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(violations.is_empty(), "{}: {violations:?}", request.path);
        }
    }
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submitted_form_is_answered_privately_as_not_handled() {
    let bot = TestBot::start().await;
    let (id, token) = next();
    let mut payload = fake_discord::slash_command(
        id,
        &token,
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &Member::regular(ALICE),
        "meet",
        json!([]),
    );
    payload["type"] = json!(5);
    payload["data"] = json!({
        "custom_id": "zoombot:form:old",
        "components": [{"type": 1, "components": [
            {"type": 4, "custom_id": "topic", "value": "Weekly sync"},
        ]}],
    });
    bot.discord.dispatch_interaction(payload).await;

    assert_private(&callback(&bot, id).await, "form");
    let answer: Message = bot.answer(&token).await;
    assert!(answer.ephemeral, "{}", answer.content);
}
