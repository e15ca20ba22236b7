//! `GET /metrics` after commands through the bot running in-process: commands by name and
//! outcome, their latency, Zoom requests by endpoint template and status, token fetches, 429s by
//! type and Discord REST errors by code, in Prometheus' text format.

use crate::support;

use std::time::Duration;

use support::bot::{PATIENCE, TestBot, strings};
use support::fake_discord::Member;
use support::fake_zoom::RateLimit;

const ALICE: u64 = 1_400_000_000_000_000_001;

/// The value of the sample `series` (name and labels, exactly as rendered), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

/// Polls `/metrics` until `series` has `value`, up to `PATIENCE`; returns the whole text.
async fn metrics_show(bot: &TestBot, series: &str, value: f64) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (status, text) = bot.http_get("/metrics").await;
        assert_eq!(status, 200);
        if sample(&text, series) == Some(value) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{series} never became {value}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meet_shows_up_as_a_command_zoom_requests_a_token_fetch_and_a_429() {
    let bot = TestBot::start().await;
    bot.zoom.rate_limit_next(
        1,
        RateLimit::PerSecond {
            retry_after_secs: 0,
        },
    );

    let (answer, public) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "Metrics")]))
        .await;
    assert!(answer.content.starts_with("Scheduled") && public.is_some());
    let text = metrics_show(
        &bot,
        r#"zoombot_commands_total{command="meet",outcome="ok"}"#,
        1.0,
    )
    .await;

    let create = r#"endpoint="POST /users/{userId}/meetings""#;
    for (series, value) in [
        (
            r#"zoombot_command_duration_seconds_count{command="meet"}"#.to_owned(),
            1.0,
        ),
        (
            r#"zoombot_command_duration_seconds_bucket{command="meet",le="+Inf"}"#.to_owned(),
            1.0,
        ),
        (
            format!(r#"zoombot_zoom_request_duration_seconds_count{{{create},status="429"}}"#),
            1.0,
        ),
        (
            format!(r#"zoombot_zoom_request_duration_seconds_count{{{create},status="201"}}"#),
            1.0,
        ),
        (
            r#"zoombot_zoom_rate_limited_total{type="per_second"}"#.to_owned(),
            1.0,
        ),
        (
            r#"zoombot_zoom_token_fetches_total{outcome="ok"}"#.to_owned(),
            1.0,
        ),
    ] {
        assert_eq!(sample(&text, &series), Some(value), "{series}:\n{text}");
    }
    assert!(
        text.contains("# TYPE zoombot_command_duration_seconds histogram\n"),
        "{text}"
    );
    // Bounded labels: the endpoint is a template, never the meeting id or the host user.
    let id = bot.zoom.meetings()[0]["id"].to_string();
    assert!(!text.contains(&id), "a meeting id became a label:\n{text}");
    assert!(!text.contains("users/me"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_failed_replies_are_counted_apart_with_discords_error_code() {
    let bot = TestBot::start().await;

    let (refused, _) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "t"), ("duration", "forever")]),
        )
        .await;
    assert!(!refused.content.starts_with("Scheduled"));
    metrics_show(
        &bot,
        r#"zoombot_commands_total{command="meet",outcome="user_error"}"#,
        1.0,
    )
    .await;

    // Discord forgot the interaction (too slow, or a restart): the acknowledgement fails.
    bot.discord
        .fail_next_with("/callback", 404, 10062, "Unknown interaction");
    bot.slash(&Member::regular(ALICE), "meet", strings(&[("topic", "t")]))
        .await;
    let text = metrics_show(
        &bot,
        r#"zoombot_commands_total{command="meet",outcome="failed"}"#,
        1.0,
    )
    .await;

    assert_eq!(
        sample(
            &text,
            r#"zoombot_discord_rest_errors_total{code="10062",status="404"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"zoombot_commands_total{command="meet",outcome="ok"}"#
        ),
        None,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_as_prometheus_text_0_0_4_that_a_parser_reads() {
    let bot = TestBot::start().await;
    let (answer, _) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "Parsed")]))
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    metrics_show(
        &bot,
        r#"zoombot_commands_total{command="meet",outcome="ok"}"#,
        1.0,
    )
    .await;

    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{}/metrics", bot.http_addr))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    // Every line is a comment or `name{labels} value`, the value a number.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').expect("name and value");
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("{e}:\n{text}"));
    // Each family with a series after a /meet: its HELP, its TYPE, and a sample that moved.
    // (prometheus-parse skips samples whose label values hold braces, like the Zoom endpoint
    // templates; those are checked as text in the test above.)
    for (family, kind) in [
        ("zoombot_commands_total", "counter"),
        ("zoombot_command_duration_seconds", "histogram"),
        ("zoombot_zoom_request_duration_seconds", "histogram"),
        ("zoombot_zoom_token_fetches_total", "counter"),
    ] {
        assert!(
            scrape.docs.get(family).is_some_and(|d| !d.is_empty()),
            "{family} has no HELP:\n{text}"
        );
        assert!(
            text.contains(&format!("# TYPE {family} {kind}\n")),
            "{family}:\n{text}"
        );
    }
    let counter = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| {
                s.metric == name
                    && s.labels.len() == labels.len()
                    && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
            })
            .map(|s| s.value.clone())
    };
    assert_eq!(
        counter(
            "zoombot_commands_total",
            &[("command", "meet"), ("outcome", "ok")]
        ),
        Some(prometheus_parse::Value::Counter(1.0))
    );
    assert_eq!(
        counter("zoombot_zoom_token_fetches_total", &[("outcome", "ok")]),
        Some(prometheus_parse::Value::Counter(1.0))
    );
    let Some(prometheus_parse::Value::Histogram(buckets)) =
        counter("zoombot_command_duration_seconds", &[("command", "meet")])
    else {
        panic!("no command histogram:\n{text}")
    };
    let bounds: Vec<f64> = buckets.iter().map(|b| b.less_than).collect();
    assert_eq!(
        bounds,
        [
            0.05,
            0.1,
            0.25,
            0.5,
            1.0,
            2.5,
            5.0,
            10.0,
            30.0,
            f64::INFINITY
        ]
    );
    assert_eq!(buckets.last().map(|b| b.count), Some(1.0));
}
