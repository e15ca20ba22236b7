//! Server settings and members' time zones, end to end: who may change them, how they shape the
//! meeting Zoom is asked for, and how the answers read.

use crate::support;

use serde_json::{Value, json};
use support::bot::{TestBot, strings};
use support::fake_discord::{FakeDiscord, Member, Message};
use support::fake_zoom::FakeZoom;

const ALICE: u64 = 1_400_000_000_000_000_001;
const BOB: u64 = 1_400_000_000_000_000_002;
const ADMIN: u64 = 1_400_000_000_000_000_003;
const HOSTS_ROLE: u64 = 1_500_000_000_000_000_001;

/// `/meet-settings <sub>` with `options`, as `member`; the private answer.
async fn settings(bot: &TestBot, member: &Member, sub: &str, options: Value) -> Message {
    bot.run_sub(member, "meet-settings", sub, options).await
}

fn text(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

fn flag(name: &str, value: bool) -> Value {
    json!({"name": name, "type": 5, "value": value})
}

fn zoom_calls(zoom: &FakeZoom) -> usize {
    zoom.requests()
        .iter()
        .filter(|r| !r.path.contains("oauth"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_without_manage_server_are_refused_even_when_the_command_reaches_the_bot() {
    let bot = TestBot::start().await;
    let registered = bot.discord.registered_commands(Some(FakeDiscord::GUILD_ID));
    let command = registered
        .iter()
        .find(|c| c["name"] == "meet-settings")
        .expect("registered");
    assert_eq!(command["default_member_permissions"], "32", "Manage Server");

    let member = Member::regular(ALICE);
    for (sub, options) in [
        ("set", json!([text("duration", "2h")])),
        ("reset", json!([])),
        ("show", json!([])),
    ] {
        let answer = settings(&bot, &member, sub, options).await;
        assert!(answer.ephemeral, "{sub}");
        assert!(
            answer.content.contains("Manage Server"),
            "{sub}: {}",
            answer.content
        );
    }

    let shown = settings(&bot, &Member::admin(ADMIN), "show", json!([])).await;
    assert!(
        shown.text().contains("30 min *(default)*"),
        "{}",
        shown.text()
    );
    assert_eq!(zoom_calls(&bot.zoom), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_marks_defaults_set_saves_fields_and_reset_restores_them() {
    let bot = TestBot::start().await;
    let admin = Member::admin(ADMIN);

    let saved = settings(
        &bot,
        &admin,
        "set",
        json!([
            text("duration", "1h30m"),
            text("timezone", "america/new_york"),
            flag("mute_upon_entry", true),
            text("auto_recording", "cloud"),
            text("passcode", "none"),
        ]),
    )
    .await
    .text();
    assert!(saved.contains("Saved"), "{saved}");
    for shown in [
        "**duration**: 90 min",
        "**timezone**: America/New_York",
        "**mute_upon_entry**: on",
        "**auto_recording**: cloud",
        "**passcode**: none unless given",
        "**waiting_room**: Zoom account default *(default)*",
        "**host_user**: `me` *(default)*",
        "**creator_role**: everyone *(default)*",
    ] {
        assert!(saved.contains(shown), "{shown} in {saved}");
    }

    let reset = settings(&bot, &admin, "reset", json!([text("field", "duration")]))
        .await
        .text();
    assert!(
        reset.contains("**duration**: 30 min *(default)*"),
        "{reset}"
    );
    assert!(reset.contains("**timezone**: America/New_York"), "{reset}");

    let all = settings(&bot, &admin, "reset", json!([])).await.text();
    assert!(
        all.contains("**timezone**: UTC *(default)*") && !all.contains("cloud"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_and_an_empty_set_are_refused_and_change_nothing() {
    let bot = TestBot::start().await;
    let admin = Member::admin(ADMIN);

    let empty = settings(&bot, &admin, "set", json!([])).await;
    assert!(
        empty.content.contains("Nothing to change"),
        "{}",
        empty.content
    );
    let bad = settings(
        &bot,
        &admin,
        "set",
        json!([text("duration", "25h"), flag("waiting_room", true)]),
    )
    .await;
    assert!(bad.content.contains("24 hours"), "{}", bad.content);
    let zone = settings(
        &bot,
        &admin,
        "set",
        json!([text("timezone", "Mars/Olympus")]),
    )
    .await;
    assert!(zone.content.contains("Mars/Olympus"), "{}", zone.content);

    let shown = settings(&bot, &admin, "show", json!([])).await.text();
    assert!(
        shown.contains("**waiting_room**: Zoom account default *(default)*"),
        "a refused set changes no field: {shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_user_the_operator_did_not_allow_is_refused_without_asking_zoom() {
    // Allowed: the default host user and second@example.com (tests/support's configuration).
    let bot = TestBot::start().await;

    let refused = settings(
        &bot,
        &Member::admin(ADMIN),
        "set",
        json!([text("host_user", "ceo@example.com")]),
    )
    .await;

    assert!(
        refused.content.contains("ZOOM_HOST_USERS")
            && refused.content.contains("`ceo@example.com`"),
        "{}",
        refused.content
    );
    assert_eq!(
        zoom_calls(&bot.zoom),
        0,
        "nothing learnt about the account's users"
    );
    let shown = settings(&bot, &Member::admin(ADMIN), "show", json!([]))
        .await
        .text();
    assert!(shown.contains("**host_user**: `me` *(default)*"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_user_zoom_does_not_know_is_refused_before_it_is_saved() {
    let bot = TestBot::start_with(
        |config| config.zoom.allowed_host_users = vec!["*".to_owned()],
        None,
    )
    .await;
    let admin = Member::admin(ADMIN);

    let refused = settings(
        &bot,
        &admin,
        "set",
        json!([text("host_user", "nobody@example.com")]),
    )
    .await;
    assert!(
        refused
            .content
            .contains("Zoom has no user `nobody@example.com`"),
        "{}",
        refused.content
    );
    assert!(
        bot.zoom
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == "/v2/users/nobody@example.com"),
        "checked with Zoom"
    );

    bot.zoom.add_user("host-user-2", "second@example.com");
    let saved = settings(
        &bot,
        &admin,
        "set",
        json!([text("host_user", "second@example.com")]),
    )
    .await
    .text();
    assert!(saved.contains("`second@example.com`"), "{saved}");
    let (answer, _) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "Under the second host")]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert!(
        bot.zoom
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path == "/v2/users/second@example.com/meetings"),
        "created under the server's host user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_members_with_the_creator_role_may_schedule_once_it_is_set() {
    let bot = TestBot::start().await;
    let saved = settings(
        &bot,
        &Member::admin(ADMIN),
        "set",
        json!([{"name": "creator_role", "type": 8, "value": HOSTS_ROLE.to_string()}]),
    )
    .await
    .text();
    assert!(saved.contains(&format!("<@&{HOSTS_ROLE}>")), "{saved}");

    let (refused, public) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "No role")]))
        .await;
    assert!(public.is_none());
    assert!(
        refused
            .content
            .contains(&format!("only members with the <@&{HOSTS_ROLE}> role")),
        "{}",
        refused.content
    );
    assert_eq!(bot.zoom.meeting_count(), 0);

    let mut host = Member::regular(BOB);
    host.roles = vec![HOSTS_ROLE];
    let (answer, public) = bot.meet(&host, strings(&[("topic", "With role")])).await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert!(public.is_some());
    assert_eq!(bot.zoom.meeting_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_as_the_creator_role_restricts_no_one() {
    let bot = TestBot::start().await;
    // @everyone's role id is the server's id; Discord lists it in no member's roles.
    settings(
        &bot,
        &Member::admin(ADMIN),
        "set",
        json!([{"name": "creator_role", "type": 8, "value": FakeDiscord::GUILD_ID.to_string()}]),
    )
    .await;

    let (answer, _) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "Anyone may")]))
        .await;

    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meet_resolves_command_then_member_zone_then_server_settings_then_defaults() {
    let bot = TestBot::start().await;
    settings(
        &bot,
        &Member::admin(ADMIN),
        "set",
        json!([
            text("duration", "45m"),
            text("timezone", "Europe/Berlin"),
            flag("waiting_room", true),
            flag("join_before_host", false),
            text("auto_recording", "local"),
        ]),
    )
    .await;

    // Server settings only.
    let (_, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "Server rules"), ("when", "tomorrow 15:00")]),
        )
        .await;
    let footer = public.expect("posted").text();
    assert!(
        footer.contains("Europe/Berlin (this server's time zone)"),
        "{footer}"
    );

    // The member's own zone beats the server's.
    let (_, token) = bot
        .slash(
            &Member::regular(BOB),
            "meet-timezone",
            strings(&[("zone", "Asia/Tokyo")]),
        )
        .await;
    let confirmed = bot.answer(&token).await;
    assert!(
        confirmed.ephemeral && confirmed.content.contains("**Asia/Tokyo**"),
        "{}",
        confirmed.content
    );
    let (_, public) = bot
        .meet(
            &Member::regular(BOB),
            strings(&[("topic", "Bob's zone"), ("when", "tomorrow 15:00")]),
        )
        .await;
    assert!(
        public
            .expect("posted")
            .text()
            .contains("Asia/Tokyo (your time zone)"),
        "the footer names the member's zone"
    );

    // The command's options beat both.
    let mut options = strings(&[
        ("topic", "As given"),
        ("when", "tomorrow 15:00"),
        ("timezone", "America/Chicago"),
        ("duration", "20m"),
        ("recording", "none"),
    ]);
    options
        .as_array_mut()
        .expect("array")
        .push(flag("waiting_room", false));
    bot.meet(&Member::regular(BOB), options).await;

    let created = bot.zoom.meetings();
    assert_eq!(created.len(), 3);
    let body = |topic: &str| {
        bot.zoom
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/meetings"))
            .filter_map(|r| r.body)
            .find(|b| b["topic"] == topic)
            .unwrap_or_else(|| panic!("no create for {topic}"))
    };
    let server = body("Server rules");
    assert_eq!(server["duration"], 45);
    assert_eq!(server["timezone"], "Europe/Berlin");
    assert_eq!(server["settings"]["waiting_room"], true);
    assert_eq!(server["settings"]["join_before_host"], false);
    assert_eq!(server["settings"]["auto_recording"], "local");
    assert!(
        server["settings"].get("mute_upon_entry").is_none(),
        "unset fields are left to Zoom: {server}"
    );
    let member = body("Bob's zone");
    assert_eq!(member["timezone"], "Asia/Tokyo");
    assert_eq!(member["duration"], 45);
    let given = body("As given");
    assert_eq!(given["timezone"], "America/Chicago");
    assert_eq!(given["duration"], 20);
    assert_eq!(given["settings"]["waiting_room"], false);
    assert_eq!(given["settings"]["auto_recording"], "none");
    assert_eq!(given["settings"]["join_before_host"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_link_is_also_sent_by_dm_where_the_server_asks_and_closed_dms_are_no_failure() {
    let bot = TestBot::start().await;
    settings(
        &bot,
        &Member::admin(ADMIN),
        "set",
        json!([flag("dm_host_link", true)]),
    )
    .await;

    let (answer, _) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "DM me")]))
        .await;
    assert!(answer.content.contains("host link"), "{}", answer.content);
    let sent = bot
        .discord
        .wait_for(|d| !d.dms(ALICE).is_empty(), support::bot::PATIENCE)
        .await;
    assert!(sent, "no DM");
    let dm = &bot.discord.dms(ALICE)[0];
    assert!(dm.content.contains("zak="), "the DM has the start link");

    bot.discord.set_dms_closed(BOB, true);
    let (answer, public) = bot
        .meet(&Member::regular(BOB), strings(&[("topic", "DMs closed")]))
        .await;
    assert!(
        answer.content.contains("zak="),
        "the private answer has it: {}",
        answer.content
    );
    assert!(public.is_some(), "the channel still gets the meeting");
    assert!(bot.discord.dms(BOB).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_can_clear_their_time_zone_and_a_bad_one_is_refused() {
    let bot = TestBot::start().await;
    let member = Member::regular(ALICE);
    for (zone, expected) in [
        ("Mars/Olympus", "Mars/Olympus"),
        ("Europe/Paris", "**Europe/Paris**"),
        ("none", "cleared"),
    ] {
        let (_, token) = bot
            .slash(&member, "meet-timezone", strings(&[("zone", zone)]))
            .await;
        let answer = bot.answer(&token).await;
        assert!(
            answer.content.contains(expected),
            "{zone}: {}",
            answer.content
        );
    }
    let choices = bot
        .autocomplete(&member, "meet-timezone", strings(&[("zone", "berl")]))
        .await;
    assert!(
        choices.iter().any(|c| c["value"] == "Europe/Berlin"),
        "{choices:?}"
    );
}
