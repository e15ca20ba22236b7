//! `zoombot webhook test`: a signed sample event posted to the bot's own endpoint, as Zoom would
//! post it, so the operator sees the secret, the route and the inbox work before Zoom is told;
//! and doctor's line about webhooks.

use std::process::ExitCode;
use std::time::Duration;

use crate::config::{WebhookConfig, http_addr_from_env, webhook_status};
use crate::zoom::webhook::sign;

/// A made-up meeting number for the sample event.
pub const SAMPLE_MEETING: i64 = 85_746_065_432;

/// How long the endpoint has to answer: Zoom itself waits 3 s.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Exit code when webhooks are not configured: nothing was tried.
const NOT_CONFIGURED: u8 = 2;

/// A `meeting.started` event for `meeting` at `now`, shaped as Zoom sends it (the id a string).
pub fn sample_event(meeting: i64, now: jiff::Timestamp) -> String {
    let ms = now.as_millisecond();
    serde_json::json!({
        "event": "meeting.started",
        "event_ts": ms,
        "payload": {
            "account_id": "zoombot-webhook-test",
            "object": {
                "id": meeting.to_string(),
                "uuid": format!("zoombot-webhook-test-{ms}"),
                "host_id": "zoombot-webhook-test",
                "topic": "zoombot webhook test",
                "type": 2,
                "start_time": now.to_string(),
                "duration": 30,
                "timezone": "UTC",
            }
        }
    })
    .to_string()
}

/// Signs a sample event for `meeting` and posts it to `url` (default: the bot on `HTTP_ADDR`);
/// prints the answer; 0 on 200, 1 otherwise, 2 without webhook configuration.
pub async fn test(meeting: i64, url: Option<String>) -> ExitCode {
    let webhooks = match WebhookConfig::from_env() {
        Ok(Some(webhooks)) => webhooks,
        Ok(None) => {
            eprintln!(
                "error: webhooks are not configured. Set PUBLIC_URL and ZOOM_WEBHOOK_SECRET_TOKEN \
                 (the Secret Token of the Zoom app's Event Subscriptions), as the bot has them."
            );
            return ExitCode::from(NOT_CONFIGURED);
        }
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(NOT_CONFIGURED);
        }
    };
    let url = match url {
        Some(url) => url,
        None => match http_addr_from_env() {
            Ok(addr) => format!("http://{}/zoom/webhook", super::local_address(addr)),
            Err(err) => {
                eprintln!("{err}");
                return ExitCode::FAILURE;
            }
        },
    };
    let now = jiff::Timestamp::now();
    let body = sample_event(meeting, now);
    let timestamp = now.as_second().to_string();
    let signature = sign(&webhooks.secret, &timestamp, body.as_bytes());
    // No proxy: the bot is on this machine, whatever HTTP_PROXY says.
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let sent = client
        .post(&url)
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", &timestamp)
        .header("x-zm-signature", signature)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            println!("POST {url} (meeting.started for meeting {meeting})");
            println!("{} {text}", status.as_u16());
            if status == reqwest::StatusCode::OK {
                ExitCode::SUCCESS
            } else {
                if status == reqwest::StatusCode::NOT_FOUND {
                    eprintln!(
                        "the bot there has no webhook endpoint: does it have PUBLIC_URL and ZOOM_WEBHOOK_SECRET_TOKEN?"
                    );
                } else if status == reqwest::StatusCode::UNAUTHORIZED {
                    eprintln!("the bot there has another ZOOM_WEBHOOK_SECRET_TOKEN");
                }
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            let why = if err.is_timeout() {
                "no answer in time"
            } else {
                "nothing answers there (is the bot running?)"
            };
            eprintln!("error: POST {url}: {why}");
            ExitCode::FAILURE
        }
    }
}

/// Doctor's line about webhooks: on or off is information; half a configuration fails.
pub fn check() -> bool {
    match WebhookConfig::from_env() {
        Ok(webhooks) => {
            println!("info  webhooks: {}", webhook_status(webhooks.as_ref()));
            true
        }
        Err(err) => super::doctor::verdict(false, "webhooks", &err.problems.join(" ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::webhook::WebhookEvent;

    #[test]
    fn the_sample_event_reads_as_a_meeting_started_for_its_meeting() {
        let now = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let event: WebhookEvent = serde_json::from_str(&sample_event(42, now)).unwrap();
        assert_eq!(event.event, "meeting.started");
        assert_eq!(event.meeting(), Some(42));
        assert_eq!(event.event_ts, 1_700_000_000_000);
    }
}
