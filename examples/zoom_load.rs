//! The Zoom client under load: creates N meetings with C in flight against a Zoom mock and prints
//! one JSON line of figures.
//!
//! ```text
//! MOCK_URL=http://127.0.0.1:9901 N=2000 C=50 cargo run --release --example zoom_load
//! ```
//! Reads `MOCK_URL` (serving /oauth/token and /v2/…), `N` (2000), `C` (50), `SPREAD_S` (0: as fast
//! as possible; else request i starts at i×`SPREAD_S`/N s), `CLIENT_ID`, `CLIENT_SECRET`, `ACCOUNT_ID`.

#[path = "support/figures.rs"]
mod figures;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use figures::{number, peak_rss_mb, percentile};
use zoombot::config::ZoomConfig;
use zoombot::secret::Secret;
use zoombot::zoom::ZoomClient;
use zoombot::zoom::model::NewMeeting;

fn var(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() {
    let mock = var("MOCK_URL", "http://127.0.0.1:9901");
    let n: usize = number("N", "2000");
    let c: usize = number("C", "50");
    let spread_s: f64 = number("SPREAD_S", "0");
    let config = ZoomConfig {
        account_id: var("ACCOUNT_ID", "test-account"),
        client_id: var("CLIENT_ID", "test-client"),
        client_secret: Secret::new(var("CLIENT_SECRET", "test-secret")),
        api_base: format!("{mock}/v2"),
        oauth_url: format!("{mock}/oauth/token"),
        host_user: "me".to_owned(),
        allowed_host_users: Vec::new(),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(15),
    };
    let client = Arc::new(ZoomClient::new(&config).expect("client"));
    let next = Arc::new(AtomicUsize::new(0));
    let start_time = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);

    let began = Instant::now();
    let workers: Vec<_> = (0..c.max(1))
        .map(|_| {
            let (client, next) = (Arc::clone(&client), Arc::clone(&next));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return (latencies, errors);
                    }
                    if spread_s > 0.0 {
                        #[allow(clippy::cast_precision_loss)]
                        let at = Duration::from_secs_f64(i as f64 * spread_s / n as f64);
                        tokio::time::sleep_until((began + at).into()).await;
                    }
                    let meeting = NewMeeting::new(format!("load {i}"), start_time, 30);
                    let sent = Instant::now();
                    match client.create_meeting("me", &meeting).await {
                        Ok(_) => latencies.push(sent.elapsed().as_secs_f64() * 1000.0),
                        Err(_) => errors += 1,
                    }
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(n);
    let mut errors = 0;
    for worker in workers {
        let (l, e) = worker.await.expect("worker");
        latencies.extend(l);
        errors += e;
    }
    let wall_s = began.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let per_s = latencies.len() as f64 / wall_s;
    // Keys in the documented order (serde_json's map would sort them).
    println!(
        "{{\"peer\":\"zoombot\",\"n\":{n},\"concurrency\":{c},\"wall_s\":{wall_s:.3},\"meetings_per_s\":{per_s:.0},\
         \"p50_ms\":{:.2},\"p99_ms\":{:.2},\"errors\":{errors},\"token_requests\":{},\"peak_rss_mb\":{:.1}}}",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        client.tokens().fetch_count(),
        peak_rss_mb("self"),
    );
}
