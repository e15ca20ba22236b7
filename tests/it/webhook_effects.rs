//! Zoom's webhook events through the whole bot: a signed `meeting.started` makes the meeting's
//! message live and its event active, `meeting.ended` shows how long it ran, a recording reaches
//! its host, and each event counts once however often Zoom delivers it.

use crate::support;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use support::bot::{PATIENCE, TestBot, strings};
use support::fake_discord::{FakeDiscord, Member};
use zoombot::config::WebhookConfig;
use zoombot::ids::GuildId;
use zoombot::secret::Secret;
use zoombot::store::{MemoryStore, Store};

use std::sync::Arc;

const ALICE: u64 = 1_400_000_000_000_000_001;
const SECRET: &str = "webhook-secret-token";

async fn bot() -> (TestBot, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let bot = TestBot::start_with(
        |config| {
            config.webhooks = Some(WebhookConfig {
                public_url: "https://bot.example.com".to_owned(),
                secret: Secret::new(SECRET),
            });
        },
        Some(Arc::clone(&store) as Arc<dyn Store>),
    )
    .await;
    (bot, store)
}

/// Posts `body` to the bot's endpoint signed as Zoom signs; the status.
async fn deliver(bot: &TestBot, body: &serde_json::Value) -> u16 {
    let body = serde_json::to_vec(body).unwrap();
    let ts = Timestamp::now().as_second().to_string();
    let signature = zoombot::zoom::webhook::sign(&Secret::new(SECRET), &ts, &body);
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("http://{}/zoom/webhook", bot.http_addr))
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", ts)
        .header("x-zm-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn zoom_event(kind: &str, id: i64, ts: i64, object: serde_json::Value) -> serde_json::Value {
    let mut object = object;
    object["id"] = json!(id.to_string());
    json!({"event": kind, "event_ts": ts, "payload": {"account_id": "acc", "object": object}})
}

/// Alice's meeting in three days, once the bot has noted its public message (Zoom's events
/// edit that message): its Zoom id and the message's id.
async fn meeting(bot: &TestBot, store: &MemoryStore) -> (i64, u64) {
    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "Live one"), ("when", "in 3 days 10:00")]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    let public = public.expect("posted");
    let id = bot.zoom.meetings()[0]["id"].as_i64().unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while store
        .meeting(GuildId(FakeDiscord::GUILD_ID), id)
        .await
        .unwrap()
        .and_then(|r| r.message)
        .is_none()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "message never noted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    (id, public.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_and_ended_edit_the_message_and_the_event_once_each_however_often_delivered() {
    let (bot, store) = bot().await;
    let (id, message) = meeting(&bot, &store).await;
    let started_at = Timestamp::now();
    let started = zoom_event(
        "meeting.started",
        id,
        1_000,
        json!({"uuid": "inst1", "start_time": started_at.to_string()}),
    );

    for _ in 0..3 {
        assert_eq!(deliver(&bot, &started).await, 200);
    }
    assert!(bot.message_shows(message, "Live now").await);
    let event = |d: &FakeDiscord| {
        d.scheduled_events(FakeDiscord::GUILD_ID)
            .first()
            .map(|e| e["status"].as_u64().unwrap_or(0))
    };
    assert!(
        bot.discord
            .wait_for(|d| event(d) == Some(2), PATIENCE)
            .await,
        "the event went active"
    );

    let ended = zoom_event(
        "meeting.ended",
        id,
        2_000,
        json!({"uuid": "inst1", "start_time": started_at.to_string(),
               "end_time": (started_at + SignedDuration::from_mins(47)).to_string()}),
    );
    assert_eq!(deliver(&bot, &ended).await, 200);
    assert_eq!(deliver(&bot, &started).await, 200, "a late redelivery");
    assert!(bot.message_shows(message, "after 47 min").await);
    assert!(
        bot.discord
            .wait_for(|d| event(d) == Some(3), PATIENCE)
            .await,
        "the event completed"
    );
    let shown = bot.discord.message(message).unwrap();
    assert!(shown.components.is_empty(), "nothing left to join or start");
    assert!(!shown.text().contains("Live now"), "not live again");
    let edits = bot
        .discord
        .requests_matching("PATCH", &format!("/messages/{message}"))
        .len();
    assert_eq!(edits, 2, "one edit per event, none for the duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_reaches_its_host_by_direct_message_with_its_passcode_and_never_a_download_link()
 {
    let (bot, store) = bot().await;
    let (id, _) = meeting(&bot, &store).await;
    let done = zoom_event(
        "recording.completed",
        id,
        3_000,
        json!({"uuid": "inst1", "share_url": "https://zoom.us/rec/share/abc",
               "recording_play_passcode": "p4ss",
               "recording_files": [{"download_url": "https://zoom.us/rec/download/secret"}]}),
    );

    assert_eq!(deliver(&bot, &done).await, 200);

    assert!(
        bot.discord
            .wait_for(|d| !d.dms(ALICE).is_empty(), PATIENCE)
            .await,
        "the host got it"
    );
    let dm = bot.discord.dms(ALICE).remove(0).text();
    assert!(
        dm.contains("https://zoom.us/rec/share/abc?pwd=p4ss"),
        "{dm}"
    );
    assert!(!dm.contains("download"), "{dm}");
    assert!(
        bot.discord
            .public_messages()
            .iter()
            .all(|m| !m.text().contains("rec/share")),
        "not in the channel"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_deleted_in_zoom_is_cancelled_in_discord_and_its_reminder_disarmed() {
    let (bot, store) = bot().await;
    let (id, message) = meeting(&bot, &store).await;

    let deleted = zoom_event("meeting.deleted", id, 4_000, json!({"uuid": "inst1"}));
    assert_eq!(deliver(&bot, &deleted).await, 200);

    assert!(bot.message_shows(message, "Cancelled").await);
    assert!(
        bot.discord
            .wait_for(
                |d| d.scheduled_events(FakeDiscord::GUILD_ID).is_empty(),
                PATIENCE
            )
            .await,
        "the event went"
    );
    bot.assert_still_serving().await;
}
