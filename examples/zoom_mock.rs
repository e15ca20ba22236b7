//! A standalone fake Zoom for benchmarks: the test fake on a fixed port, recording off.
//!
//! ```text
//! ADDR=127.0.0.1:9901 LATENCY_MS=5 cargo run --release --example zoom_mock
//! ```
//! Reads `ADDR` (127.0.0.1:9901), `LATENCY_MS` (5), `TOKEN_TTL_S` (3599) and
//! `CREATE_500_PERCENT` (0: the share of creates answered 500 before anything is made); accepts the
//! credentials `test-client` / `test-secret` / account `test-account`. Runs until Ctrl-C or
//! SIGTERM, then prints the token requests and meetings created.

// Shared with the tests and the other examples, each using part of it: the fakes are checked for
// dead code in the test crate, which uses all of them.
#[allow(dead_code)]
#[path = "../tests/it/support/fake_zoom.rs"]
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

/// `ADDR`, `LATENCY_MS`, `TOKEN_TTL_S` and `CREATE_500_PERCENT`, or the first problem with them.
fn settings() -> Result<(SocketAddr, u64, u64, f64), String> {
    Ok((
        setting("ADDR", SocketAddr::from(([127, 0, 0, 1], 9901)))?,
        setting("LATENCY_MS", 5)?,
        setting("TOKEN_TTL_S", 3599)?,
        setting("CREATE_500_PERCENT", 0.0)?,
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
    let (addr, latency_ms, ttl, create_500_percent) = match settings() {
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
    // The percentage as per mille; the cast is of a number from 0 to 1000.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    zoom.set_create_500_rate((create_500_percent * 10.0).round().clamp(0.0, 1000.0) as u32);
    println!(
        "zoom mock listening on {} (latency {latency_ms} ms)",
        zoom.url()
    );

    shutdown_signal().await;
    println!(
        "zoom mock stopped: {} token requests, {} meetings created, {} creates answered 500 before creating",
        zoom.token_requests(),
        zoom.meetings_created(),
        zoom.fault_counts().create_error_before
    );
    ExitCode::SUCCESS
}
