//! Zoom's webhooks at scale, through the release `zoombot` binary and the fake Discord; prints
//! one JSON line per run.
//!
//! ```text
//! cargo build --release --bins --examples
//! ./target/release/examples/webhook_load
//! ```
//!
//! `MEETINGS` (2500) meetings are recorded with a public message each; then a `meeting.started`
//! and a `meeting.ended` for each, plus `DUPLICATE_PERCENT` (10) % of them again, are posted
//! signed over `SPREAD_S` (10) seconds, `IN_FLIGHT` (50) at a time, retried until answered 200
//! (as Zoom retries). Figures: the answers' p50/p99/max and each meeting's message edits at the
//! fake Discord: every message must end showing its meeting ended, with at most two edits (live,
//! then ended; one when an `ended` overtook its `started` in flight). The second run kills
//! the bot with SIGKILL `KILL_AT_S` (5) seconds in and starts it again on the same data: no event
//! answered 200 may be lost, none applied twice. Exits 1 when either fails.

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
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fake_discord::FakeDiscord;
use fake_zoom::FakeZoom;
use figures::{number, percentile};
use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use zoombot::ids::{ChannelId, GuildId, MemberId, MessageId};
use zoombot::secret::Secret;
use zoombot::store::{MeetingRecord, SledStore, Store};

const SECRET: &str = "webhook-load-secret";
const FIRST_MEETING: i64 = 90_000_000_000;

/// Records `n` meetings, each with a public message posted at the fake Discord.
async fn meetings(discord: &FakeDiscord, data: &Path, n: usize) -> Vec<u64> {
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v10/channels/{}/messages",
        discord.url(),
        FakeDiscord::CHANNEL_ID
    );
    let store = SledStore::open(data).expect("store");
    let start = Timestamp::now() + SignedDuration::from_hours(2);
    let mut messages = Vec::new();
    for i in 0..n {
        let posted: serde_json::Value = http
            .post(&url)
            .header("Authorization", format!("Bot {}", FakeDiscord::BOT_TOKEN))
            .json(&serde_json::json!({"content": format!("meeting {i}")}))
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("json");
        let message: u64 = posted["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("id");
        let record = MeetingRecord {
            guild: GuildId(FakeDiscord::GUILD_ID),
            channel: ChannelId(FakeDiscord::CHANNEL_ID),
            message: Some(MessageId(message)),
            creator: MemberId(1_400_000_000_000_000_001),
            zoom_id: FIRST_MEETING + i64::try_from(i).expect("small"),
            topic: format!("meeting {i}"),
            start,
            duration_minutes: 30,
            timezone: "UTC".to_owned(),
            cancelled: false,
            uuid: None,
            created_at: None,
            event: None,
            reminder_due: None,
            reminded: None,
            reminder_minutes: Some(0),
            series: None,
            skipped: Vec::new(),
            event_at: None,
            held: None,
            member_host: false,
        };
        store.put_meeting(&record).await.expect("put");
        messages.push(message);
    }
    store.flush().await.expect("flush");
    messages
}

/// The deliveries: a started and an ended per meeting (in that order), with duplicates of a
/// share of them sent again later.
fn deliveries(n: usize, duplicate_percent: usize) -> Vec<(usize, Vec<u8>)> {
    let now = Timestamp::now();
    let mut all = Vec::new();
    for i in 0..n {
        let id = (FIRST_MEETING + i64::try_from(i).expect("small")).to_string();
        for (k, kind) in ["meeting.started", "meeting.ended"].into_iter().enumerate() {
            let object = serde_json::json!({"id": id, "uuid": format!("inst-{i}"),
                "start_time": now.to_string(),
                "end_time": (now + SignedDuration::from_mins(30)).to_string()});
            let body = serde_json::json!({"event": kind, "event_ts": 1_700_000_000_000_i64 + i64::try_from(2 * i + k).expect("small"),
                "payload": {"account_id": "acc", "object": object}});
            all.push((i, serde_json::to_vec(&body).expect("json")));
        }
    }
    let duplicates: Vec<(usize, Vec<u8>)> = all
        .iter()
        .step_by(100 / duplicate_percent.max(1))
        .cloned()
        .collect();
    all.extend(duplicates);
    all
}

struct Run {
    answers_ms: Vec<f64>,
    acked: Vec<(usize, Instant)>,
}

/// Posts every delivery to `addr()`, retrying each until it is answered 200; `kill` runs once
/// at `kill_at`.
async fn send(
    all: &[(usize, Vec<u8>)],
    addr: &(dyn Fn() -> String + Sync),
    spread: Duration,
    in_flight: usize,
    kill: Option<(Duration, &(dyn Fn() + Sync))>,
) -> Run {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let began = Instant::now();
    let run = Mutex::new(Run {
        answers_ms: Vec::new(),
        acked: Vec::new(),
    });
    let killed = std::sync::atomic::AtomicBool::new(false);
    let n = all.len();
    futures_util::stream::iter(all.iter().enumerate())
        .map(|(k, (meeting, body))| {
            let (http, run, killed) = (&http, &run, &killed);
            async move {
                #[allow(clippy::cast_precision_loss)]
                let at = spread.mul_f64(k as f64 / n as f64);
                tokio::time::sleep_until((began + at).into()).await;
                if let Some((when, kill)) = kill
                    && began.elapsed() >= when
                    && !killed.swap(true, std::sync::atomic::Ordering::SeqCst)
                {
                    kill();
                }
                loop {
                    let ts = Timestamp::now().as_second().to_string();
                    let signature = zoombot::zoom::webhook::sign(&Secret::new(SECRET), &ts, body);
                    let sent = Instant::now();
                    let answer = http
                        .post(format!("{}/zoom/webhook", addr()))
                        .header("content-type", "application/json")
                        .header("x-zm-request-timestamp", ts)
                        .header("x-zm-signature", signature)
                        .body(body.clone())
                        .timeout(Duration::from_secs(3))
                        .send()
                        .await;
                    if answer.is_ok_and(|a| a.status().as_u16() == 200) {
                        let mut run = run.lock().expect("run");
                        run.answers_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
                        run.acked.push((*meeting, Instant::now()));
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        })
        .buffer_unordered(in_flight)
        .collect::<Vec<()>>()
        .await;
    run.into_inner().expect("run")
}

/// The upper bound of the `zoombot_webhook_apply_seconds` bucket (summed over events) that holds
/// quantile `q` of this bot's applied events, from its /metrics (since its start).
fn bucket(scrape: &str, q: f64) -> String {
    let mut by_le: std::collections::BTreeMap<String, f64> = std::collections::BTreeMap::new();
    for line in scrape
        .lines()
        .filter(|l| l.starts_with("zoombot_webhook_apply_seconds_bucket"))
    {
        let Some(le) = line.split("le=\"").nth(1).and_then(|r| r.split('"').next()) else {
            continue;
        };
        let count: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0.0);
        *by_le.entry(le.to_owned()).or_default() += count;
    }
    let total = by_le.get("+Inf").copied().unwrap_or(0.0);
    let mut bounds: Vec<(f64, f64)> = by_le
        .iter()
        .filter_map(|(le, c)| le.parse::<f64>().ok().map(|b| (b, *c)))
        .collect();
    bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    bounds
        .into_iter()
        .find(|(_, c)| *c >= q * total)
        .map_or_else(|| "\"+Inf\"".to_owned(), |(b, _)| b.to_string())
}

/// A loopback address no one listens on now: the bot's, kept across its restart.
fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").to_string()
}

fn spawn(discord: &FakeDiscord, zoom: &FakeZoom, data: &Path, addr: &str) -> std::process::Child {
    release_bot::spawn(
        discord,
        zoom,
        data,
        &[
            ("HTTP_ADDR", addr),
            ("PUBLIC_URL", "https://bot.example.com"),
            ("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET),
        ],
    )
}

/// Waits until the bot's HTTP server answers.
async fn ready(addr: &str) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    while http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the bot did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() {
    let n: usize = number("MEETINGS", "2500");
    let duplicate_percent: usize = number("DUPLICATE_PERCENT", "10");
    let spread = Duration::from_secs_f64(number("SPREAD_S", "10"));
    let in_flight: usize = number("IN_FLIGHT", "50");
    let kill_at = Duration::from_secs_f64(number("KILL_AT_S", "5"));
    let mut failed = false;
    for kill in [false, true] {
        let discord = FakeDiscord::start().await;
        let zoom = FakeZoom::start().await;
        zoom.set_recording(false);
        let data = tempfile::tempdir().expect("data dir");
        let messages = meetings(&discord, data.path(), n).await;
        let all = deliveries(n, duplicate_percent);
        let addr = free_addr();
        let child = Mutex::new(spawn(&discord, &zoom, data.path(), &addr));
        ready(&addr).await;
        // SIGKILL, and the same bot again on the same data and port (the sender retries
        // meanwhile, as Zoom does).
        let restart = || {
            let mut old = child.lock().expect("child");
            let _ = old.kill();
            let _ = old.wait();
            *old = spawn(&discord, &zoom, data.path(), &addr);
        };
        let base = format!("http://{addr}");
        let current = || base.clone();
        let run = send(
            &all,
            &current,
            spread,
            in_flight,
            kill.then_some((kill_at, &restart as &(dyn Fn() + Sync))),
        )
        .await;
        let edits = |d: &FakeDiscord| {
            d.requests()
                .into_iter()
                .filter(|r| r.method == "PATCH" && r.path.contains("/messages/"))
                .collect::<Vec<_>>()
        };
        // Done when every message shows its meeting ended (an `ended` that overtook its
        // `started` leaves one edit: the late `started` must not make it live again).
        let ended = |d: &FakeDiscord| {
            messages
                .iter()
                .all(|m| d.message(*m).is_some_and(|m| m.text().contains("Ended")))
        };
        let applied = discord.wait_for(ended, Duration::from_secs(60)).await;
        let done = edits(&discord);
        let mut per_message: HashMap<u64, usize> = HashMap::new();
        for r in &done {
            if let Some(id) = r.path.rsplit('/').next().and_then(|s| s.parse().ok()) {
                *per_message.entry(id).or_default() += 1;
            }
        }
        let lost = messages
            .iter()
            .filter(|m| {
                !discord
                    .message(**m)
                    .is_some_and(|m| m.text().contains("Ended"))
            })
            .count();
        let overtaken = messages
            .iter()
            .filter(|m| per_message.get(m).copied().unwrap_or(0) == 1)
            .count();
        let twice = messages
            .iter()
            .filter(|m| per_message.get(m).copied().unwrap_or(0) > 2)
            .count();
        let scrape = reqwest::get(format!("http://{addr}/metrics"))
            .await
            .map(reqwest::Response::text);
        let scrape = match scrape {
            Ok(text) => text.await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let (p50, p99) = (bucket(&scrape, 0.5), bucket(&scrape, 0.99));
        let mut answers = run.answers_ms.clone();
        answers.sort_by(f64::total_cmp);
        let slow = answers.iter().filter(|a| **a > 3000.0).count();
        {
            let mut c = child.lock().expect("child");
            let _ = c.kill();
            let _ = c.wait();
        }

        println!(
            "{{\"kill\":{kill},\"meetings\":{n},\"deliveries\":{},\"acked\":{},\"answer_p50_ms\":{:.1},\"answer_p99_ms\":{:.1},\
             \"answer_max_ms\":{:.1},\"over_3s\":{slow},\"edits\":{},\"ended_before_started\":{overtaken},\"lost\":{lost},\"applied_twice\":{twice},\"all_applied\":{applied},\"receipt_to_edit_p50_le_s\":{p50},\"receipt_to_edit_p99_le_s\":{p99}}}",
            all.len(),
            run.acked.len(),
            percentile(&answers, 50.0),
            percentile(&answers, 99.0),
            answers.last().copied().unwrap_or(0.0),
            done.len(),
        );
        failed |= lost > 0 || (!kill && twice > 0);
    }
    if failed {
        std::process::exit(1);
    }
}
