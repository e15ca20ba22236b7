//! Members linked through the release binary's real flow, for the account examples.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::fake_discord::{self, FakeDiscord, Member};
use crate::fake_zoom::FakeZoom;

const FIRST_INTERACTION: u64 = 1_500_000_000_000_000_000;
/// Members are `FIRST_MEMBER + m`, Zoom users `u-{m}`.
pub const FIRST_MEMBER: u64 = 1_400_000_000_000_000_000;
const PATIENCE: Duration = Duration::from_secs(20);
static NEXT_LINK: AtomicU64 = AtomicU64::new(0);

/// The fake Zoom's user for member `m`.
pub fn zoom_user(m: u64) -> String {
    format!("u-{m}")
}

/// A free loopback port for the bot (the callback URL must name it before the bot starts).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// Links member `m` through the bot; the milliseconds from opening Zoom's consent URL to the
/// bot's page.
pub async fn link(discord: &FakeDiscord, zoom: &FakeZoom, http: &reqwest::Client, m: u64) -> f64 {
    zoom.sign_in(&zoom_user(m));
    // Link interactions far above any other example's ids; a member may link again.
    let id = FIRST_INTERACTION + 900_000_000 + NEXT_LINK.fetch_add(1, Ordering::Relaxed);
    let token = format!("link-{id}");
    let payload = fake_discord::slash_command(
        id,
        &token,
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &Member::regular(FIRST_MEMBER + m),
        "zoom",
        serde_json::json!([{"name": "link", "type": 1, "options": []}]),
    );
    discord.dispatch_interaction(payload).await;
    let answered = discord
        .wait_for(
            |d| d.original(&token).is_some_and(|m| !m.components.is_empty()),
            PATIENCE,
        )
        .await;
    assert!(answered, "no /zoom link answer for member {m}");
    let answer = discord.original(&token).expect("answered");
    let url = answer.components[0]["components"][0]["url"]
        .as_str()
        .expect("a link button")
        .to_owned();
    let began = Instant::now();
    let consent = http.get(&url).send().await.expect("consent");
    let callback = consent.headers()["location"]
        .to_str()
        .expect("a redirect")
        .to_owned();
    let page = http.get(&callback).send().await.expect("the bot's page");
    let status = page.status();
    let body = page.text().await.unwrap_or_default();
    let ms = began.elapsed().as_secs_f64() * 1000.0;
    assert!(
        status.is_success() && body.contains("Linked as"),
        "member {m}: {status} {body}"
    );
    let edited = discord
        .wait_for(
            |d| {
                d.original(&token)
                    .is_some_and(|m| m.content.starts_with("Linked as"))
            },
            PATIENCE,
        )
        .await;
    assert!(edited, "member {m}'s answer was not edited");
    ms
}
