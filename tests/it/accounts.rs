//! Members' own Zoom accounts through the whole bot: `/zoom link` → Zoom's consent page (the
//! fake's) → the bot's callback page, hosting under the member's account, refreshes, unlink,
//! deauthorization, and what a stranger can do with the callback.

use serde_json::json;
use zoombot::config::AccountsConfig;
use zoombot::secret::Secret;
use zoombot::zoom::user_auth::UserAppConfig;

use crate::support::bot::{PATIENCE, TestBot, strings, subcommand};
use crate::support::fake_discord::{FakeDiscord, Member, Message};
use crate::support::fake_zoom::FakeZoom;

const USER_WEBHOOK_SECRET: &str = "user-app-webhook-secret";
const ALICE: &str = "u-alice";
const ALICE_EMAIL: &str = "alice@example.com";
const BOB: &str = "u-bob";
const BOB_EMAIL: &str = "bob@example.com";

fn member() -> Member {
    Member::regular(1_400_000_000_000_000_101)
}

/// A bot whose members may link accounts (the fake Zoom knows Alice and Bob).
async fn bot() -> TestBot {
    bot_with(|_| {}).await
}

/// [`bot`], with `tweak` applied to its configuration.
async fn bot_with(tweak: impl FnOnce(&mut zoombot::config::BotConfig)) -> TestBot {
    let bot = TestBot::start_with(
        |config| {
            tweak(config);
            config.accounts = Some(AccountsConfig {
                app: UserAppConfig {
                    client_id: FakeZoom::USER_CLIENT_ID.to_owned(),
                    client_secret: Secret::new(FakeZoom::USER_CLIENT_SECRET),
                    token_url: config.zoom.oauth_url.clone(),
                    redirect_uri: format!("http://{}/zoom/oauth/callback", config.http_addr),
                },
                webhook_secret: Some(Secret::new(USER_WEBHOOK_SECRET)),
            });
        },
        None,
    )
    .await;
    bot.zoom.add_user(ALICE, ALICE_EMAIL);
    bot.zoom.add_user(BOB, BOB_EMAIL);
    bot
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The URL of the answer's link button.
fn button_url(answer: &Message) -> String {
    answer.components[0]["components"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no link button in {:?}", answer.components))
        .to_owned()
}

/// `/zoom link` as `who`: the private answer's token and the consent page's URL.
async fn begin(bot: &TestBot, who: &Member) -> (String, String) {
    let (_, token) = bot.slash(who, "zoom", subcommand("link", json!([]))).await;
    let answer = bot.answer(&token).await;
    (token, button_url(&answer))
}

/// What Zoom's consent page redirects to (the bot's callback, with code and state).
async fn consent(authorize: &str) -> String {
    let response = client().get(authorize).send().await.expect("Zoom answers");
    assert_eq!(response.status(), 302, "Zoom's consent redirects");
    response.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned()
}

/// GET `url` (the bot's callback): status and page.
async fn visit(url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let response = client().get(url).send().await.expect("the bot answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.text().await.expect("a page"), headers)
}

/// Links `who` to the Zoom user signed in at the fake: the callback's page.
async fn link(bot: &TestBot, who: &Member, zoom_user: &str) -> String {
    bot.zoom.sign_in(zoom_user);
    let (token, authorize) = begin(bot, who).await;
    let (status, page, _) = visit(&consent(&authorize).await).await;
    assert_eq!(status, 200, "{page}");
    let edited = bot
        .discord
        .wait_for(
            |d| {
                d.original(&token)
                    .is_some_and(|m| m.content.starts_with("Linked as"))
            },
            PATIENCE,
        )
        .await;
    assert!(edited, "the /zoom link answer says it is linked");
    page
}

async fn status(bot: &TestBot, who: &Member) -> String {
    bot.run_sub(who, "zoom", "status", json!([])).await.content
}

fn host_of(bot: &TestBot, meeting: &Message) -> Option<String> {
    let id: i64 = meeting.embeds[0]["fields"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == "Meeting ID")?["value"]
        .as_str()?
        .replace(' ', "")
        .parse()
        .ok()?;
    bot.zoom
        .meeting(id)
        .and_then(|m| m["host_id"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn a_linked_member_hosts_their_meetings_in_their_own_zoom_account() {
    let bot = bot().await;
    let alice = member();
    let page = link(&bot, &alice, ALICE).await;
    assert!(page.contains(ALICE_EMAIL), "{page}");
    assert!(!page.contains("<script"), "{page}");
    assert!(status(&bot, &alice).await.contains(ALICE_EMAIL));

    let (answer, public) = bot.meet(&alice, strings(&[("topic", "Own account")])).await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    let public = public.expect("posted");
    assert_eq!(host_of(&bot, &public).as_deref(), Some(ALICE));
    assert!(
        public.text().contains("their own Zoom account"),
        "{}",
        public.text()
    );

    // Someone who never linked is hosted by the server's host user, as before.
    let other = Member::regular(1_400_000_000_000_000_102);
    let (_, public) = bot.meet(&other, strings(&[("topic", "Server's")])).await;
    let host = host_of(&bot, &public.expect("posted"));
    assert_ne!(host.as_deref(), Some(ALICE));
}

#[tokio::test]
async fn the_callback_page_allows_no_script_frame_or_referrer() {
    let bot = bot().await;
    bot.zoom.sign_in(ALICE);
    let (_, authorize) = begin(&bot, &member()).await;
    let (_, _, headers) = visit(&consent(&authorize).await).await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn a_callback_without_a_good_state_links_nothing() {
    let bot = bot().await;
    let base = format!("http://{}/zoom/oauth/callback", bot.http_addr);
    for url in [
        base.clone(),
        format!("{base}?code=abc"),
        format!("{base}?code=abc&state=forged"),
    ] {
        let (status, page, _) = visit(&url).await;
        assert_eq!(status, 400, "{url}: {page}");
        assert!(page.contains("/zoom link"), "{page}");
    }
    // A state used once cannot be used again.
    bot.zoom.sign_in(ALICE);
    let (_, authorize) = begin(&bot, &member()).await;
    let callback = consent(&authorize).await;
    assert_eq!(visit(&callback).await.0, 200);
    let (status, page, _) = visit(&callback).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("already used"), "{page}");
}

#[tokio::test]
async fn a_forged_code_or_a_declined_consent_stores_nothing() {
    let bot = bot().await;
    let alice = member();
    bot.zoom.sign_in(ALICE);
    let (_, authorize) = begin(&bot, &alice).await;
    let callback = consent(&authorize).await;
    let forged = callback.replacen("code=", "code=forged", 1);
    let (status, page, _) = visit(&forged).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("refused"), "{page}");
    assert!(status_says_unlinked(&bot, &alice).await);

    bot.zoom.set_consent(false);
    let (token, authorize) = begin(&bot, &alice).await;
    let (status, page, _) = visit(&consent(&authorize).await).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("declined"), "{page}");
    let told = bot
        .discord
        .wait_for(
            |d| {
                d.original(&token)
                    .is_some_and(|m| m.content.contains("declined"))
            },
            PATIENCE,
        )
        .await;
    assert!(told, "the member's answer says they declined");
    assert!(status_says_unlinked(&bot, &alice).await);
}

async fn status_says_unlinked(bot: &TestBot, who: &Member) -> bool {
    status(bot, who).await.starts_with("No Zoom account")
}

#[tokio::test]
async fn twenty_commands_after_the_token_expired_refresh_it_once() {
    let bot = bot_with(|config| {
        config.limits.per_member = zoombot::scheduling::Cooldown::OFF;
    })
    .await;
    let admin = Member::admin(1_400_000_000_000_000_001);
    bot.run_sub(
        &admin,
        "meet-settings",
        "set",
        strings(&[("cooldown", "off")]),
    )
    .await;
    let alice = member();
    link(&bot, &alice, ALICE).await;
    bot.zoom.expire_user_tokens(ALICE);
    let tokens: Vec<String> = futures_util::future::join_all((0..20).map(|i| {
        let bot = &bot;
        let alice = &alice;
        async move {
            let topic = format!("After expiry {i}");
            bot.slash(alice, "meet", strings(&[("topic", &topic)]))
                .await
                .1
        }
    }))
    .await;
    for token in &tokens {
        let answer = bot.answer(token).await;
        assert!(
            answer.content.starts_with("Scheduled"),
            "{}",
            answer.content
        );
    }
    assert_eq!(
        bot.zoom.user_refreshes(ALICE),
        1,
        "one refresh for twenty commands"
    );
    assert_eq!(bot.zoom.invalid_grants(), 0);
}

#[tokio::test]
async fn a_member_who_removed_the_app_is_told_to_link_again_and_nothing_is_made() {
    let bot = bot().await;
    let alice = member();
    link(&bot, &alice, ALICE).await;
    bot.zoom.remove_app(ALICE);
    let before = bot.zoom.meeting_count();
    let (answer, public) = bot.meet(&alice, strings(&[("topic", "No fallback")])).await;
    assert!(answer.content.contains("/zoom link"), "{}", answer.content);
    assert!(public.is_none());
    assert_eq!(
        bot.zoom.meeting_count(),
        before,
        "never the server's host instead"
    );
    assert!(status_says_unlinked(&bot, &alice).await);
}

#[tokio::test]
async fn the_token_endpoint_down_during_a_refresh_keeps_the_link() {
    let bot = bot().await;
    let alice = member();
    link(&bot, &alice, ALICE).await;
    let refresh_token = bot.zoom.current_refresh_token(ALICE).expect("a grant");
    bot.zoom.expire_user_tokens(ALICE);
    bot.zoom.set_user_token_failure(Some(503));
    let before = bot.zoom.user_refresh_requests();
    // Five at once: none of it costs the link. Each command's Zoom call is retried as a
    // transient failure (at most 4 attempts), each attempt refreshing at most once (those
    // waiting behind a failed refresh share its answer).
    let tokens: Vec<String> = futures_util::future::join_all((0..5).map(|i| {
        let (bot, alice) = (&bot, &alice);
        async move {
            let topic = format!("Zoom down {i}");
            bot.slash(alice, "meet", strings(&[("topic", &topic)]))
                .await
                .1
        }
    }))
    .await;
    for token in &tokens {
        let answer = bot.answer(token).await;
        assert!(answer.content.contains("Zoom"), "{}", answer.content);
        assert!(!answer.content.starts_with("Scheduled"));
    }
    let asked = bot.zoom.user_refresh_requests() - before;
    assert!(
        (1..=5 * 4).contains(&asked),
        "{asked} refreshes for five commands"
    );
    assert_eq!(bot.zoom.current_refresh_token(ALICE), Some(refresh_token));
    bot.zoom.set_user_token_failure(None);
    let (answer, _) = bot.meet(&alice, strings(&[("topic", "Zoom back")])).await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
}

#[tokio::test]
async fn a_zoom_account_linked_by_another_member_is_theirs_alone_from_then_on() {
    let bot = bot().await;
    let (alice, bob) = (member(), Member::regular(1_400_000_000_000_000_103));
    link(&bot, &alice, ALICE).await;
    link(&bot, &bob, ALICE).await;
    assert!(
        status_says_unlinked(&bot, &alice).await,
        "Zoom ended Alice's grant"
    );
    assert!(status(&bot, &bob).await.contains(ALICE_EMAIL));
}

#[tokio::test]
async fn unlink_revokes_at_zoom_and_a_second_account_replaces_the_first() {
    let bot = bot().await;
    let alice = member();
    link(&bot, &alice, ALICE).await;
    link(&bot, &alice, BOB).await;
    assert!(status(&bot, &alice).await.contains(BOB_EMAIL));
    assert_eq!(
        bot.zoom.current_refresh_token(ALICE),
        None,
        "the first revoked"
    );
    let answer = bot.run_sub(&alice, "zoom", "unlink", json!([])).await;
    assert!(answer.content.contains(BOB_EMAIL), "{}", answer.content);
    assert_eq!(bot.zoom.current_refresh_token(BOB), None, "revoked at Zoom");
    assert!(status_says_unlinked(&bot, &alice).await);
}

#[tokio::test]
async fn a_server_for_linked_members_only_sends_the_others_to_zoom_link() {
    let bot = bot().await;
    let admin = Member::admin(1_400_000_000_000_000_001);
    let set = bot
        .run_sub(
            &admin,
            "meet-settings",
            "set",
            strings(&[("hosting", "linked_only")]),
        )
        .await;
    assert!(!set.content.contains("can't"), "{}", set.content);
    let before = bot.zoom.meeting_count();
    let (answer, _) = bot.meet(&member(), strings(&[("topic", "Unlinked")])).await;
    assert!(answer.content.contains("/zoom link"), "{}", answer.content);
    assert_eq!(bot.zoom.meeting_count(), before);
}

#[tokio::test]
async fn zoom_saying_the_app_was_removed_forgets_the_link() {
    let bot = bot().await;
    let alice = member();
    link(&bot, &alice, ALICE).await;
    let body = json!({
        "event": "app_deauthorized",
        "event_ts": jiff::Timestamp::now().as_millisecond(),
        "payload": {"account_id": "acc", "user_id": ALICE, "client_id": FakeZoom::USER_CLIENT_ID,
                    "deauthorization_time": jiff::Timestamp::now().to_string()}
    })
    .to_string();
    assert_eq!(post_user_webhook(&bot, &body).await, 200);
    assert!(status_says_unlinked(&bot, &alice).await);
    // Not signed with the user app's secret: refused.
    let response = client()
        .post(format!("http://{}/zoom/user-webhook", bot.http_addr))
        .header("content-type", "application/json")
        .header(
            "x-zm-request-timestamp",
            jiff::Timestamp::now().as_second().to_string(),
        )
        .header("x-zm-signature", "v0=00")
        .body(body)
        .send()
        .await
        .expect("the bot answers");
    assert_eq!(response.status(), 401);
}

/// Posts `body` to the user app's webhook endpoint, signed as Zoom signs; the status.
async fn post_user_webhook(bot: &TestBot, body: &str) -> u16 {
    let ts = jiff::Timestamp::now().as_second().to_string();
    let signature =
        zoombot::zoom::webhook::sign(&Secret::new(USER_WEBHOOK_SECRET), &ts, body.as_bytes());
    client()
        .post(format!("http://{}/zoom/user-webhook", bot.http_addr))
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", ts)
        .header("x-zm-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .expect("the bot answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_members_own_meeting_is_followed_live_through_the_user_apps_events() {
    let bot = bot().await;
    let alice = member();
    link(&bot, &alice, ALICE).await;
    let (_, public) = bot
        .meet(
            &alice,
            strings(&[("topic", "Mine, live"), ("when", "in 2 days 10:00")]),
        )
        .await;
    let public = public.expect("posted");
    let id = bot.zoom.meetings()[0]["id"].as_i64().expect("an id");
    let guild = zoombot::ids::GuildId(FakeDiscord::GUILD_ID);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    // Zoom's events edit the public message: wait until the bot has noted where it is.
    while bot
        .store()
        .meeting(guild, id)
        .await
        .unwrap()
        .and_then(|r| r.message)
        .is_none()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "message never noted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let started = json!({
        "event": "meeting.started",
        "event_ts": 1_000,
        "payload": {"account_id": "acc", "object": {
            "id": id.to_string(), "uuid": "inst1", "start_time": jiff::Timestamp::now().to_string()
        }}
    })
    .to_string();
    assert_eq!(post_user_webhook(&bot, &started).await, 200);
    assert!(bot.message_shows(public.id, "Live now").await);
}

#[tokio::test]
async fn no_token_is_written_in_plaintext_or_shown_in_metrics() {
    let bot = bot().await;
    let alice = member();
    link(&bot, &alice, ALICE).await;
    bot.meet(&alice, strings(&[("topic", "At rest")])).await;
    let refresh = bot.zoom.current_refresh_token(ALICE).expect("a grant");
    let access = bot.zoom.user_access_token(ALICE).expect("an access token");
    bot.flush_store().await;
    for (path, bytes) in bot.data_files() {
        for secret in [&refresh, &access] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a token",
                path.display()
            );
        }
    }
    let (_, metrics) = bot.http_get("/metrics").await;
    assert!(!metrics.contains(&refresh) && !metrics.contains(&access));
    assert!(
        metrics.contains("zoombot_member_links_total{outcome=\"linked\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_link_is_the_members_own_in_every_server_and_leaving_one_changes_nothing() {
    let bot = bot().await;
    let alice = member();
    link(&bot, &alice, ALICE).await;
    // A server the member never linked from (or left the first for): the link is theirs.
    let elsewhere = FakeDiscord::GUILD_ID + 7;
    let (_, token) = bot
        .slash_in(
            elsewhere,
            &alice,
            "meet",
            strings(&[("topic", "Elsewhere")]),
        )
        .await;
    let answer = bot.answer(&token).await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    let meeting = bot
        .zoom
        .meetings()
        .into_iter()
        .find(|m| m["topic"] == "Elsewhere")
        .expect("made");
    assert_eq!(meeting["host_id"], ALICE);
    assert!(status(&bot, &alice).await.contains(ALICE_EMAIL));
}

#[tokio::test]
async fn zoom_down_during_the_code_exchange_links_nothing_and_says_to_try_again() {
    let bot = bot().await;
    let alice = member();
    bot.zoom.sign_in(ALICE);
    let (_, authorize) = begin(&bot, &alice).await;
    let callback = consent(&authorize).await;
    bot.zoom.set_user_token_failure(Some(503));
    let (status, page, _) = visit(&callback).await;
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("try /zoom link again"), "{page}");
    assert!(!page.contains("code="), "{page}");
    assert!(status_says_unlinked(&bot, &alice).await);
}
