//! The store at scale: fills a data directory with `GUILDS` servers' settings (100,000), then
//! prints one JSON line: its size on disk, the latency of the settings lookups a /meet makes
//! (`Meetings::meet_defaults`: server settings + member preferences), and how long the release
//! binary takes from start to ready (commands registered) on that directory against the fake
//! Discord. Then the same on PostgreSQL (a second line): the same servers written to a fresh
//! database, the same lookups, and a replica's start to ready on it in `DISCORD_MODE=http`.
//!
//! ```text
//! cargo build --release && cargo run --release --example settings_scale
//! ```
//! Reads `GUILDS` (100000), `LOOKUPS` (100000), `STARTS` (5) and `DATABASE_URL` (unset: a
//! throwaway PostgreSQL started here as the tests start one; `none`: sled only).

// Shared with the tests and the other examples, each using part of it: the fakes are checked for
// dead code in the test crate, which uses all of them.
#[allow(dead_code)]
#[path = "../tests/it/support/fake_discord.rs"]
mod fake_discord;
#[allow(dead_code)]
#[path = "../tests/it/support/fake_zoom.rs"]
mod fake_zoom;

#[allow(dead_code)]
#[path = "../tests/it/support/discord_signature.rs"]
mod discord_signature;
#[allow(dead_code)]
#[path = "../tests/it/support/postgres.rs"]
mod postgres;

#[allow(dead_code)]
#[path = "support/figures.rs"]
mod figures;
#[allow(dead_code)]
#[path = "support/release_bot.rs"]
mod release_bot;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::FakeDiscord;
use fake_zoom::FakeZoom;
use figures::{number, percentile};
use zoombot::config::ZoomConfig;
use zoombot::ids::{ChannelId, GuildId, MemberId, RoleId};
use zoombot::meetings::{Meetings, Requester};
use zoombot::scheduling::Cooldown;
use zoombot::scheduling::plan::Recording;
use zoombot::secret::Secret;
use zoombot::store::{GuildSettings, PgStore, SettingsChange, SledStore, Store};

const FIRST_GUILD: u64 = 1_000_000_000_000_000_000;
const ZONES: [&str; 4] = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
];

/// A server with every field set: the largest record there is.
fn settings(i: u64) -> GuildSettings {
    GuildSettings {
        duration_minutes: Some(30 + u32::try_from(i % 60).unwrap_or(0)),
        timezone: Some(ZONES[usize::try_from(i % 4).unwrap_or(0)].to_owned()),
        waiting_room: Some(i.is_multiple_of(2)),
        join_before_host: Some(i.is_multiple_of(3)),
        mute_upon_entry: Some(true),
        auto_recording: Some(Recording::Cloud),
        auto_passcode: Some(true),
        host_user: Some(format!("host{i}@example.com")),
        dm_host_link: Some(false),
        creator_role: Some(RoleId(FIRST_GUILD + i)),
        cooldown: Some(Cooldown::DEFAULT),
        events: Some(i.is_multiple_of(5)),
        recordings: Some(zoombot::scheduling::settings::RecordingsTo::Channel),
        hosting: Some(zoombot::scheduling::settings::Hosting::LinkedOnly),
        reminder_minutes: Some(15 + u32::try_from(i % 45).unwrap_or(0)),
    }
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn service(store: Arc<dyn Store>) -> Meetings {
    // Never called: the lookups do not reach Zoom.
    let config = ZoomConfig {
        account_id: "unused".into(),
        client_id: "unused".into(),
        client_secret: Secret::new("unused"),
        api_base: "http://127.0.0.1:9".into(),
        oauth_url: "http://127.0.0.1:9/oauth/token".into(),
        host_user: "me".into(),
        allowed_host_users: Vec::new(),
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
    };
    let zoom = zoombot::zoom::ZoomClient::new(&config).expect("zoom client");
    Meetings::new(Arc::new(zoom), store)
}

/// Microseconds per `meet_defaults` call for `lookups` servers spread over all of them.
async fn lookups(service: &Meetings, guilds: u64, lookups: u64) -> Vec<f64> {
    // A fixed stride visits servers all over the key space, not neighbours.
    let stride = 7919;
    let mut out = Vec::new();
    for n in 0..lookups {
        let i = (n * stride) % guilds;
        let who = Requester {
            guild: GuildId(FIRST_GUILD + i),
            channel: ChannelId(1),
            member: MemberId(2_000_000_000_000_000_000 + n),
            manage_guild: false,
            roles: vec![RoleId(FIRST_GUILD + i)],
        };
        let began = Instant::now();
        let (found, _) = service.meet_defaults(&who).await.expect("lookup");
        out.push(began.elapsed().as_secs_f64() * 1e6);
        assert_eq!(found.host_user, settings(i).host_user);
    }
    out.sort_by(f64::total_cmp);
    out
}

/// Milliseconds from starting the release binary on `dir` (with `extra` variables) to its
/// commands being registered.
async fn start_to_ready(
    dir: &Path,
    discord: &FakeDiscord,
    zoom: &FakeZoom,
    extra: &[(&str, &str)],
) -> f64 {
    let registrations = |d: &FakeDiscord| d.requests_matching("PUT", "/commands").len();
    let before = registrations(discord);
    let began = Instant::now();
    let mut child = release_bot::spawn(discord, zoom, dir, extra);
    let ready = discord
        .wait_for(|d| registrations(d) > before, Duration::from_secs(30))
        .await;
    let ms = began.elapsed().as_secs_f64() * 1000.0;
    let _ = child.kill();
    let _ = child.wait();
    assert!(ready, "the bot did not become ready");
    ms
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    percentile(&values, 50.0)
}

#[tokio::main]
async fn main() {
    let guilds: u64 = number("GUILDS", "100000");
    let n_lookups: u64 = number("LOOKUPS", "100000");
    let starts: u32 = number("STARTS", "5");
    let data = tempfile::tempdir().expect("data dir");

    let began = Instant::now();
    {
        let store = SledStore::open(data.path()).expect("open");
        for i in 0..guilds {
            let wanted = settings(i);
            store
                .update_guild_settings(GuildId(FIRST_GUILD + i), SettingsChange::Set(&wanted))
                .await
                .expect("write");
        }
        store.flush().await.expect("flush");
    }
    let fill_s = began.elapsed().as_secs_f64();
    let size_mb =
        f64::from(u32::try_from(dir_size(data.path()) / 1000).unwrap_or(u32::MAX)) / 1000.0;

    let began = Instant::now();
    let store = SledStore::open(data.path()).expect("reopen");
    let open_ms = began.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(store.guild_count() as u64, guilds);
    let service = service(Arc::new(store));
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    for _ in 0..5 {
        let run = lookups(&service, guilds, n_lookups).await;
        p50.push(percentile(&run, 50.0));
        p99.push(percentile(&run, 99.0));
    }
    drop(service);

    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    let mut ready = Vec::new();
    for _ in 0..starts {
        ready.push(start_to_ready(data.path(), &discord, &zoom, &[]).await);
    }
    println!(
        "{}",
        serde_json::json!({
            "store": "sled",
            "guilds": guilds,
            "fill_s": (fill_s * 10.0).round() / 10.0,
            "data_dir_mb": (size_mb * 10.0).round() / 10.0,
            "open_ms": (open_ms * 10.0).round() / 10.0,
            "lookup_p50_us_median": (median(p50) * 10.0).round() / 10.0,
            "lookup_p99_us_median": (median(p99) * 10.0).round() / 10.0,
            "lookup_runs": 5,
            "lookups_per_run": n_lookups,
            "start_to_ready_ms_median": median(ready.clone()).round(),
            "start_to_ready_ms_runs": ready.iter().map(|r| r.round()).collect::<Vec<_>>(),
        })
    );
    if std::env::var("DATABASE_URL").is_ok_and(|v| v == "none") {
        return;
    }
    postgres_leg(guilds, n_lookups, starts, &discord, &zoom).await;
}

/// The same servers, lookups and starts on PostgreSQL.
async fn postgres_leg(
    guilds: u64,
    n_lookups: u64,
    starts: u32,
    discord: &FakeDiscord,
    zoom: &FakeZoom,
) {
    let server = match std::env::var("DATABASE_URL") {
        Ok(_) => None,
        Err(_) => Some(postgres::Server::start().expect("a throwaway PostgreSQL")),
    };
    let admin = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        server
            .as_ref()
            .map(|s| s.url("postgres"))
            .unwrap_or_default()
    });
    let url = postgres::create_database(&admin).await;
    let store = Arc::new(PgStore::connect(&url, 16).await.expect("connect"));
    let began = Instant::now();
    // Sixteen writers at once, as replicas' commands would arrive: the fill is not the figure.
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in (w..guilds).step_by(16) {
                    let wanted = settings(i);
                    store
                        .update_guild_settings(
                            GuildId(FIRST_GUILD + i),
                            SettingsChange::Set(&wanted),
                        )
                        .await
                        .expect("write");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }
    let fill_s = began.elapsed().as_secs_f64();
    let service = service(store);
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    for _ in 0..5 {
        let run = lookups(&service, guilds, n_lookups).await;
        p50.push(percentile(&run, 50.0));
        p99.push(percentile(&run, 99.0));
    }
    drop(service);
    let data = tempfile::tempdir().expect("data dir");
    let key = discord_signature::public_key_hex();
    let extra = [
        ("DATABASE_URL", url.as_str()),
        ("DISCORD_MODE", "http"),
        ("DISCORD_PUBLIC_KEY", key.as_str()),
    ];
    let mut ready = Vec::new();
    for _ in 0..starts {
        ready.push(start_to_ready(data.path(), discord, zoom, &extra).await);
    }
    println!(
        "{}",
        serde_json::json!({
            "store": "postgres",
            "guilds": guilds,
            "fill_s": (fill_s * 10.0).round() / 10.0,
            "lookup_p50_us_median": (median(p50) * 10.0).round() / 10.0,
            "lookup_p99_us_median": (median(p99) * 10.0).round() / 10.0,
            "lookup_runs": 5,
            "lookups_per_run": n_lookups,
            "start_to_ready_ms_median": median(ready.clone()).round(),
            "start_to_ready_ms_runs": ready.iter().map(|r| r.round()).collect::<Vec<_>>(),
        })
    );
}
