//! The real `zoombot` binary's command line against the fake Zoom (and, for `doctor`, the fake
//! Discord).

use crate::support;

use std::process::{Command, Output};

use support::fake_discord::{self, BOT_PERMISSIONS, FakeDiscord};
use support::fake_zoom::{FakeZoom, TokenFailure};

/// Runs the binary with exactly `vars` as its environment, outside any directory holding a `.env`.
async fn zoombot(args: &[&str], vars: Vec<(String, String)>) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_zoombot"))
            .args(args)
            .env_clear()
            .envs(vars)
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run zoombot")
    })
    .await
    .expect("join")
}

fn env_for(zoom: &FakeZoom) -> Vec<(String, String)> {
    [
        ("ZOOM_ACCOUNT_ID", FakeZoom::ACCOUNT_ID.to_owned()),
        ("ZOOM_CLIENT_ID", FakeZoom::CLIENT_ID.to_owned()),
        ("ZOOM_CLIENT_SECRET", FakeZoom::CLIENT_SECRET.to_owned()),
        ("ZOOM_API_BASE", zoom.api_base()),
        ("ZOOM_OAUTH_URL", zoom.oauth_url()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// [`env_for`] plus the variables that point the binary at `discord` with its accepted token.
fn env_with_discord(zoom: &FakeZoom, discord: &FakeDiscord) -> Vec<(String, String)> {
    let mut vars = env_for(zoom);
    vars.extend(discord.bot_env().map(|(k, v)| (k.to_owned(), v)));
    vars
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn doctor_passes_every_check_on_a_healthy_setup() {
    let zoom = FakeZoom::start().await;
    let discord = FakeDiscord::start().await;
    discord.add_guild(
        BOOK_CLUB,
        "Book Club",
        BOT_PERMISSIONS | fake_discord::CREATE_EVENTS,
    );

    let out = zoombot(&["doctor"], env_with_discord(&zoom, &discord)).await;

    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    // Four Zoom checks; Discord's token, servers and one permissions line per server (two).
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok")).count(),
        8,
        "{text}"
    );
    assert!(text.contains(FakeZoom::DEFAULT_USER_EMAIL), "{text}");
    let servers = line(&text, "discord servers");
    assert!(
        servers.contains(FakeDiscord::GUILD_NAME) && servers.contains("Book Club"),
        "{text}"
    );
    assert!(
        line(&text, "discord token").contains(&FakeDiscord::BOT_USER_ID.to_string()),
        "the bot's id is named: {text}"
    );
    assert!(
        !text.contains("oauth2/authorize"),
        "nothing to grant: {text}"
    );
}

/// A second server the bot is in.
const BOOK_CLUB: u64 = FakeDiscord::GUILD_ID + 100;

/// The first line of doctor's output about `what`.
fn line<'a>(text: &'a str, what: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(&format!("{what}:")))
        .unwrap_or_else(|| panic!("no {what} verdict in:\n{text}"))
}

#[tokio::test]
async fn doctor_names_the_server_lacking_create_events_and_prints_an_invite_link_that_grants_it() {
    let zoom = FakeZoom::start().await;
    let discord = FakeDiscord::start().await;
    // The bot was invited with the README's old link, before events needed a permission.
    discord.set_guild_permissions(FakeDiscord::GUILD_ID, BOT_PERMISSIONS);
    discord.add_guild(
        BOOK_CLUB,
        "Book Club",
        BOT_PERMISSIONS | fake_discord::CREATE_EVENTS,
    );

    let out = zoombot(&["doctor"], env_with_discord(&zoom, &discord)).await;

    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let lacking: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(lacking.len(), 1, "{text}");
    assert!(
        lacking[0].contains("discord permissions")
            && lacking[0].contains(FakeDiscord::GUILD_NAME)
            && lacking[0].contains("Create Events"),
        "{text}"
    );
    assert!(
        !lacking[0].contains("Send Messages"),
        "granted ones are not named: {text}"
    );
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("https://discord.com/oauth2/authorize?"))
        .expect("an invite link");
    let query: Vec<(String, String)> =
        form_urlencoded::parse(link.split_once('?').expect("a query").1.as_bytes())
            .into_owned()
            .collect();
    let value = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| panic!("no {key} in {link}"), |(_, v)| v.clone())
    };
    assert_eq!(value("client_id"), FakeDiscord::APPLICATION_ID.to_string());
    assert_eq!(value("scope"), "bot applications.commands");
    let permissions: u64 = value("permissions").parse().expect("an integer");
    assert_ne!(permissions & (1 << 44), 0, "{link}");
    assert_eq!(
        permissions & BOT_PERMISSIONS & ((1 << 10) | (1 << 11) | (1 << 14)),
        (1 << 10) | (1 << 11) | (1 << 14)
    );
}

#[tokio::test]
async fn doctor_counts_administrator_as_every_permission_and_fails_when_the_bot_is_in_no_server() {
    let zoom = FakeZoom::start().await;
    let discord = FakeDiscord::start().await;
    discord.set_guild_permissions(FakeDiscord::GUILD_ID, 1 << 3);

    let admin = zoombot(&["doctor"], env_with_discord(&zoom, &discord)).await;
    assert!(admin.status.success(), "{}", stdout(&admin));

    discord.remove_guild(FakeDiscord::GUILD_ID);
    let alone = zoombot(&["doctor"], env_with_discord(&zoom, &discord)).await;
    assert_eq!(alone.status.code(), Some(1));
    let servers = stdout(&alone);
    let servers = line(&servers, "discord servers");
    assert!(
        servers.starts_with("FAIL") && servers.contains("oauth2/authorize"),
        "{servers}"
    );
}

#[tokio::test]
async fn doctor_says_a_rejected_discord_token_is_wrong_and_where_to_get_one_without_printing_it() {
    let zoom = FakeZoom::start().await;
    let discord = FakeDiscord::start().await;
    let wrong = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.wrong.token-that-must-not-leak";
    let mut vars = env_with_discord(&zoom, &discord);
    for (key, value) in &mut vars {
        if key == "DISCORD_TOKEN" {
            wrong.clone_into(value);
        }
    }

    let out = zoombot(&["doctor"], vars).await;

    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let token = line(&text, "discord token");
    assert!(
        token.starts_with("FAIL") && token.contains("401") && token.contains("Reset Token"),
        "{text}"
    );
    assert!(
        !text.contains("discord servers"),
        "nothing more to learn: {text}"
    );
    let everything = format!("{text}{}", stderr(&out));
    assert!(!everything.contains(wrong) && !everything.contains("must-not-leak"));
    assert_eq!(
        discord
            .requests_matching("GET", "/users/@me")
            .last()
            .and_then(|r| r.authorization.clone()),
        Some(format!("Bot {wrong}")),
        "the configured token was the one asked about"
    );

    // A token reset in the portal after the bot was set up: the same verdict.
    discord.reject_token(true);
    let out = zoombot(&["doctor"], env_with_discord(&zoom, &discord)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(line(&stdout(&out), "discord token").starts_with("FAIL"));
    assert!(!format!("{}{}", stdout(&out), stderr(&out)).contains(FakeDiscord::BOT_TOKEN));
}

#[tokio::test]
async fn doctor_without_a_discord_token_says_where_to_find_one() {
    let zoom = FakeZoom::start().await;

    let out = zoombot(&["doctor"], env_for(&zoom)).await;

    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let verdict = line(&text, "discord configuration");
    assert!(
        verdict.starts_with("FAIL") && verdict.contains("DISCORD_TOKEN"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok")).count(),
        4,
        "Zoom still passes: {text}"
    );
}

#[tokio::test]
async fn doctor_names_the_missing_scopes_and_fails() {
    let zoom = FakeZoom::start().await;
    zoom.set_scopes("meeting:read:meeting:admin user:read:user:admin");

    let out = zoombot(&["doctor"], env_for(&zoom)).await;

    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let scopes = text
        .lines()
        .find(|l| l.contains("scopes"))
        .expect("a scopes verdict");
    assert!(scopes.starts_with("FAIL"), "{text}");
    assert!(
        scopes.contains("meeting:write:meeting:admin")
            && scopes.contains("meeting:delete:meeting:admin"),
        "{scopes}"
    );
    assert!(
        !scopes.contains("user:read:user:admin"),
        "granted scopes are not listed: {scopes}"
    );
}

#[tokio::test]
async fn doctor_explains_a_wrong_secret() {
    let zoom = FakeZoom::start().await;
    zoom.set_token_failure(Some(TokenFailure::InvalidClient));

    let out = zoombot(&["doctor"], env_for(&zoom)).await;

    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL  token") && l.contains("ZOOM_CLIENT_SECRET")),
        "{text}"
    );
    assert!(
        !text.contains(FakeZoom::CLIENT_SECRET) && !stderr(&out).contains(FakeZoom::CLIENT_SECRET)
    );
}

#[tokio::test]
async fn doctor_lists_every_configuration_problem_at_once() {
    let out = zoombot(
        &["doctor"],
        vec![("ZOOM_API_BASE".to_owned(), "nope".to_owned())],
    )
    .await;

    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    for key in [
        "ZOOM_ACCOUNT_ID",
        "ZOOM_CLIENT_ID",
        "ZOOM_CLIENT_SECRET",
        "ZOOM_API_BASE",
    ] {
        assert!(text.contains(key), "{key}: {text}");
    }
    // Discord's part is checked in the same run, so nothing is left for a second one.
    let verdicts = stdout(&out);
    assert!(
        line(&verdicts, "discord configuration").contains("DISCORD_TOKEN"),
        "{verdicts}"
    );
}

#[tokio::test]
async fn doctor_fails_when_the_host_user_does_not_exist() {
    let zoom = FakeZoom::start().await;
    let mut vars = env_for(&zoom);
    vars.push(("ZOOM_HOST_USER".to_owned(), "ghost@example.com".to_owned()));

    let out = zoombot(&["doctor"], vars).await;

    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.starts_with("FAIL  host user")),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn meet_create_prints_the_join_link_and_keeps_the_start_link_private_unless_asked() {
    let zoom = FakeZoom::start().await;
    let year = jiff::Zoned::now().year() + 1;
    let start = format!("{year}-03-02 15:00");

    let out = zoombot(
        &[
            "meet",
            "create",
            "--topic",
            "Weekly sync",
            "--duration",
            "45m",
            "--start",
            &start,
            "--timezone",
            "Europe/Berlin",
        ],
        env_for(&zoom),
    )
    .await;

    assert!(out.status.success(), "{}", stderr(&out));
    let meeting = &zoom.meetings()[0];
    assert_eq!(
        meeting["start_time"],
        format!("{year}-03-02T14:00:00Z"),
        "15:00 in Berlin in winter"
    );
    assert_eq!(meeting["timezone"], "Europe/Berlin");
    assert_eq!(meeting["duration"], 45);
    let text = stdout(&out);
    assert!(
        text.contains(meeting["join_url"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        !text.contains("zak="),
        "no start link without --show-start-url: {text}"
    );

    let out = zoombot(
        &["meet", "create", "--topic", "Now", "--show-start-url"],
        env_for(&zoom),
    )
    .await;
    assert!(stdout(&out).contains("zak="), "{}", stdout(&out));
}

#[tokio::test]
async fn meet_create_refuses_bad_input_before_calling_zoom() {
    let zoom = FakeZoom::start().await;

    let out = zoombot(
        &["meet", "create", "--topic", "x", "--duration", "25h"],
        env_for(&zoom),
    )
    .await;

    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("24 hours"), "{}", stderr(&out));
    assert!(zoom.requests().is_empty());
}

#[tokio::test]
async fn meet_create_refuses_what_meet_refuses_with_the_same_words() {
    let zoom = FakeZoom::start().await;

    // A topic of zero-width spaces looks empty to a member; Zoom would take it.
    let invisible = zoombot(
        &["meet", "create", "--topic", "\u{200B}\u{200B}"],
        env_for(&zoom),
    )
    .await;
    let long_topic = "x".repeat(201);
    let too_long = zoombot(&["meet", "create", "--topic", &long_topic], env_for(&zoom)).await;
    let passcode = zoombot(
        &["meet", "create", "--topic", "t", "--passcode", "no spaces"],
        env_for(&zoom),
    )
    .await;

    assert_eq!(invisible.status.code(), Some(1), "{}", stdout(&invisible));
    assert!(
        stderr(&invisible).contains("The topic is empty"),
        "{}",
        stderr(&invisible)
    );
    assert_eq!(too_long.status.code(), Some(1));
    assert!(
        stderr(&too_long).contains("The topic is 201 characters long"),
        "{}",
        stderr(&too_long)
    );
    assert_eq!(passcode.status.code(), Some(1));
    assert!(
        stderr(&passcode).contains("That passcode won't work"),
        "{}",
        stderr(&passcode)
    );
    assert!(zoom.requests().is_empty(), "{:?}", zoom.requests());
}

#[tokio::test]
async fn meet_list_and_delete_manage_upcoming_meetings() {
    let zoom = FakeZoom::start().await;
    let created = zoombot(
        &["meet", "create", "--topic", "Listed", "--start", "in 2h"],
        env_for(&zoom),
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let id = zoom.meetings()[0]["id"].as_i64().unwrap().to_string();

    let listed = zoombot(&["meet", "list"], env_for(&zoom)).await;
    assert!(
        stdout(&listed).contains(&id) && stdout(&listed).contains("Listed"),
        "{}",
        stdout(&listed)
    );

    let deleted = zoombot(&["meet", "delete", &id], env_for(&zoom)).await;
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(zoom.meeting_count(), 0);

    let again = zoombot(&["meet", "delete", &id], env_for(&zoom)).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("no such meeting"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn a_bad_log_format_is_reported_with_every_other_problem_of_the_bot() {
    let vars = vec![
        ("LOG_FORMAT".to_owned(), "yaml".to_owned()),
        ("HTTP_ADDR".to_owned(), "8080".to_owned()),
    ];

    let out = zoombot(&[], vars).await;

    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("the configuration has 6 problems"), "{text}");
    for expected in [
        "LOG_FORMAT is \"yaml\": it is \"pretty\"",
        "HTTP_ADDR is not an IP address and port: \"8080\"",
        "DISCORD_TOKEN is not set",
        "ZOOM_CLIENT_SECRET is not set",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from: {text}");
    }
}

#[tokio::test]
async fn a_subcommand_refuses_a_bad_log_format_too() {
    let zoom = FakeZoom::start().await;
    let mut vars = env_for(&zoom);
    vars.push(("LOG_FORMAT".to_owned(), "xml".to_owned()));

    let out = zoombot(&["meet", "list"], vars).await;

    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("LOG_FORMAT is \"xml\""),
        "{}",
        stderr(&out)
    );
    assert!(zoom.requests().is_empty());
}

#[tokio::test]
async fn doctor_checks_the_user_app_credentials_and_names_the_redirect_url() {
    let zoom = FakeZoom::start().await;
    let discord = FakeDiscord::start().await;
    let user_app = |secret: &str| {
        let mut vars = env_with_discord(&zoom, &discord);
        vars.extend([
            (
                "ZOOM_USER_CLIENT_ID".to_owned(),
                FakeZoom::USER_CLIENT_ID.to_owned(),
            ),
            ("ZOOM_USER_CLIENT_SECRET".to_owned(), secret.to_owned()),
            (
                "PUBLIC_URL".to_owned(),
                "https://bot.example.com".to_owned(),
            ),
        ]);
        vars
    };

    let right = zoombot(&["doctor"], user_app(FakeZoom::USER_CLIENT_SECRET)).await;
    let text = stdout(&right);
    assert!(line(&text, "member accounts").starts_with("info"), "{text}");
    assert!(
        text.contains("https://bot.example.com/zoom/oauth/callback"),
        "{text}"
    );
    assert!(
        text.contains("ok    member accounts: Zoom accepts"),
        "{text}"
    );

    let wrong = zoombot(&["doctor"], user_app("not-the-secret")).await;
    let text = stdout(&wrong);
    assert!(!wrong.status.success());
    assert!(
        text.contains("FAIL  member accounts: Zoom refuses"),
        "{text}"
    );
    assert!(!text.contains("not-the-secret"), "{text}");
}

#[tokio::test]
async fn migrate_brings_the_schema_up_once_and_doctor_reports_its_version() {
    let Some(db) = support::postgres::database().await else {
        return;
    };
    let with_db = |mut vars: Vec<(String, String)>| {
        vars.push(("DATABASE_URL".to_owned(), db.url.clone()));
        vars
    };
    let zoom = FakeZoom::start().await;
    let discord = FakeDiscord::start().await;
    let before = zoombot(&["doctor"], with_db(env_with_discord(&zoom, &discord))).await;
    assert!(
        line(&stdout(&before), "store").contains("no schema yet"),
        "{}",
        stdout(&before)
    );

    let first = zoombot(&["migrate"], with_db(Vec::new())).await;
    let again = zoombot(&["migrate"], with_db(Vec::new())).await;

    assert!(first.status.success(), "{}", stderr(&first));
    let known = zoombot::store::postgres::SCHEMA_VERSION;
    assert!(
        stdout(&first).contains(&format!("from version 0 to {known}")),
        "{}",
        stdout(&first)
    );
    assert!(again.status.success());
    assert!(stdout(&again).contains("up to date"), "{}", stdout(&again));
    let after = zoombot(&["doctor"], with_db(env_with_discord(&zoom, &discord))).await;
    let store = line(&stdout(&after), "store").to_owned();
    assert!(
        store.starts_with("ok") && store.contains(&format!("schema version {known}")),
        "{store}"
    );
    assert!(after.status.success(), "{}", stdout(&after));
}

#[tokio::test]
async fn migrate_without_a_database_says_it_is_for_postgresql_and_exits_2() {
    let out = zoombot(&["migrate"], Vec::new()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("DATABASE_URL is not set"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn an_unreachable_database_stops_the_bot_at_start_naming_it_without_its_password() {
    let zoom = FakeZoom::start().await;
    let discord = FakeDiscord::start().await;
    // A port nothing listens on: refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("postgres://zoombot:hunter2@127.0.0.1:{closed}/zoombot");
    let mut vars = env_with_discord(&zoom, &discord);
    vars.push(("DATABASE_URL".to_owned(), url));
    vars.push(("HTTP_ADDR".to_owned(), "127.0.0.1:0".to_owned()));

    let started = std::time::Instant::now();
    let out = zoombot(&[], vars).await;

    assert!(!out.status.success());
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains(&format!(
            "postgres://zoombot:***@127.0.0.1:{closed}/zoombot"
        )),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        discord.requests().is_empty(),
        "nothing asked of Discord before the store was there"
    );
}
