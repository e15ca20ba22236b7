//! Tests of reading the configuration from the environment.

use std::collections::HashMap;

use super::*;

fn zoom_from(vars: &[(&str, &str)]) -> Result<ZoomConfig, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = move |key: &str| map.get(key).cloned();
    let mut env = Env::new(&lookup);
    let zoom = ZoomConfig::read(&mut env);
    env.finish().map(|()| zoom)
}

const COMPLETE: [(&str, &str); 3] = [
    ("ZOOM_ACCOUNT_ID", "acc"),
    ("ZOOM_CLIENT_ID", "cid"),
    ("ZOOM_CLIENT_SECRET", "shh"),
];

#[test]
fn complete_config_gets_the_documented_defaults() {
    let zoom = zoom_from(&COMPLETE).unwrap();
    assert_eq!(zoom.api_base, "https://api.zoom.us/v2");
    assert_eq!(zoom.oauth_url, "https://zoom.us/oauth/token");
    assert_eq!(zoom.host_user, "me");
    assert_eq!(zoom.connect_timeout, Duration::from_secs(5));
    assert_eq!(zoom.request_timeout, Duration::from_secs(15));
    assert!(
        zoom.allowed_host_users.is_empty(),
        "no other host users unless listed"
    );
}

#[test]
fn other_host_users_are_a_comma_separated_list() {
    let mut vars = COMPLETE.to_vec();
    vars.push(("ZOOM_HOST_USERS", " a@example.com, ,uid-2 "));
    let zoom = zoom_from(&vars).unwrap();
    assert_eq!(zoom.allowed_host_users, ["a@example.com", "uid-2"]);
    let client = crate::zoom::ZoomClient::new(&zoom).unwrap();
    assert!(client.may_host("A@Example.com") && client.may_host("uid-2") && client.may_host("me"));
    assert!(!client.may_host("ceo@example.com"));
}

#[test]
fn every_problem_is_reported_at_once_with_where_to_find_it() {
    let err = zoom_from(&[
        ("ZOOM_API_BASE", "not a url"),
        ("ZOOM_REQUEST_TIMEOUT", "soon"),
    ])
    .unwrap_err();
    assert_eq!(err.problems.len(), 5, "{err}");
    let text = err.to_string();
    for key in [
        "ZOOM_ACCOUNT_ID",
        "ZOOM_CLIENT_ID",
        "ZOOM_CLIENT_SECRET",
        "ZOOM_API_BASE",
        "ZOOM_REQUEST_TIMEOUT",
    ] {
        assert!(text.contains(key), "{key} missing from: {text}");
    }
    assert!(text.contains("App Credentials"));
}

#[test]
fn legacy_jwt_variables_explain_that_jwt_apps_are_retired() {
    let err = zoom_from(&[("ZOOM_API_KEY", "k"), ("ZOOM_API_SECRET", "s")]).unwrap_err();
    assert!(
        err.to_string().contains("retired in September 2023"),
        "{err}"
    );
}

#[test]
fn government_cloud_works_by_setting_the_two_urls() {
    let mut vars = COMPLETE.to_vec();
    vars.push(("ZOOM_API_BASE", "https://api.zoomgov.com/v2/"));
    vars.push(("ZOOM_OAUTH_URL", "https://zoomgov.com/oauth/token"));
    let zoom = zoom_from(&vars).unwrap();
    assert_eq!(zoom.api_base, "https://api.zoomgov.com/v2");
    assert_eq!(zoom.oauth_url, "https://zoomgov.com/oauth/token");
}

#[test]
fn the_bot_needs_a_discord_token_and_reports_it_with_the_zoom_problems() {
    let map: HashMap<&str, &str> = [("DISCORD_GUILD_ID", "abc")].into_iter().collect();
    let err = BotConfig::from_lookup(&|key| map.get(key).map(|v| (*v).to_owned())).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.problems.len(), 5, "{text}");
    assert!(
        text.contains("DISCORD_TOKEN")
            && text.contains("DISCORD_GUILD_ID")
            && text.contains("ZOOM_CLIENT_ID")
    );
}

#[test]
fn a_complete_bot_config_reads_the_discord_settings() {
    let mut vars: HashMap<&str, &str> = COMPLETE.into_iter().collect();
    vars.extend([
        ("DISCORD_TOKEN", "tok"),
        ("DISCORD_GUILD_ID", "123"),
        ("DISCORD_API_BASE", "http://127.0.0.1:9/"),
    ]);
    let config = BotConfig::from_lookup(&|key| vars.get(key).map(|v| (*v).to_owned())).unwrap();
    assert_eq!(config.discord.guild_id, Some(123));
    assert_eq!(
        config.discord.api_base.as_deref(),
        Some("http://127.0.0.1:9")
    );
    assert!(!format!("{config:?}").contains("tok\""));
}

fn bot_from(extra: &[(&str, &str)]) -> Result<BotConfig, ConfigError> {
    let mut vars: HashMap<&str, &str> = COMPLETE.into_iter().collect();
    vars.insert("DISCORD_TOKEN", "tok");
    vars.extend(extra.iter().copied());
    BotConfig::from_lookup(&|key| vars.get(key).map(|v| (*v).to_owned()))
}

#[test]
fn http_addr_log_format_and_data_dir_have_documented_defaults() {
    let config = bot_from(&[]).unwrap();
    assert_eq!(config.http_addr.to_string(), "127.0.0.1:8080");
    assert_eq!(config.log_format, LogFormat::Pretty);
    assert_eq!(config.data_dir, PathBuf::from("./data"));
}

#[test]
fn http_addr_log_format_and_data_dir_are_read() {
    let config = bot_from(&[
        ("HTTP_ADDR", "127.0.0.1:9000"),
        ("LOG_FORMAT", "JSON"),
        ("DATA_DIR", "/data"),
    ])
    .unwrap();
    assert_eq!(config.http_addr.to_string(), "127.0.0.1:9000");
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.data_dir, PathBuf::from("/data"));
}

#[test]
fn a_bad_http_addr_and_log_format_are_reported_with_the_other_problems() {
    let err = BotConfig::from_lookup(&|key| match key {
        "HTTP_ADDR" => Some(":8080".to_owned()),
        "LOG_FORMAT" => Some("yaml".to_owned()),
        _ => None,
    })
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.problems.len(), 6, "{text}");
    assert!(
        text.contains("HTTP_ADDR is not an IP address and port: \":8080\""),
        "{text}"
    );
    assert!(text.contains("LOG_FORMAT is \"yaml\""), "{text}");
    assert!(text.contains("DISCORD_TOKEN"), "{text}");
}

#[test]
fn the_client_secret_is_redacted_in_debug_output() {
    let zoom = zoom_from(&COMPLETE).unwrap();
    assert!(!format!("{zoom:?}").contains("shh"));
}

fn webhooks_from(vars: &[(&str, &str)]) -> Result<Option<WebhookConfig>, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = move |key: &str| map.get(key).cloned();
    let mut env = Env::new(&lookup);
    let webhooks = WebhookConfig::read(&mut env);
    env.finish().map(|()| webhooks)
}

#[test]
fn webhooks_are_on_with_both_settings_and_off_with_neither() {
    assert!(webhooks_from(&[]).unwrap().is_none());
    let on = webhooks_from(&[
        ("PUBLIC_URL", "https://bot.example.com/zoombot/"),
        ("ZOOM_WEBHOOK_SECRET_TOKEN", "whsec"),
    ])
    .unwrap()
    .expect("on");
    assert_eq!(on.public_url, "https://bot.example.com/zoombot");
    assert_eq!(
        on.endpoint(),
        "https://bot.example.com/zoombot/zoom/webhook"
    );
    assert_eq!(on.secret.expose(), "whsec");
    assert!(!format!("{on:?}").contains("whsec"), "{on:?}");
    assert!(
        webhook_status(Some(&on)).contains("POST https://bot.example.com/zoombot/zoom/webhook")
    );
    assert!(webhook_status(None).contains("set PUBLIC_URL and ZOOM_WEBHOOK_SECRET_TOKEN"));
}

#[test]
fn one_webhook_setting_without_the_other_says_which_is_missing() {
    let err = webhooks_from(&[("PUBLIC_URL", "https://bot.example.com")]).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert!(
        err.problems[0].contains("ZOOM_WEBHOOK_SECRET_TOKEN is not"),
        "{err}"
    );
    let err = webhooks_from(&[("ZOOM_WEBHOOK_SECRET_TOKEN", "whsec")]).unwrap_err();
    assert!(err.problems[0].contains("PUBLIC_URL is not"), "{err}");
    assert!(!err.to_string().contains("whsec"), "{err}");
}

#[test]
fn public_url_must_be_https_without_a_query_except_on_this_machine() {
    for bad in [
        "bot.example.com",
        "http://bot.example.com",
        "ftp://bot.example.com",
        "https://bot.example.com/?a=1",
        "https://bot.example.com/#x",
        "/zoom",
    ] {
        let err =
            webhooks_from(&[("PUBLIC_URL", bad), ("ZOOM_WEBHOOK_SECRET_TOKEN", "s")]).unwrap_err();
        assert!(err.problems[0].starts_with("PUBLIC_URL is"), "{bad}: {err}");
    }
    for good in [
        "http://localhost:8080",
        "http://127.0.0.1:9000/",
        "https://[::1]",
    ] {
        let on = webhooks_from(&[("PUBLIC_URL", good), ("ZOOM_WEBHOOK_SECRET_TOKEN", "s")]);
        assert!(on.is_ok_and(|w| w.is_some()), "{good}");
    }
}

#[test]
fn a_bad_public_url_is_reported_with_every_other_problem() {
    let lookup = |key: &str| match key {
        "PUBLIC_URL" => Some("http://bot.example.com".to_owned()),
        "ZOOM_WEBHOOK_SECRET_TOKEN" => Some("s".to_owned()),
        _ => None,
    };
    let err = BotConfig::from_lookup(&lookup).unwrap_err();
    assert!(
        err.problems.iter().any(|p| p.starts_with("PUBLIC_URL")),
        "{err}"
    );
    assert!(
        err.problems.iter().any(|p| p.starts_with("DISCORD_TOKEN")),
        "{err}"
    );
}
