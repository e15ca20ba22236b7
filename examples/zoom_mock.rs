//! A standalone fake Zoom for benchmarks: the test fake on a fixed port, recording off.
//!
//! ```text
//! ADDR=127.0.0.1:9901 LATENCY_MS=5 cargo run --release --example zoom_mock
//! ```
//! Reads `ADDR` (127.0.0.1:9901), `LATENCY_MS` (5) and `TOKEN_TTL_S` (3599); accepts the
//! credentials `test-client` / `test-secret` / account `test-account`. Runs until Ctrl-C or
//! SIGTERM, then prints the token requests and meetings created.

#[path = "../tests/support/fake_zoom.rs"]
mod fake_zoom;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use fake_zoom::FakeZoom;

/// The value of `key` parsed, `default` when unset, or a message saying what is wrong.
fn setting<T: std::str::FromStr>(key: &str, default: T) -> Result<T, String> {
    match std::env::var(key) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{key}={text:?} is not valid")),
        Err(_) => Ok(default),
    }
}

/// `ADDR`, `LATENCY_MS` and `TOKEN_TTL_S`, or the first problem with them.
fn settings() -> Result<(SocketAddr, u64, u64), String> {
    Ok((
        setting("ADDR", SocketAddr::from(([127, 0, 0, 1], 9901)))?,
        setting("LATENCY_MS", 5)?,
        setting("TOKEN_TTL_S", 3599)?,
    ))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let (addr, latency_ms, ttl) = match settings() {
        Ok(settings) => settings,
        Err(problem) => {
            eprintln!("zoom mock: {problem}");
            return ExitCode::FAILURE;
        }
    };

    let zoom = FakeZoom::start_on(addr).await;
    zoom.set_recording(false);
    zoom.set_latency(Duration::from_millis(latency_ms));
    zoom.set_token_ttl(ttl);
    println!(
        "zoom mock listening on {} (latency {latency_ms} ms)",
        zoom.url()
    );

    shutdown_signal().await;
    println!(
        "zoom mock stopped: {} token requests, {} meetings created",
        zoom.token_requests(),
        zoom.meetings_created()
    );
    ExitCode::SUCCESS
}
