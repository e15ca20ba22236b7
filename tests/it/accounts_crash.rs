//! A member's refresh across a SIGKILL of the real binary. Zoom accepts only the latest refresh
//! token, so the bot writes a refreshed pair (flushed) before it uses it: killed after that
//! write, the restarted bot goes on with the new token; killed while Zoom's answer is on its way
//! (Zoom has rotated, the bot has not written), the old token is refused, the link is dropped
//! and the member is told to link again — never served by the server's host instead.

use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zoombot::ids::{ChannelId, GuildId, MemberId};
use zoombot::meetings::{Accounts, Requester};
use zoombot::sealed::Sealer;
use zoombot::secret::Secret;
use zoombot::store::{SledStore, Store};
use zoombot::zoom::user_auth::{UserApp, UserAppConfig};

use crate::support::bot::{PATIENCE, strings};
use crate::support::fake_discord::{self, FakeDiscord, Member};
use crate::support::fake_zoom::FakeZoom;
use crate::support::{self, zoom_client};

const ALICE: u64 = 1_400_000_000_000_000_201;
const ZOOM_ALICE: &str = "u-alice";

fn app_config(zoom: &FakeZoom) -> UserAppConfig {
    UserAppConfig {
        client_id: FakeZoom::USER_CLIENT_ID.to_owned(),
        client_secret: Secret::new(FakeZoom::USER_CLIENT_SECRET),
        token_url: zoom.oauth_url(),
        // Never visited here: the link is made in-process, below.
        redirect_uri: "http://127.0.0.1:9/zoom/oauth/callback".to_owned(),
    }
}

/// Links Alice's Discord account to the fake's `u-alice` in the store in `dir`, as the
/// callback would (the same service code, without the HTTP round trip).
async fn link_in(dir: &std::path::Path, zoom: &FakeZoom) {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir).expect("data dir"));
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let config = app_config(zoom);
    let accounts = Accounts::new(
        UserApp::new(http.clone(), config.clone()),
        Sealer::derive(&config.client_secret),
        Arc::clone(&store),
        Arc::new(zoom_client(zoom)),
        None,
    );
    let who = Requester {
        guild: GuildId(FakeDiscord::GUILD_ID),
        channel: ChannelId(FakeDiscord::CHANNEL_ID),
        member: MemberId(ALICE),
        manage_guild: false,
        roles: Vec::new(),
    };
    let authorize = accounts
        .begin(&who, "interaction-token-link")
        .await
        .expect("begun");
    let back = http.get(&authorize).send().await.expect("consent");
    let location = reqwest::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    accounts
        .finish(param("state").as_deref(), param("code").as_deref(), None)
        .await
        .expect("linked");
    store.flush().await.expect("flushed");
}

struct Bot {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn launch(discord: &FakeDiscord, zoom: &FakeZoom, dir: &std::path::Path) -> Bot {
    let before = support::registrations(discord);
    let mut env = support::binary_env(discord, zoom, dir);
    env.extend([
        ("ZOOM_USER_CLIENT_ID", FakeZoom::USER_CLIENT_ID.to_owned()),
        (
            "ZOOM_USER_CLIENT_SECRET",
            FakeZoom::USER_CLIENT_SECRET.to_owned(),
        ),
        ("PUBLIC_URL", "http://127.0.0.1:9".to_owned()),
        // Everything the bot may log, so the test sees whether a token would be.
        ("RUST_LOG", "trace".to_owned()),
    ]);
    let mut child = support::binary_command(env, &[], &std::env::temp_dir())
        .spawn()
        .expect("start zoombot");
    let log = support::capture_stderr(&mut child);
    assert!(
        support::registered(discord, before).await,
        "the bot did not start: {}",
        log.lock().unwrap()
    );
    Bot { child, log }
}

/// Alice's /meet through the binary; its interaction token.
async fn meet(discord: &FakeDiscord, id: u64, topic: &str) -> String {
    let token = format!("interaction-token-{id}");
    let payload = fake_discord::slash_command_here(
        id,
        &token,
        &Member::regular(ALICE),
        "meet",
        strings(&[("topic", topic)]),
    );
    discord.dispatch_interaction(payload).await;
    token
}

async fn answer(discord: &FakeDiscord, bot: &Bot, token: &str) -> String {
    let done = discord
        .wait_for(|d| d.original(token).is_some_and(|m| !m.thinking), PATIENCE)
        .await;
    assert!(done, "no answer to {token}: {}", bot.log.lock().unwrap());
    discord.original(token).expect("answered").content
}

async fn started() -> (FakeDiscord, FakeZoom, tempfile::TempDir) {
    let discord = FakeDiscord::start().await;
    let zoom = FakeZoom::start().await;
    zoom.add_user(ZOOM_ALICE, "alice@example.com");
    zoom.sign_in(ZOOM_ALICE);
    let data = tempfile::tempdir().expect("data dir");
    link_in(data.path(), &zoom).await;
    (discord, zoom, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_right_after_a_refresh_was_written_the_bot_goes_on_with_the_new_token() {
    let (discord, zoom, data) = started().await;
    zoom.expire_user_tokens(ZOOM_ALICE);
    let bot = launch(&discord, &zoom, data.path()).await;
    let token = meet(&discord, 1, "Refreshed").await;
    assert!(
        answer(&discord, &bot, &token)
            .await
            .starts_with("Scheduled")
    );
    assert_eq!(zoom.user_refreshes(ZOOM_ALICE), 1);
    drop(bot); // SIGKILL

    zoom.expire_user_tokens(ZOOM_ALICE);
    let bot = launch(&discord, &zoom, data.path()).await;
    let token = meet(&discord, 2, "After the kill").await;
    let content = answer(&discord, &bot, &token).await;
    assert!(content.starts_with("Scheduled"), "{content}");
    assert_eq!(
        zoom.user_refreshes(ZOOM_ALICE),
        2,
        "the written token was refreshed"
    );
    assert_eq!(zoom.invalid_grants(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_a_rotated_token_was_written_the_member_is_told_to_link_again() {
    let (discord, zoom, data) = started().await;
    zoom.expire_user_tokens(ZOOM_ALICE);
    // Zoom rotates, then its answer takes a while: the kill lands before the bot hears it.
    zoom.set_user_token_latency(Duration::from_secs(30));
    let bot = launch(&discord, &zoom, data.path()).await;
    let before = zoom.meeting_count();
    meet(&discord, 1, "Lost in flight").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while zoom.user_refreshes(ZOOM_ALICE) == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rotated = zoom.user_refreshes(ZOOM_ALICE) == 1;
    assert!(
        rotated,
        "the refresh reached Zoom: {}",
        bot.log.lock().unwrap()
    );
    drop(bot); // SIGKILL
    zoom.set_user_token_latency(Duration::ZERO);

    let bot = launch(&discord, &zoom, data.path()).await;
    let token = meet(&discord, 2, "After the kill").await;
    let content = answer(&discord, &bot, &token).await;
    assert!(content.contains("/zoom link"), "{content}");
    assert_eq!(zoom.invalid_grants(), 1);
    assert_eq!(
        zoom.meeting_count(),
        before,
        "nothing made under the server's host"
    );
}
