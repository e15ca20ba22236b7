//! Shared test support: the fake Zoom, spec loading and client construction.
#![allow(dead_code)]

#[cfg(unix)]
pub mod binary;
pub mod bot;
pub mod fake_discord;
pub mod fake_zoom;
pub mod specs;

use std::io::Read;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_zoom::FakeZoom;
use zoombot::config::ZoomConfig;
use zoombot::secret::Secret;
use zoombot::zoom::{RetryPolicy, ZoomClient};

/// The configuration that points the client at `fake` with its accepted credentials.
pub fn zoom_config(fake: &FakeZoom) -> ZoomConfig {
    ZoomConfig {
        account_id: FakeZoom::ACCOUNT_ID.to_owned(),
        client_id: FakeZoom::CLIENT_ID.to_owned(),
        client_secret: Secret::new(FakeZoom::CLIENT_SECRET),
        api_base: fake.api_base(),
        oauth_url: fake.oauth_url(),
        host_user: "me".to_owned(),
        allowed_host_users: vec!["second@example.com".to_owned()],
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
    }
}

/// Backoffs short enough for tests, with the production shape.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_rate_limit_wait: Duration::from_secs(3),
        max_attempts: 4,
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

/// A client for `fake` with quick retries.
pub fn zoom_client(fake: &FakeZoom) -> ZoomClient {
    ZoomClient::new(&zoom_config(fake))
        .expect("client")
        .with_retry_policy(quick_retries())
}

/// Everything `child` writes to its (piped) stderr, collected by a thread as it comes.
pub fn capture_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let log = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().expect("stderr");
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    log
}
