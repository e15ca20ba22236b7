//! Abuse: a member's cooldown on /meet, and an interaction delivered twice.

use crate::support;

use support::bot::{PATIENCE, TestBot, strings};
use support::fake_discord::{self, FakeDiscord, Member};
use support::fake_zoom::CreateFailure;

const ALICE: u64 = 1_400_000_000_000_000_001;
const BOB: u64 = 1_400_000_000_000_000_002;
const ADMIN: u64 = 1_400_000_000_000_000_003;

async fn set_cooldown(bot: &TestBot, value: &str) -> String {
    bot.run_sub(
        &Member::admin(ADMIN),
        "meet-settings",
        "set",
        strings(&[("cooldown", value)]),
    )
    .await
    .text()
}

async fn meet(bot: &TestBot, member: u64, topic: &str) -> String {
    bot.meet(&Member::regular(member), strings(&[("topic", topic)]))
        .await
        .0
        .content
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_gets_five_meetings_in_ten_minutes_by_default_and_is_told_when_the_next_frees_up()
{
    let bot = TestBot::start().await;
    for i in 0..5 {
        let answer = meet(&bot, ALICE, &format!("Burst {i}")).await;
        assert!(answer.starts_with("Scheduled"), "{i}: {answer}");
    }

    let refused = meet(&bot, ALICE, "One too many").await;

    assert!(
        refused.contains("5 meetings per member in 10 minutes") && refused.contains(":R>"),
        "{refused}"
    );
    assert_eq!(
        bot.zoom.meeting_count(),
        5,
        "no Zoom call for the refused one"
    );
    let other = meet(&bot, BOB, "Someone else").await;
    assert!(
        other.starts_with("Scheduled"),
        "the limit is per member: {other}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sets_its_own_limit_and_a_failed_creation_does_not_count() {
    let bot = TestBot::start().await;
    let saved = set_cooldown(&bot, "1/1h").await;
    assert!(saved.contains("1 per 60 min per member"), "{saved}");

    // The client checks for the meeting and sends again after each 503, three sends in all:
    // fail every one.
    bot.zoom
        .fail_next_creates(3, CreateFailure::BeforeCreate(503));
    let failed = meet(&bot, ALICE, "Zoom hiccup").await;
    assert!(!failed.starts_with("Scheduled"), "{failed}");
    let first = meet(&bot, ALICE, "First").await;
    assert!(
        first.starts_with("Scheduled"),
        "the failure cost nothing: {first}"
    );
    let second = meet(&bot, ALICE, "Second").await;
    assert!(
        second.contains("1 meetings per member in 60 minutes"),
        "{second}"
    );

    let bad = set_cooldown(&bot, "lots").await;
    assert!(bad.contains("\"5/10m\""), "{bad}");
    let off = set_cooldown(&bot, "off").await;
    assert!(off.contains("**cooldown**: off"), "{off}");
    let third = meet(&bot, ALICE, "Third").await;
    assert!(third.starts_with("Scheduled"), "{third}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_interaction_delivered_twice_creates_one_meeting() {
    let bot = TestBot::start().await;
    let payload = fake_discord::slash_command(
        1_300_000_000_000_009_999,
        "replayed-token",
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &Member::regular(ALICE),
        "meet",
        strings(&[("topic", "Delivered twice")]),
    );

    bot.discord.dispatch_interaction(payload.clone()).await;
    bot.discord.dispatch_interaction(payload).await;
    let answer = bot.answer("replayed-token").await;
    // A later interaction, handled after both deliveries: by then a duplicate would have acted.
    let after = meet(&bot, BOB, "Afterwards").await;

    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert!(after.starts_with("Scheduled"), "{after}");
    assert!(
        bot.discord
            .wait_for(|d| d.followups("replayed-token").len() == 1, PATIENCE)
            .await
    );
    assert_eq!(
        bot.zoom.meeting_count(),
        2,
        "one for the replayed interaction, one after"
    );
    let callbacks = bot
        .discord
        .requests_matching("POST", "/interactions/1300000000000009999/")
        .len();
    assert_eq!(callbacks, 1, "acknowledged once");
}
