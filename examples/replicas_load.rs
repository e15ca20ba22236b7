//! Past one process, measured: the same burst of signed `/meet`s over Discord's HTTP interactions
//! endpoint, first to one release `zoombot` on sled, then to `REPLICAS` release binaries on one
//! PostgreSQL behind a round-robin proxy (this program: each request to the next replica, a
//! refused connection tried on the next, as a load balancer does), optionally killing one
//! replica part-way. One JSON line per leg, then the ratio of the acknowledgement p99s. It exits
//! with 1 when an invariant fails.
//!
//! ```text
//! cargo build --release --bins --examples
//! N=2000 SPREAD_S=10 FAULT_PERCENT=5 KILL_AT_S=5 ./target/release/examples/replicas_load
//! ```
//!
//! Knobs: `N` (2000) interactions, each its own member; `SPREAD_S` (10) over which they go;
//! `ZOOM_LATENCY_MS` (100); `FAULT_PERCENT` (5) of Zoom API requests failing at random (the fake's
//! mix: 5xx before and after creating, timeouts after creating, 429s); `REPLICAS` (2);
//! `KILL_AT_S` (0: never) when replica 0 is killed (SIGKILL); `DATABASE_URL` (unset: a throwaway
//! PostgreSQL started here, as the tests start one); `DATABASE_MAX_CONNECTIONS` (unset: the bot's
//! default) handed to each replica.
//!
//! Per leg: ack p50/p99 (the HTTP response, which is the acknowledgement), `scheduled` (told the
//! host link), `told_error`, `no_answer`; `lost` (a Zoom meeting nobody was told of or nobody
//! recorded), `duplicated` (two Zoom meetings for one interaction), `phantom` (told of a meeting
//! Zoom does not have). Invariants: no ack over 3 s; nothing lost, duplicated or phantom; every
//! interaction acknowledged is answered (with a kill, those the killed replica had acknowledged
//! too, by the replica that takes them over); without a kill, every request acknowledged.

#[allow(dead_code)]
#[path = "../tests/it/support/discord_signature.rs"]
mod discord_signature;
#[allow(dead_code)]
#[path = "../tests/it/support/fake_discord.rs"]
mod fake_discord;
#[allow(dead_code)]
#[path = "../tests/it/support/fake_zoom.rs"]
mod fake_zoom;
#[allow(dead_code)]
#[path = "../tests/it/support/postgres.rs"]
mod postgres;

#[allow(dead_code)]
#[path = "support/figures.rs"]
mod figures;
#[allow(dead_code)]
#[path = "support/release_bot.rs"]
mod release_bot;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Member};
use fake_zoom::FakeZoom;
use figures::{number, percentile};
use zoombot::ids::GuildId;
use zoombot::store::{PgStore, SledStore, Store};

const FIRST_INTERACTION: u64 = 1_500_000_000_000_000_000;
const FIRST_MEMBER: u64 = 1_400_000_000_000_000_000;

/// One leg's run.
struct Leg {
    name: &'static str,
    replicas: usize,
    kill_at: Option<Duration>,
    database: Option<String>,
}

/// What the members saw and what Zoom and the store hold afterwards.
#[derive(Default)]
struct Figures {
    acks: Vec<f64>,
    proxy_failures: usize,
    scheduled: usize,
    told_error: usize,
    no_answer: usize,
    lost: usize,
    duplicated: usize,
    phantom: usize,
    wall_s: f64,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A round-robin proxy in front of `replicas`: each request to the next one, tried on the one
/// after it when the connection is refused (a killed replica), as a load balancer does.
async fn proxy(replicas: Vec<SocketAddr>) -> SocketAddr {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let route = axum::routing::post(
        move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (client, replicas, next) = (client.clone(), replicas.clone(), Arc::clone(&next));
            async move {
                let first = next.fetch_add(1, Ordering::Relaxed);
                for k in 0..replicas.len() {
                    let addr = replicas[(first + k) % replicas.len()];
                    let mut request = client
                        .post(format!("http://{addr}/discord/interactions"))
                        .body(body.clone());
                    for name in [
                        "x-signature-ed25519",
                        "x-signature-timestamp",
                        "content-type",
                    ] {
                        if let Some(value) = headers.get(name) {
                            request = request.header(name, value);
                        }
                    }
                    match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let text = response.text().await.unwrap_or_default();
                            return (
                                axum::http::StatusCode::from_u16(status)
                                    .unwrap_or(axum::http::StatusCode::BAD_GATEWAY),
                                text,
                            );
                        }
                        Err(err) if err.is_connect() => {}
                        Err(_) => break,
                    }
                }
                (axum::http::StatusCode::BAD_GATEWAY, String::new())
            }
        },
    );
    let app = axum::Router::new().route("/discord/interactions", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn token(i: u64) -> String {
    format!("load-{}", FIRST_INTERACTION + i)
}

/// The Zoom meeting whose host link interaction `i`'s private answer carries; `Err(true)`: a
/// refusal; `Err(false)`: no answer yet.
fn answer(discord: &FakeDiscord, i: u64) -> Result<i64, bool> {
    match discord.original(&token(i)) {
        Some(m) if !m.thinking => m
            .content
            .split("zoom.us/s/")
            .nth(1)
            .and_then(|rest| rest.split('?').next())
            .and_then(|id| id.parse().ok())
            .ok_or(true),
        _ => Err(false),
    }
}

fn finished(discord: &FakeDiscord, i: u64) -> bool {
    match answer(discord, i) {
        Ok(_) => discord.followups(&token(i)).iter().any(|m| !m.ephemeral),
        Err(told) => told,
    }
}

fn spawn(
    discord: &FakeDiscord,
    zoom: &FakeZoom,
    dir: &std::path::Path,
    port: u16,
    database: Option<&str>,
) -> Child {
    let addr = format!("127.0.0.1:{port}");
    let key = discord_signature::public_key_hex();
    let mut env = vec![
        ("HTTP_ADDR", addr.as_str()),
        ("DISCORD_MODE", "http"),
        ("DISCORD_PUBLIC_KEY", key.as_str()),
        ("ZOOM_REQUEST_TIMEOUT", "2s"),
        ("ZOOM_HOST_DAILY_LIMIT", "1000000"),
        ("MEETINGS_PER_SERVER_PER_DAY", "1000000"),
    ];
    if let Some(url) = database {
        env.push(("DATABASE_URL", url));
    }
    let pool = std::env::var("DATABASE_MAX_CONNECTIONS").ok();
    if let Some(pool) = &pool {
        env.push(("DATABASE_MAX_CONNECTIONS", pool));
    }
    release_bot::spawn(discord, zoom, dir, &env)
}

async fn healthy(addr: SocketAddr) -> bool {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let ok = client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[allow(clippy::too_many_lines)] // one leg, read top to bottom
async fn run(leg: &Leg, n: u64, spread_s: f64, latency: u64, per_mille: u32) -> Figures {
    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    zoom.set_latency(Duration::from_millis(latency));
    zoom.set_fault_rate(per_mille, Duration::from_secs(3));
    zoom.set_recording(false);
    let data = tempfile::tempdir().expect("data dir");
    let ports: Vec<u16> = (0..leg.replicas).map(|_| free_port()).collect();
    let addrs: Vec<SocketAddr> = ports
        .iter()
        .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
        .collect();
    let mut children: Vec<Child> = ports
        .iter()
        .enumerate()
        .map(|(r, port)| {
            let dir = data.path().join(r.to_string());
            spawn(&discord, &zoom, &dir, *port, leg.database.as_deref())
        })
        .collect();
    for addr in &addrs {
        assert!(
            healthy(*addr).await,
            "{}: a replica did not start",
            leg.name
        );
    }
    let proxy = proxy(addrs.clone()).await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");

    let began = Instant::now();
    let mut sends = Vec::new();
    let mut killed = false;
    for i in 0..n {
        #[allow(clippy::cast_precision_loss)]
        let at = Duration::from_secs_f64(i as f64 * spread_s / n as f64);
        tokio::time::sleep_until((began + at).into()).await;
        if let Some(kill_at) = leg.kill_at
            && !killed
            && began.elapsed() >= kill_at
        {
            let _ = children[0].kill();
            killed = true;
        }
        let payload = fake_discord::slash_command(
            FIRST_INTERACTION + i,
            &token(i),
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID,
            &Member::regular(FIRST_MEMBER + i),
            "meet",
            serde_json::json!([{"name": "topic", "type": 3, "value": format!("load {i}")}, {"name": "when", "type": 3, "value": "in 1h"}]),
        );
        let payload = discord.prepare_http_interaction(payload);
        let body = payload.to_string().into_bytes();
        let timestamp = jiff::Timestamp::now().as_second().to_string();
        let signature = discord_signature::sign(&timestamp, &body);
        let (client, discord) = (client.clone(), discord.clone());
        sends.push(tokio::spawn(async move {
            let sent = Instant::now();
            let response = client
                .post(format!("http://{proxy}/discord/interactions"))
                .header("content-type", "application/json")
                .header("x-signature-ed25519", signature)
                .header("x-signature-timestamp", timestamp)
                .body(body)
                .send()
                .await;
            let ms = sent.elapsed().as_secs_f64() * 1000.0;
            match response {
                Ok(r) if r.status().is_success() => {
                    let value: serde_json::Value = r.json().await.unwrap_or_default();
                    let id = (FIRST_INTERACTION + i).to_string();
                    discord.take_http_response(&id, &value);
                    Some(ms)
                }
                _ => None,
            }
        }));
    }
    let mut figures = Figures::default();
    for send in sends {
        match send.await.ok().flatten() {
            Some(ms) => figures.acks.push(ms),
            None => figures.proxy_failures += 1,
        }
    }
    let done = |d: &FakeDiscord| (0..n).all(|i| finished(d, i));
    discord.wait_for(done, Duration::from_secs(60)).await;
    figures.wall_s = began.elapsed().as_secs_f64();
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    figures.acks.sort_by(f64::total_cmp);

    let mut told = BTreeSet::new();
    for i in 0..n {
        match answer(&discord, i) {
            Ok(meeting) => {
                told.insert(meeting);
                figures.scheduled += 1;
            }
            Err(true) => figures.told_error += 1,
            Err(false) => figures.no_answer += 1,
        }
    }
    let store: Arc<dyn Store> = match &leg.database {
        Some(url) => Arc::new(PgStore::connect(url, 2).await.expect("the replicas' store")),
        None => Arc::new(SledStore::open(&data.path().join("0")).expect("the bot's store")),
    };
    let recorded: BTreeSet<i64> = store
        .guild_meetings(GuildId(FakeDiscord::GUILD_ID))
        .await
        .expect("records")
        .iter()
        .filter(|r| !r.cancelled)
        .map(|r| r.zoom_id)
        .collect();
    let at_zoom = zoom.meetings();
    let mut per_topic: HashMap<String, usize> = HashMap::new();
    for m in &at_zoom {
        *per_topic
            .entry(m["topic"].as_str().unwrap_or("").to_owned())
            .or_default() += 1;
    }
    figures.duplicated = per_topic.values().map(|c| c.saturating_sub(1)).sum();
    let zoom_ids: BTreeSet<i64> = at_zoom.iter().filter_map(|m| m["id"].as_i64()).collect();
    figures.lost = zoom_ids
        .iter()
        .filter(|id| !(told.contains(id) && recorded.contains(id)))
        .count();
    figures.phantom = told.difference(&zoom_ids).count();
    figures
}

fn line(leg: &Leg, f: &Figures) -> serde_json::Value {
    serde_json::json!({
        "leg": leg.name,
        "replicas": leg.replicas,
        "store": if leg.database.is_some() { "postgres" } else { "sled" },
        "killed_at_s": leg.kill_at.map(|d| d.as_secs_f64()),
        "wall_s": (f.wall_s * 100.0).round() / 100.0,
        "ack_p50_ms": (percentile(&f.acks, 50.0) * 10.0).round() / 10.0,
        "ack_p99_ms": (percentile(&f.acks, 99.0) * 10.0).round() / 10.0,
        "acked": f.acks.len(),
        "late_acks": f.acks.iter().filter(|a| **a > 3000.0).count(),
        "proxy_failures": f.proxy_failures,
        "scheduled": f.scheduled,
        "told_error": f.told_error,
        "no_answer": f.no_answer,
        "lost": f.lost,
        "duplicated": f.duplicated,
        "phantom": f.phantom,
    })
}

#[tokio::main]
async fn main() {
    let n: u64 = number("N", "2000");
    let spread_s: f64 = number("SPREAD_S", "10");
    let latency: u64 = number("ZOOM_LATENCY_MS", "100");
    let fault_percent: f64 = number("FAULT_PERCENT", "5");
    let replicas: usize = number("REPLICAS", "2");
    let kill_at_s: f64 = number("KILL_AT_S", "0");
    // The percentage as per mille; the cast is of a number from 0 to 1000.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let per_mille = (fault_percent * 10.0).round().clamp(0.0, 1000.0) as u32;
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

    let mut legs = vec![Leg {
        name: "one process, sled",
        replicas: 1,
        kill_at: None,
        database: None,
    }];
    legs.push(Leg {
        name: "replicas, postgres",
        replicas,
        kill_at: None,
        database: Some(postgres::create_database(&admin).await),
    });
    if kill_at_s > 0.0 {
        legs.push(Leg {
            name: "replicas, postgres, one SIGKILLed",
            replicas,
            kill_at: Some(Duration::from_secs_f64(kill_at_s)),
            database: Some(postgres::create_database(&admin).await),
        });
    }
    let mut failed = Vec::new();
    let mut p99 = Vec::new();
    for leg in &legs {
        let figures = run(leg, n, spread_s, latency, per_mille).await;
        println!("{}", line(leg, &figures));
        p99.push(percentile(&figures.acks, 99.0));
        // A kill cuts the requests the replica had not acknowledged yet: the proxy answers those
        // 502 and Discord shows the member that the command failed (nothing was made for them).
        // Every interaction acknowledged must be answered, the killed replica's ones too.
        let (cut, unanswered) = match leg.kill_at {
            None => (figures.proxy_failures > 0, figures.no_answer > 0),
            Some(_) => (false, figures.no_answer > figures.proxy_failures),
        };
        for (name, bad) in [
            ("proxy_failures", cut),
            ("late_acks", figures.acks.iter().any(|a| *a > 3000.0)),
            ("no_answer", unanswered),
            ("lost", figures.lost > 0),
            ("duplicated", figures.duplicated > 0),
            ("phantom", figures.phantom > 0),
        ] {
            if bad {
                failed.push(format!("{}: {name}", leg.name));
            }
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "ack_p99_ratio_replicas_to_one": (p99[1] / p99[0] * 100.0).round() / 100.0,
            "failed": failed,
        })
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
