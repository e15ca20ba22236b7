//! The HTTP server against a flood of idle connections: starts the fakes and the release
//! `zoombot` binary at a soft limit of 1,024 open files (as many systems start a process), opens
//! N connections to its `HTTP_ADDR` that never send a byte, and prints one JSON line: `/healthz`
//! latency before and during the flood (each probe on a new connection, as an orchestrator's),
//! probes that failed, whether a `/meet` still succeeded, and the bot's open files and limits.
//!
//! ```text
//! cargo build --release --bins --examples
//! N=2000 PROBES=50 ./target/release/examples/idle_connections
//! ```
//!
//! Knobs, with their defaults: `N` (2000) idle connections; `PROBES` (50) `/healthz` requests
//! before and again during the flood; `NOFILE` (1024) the soft open-file limit the bot starts
//! with (its hard limit is this process's). Exits with 1 when a probe during the flood failed or
//! the `/meet` did not succeed.

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

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Member};
use fake_zoom::FakeZoom;
use figures::{number, percentile};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use tokio::net::TcpStream;

const PATIENCE: Duration = Duration::from_secs(10);

/// Sets this process's soft open-file limit (the hard one unchanged); a child inherits it.
fn set_soft_nofile(soft: Option<u64>) {
    let hard = getrlimit(Resource::Nofile).maximum;
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: soft.or(hard),
            maximum: hard,
        },
    )
    .expect("setrlimit");
}

/// `probes` `GET /healthz`, each on a new connection: sorted latencies in ms of the 200s, and
/// how many were not 200 (or not answered within `PATIENCE`).
async fn probe(addr: SocketAddr, probes: usize) -> (Vec<f64>, usize) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(PATIENCE)
        .build()
        .expect("client");
    let (mut ok, mut failed) = (Vec::new(), 0);
    for _ in 0..probes {
        let began = Instant::now();
        match client.get(format!("http://{addr}/healthz")).send().await {
            Ok(r) if r.status() == 200 => ok.push(began.elapsed().as_secs_f64() * 1000.0),
            _ => failed += 1,
        }
    }
    ok.sort_by(f64::total_cmp);
    (ok, failed)
}

/// The soft and hard "Max open files" of `pid`, and how many it has open.
fn open_files(pid: u32) -> (String, String, usize) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    let mut fields = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned);
    let open = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count);
    (
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default(),
        open,
    )
}

#[tokio::main]
async fn main() {
    let n: usize = number("N", "2000");
    let probes: usize = number("PROBES", "50");
    let nofile: u64 = number("NOFILE", "1024");

    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    let data = tempfile::tempdir().expect("data dir");
    // A port free a moment ago: the bot's warn-level log does not say which port 0 became.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    set_soft_nofile(Some(nofile));
    // A directory the bot makes, so it is private (an existing one would be warned about).
    let mut child = release_bot::spawn(
        &discord,
        &zoom,
        &data.path().join("data"),
        &[("HTTP_ADDR", &addr.to_string())],
    );
    // Back up, to hold the strangers' side of N connections.
    set_soft_nofile(None);
    assert!(
        discord
            .wait_for(
                |d| !d.registered_commands(None).is_empty(),
                Duration::from_secs(20)
            )
            .await,
        "bot not ready"
    );

    let (quiet, quiet_failed) = probe(addr, probes).await;
    let began = Instant::now();
    let mut strangers = Vec::with_capacity(n);
    for _ in 0..n {
        match tokio::time::timeout(PATIENCE, TcpStream::connect(addr)).await {
            Ok(Ok(conn)) => strangers.push(conn),
            _ => break,
        }
    }
    let connect_s = began.elapsed().as_secs_f64();
    let (flooded, flooded_failed) = probe(addr, probes).await;

    let token = "idle-connections-meet";
    let payload = fake_discord::slash_command(
        1_500_000_000_000_000_001,
        token,
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &Member::regular(1_400_000_000_000_000_001),
        "meet",
        serde_json::json!([{"name": "topic", "type": 3, "value": "Under a flood"}]),
    );
    let meet_began = Instant::now();
    discord.dispatch_interaction(payload).await;
    let meet_ok = discord
        .wait_for(
            |d| {
                d.original(token)
                    .is_some_and(|m| m.content.starts_with("Scheduled"))
                    && !d.followups(token).is_empty()
            },
            PATIENCE,
        )
        .await;
    let meet_ms = meet_began.elapsed().as_secs_f64() * 1000.0;
    let (soft, hard, bot_open_files) = open_files(child.id());
    let _ = child.kill();
    let _ = child.wait();

    println!(
        "{{\"n\":{n},\"connected\":{},\"connect_s\":{connect_s:.2},\"start_soft_nofile\":{nofile},\
         \"bot_soft_nofile\":\"{soft}\",\"bot_hard_nofile\":\"{hard}\",\"bot_open_files\":{bot_open_files},\
         \"probes\":{probes},\"healthz_quiet_p50_ms\":{:.2},\"healthz_quiet_failed\":{quiet_failed},\
         \"healthz_flooded_p50_ms\":{:.2},\"healthz_flooded_max_ms\":{:.2},\
         \"healthz_flooded_failed\":{flooded_failed},\"meet_ok\":{meet_ok},\"meet_ms\":{meet_ms:.1}}}",
        strangers.len(),
        percentile(&quiet, 50.0),
        percentile(&flooded, 50.0),
        flooded.last().copied().unwrap_or(0.0),
    );
    if flooded_failed > 0 || !meet_ok {
        std::process::exit(1);
    }
}
