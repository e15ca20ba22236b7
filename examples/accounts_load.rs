//! Members hosting under their own Zoom accounts, at scale, through the release binary: `MEMBERS`
//! members link their accounts one after another through the real flow (`/zoom link` → the fake
//! Zoom's consent redirect → the bot's callback page), timing each; then every member's token
//! is expired and N `/meet`s are paced over `SPREAD_S` seconds, interaction i from member
//! i mod `MEMBERS`. Prints one JSON line; exits 1 when an invariant fails.
//!
//! ```text
//! cargo build --release --bins --examples
//! ./target/release/examples/accounts_load                 # members host their own
//! HOSTING=server ./target/release/examples/accounts_load  # the same run, nobody linked
//! ```
//!
//! Knobs: `MEMBERS` (1000), `N` (2000), `SPREAD_S` (10), `ZOOM_LATENCY_MS` (20: during the
//! /meet run; the link flow runs with none, so its time is the bot's own), `HOSTING` (`linked`).
//!
//! Invariants (linked): every link answered with its page and the member's answer edited;
//! every /meet scheduled, hosted by its own member's Zoom user; refresh requests = members
//! (each expired token refreshed once, however many of that member's /meets wait for it); no
//! `invalid_grant`; every acknowledgement within 3 s.

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
#[path = "support/member_links.rs"]
mod member_links;
#[allow(dead_code)]
#[path = "support/release_bot.rs"]
mod release_bot;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Member};
use fake_zoom::FakeZoom;
use figures::{number, peak_rss_mb, percentile};
use member_links::{free_port, link, zoom_user};

const FIRST_INTERACTION: u64 = 1_500_000_000_000_000_000;
const FIRST_MEMBER: u64 = 1_400_000_000_000_000_000;
const PATIENCE: Duration = Duration::from_secs(20);

#[tokio::main]
#[allow(clippy::too_many_lines)] // one run, read top to bottom
async fn main() {
    let members: u64 = number("MEMBERS", "1000");
    let n: u64 = number("N", "2000");
    let spread_s: f64 = number("SPREAD_S", "10");
    let latency: u64 = number("ZOOM_LATENCY_MS", "20");
    let linked = std::env::var("HOSTING").map_or(true, |h| h != "server");

    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    zoom.set_recording(false);
    for m in 0..members {
        zoom.add_user(&zoom_user(m), &format!("member{m}@example.com"));
    }
    let data = tempfile::tempdir().expect("data dir");
    let port = free_port();
    let http_addr = format!("127.0.0.1:{port}");
    let public_url = format!("http://127.0.0.1:{port}");
    let oauth_url = zoom.oauth_url();
    let mut child = release_bot::spawn(
        &discord,
        &zoom,
        data.path(),
        &[
            ("HTTP_ADDR", http_addr.as_str()),
            ("PUBLIC_URL", public_url.as_str()),
            ("ZOOM_OAUTH_URL", oauth_url.as_str()),
            ("ZOOM_USER_CLIENT_ID", FakeZoom::USER_CLIENT_ID),
            ("ZOOM_USER_CLIENT_SECRET", FakeZoom::USER_CLIENT_SECRET),
            ("ZOOM_HOST_DAILY_LIMIT", "1000000"),
            ("MEETINGS_PER_SERVER_PER_DAY", "1000000"),
        ],
    );
    assert!(
        discord
            .wait_for(|d| !d.registered_commands(None).is_empty(), PATIENCE)
            .await,
        "bot not ready"
    );

    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut link_ms = Vec::new();
    if linked {
        for m in 0..members {
            link_ms.push(link(&discord, &zoom, &http, m).await);
        }
        for m in 0..members {
            zoom.expire_user_tokens(&zoom_user(m));
        }
    }
    link_ms.sort_by(f64::total_cmp);
    let refreshes_before = zoom.user_refresh_requests();

    zoom.set_latency(Duration::from_millis(latency));
    let began = Instant::now();
    for i in 0..n {
        #[allow(clippy::cast_precision_loss)]
        let at = Duration::from_secs_f64(i as f64 * spread_s / n as f64);
        tokio::time::sleep_until((began + at).into()).await;
        let payload = fake_discord::slash_command(
            FIRST_INTERACTION + i,
            &format!("meet-{i}"),
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID,
            &Member::regular(FIRST_MEMBER + i % members),
            "meet",
            serde_json::json!([{"name": "topic", "type": 3, "value": format!("own {i}")}]),
        );
        discord.dispatch_interaction(payload).await;
    }
    // Re-checked after every request the bot makes: from where the last check stopped.
    let checked = std::sync::atomic::AtomicU64::new(0);
    let done = |d: &FakeDiscord| {
        let mut i = checked.load(std::sync::atomic::Ordering::Relaxed);
        while i < n
            && d.original(&format!("meet-{i}"))
                .is_some_and(|m| !m.thinking)
        {
            i += 1;
        }
        checked.store(i, std::sync::atomic::Ordering::Relaxed);
        i == n
    };
    let all_done = discord.wait_for(done, Duration::from_secs(120)).await;
    let rss = peak_rss_mb(&child.id().to_string());
    let _ = child.kill();
    let _ = child.wait();

    let hosts: HashMap<String, String> = zoom
        .meetings()
        .iter()
        .filter_map(|m| {
            Some((
                m["topic"].as_str()?.to_owned(),
                m["host_id"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let mut acks = Vec::new();
    // The /meets that find their member's token expired (each member's first) and the rest.
    let (mut refreshing, mut fresh) = (Vec::new(), Vec::new());
    let (mut scheduled, mut own_host) = (0, 0);
    for i in 0..n {
        if let Some(ack) = discord.ack_latency(&(FIRST_INTERACTION + i).to_string()) {
            let ms = ack.as_secs_f64() * 1000.0;
            acks.push(ms);
            if i < members {
                &mut refreshing
            } else {
                &mut fresh
            }
            .push(ms);
        }
        if discord
            .original(&format!("meet-{i}"))
            .is_some_and(|m| m.content.starts_with("Scheduled"))
        {
            scheduled += 1;
        }
        if hosts.get(&format!("own {i}")) == Some(&zoom_user(i % members)) {
            own_host += 1;
        }
    }
    acks.sort_by(f64::total_cmp);
    refreshing.sort_by(f64::total_cmp);
    fresh.sort_by(f64::total_cmp);
    let late = acks.iter().filter(|a| **a > 3000.0).count();
    let refreshes = zoom.user_refresh_requests() - refreshes_before;
    let invalid_grants = zoom.invalid_grants();

    let mut failed = Vec::new();
    #[allow(clippy::cast_possible_truncation)] // counts fit a usize
    let (n_usize, members_usize) = (n as usize, members as usize);
    for (name, bad) in [
        ("unfinished", !all_done),
        ("not_scheduled", scheduled != n_usize),
        ("late_acks", late > 0),
        ("not_own_host", linked && own_host != n_usize),
        ("refreshes", linked && refreshes != members_usize),
        ("invalid_grant", invalid_grants > 0),
    ] {
        if bad {
            failed.push(name);
        }
    }
    println!(
        "{{\"hosting\":\"{}\",\"members\":{members},\"n\":{n},\"spread_s\":{spread_s},\"zoom_latency_ms\":{latency},\
         \"link_p50_ms\":{:.2},\"link_p99_ms\":{:.2},\"link_max_ms\":{:.2},\"links\":{},\
         \"ack_p50_ms\":{:.1},\"ack_p99_ms\":{:.1},\"ack_p99_first_per_member_ms\":{:.1},\"ack_p99_later_ms\":{:.1},\"acked\":{},\"late_acks\":{late},\"scheduled\":{scheduled},\
         \"hosted_by_own_member\":{own_host},\"refresh_requests\":{refreshes},\"invalid_grants\":{invalid_grants},\
         \"bot_peak_rss_mb\":{rss:.1},\"failed\":{failed:?}}}",
        if linked { "linked" } else { "server" },
        percentile(&link_ms, 50.0),
        percentile(&link_ms, 99.0),
        link_ms.last().copied().unwrap_or(0.0),
        link_ms.len(),
        percentile(&acks, 50.0),
        percentile(&acks, 99.0),
        percentile(&refreshing, 99.0),
        percentile(&fresh, 99.0),
        acks.len(),
    );
    if !failed.is_empty() {
        eprintln!("accounts_load: invariants failed: {}", failed.join(", "));
        std::process::exit(1);
    }
}
