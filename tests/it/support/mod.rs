//! Shared test support: the fake Zoom, spec loading and client construction.

#[cfg(unix)]
pub mod binary;
pub mod bot;
pub mod discord_signature;
pub mod fake_discord;
pub mod fake_zoom;
#[cfg(unix)]
pub mod postgres;
pub mod signed;
pub mod specs;

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_discord::FakeDiscord;
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

/// The environment that runs the real binary against `discord` and `zoom`, its data in
/// `data_dir`, its HTTP server on a free loopback port.
pub fn binary_env(
    discord: &FakeDiscord,
    zoom: &FakeZoom,
    data_dir: &Path,
) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("DISCORD_GUILD_ID", FakeDiscord::GUILD_ID.to_string()),
        ("DATA_DIR", data_dir.display().to_string()),
        // Port 0: tests run side by side; the log says which port was taken.
        ("HTTP_ADDR", "127.0.0.1:0".to_owned()),
    ];
    env.extend(discord.bot_env());
    env.extend(zoom.bot_env());
    env
}

/// The real binary with exactly `env`, then `extra`, as its environment, run in `dir` (away from
/// any `.env`), its stdout discarded and its stderr piped for [`capture_stderr`].
pub fn binary_command(env: Vec<(&str, String)>, extra: &[(&str, &str)], dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zoombot"));
    command
        .env_clear()
        .envs(env)
        .envs(extra.iter().map(|(k, v)| (*k, *v)))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// How many times a bot has registered its commands for the fake's server, successfully.
pub fn registrations(discord: &FakeDiscord) -> usize {
    discord
        .requests_matching(
            "PUT",
            &format!("/guilds/{}/commands", FakeDiscord::GUILD_ID),
        )
        .iter()
        .filter(|r| (200..300).contains(&r.status))
        .count()
}

/// Waits (bounded) until a bot has registered its commands for the fake's server more than
/// `before` times: it has connected and is ready.
pub async fn registered(discord: &FakeDiscord, before: usize) -> bool {
    discord
        .wait_for(|d| registrations(d) > before, bot::PATIENCE)
        .await
}

/// Where the binary's HTTP server listens, from the start-up line in `log` (pretty or JSON).
pub fn listening_addr(log: &str) -> Option<SocketAddr> {
    let line = log.lines().find(|l| l.contains("HTTP server listening"))?;
    let rest = line
        .split_once("addr=")
        .or_else(|| line.split_once("\"addr\":\""))?
        .1;
    rest.split(|c: char| c == '"' || c.is_whitespace())
        .next()?
        .parse()
        .ok()
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
