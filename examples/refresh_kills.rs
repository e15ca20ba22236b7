//! SIGKILLs of the release binary at random points of members' token refreshes, under load:
//! `MEMBERS` members link through the real flow; then, `KILLS` times, every member's token is
//! expired, every member sends a /meet at once, and the bot is killed (SIGKILL) a random 0–`WINDOW_MS`
//! ms later and started again. After each kill, every member's link is checked through
//! `/zoom status` (a lost one is linked again, so the next round starts whole). Prints one JSON
//! line.
//!
//! ```text
//! cargo build --release --bins --examples
//! ./target/release/examples/refresh_kills
//! ```
//!
//! Zoom accepts only the latest refresh token ("the latest refresh token must always be used for
//! the next refresh request"), and the bot writes each refreshed pair (flushed) before using it.
//! So a link survives a kill at every point but one: after Zoom rotated the token and before
//! the bot's write landed — Zoom's answer on its way back, or the write itself (`RETURN_MS`, 5:
//! the answer's time on the wire). Those links are `lost`; each is then dropped on the member's
//! next command, which tells them to link again. `silent` counts links lost without that
//! (a member still linked whose token Zoom refuses): it must be 0.

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

use std::process::Child;
use std::time::Duration;

use fake_discord::{FakeDiscord, Member};
use fake_zoom::FakeZoom;
use figures::number;
use member_links::{FIRST_MEMBER, free_port, link, zoom_user};

const PATIENCE: Duration = Duration::from_secs(20);

struct Run {
    discord: FakeDiscord,
    zoom: FakeZoom,
    data: tempfile::TempDir,
    env: Vec<(String, String)>,
    next_id: u64,
}

impl Run {
    async fn start(&self) -> Child {
        let before = self.discord.requests_matching("PUT", "/commands").len();
        let extra: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let child = release_bot::spawn(&self.discord, &self.zoom, self.data.path(), &extra);
        let ready = self
            .discord
            .wait_for(
                |d| d.requests_matching("PUT", "/commands").len() > before,
                PATIENCE,
            )
            .await;
        assert!(ready, "bot not ready");
        child
    }

    /// `/{command} {sub}` from member `m`; its interaction token.
    async fn slash(&mut self, m: u64, command: &str, options: serde_json::Value) -> String {
        self.next_id += 1;
        let id = 1_500_000_000_000_000_000 + self.next_id;
        let token = format!("kills-{id}");
        let payload = fake_discord::slash_command(
            id,
            &token,
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID,
            &Member::regular(FIRST_MEMBER + m),
            command,
            options,
        );
        self.discord.dispatch_interaction(payload).await;
        token
    }

    async fn answer(&self, token: &str) -> String {
        let done = self
            .discord
            .wait_for(|d| d.original(token).is_some_and(|m| !m.thinking), PATIENCE)
            .await;
        assert!(done, "no answer to {token}");
        self.discord
            .original(token)
            .map(|m| m.content)
            .unwrap_or_default()
    }
}

fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::main]
#[allow(clippy::too_many_lines)] // one run, read top to bottom
async fn main() {
    let kills: u64 = number("KILLS", "100");
    let members: u64 = number("MEMBERS", "20");
    let window_ms: u64 = number("WINDOW_MS", "60");
    let return_ms: u64 = number("RETURN_MS", "5");

    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    zoom.set_recording(false);
    for m in 0..members {
        zoom.add_user(&zoom_user(m), &format!("member{m}@example.com"));
    }
    let port = free_port();
    let env = vec![
        ("HTTP_ADDR".to_owned(), format!("127.0.0.1:{port}")),
        ("PUBLIC_URL".to_owned(), format!("http://127.0.0.1:{port}")),
        (
            "ZOOM_USER_CLIENT_ID".to_owned(),
            FakeZoom::USER_CLIENT_ID.to_owned(),
        ),
        (
            "ZOOM_USER_CLIENT_SECRET".to_owned(),
            FakeZoom::USER_CLIENT_SECRET.to_owned(),
        ),
        ("ZOOM_HOST_DAILY_LIMIT".to_owned(), "1000000".to_owned()),
        (
            "MEETINGS_PER_SERVER_PER_DAY".to_owned(),
            "1000000".to_owned(),
        ),
        ("MEETINGS_PER_MEMBER".to_owned(), "off".to_owned()),
    ];
    let mut run = Run {
        discord,
        zoom,
        data: tempfile::tempdir().expect("data dir"),
        env,
        next_id: 0,
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let child = run.start().await;
    let admin = Member::admin(FIRST_MEMBER - 1);
    let token = "kills-cooldown".to_owned();
    let payload = fake_discord::slash_command(
        1_500_000_000_000_000_000,
        &token,
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &admin,
        "meet-settings",
        serde_json::json!([{"name": "set", "type": 1, "options": [{"name": "cooldown", "type": 3, "value": "off"}]}]),
    );
    run.discord.dispatch_interaction(payload).await;
    run.answer(&token).await;
    for m in 0..members {
        link(&run.discord, &run.zoom, &http, m).await;
    }
    kill(child);

    run.zoom
        .set_user_token_latency(Duration::from_millis(return_ms));
    let (mut lost, mut silent, mut refreshes) = (0u64, 0u64, 0usize);
    for _ in 0..kills {
        for m in 0..members {
            run.zoom.expire_user_tokens(&zoom_user(m));
        }
        let child = run.start().await;
        let before = run.zoom.user_refresh_requests();
        for m in 0..members {
            let options =
                serde_json::json!([{"name": "topic", "type": 3, "value": format!("kill {m}")}]);
            run.slash(m, "meet", options).await;
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=window_ms))).await;
        kill(child);
        refreshes += run.zoom.user_refresh_requests() - before;

        // Each member's link after the kill: usable, or dropped and the member told.
        let child = run.start().await;
        for m in 0..members {
            let options =
                serde_json::json!([{"name": "topic", "type": 3, "value": format!("after {m}")}]);
            let token = run.slash(m, "meet", options).await;
            let said = run.answer(&token).await;
            if said.starts_with("Scheduled") {
                continue;
            }
            if said.contains("/zoom link") {
                lost += 1;
                link(&run.discord, &run.zoom, &http, m).await;
            } else {
                silent += 1;
                eprintln!("member {m}: {said}");
            }
        }
        kill(child);
    }
    println!(
        "{{\"kills\":{kills},\"members\":{members},\"window_ms\":{window_ms},\"return_ms\":{return_ms},\
         \"refreshes_during_kill_rounds\":{refreshes},\"lost\":{lost},\"silent\":{silent},\
         \"invalid_grants\":{}}}",
        run.zoom.invalid_grants()
    );
    if silent > 0 {
        std::process::exit(1);
    }
}
