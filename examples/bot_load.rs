//! The whole bot under a burst of `/meet`s: starts the fake Discord and the fake Zoom, runs the
//! release `zoombot` binary against them, dispatches N interactions through the fake gateway and
//! prints one JSON line of figures. It exits with 1 when an invariant fails, so it doubles as a
//! check.
//!
//! ```text
//! cargo build --release --bins --examples
//! N=2000 SPREAD_S=10 ZOOM_LATENCY_MS=100 FAULT_PERCENT=5 REVOKE_EVERY_S=3 ./target/release/examples/bot_load
//! ```
//!
//! Knobs, with their defaults:
//! - `N` (500): interactions, each from its own member (so no member's cooldown is in the way)
//!   with its own topic, `load {i}`;
//! - `SPREAD_S` (0): 0 dispatches them all at once; else interaction i goes at i×`SPREAD_S`/N s;
//! - `ZOOM_LATENCY_MS` (100): the time the fake Zoom takes to answer anything;
//! - `FAULT_PERCENT` (0): the share of Zoom API requests that fail at random, in the fake's mix
//!   of 5xx before and after creating, timeouts after creating and per-second 429s
//!   (`FakeZoom::set_fault_rate`); fractions work (0.5);
//! - `ZOOM_REQUEST_TIMEOUT` (2s): handed to the bot (its own default is 15s); the fake holds a
//!   timeout-like create answer 1 s longer than this, so the bot times out on it;
//! - `REVOKE_EVERY_S` (0: never): every that many seconds while interactions are being
//!   dispatched, every Zoom token is revoked (so more Zoom calls follow each revocation);
//! - `SERVERS` (1): interaction i comes from server i mod `SERVERS`;
//! - `LOOKALIKE` (0): 1 gives every server the same meetings — interaction i schedules
//!   `sync {i / SERVERS}` for tomorrow 15:00, so each topic and start is asked for once in every
//!   server, and an ambiguous create faces look-alikes of other servers.
//! - `LIFECYCLE` (1): 0 turns every server's Discord events and reminders off (server settings
//!   written before the bot starts), to compare a run with them against one without.
//!
//! Each interaction ends `scheduled` (the private answer has the host link), `told_error` (a
//! private refusal: legitimate for a fault the client cannot resolve) or `no_answer`. Invariants:
//! every interaction acknowledged and none later than 3 s; none without an answer; no meeting
//! `lost` (at Zoom, but its member was not told of it or the bot's store has no record of it),
//! `duplicated` (more than one Zoom meeting for one interaction) or `phantom` (a member was told
//! of a meeting Zoom does not have); no host link `crossed` (one meeting told to two members, or
//! recorded for another server than its member's); Zoom token requests = 1 + revocations.

// Shared with the tests and the other examples, each using part of it: the fakes are checked for
// dead code in the test crate, which uses all of them.
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

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Member};
use fake_zoom::FakeZoom;
use figures::{number, peak_rss_mb, percentile};
use zoombot::ids::GuildId;
use zoombot::store::{GuildSettings, SettingsChange, SledStore, Store};

const FIRST_INTERACTION: u64 = 1_500_000_000_000_000_000;
const FIRST_MEMBER: u64 = 1_400_000_000_000_000_000;

fn token(i: u64) -> String {
    format!("load-{}", FIRST_INTERACTION + i)
}

/// How an interaction ended, as its member saw it.
enum Outcome {
    /// The private answer carries the host link of this Zoom meeting.
    Scheduled { meeting: i64, public: bool },
    /// The private answer is a refusal.
    ToldError,
    /// Still "thinking", or nothing at all.
    NoAnswer,
}

fn outcome(discord: &FakeDiscord, i: u64) -> Outcome {
    let token = token(i);
    match discord.original(&token) {
        Some(m) if !m.thinking => {
            // The host link is `https://zoom.us/s/{meeting id}?zak=…`.
            let meeting = m
                .content
                .split("zoom.us/s/")
                .nth(1)
                .and_then(|rest| rest.split('?').next())
                .and_then(|id| id.parse().ok());
            match meeting {
                Some(meeting) => Outcome::Scheduled {
                    meeting,
                    public: discord.followups(&token).iter().any(|m| !m.ephemeral),
                },
                None => Outcome::ToldError,
            }
        }
        _ => Outcome::NoAnswer,
    }
}

/// Whether interaction `i` has had every answer it will get.
fn finished(discord: &FakeDiscord, i: u64) -> bool {
    match outcome(discord, i) {
        Outcome::Scheduled { public, .. } => public,
        Outcome::ToldError => true,
        Outcome::NoAnswer => false,
    }
}

#[tokio::main]
#[allow(clippy::too_many_lines)] // one run, read top to bottom
async fn main() {
    let n: u64 = number("N", "500");
    let spread_s: f64 = number("SPREAD_S", "0");
    let latency: u64 = number("ZOOM_LATENCY_MS", "100");
    let fault_percent: f64 = number("FAULT_PERCENT", "0");
    let revoke_every_s: f64 = number("REVOKE_EVERY_S", "0");
    let servers: u64 = number("SERVERS", "1");
    let lookalike = number::<u8>("LOOKALIKE", "0") == 1;
    let guild_of = |i: u64| FakeDiscord::GUILD_ID + i % servers;
    let request_timeout = std::env::var("ZOOM_REQUEST_TIMEOUT").unwrap_or_else(|_| "2s".to_owned());
    let timeout = humantime::parse_duration(&request_timeout)
        .expect("ZOOM_REQUEST_TIMEOUT must be a duration like 2s");

    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    zoom.set_latency(Duration::from_millis(latency));
    // The percentage as per mille; the cast is of a number from 0 to 1000.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let per_mille = (fault_percent * 10.0).round().clamp(0.0, 1000.0) as u32;
    zoom.set_fault_rate(per_mille, timeout + Duration::from_secs(1));
    zoom.set_recording(false);
    let data = tempfile::tempdir().expect("data dir");
    if number::<u8>("LIFECYCLE", "1") == 0 {
        let store = SledStore::open(data.path()).expect("store");
        let off = GuildSettings {
            events: Some(false),
            reminder_minutes: Some(0),
            ..GuildSettings::default()
        };
        for g in 0..servers {
            let guild = GuildId(FakeDiscord::GUILD_ID + g);
            store
                .update_guild_settings(guild, SettingsChange::Set(&off))
                .await
                .expect("settings");
        }
        store.flush().await.expect("flush");
    }
    let mut child = release_bot::spawn(
        &discord,
        &zoom,
        data.path(),
        &[
            ("ZOOM_REQUEST_TIMEOUT", request_timeout.as_str()),
            // The load is the point here, not the operator's daily limits.
            ("ZOOM_HOST_DAILY_LIMIT", "1000000"),
            ("MEETINGS_PER_SERVER_PER_DAY", "1000000"),
        ],
    );
    assert!(
        discord
            .wait_for(
                |d| !d.registered_commands(None).is_empty(),
                Duration::from_secs(20)
            )
            .await,
        "bot not ready"
    );

    let revoke_every = (revoke_every_s > 0.0).then(|| Duration::from_secs_f64(revoke_every_s));
    let mut revocations = 0u32;
    let began = Instant::now();
    for i in 0..n {
        if spread_s > 0.0 {
            #[allow(clippy::cast_precision_loss)]
            let at = Duration::from_secs_f64(i as f64 * spread_s / n as f64);
            tokio::time::sleep_until((began + at).into()).await;
        }
        // Revoked here, between dispatches, so every revocation is followed by more Zoom calls
        // and must cost exactly one token request.
        if let Some(every) = revoke_every {
            while began.elapsed() >= every * (revocations + 1) {
                zoom.revoke_tokens();
                revocations += 1;
            }
        }
        let id = FIRST_INTERACTION + i;
        let (topic, when) = if lookalike {
            (format!("sync {}", i / servers), "tomorrow 15:00")
        } else {
            (format!("load {i}"), "in 1h")
        };
        let payload = fake_discord::slash_command(
            id,
            &token(i),
            guild_of(i),
            FakeDiscord::CHANNEL_ID,
            // One member each: a burst from many members, as at the top of the hour (and no
            // member's cooldown in the way).
            &Member::regular(FIRST_MEMBER + i),
            "meet",
            serde_json::json!([{"name": "topic", "type": 3, "value": topic}, {"name": "when", "type": 3, "value": when}]),
        );
        discord.dispatch_interaction(payload).await;
    }
    // wait_for re-checks after every request the bot makes: start where the last check stopped,
    // or the check itself would compete with the bot for the CPU.
    let checked = AtomicU64::new(0);
    let all_done = |d: &FakeDiscord| {
        let mut i = checked.load(Relaxed);
        while i < n && finished(d, i) {
            i += 1;
        }
        checked.store(i, Relaxed);
        i == n
    };
    let all_done = discord.wait_for(all_done, Duration::from_secs(120)).await;
    let wall_s = began.elapsed().as_secs_f64();
    let rss = peak_rss_mb(&child.id().to_string());
    // SIGKILL: what the bot told a member must already be durable (it flushes before answering).
    let _ = child.kill();
    let _ = child.wait();

    let mut acks = Vec::new();
    let (mut completed, mut told_error, mut no_answer) = (0, 0, 0);
    let mut told = BTreeSet::new();
    let mut told_to: HashMap<i64, Vec<u64>> = HashMap::new();
    for i in 0..n {
        if let Some(ack) = discord.ack_latency(&(FIRST_INTERACTION + i).to_string()) {
            acks.push(ack.as_secs_f64() * 1000.0);
        }
        match outcome(&discord, i) {
            Outcome::Scheduled { meeting, public } => {
                told.insert(meeting);
                told_to.entry(meeting).or_default().push(i);
                completed += usize::from(public);
            }
            Outcome::ToldError => told_error += 1,
            Outcome::NoAnswer => no_answer += 1,
        }
    }
    acks.sort_by(f64::total_cmp);
    let late = acks.iter().filter(|a| **a > 3000.0).count();

    let store = SledStore::open(data.path()).expect("the bot's store");
    let mut recorded = BTreeSet::new();
    let mut crossed = 0;
    for g in 0..servers {
        let guild = FakeDiscord::GUILD_ID + g;
        for r in store
            .guild_meetings(GuildId(guild))
            .await
            .expect("recorded meetings")
            .iter()
            .filter(|r| !r.cancelled)
        {
            recorded.insert(r.zoom_id);
            let members = told_to.get(&r.zoom_id).map_or(&[][..], Vec::as_slice);
            crossed += members.iter().filter(|i| guild_of(**i) != guild).count();
        }
    }
    crossed += told_to
        .values()
        .map(|members| members.len() - 1)
        .sum::<usize>();
    let at_zoom = zoom.meetings();
    let mut per_topic: HashMap<&str, usize> = HashMap::new();
    for m in &at_zoom {
        *per_topic
            .entry(m["topic"].as_str().unwrap_or(""))
            .or_default() += 1;
    }
    // Each look-alike topic is asked for once in every server.
    let asked_per_topic = if lookalike {
        usize::try_from(servers).unwrap_or(usize::MAX)
    } else {
        1
    };
    let duplicated: usize = per_topic
        .values()
        .map(|c| c.saturating_sub(asked_per_topic))
        .sum();
    let zoom_ids: BTreeSet<i64> = at_zoom.iter().filter_map(|m| m["id"].as_i64()).collect();
    let lost = zoom_ids
        .iter()
        .filter(|id| !(told.contains(id) && recorded.contains(id)))
        .count();
    let phantom = told.difference(&zoom_ids).count();
    let faults = zoom.fault_counts();
    let token_requests = zoom.token_requests();

    let mut failed = Vec::new();
    #[allow(clippy::cast_possible_truncation)] // n interactions fit a usize
    let n_usize = n as usize;
    for (name, bad) in [
        ("unacknowledged", acks.len() != n_usize),
        ("late_acks", late > 0),
        ("no_answer", no_answer > 0),
        ("lost", lost > 0),
        ("duplicated", duplicated > 0),
        ("phantom", phantom > 0),
        ("crossed", crossed > 0),
        ("token_requests", token_requests != 1 + revocations as usize),
    ] {
        if bad {
            failed.push(name);
        }
    }
    println!(
        "{{\"n\":{n},\"spread_s\":{spread_s},\"zoom_latency_ms\":{latency},\"fault_percent\":{fault_percent},\
         \"zoom_request_timeout\":\"{request_timeout}\",\"revoke_every_s\":{revoke_every_s},\"all_done\":{all_done},\
         \"wall_s\":{wall_s:.2},\"ack_p50_ms\":{:.1},\"ack_p99_ms\":{:.1},\"ack_max_ms\":{:.1},\"acked\":{},\
         \"late_acks\":{late},\"scheduled\":{},\"completed\":{completed},\"told_error\":{told_error},\
         \"no_answer\":{no_answer},\"zoom_meetings\":{},\"recorded\":{},\"lost\":{lost},\"duplicated\":{duplicated},\
         \"phantom\":{phantom},\"servers\":{servers},\"lookalike\":{lookalike},\"crossed\":{crossed},\"faults\":{{\"create_500_before\":{},\"create_500_after\":{},\"create_timeout_after\":{},\
         \"other_5xx\":{},\"per_second_429\":{}}},\"revocations\":{revocations},\"token_requests\":{token_requests},\
         \"bot_peak_rss_mb\":{rss:.1},\"failed\":{failed:?}}}",
        percentile(&acks, 50.0),
        percentile(&acks, 99.0),
        acks.last().copied().unwrap_or(0.0),
        acks.len(),
        told.len(),
        zoom_ids.len(),
        recorded.len(),
        faults.create_error_before,
        faults.create_error_after,
        faults.create_held,
        faults.server_errors,
        faults.rate_limited,
    );
    if !failed.is_empty() {
        eprintln!("bot_load: invariants failed: {}", failed.join(", "));
        std::process::exit(1);
    }
}
