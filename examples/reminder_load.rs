//! Reminders at scale, through the release `zoombot` binary and the fakes; prints one JSON line.
//!
//! ```text
//! cargo build --release --bins --examples
//! ./target/release/examples/reminder_load
//! ```
//!
//! Two runs, each with a bot of its own:
//! - **due**: `N` (2000) meetings in `CHANNELS` (500) channels whose reminders fall due within
//!   `SPREAD_S` (60) seconds of each other, starting 20 s after the bot is ready. Every reminder
//!   must be posted, none twice; lateness (first seen posted − due) p50/p99 is printed next to
//!   the floor Discord's global limit of 50 requests/s would impose on that many posts.
//! - **pending**: `PENDING` (100,000) meetings with a reminder due days ahead, written into the
//!   data directory before the bot starts: the time from start to ready (its commands
//!   registered, so the gateway is up and the store open) and peak RSS, next to the same for an
//!   empty data directory.
//!
//! It exits with 1 when a reminder is missing or doubled.

#[allow(dead_code)]
#[path = "../tests/it/support/fake_discord.rs"]
mod fake_discord;
#[allow(dead_code)]
#[path = "../tests/it/support/fake_zoom.rs"]
mod fake_zoom;

#[allow(dead_code)]
#[path = "support/figures.rs"]
mod figures;
#[allow(dead_code)]
#[path = "support/release_bot.rs"]
mod release_bot;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use fake_discord::FakeDiscord;
use fake_zoom::FakeZoom;
use figures::{number, peak_rss_mb, percentile};
use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use zoombot::ids::{ChannelId, GuildId, MemberId};
use zoombot::store::{MeetingRecord, SledStore, Store};

const FIRST_CHANNEL: u64 = 1_300_000_000_000_000_000;
const CREATOR: u64 = 1_400_000_000_000_000_001;
const LEAD: SignedDuration = SignedDuration::from_mins(15);

fn record(zoom_id: i64, channel: u64, topic: String, start: Timestamp) -> MeetingRecord {
    MeetingRecord {
        guild: GuildId(FakeDiscord::GUILD_ID),
        channel: ChannelId(channel),
        message: None,
        creator: MemberId(CREATOR),
        zoom_id,
        topic,
        start,
        duration_minutes: 30,
        timezone: "UTC".to_owned(),
        cancelled: false,
        uuid: None,
        created_at: None,
        event: None,
        reminder_due: Some(start - LEAD),
        reminded: None,
        reminder_minutes: Some(15),
        series: None,
        skipped: Vec::new(),
        event_at: None,
        held: None,
        member_host: false,
    }
}

/// Starts the bot on `data`; returns it and how long it took to be ready.
async fn ready_bot(
    discord: &FakeDiscord,
    zoom: &FakeZoom,
    data: &Path,
) -> (std::process::Child, Duration) {
    let began = Instant::now();
    let child = release_bot::spawn(discord, zoom, data, &[]);
    assert!(
        discord
            .wait_for(
                |d| !d.registered_commands(None).is_empty(),
                Duration::from_secs(60)
            )
            .await,
        "bot not ready"
    );
    (child, began.elapsed())
}

fn stop(mut child: std::process::Child) -> f64 {
    let rss = peak_rss_mb(&child.id().to_string());
    let _ = child.kill();
    let _ = child.wait();
    rss
}

/// Creates `n` meetings at the fake Zoom, each starting at `start(i)`; their ids, creation
/// times and starts (in whole seconds, as Zoom keeps them), in order.
async fn zoom_meetings(
    zoom: &FakeZoom,
    n: usize,
    start: impl Fn(usize) -> Timestamp,
) -> Vec<(i64, Timestamp, Timestamp)> {
    let http = reqwest::Client::new();
    let token = zoom.issue_token();
    let url = format!("{}/users/me/meetings", zoom.api_base());
    let made: Vec<(usize, (i64, Timestamp, Timestamp))> = futures_util::stream::iter(0..n)
        .map(|i| {
            let body = serde_json::json!({
                "topic": format!("reminder {i}"),
                "type": 2,
                "start_time": start(i).strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "duration": 30,
            });
            let (http, token, url) = (&http, &token, &url);
            async move {
                loop {
                    let answer = http.post(url).bearer_auth(token).json(&body).send().await;
                    if let Ok(answer) = answer
                        && answer.status().is_success()
                        && let Ok(meeting) = answer.json::<serde_json::Value>().await
                    {
                        let id = meeting["id"].as_i64().expect("an id");
                        let time = |field: &str| -> Timestamp {
                            meeting[field]
                                .as_str()
                                .and_then(|t| t.parse().ok())
                                .expect("a time")
                        };
                        return (i, (id, time("created_at"), time("start_time")));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        })
        .buffer_unordered(50)
        .collect()
        .await;
    let mut made = made;
    made.sort_by_key(|(i, _)| *i);
    made.into_iter().map(|(_, m)| m).collect()
}

#[tokio::main]
#[allow(clippy::too_many_lines, clippy::cast_precision_loss)] // one run, read top to bottom
async fn main() {
    let n: usize = number("N", "2000");
    let channels: u64 = number("CHANNELS", "500");
    let spread_s: f64 = number("SPREAD_S", "60");
    let pending: usize = number("PENDING", "100000");

    // ---- due: N reminders within a minute ------------------------------------------------
    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    zoom.set_recording(false);
    let first_due = Timestamp::now() + SignedDuration::from_secs(30);
    let due_of =
        |i: usize| first_due + SignedDuration::from_secs_f64(spread_s * i as f64 / n as f64);
    let made = zoom_meetings(&zoom, n, |i| due_of(i) + LEAD).await;
    let data = tempfile::tempdir().expect("data dir");
    {
        let store = SledStore::open(data.path()).expect("store");
        for (i, (id, created, start)) in made.iter().enumerate() {
            let mut r = record(
                *id,
                FIRST_CHANNEL + i as u64 % channels,
                format!("reminder {i}"),
                *start,
            );
            r.created_at = Some(*created);
            store.put_meeting(&r).await.expect("put");
        }
        store.flush().await.expect("flush");
    }
    let (bot, _) = ready_bot(&discord, &zoom, data.path()).await;
    let mut seen: HashMap<usize, Timestamp> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs_f64(spread_s + 120.0);
    let mut checked = 0;
    while seen.len() < n && Instant::now() < deadline {
        let posts = discord.requests_matching("POST", "/channels/");
        let now = Timestamp::now();
        for post in posts.iter().skip(checked) {
            let content = post
                .body
                .as_ref()
                .and_then(|b| b["content"].as_str())
                .unwrap_or_default();
            if let Some(i) = content
                .split("**reminder ")
                .nth(1)
                .and_then(|rest| rest.split("**").next())
                .and_then(|i| i.parse().ok())
            {
                seen.entry(i).or_insert(now);
            }
        }
        checked = posts.len();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let posts_made = discord.requests_matching("POST", "/channels/").len();
    let _ = stop(bot);
    let mut messages: HashMap<String, usize> = HashMap::new();
    for c in 0..channels {
        for m in discord.channel_messages(FIRST_CHANNEL + c) {
            *messages.entry(m.content.clone()).or_default() += 1;
        }
    }
    let doubled = messages.values().filter(|c| **c > 1).count();
    let mut lateness: Vec<f64> = seen
        .iter()
        .map(|(i, at)| at.duration_since(made[*i].2 - LEAD).as_secs_f64())
        .collect();
    lateness.sort_by(f64::total_cmp);
    // Posted as fast as Discord's global 50/s allows, the k-th post leaves k/50 s after the first
    // due; against each one's own due time, that is the least lateness possible.
    let mut floor: Vec<f64> = (0..n)
        .map(|i| (i as f64 / 50.0 - spread_s * i as f64 / n as f64).max(0.0))
        .collect();
    floor.sort_by(f64::total_cmp);

    // ---- pending: start with 100,000 reminders ahead ----------------------------------------
    let discord = FakeDiscord::start().await;
    let empty = tempfile::tempdir().expect("data dir");
    let (bot, empty_ready) = ready_bot(&discord, &zoom, empty.path()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let empty_rss = stop(bot);
    let full = tempfile::tempdir().expect("data dir");
    {
        let store = SledStore::open(full.path()).expect("store");
        let start = Timestamp::now() + SignedDuration::from_hours(24 * 5);
        for i in 0..pending {
            let r = record(
                i64::try_from(i).expect("small") + 10_000_000_000,
                FIRST_CHANNEL + i as u64 % channels,
                format!("pending {i}"),
                start + SignedDuration::from_secs(i64::try_from(i).expect("small")),
            );
            store.put_meeting(&r).await.expect("put");
        }
        store.flush().await.expect("flush");
    }
    let discord = FakeDiscord::start().await;
    let (bot, full_ready) = ready_bot(&discord, &zoom, full.path()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let full_rss = stop(bot);

    let missing = n - seen.len();
    println!(
        "{{\"due\":{{\"n\":{n},\"channels\":{channels},\"spread_s\":{spread_s},\"posted\":{},\"missing\":{missing},\
         \"doubled\":{doubled},\"post_requests\":{posts_made},\"lateness_p50_s\":{:.2},\"lateness_p99_s\":{:.2},\
         \"floor_p50_s\":{:.2},\"floor_p99_s\":{:.2}}},\"pending\":{{\"n\":{pending},\"ready_s\":{:.2},\
         \"empty_ready_s\":{:.2},\"peak_rss_mb\":{full_rss:.1},\"empty_peak_rss_mb\":{empty_rss:.1},\
         \"rss_growth_mb\":{:.1}}}}}",
        seen.len(),
        percentile(&lateness, 50.0),
        percentile(&lateness, 99.0),
        percentile(&floor, 50.0),
        percentile(&floor, 99.0),
        full_ready.as_secs_f64(),
        empty_ready.as_secs_f64(),
        full_rss - empty_rss,
    );
    if missing > 0 || doubled > 0 {
        eprintln!("reminder_load: {missing} missing, {doubled} doubled");
        std::process::exit(1);
    }
}
