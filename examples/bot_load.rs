//! The whole bot under a burst of `/meet`s: starts the fake Discord and the fake Zoom, runs the
//! release `zoombot` binary against them, dispatches N interactions through the fake gateway and
//! prints one JSON line of figures.
//!
//! ```text
//! cargo build --release && cargo run --release --example bot_load
//! ```
//! Reads `N` (500), `SPREAD_S` (0: all at once; else interaction i at i×`SPREAD_S`/N s) and
//! `ZOOM_LATENCY_MS` (100).

#![allow(dead_code)]

#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;
#[path = "../tests/support/fake_zoom.rs"]
mod fake_zoom;

#[path = "support/figures.rs"]
mod figures;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Member};
use fake_zoom::FakeZoom;
use figures::{number, peak_rss_mb, percentile};

/// Starts the release binary next to this example against the fakes.
fn spawn_bot(
    discord: &FakeDiscord,
    zoom: &FakeZoom,
    data_dir: &std::path::Path,
) -> std::process::Child {
    let binary = std::env::current_exe()
        .expect("exe")
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("zoombot");
    Command::new(&binary)
        .env_clear()
        .envs([
            ("DISCORD_TOKEN", FakeDiscord::BOT_TOKEN.to_owned()),
            ("DISCORD_API_BASE", discord.url()),
            ("ZOOM_ACCOUNT_ID", FakeZoom::ACCOUNT_ID.to_owned()),
            ("ZOOM_CLIENT_ID", FakeZoom::CLIENT_ID.to_owned()),
            ("ZOOM_CLIENT_SECRET", FakeZoom::CLIENT_SECRET.to_owned()),
            ("ZOOM_API_BASE", zoom.api_base()),
            ("ZOOM_OAUTH_URL", zoom.oauth_url()),
            ("RUST_LOG", "warn".to_owned()),
            ("DATA_DIR", data_dir.display().to_string()),
        ])
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start {}: {e} (build it with cargo build --release)",
                binary.display()
            )
        })
}

/// Acknowledgement latencies (ms), completed `/meet`s and private host links.
fn tally(discord: &FakeDiscord, n: u64) -> (Vec<f64>, usize, usize) {
    let mut acks = Vec::new();
    let mut completed = 0;
    let mut private_links = 0;
    for i in 0..n {
        let id = 1_500_000_000_000_000_000 + i;
        let token = format!("load-{id}");
        if let Some(ack) = discord.ack_latency(&id.to_string()) {
            acks.push(ack.as_secs_f64() * 1000.0);
        }
        let original = discord.original(&token);
        if original
            .as_ref()
            .is_some_and(|m| m.ephemeral && m.content.contains("zak="))
        {
            private_links += 1;
        }
        if original.is_some_and(|m| !m.thinking)
            && discord.followups(&token).iter().any(|m| !m.ephemeral)
        {
            completed += 1;
        }
    }
    (acks, completed, private_links)
}

#[tokio::main]
async fn main() {
    let n: u64 = number("N", "500");
    let spread_s: f64 = number("SPREAD_S", "0");
    let latency: u64 = number("ZOOM_LATENCY_MS", "100");
    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    zoom.set_latency(Duration::from_millis(latency));
    zoom.set_recording(false);
    let data = tempfile::tempdir().expect("data dir");
    let mut child = spawn_bot(&discord, &zoom, data.path());
    assert!(
        discord
            .wait_for(
                |d| !d.registered_commands(None).is_empty(),
                Duration::from_secs(20)
            )
            .await,
        "bot not ready"
    );

    let began = Instant::now();
    for i in 0..n {
        if spread_s > 0.0 {
            #[allow(clippy::cast_precision_loss)]
            let at = Duration::from_secs_f64(i as f64 * spread_s / n as f64);
            tokio::time::sleep_until((began + at).into()).await;
        }
        let id = 1_500_000_000_000_000_000 + i;
        let payload = fake_discord::slash_command(
            id,
            &format!("load-{id}"),
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID,
            // One member each: a burst from many members, as at the top of the hour (and no
            // member's cooldown in the way).
            &Member::regular(1_400_000_000_000_000_000 + i),
            "meet",
            serde_json::json!([{"name": "topic", "type": 3, "value": format!("load {i}")}, {"name": "when", "type": 3, "value": "in 1h"}]),
        );
        discord.dispatch_interaction(payload).await;
    }
    let complete = |d: &FakeDiscord| {
        (0..n).all(|i| {
            let token = format!("load-{}", 1_500_000_000_000_000_000 + i);
            d.original(&token).is_some_and(|m| !m.thinking) && !d.followups(&token).is_empty()
        })
    };
    let all_done = discord.wait_for(complete, Duration::from_secs(120)).await;
    let wall_s = began.elapsed().as_secs_f64();
    let rss = peak_rss_mb(&child.id().to_string());
    let _ = child.kill();
    let _ = child.wait();

    let (mut acks, completed, private_links) = tally(&discord, n);
    acks.sort_by(f64::total_cmp);
    let late = acks.iter().filter(|a| **a > 3000.0).count();
    println!(
        "{{\"n\":{n},\"spread_s\":{spread_s},\"zoom_latency_ms\":{latency},\"all_done\":{all_done},\"wall_s\":{wall_s:.2},\
         \"ack_p50_ms\":{:.1},\"ack_p99_ms\":{:.1},\"ack_max_ms\":{:.1},\"acked\":{},\"late_acks\":{late},\
         \"completed\":{completed},\"private_links\":{private_links},\"zoom_meetings\":{},\"token_requests\":{},\
         \"bot_peak_rss_mb\":{rss:.1}}}",
        percentile(&acks, 50.0),
        percentile(&acks, 99.0),
        acks.last().copied().unwrap_or(0.0),
        acks.len(),
        zoom.meetings_created(),
        zoom.token_requests(),
    );
}
