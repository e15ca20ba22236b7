//! The gateway connection's state for `/healthz`.
//!
//! serenity reports READY, RESUMED and stage changes to the event handler, but not every way a
//! connection ends: when a dropped connection cannot be resumed, the shard is restarted without a
//! stage event. Its shard manager's table of runners does see that (the runner's stage turns to
//! connecting, then the runner is gone until a new one connects), so both are asked.
//!
//! Failed attempts come from serenity's log lines (`watch`, `failure`): each is logged here at
//! WARN with its reason and what happens next, remembered for `/healthz`, and a refusal no retry
//! can fix is handed to [`GatewayStatus::fatal`], which stops the bot.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use serenity::all::{ConnectionStage, ShardManager};
use tokio::sync::watch;

use super::failure::{Fatal, Report};
use crate::health::Gateway;

/// What the event handler last saw, the failures since, and the shard manager to ask.
#[derive(Debug)]
pub struct GatewayStatus {
    seen: Mutex<(bool, String)>,
    failures: Mutex<Failures>,
    fatal: watch::Sender<Option<Fatal>>,
    shards: OnceLock<Arc<ShardManager>>,
}

#[derive(Debug, Default)]
struct Failures {
    /// Failed attempts since the gateway was last connected.
    since_connected: u32,
    /// The last one, whenever it was.
    last: Option<(Instant, String)>,
}

impl Default for GatewayStatus {
    fn default() -> Self {
        Self {
            seen: Mutex::new((false, "not connected yet".to_owned())),
            failures: Mutex::new(Failures::default()),
            fatal: watch::Sender::new(None),
            shards: OnceLock::new(),
        }
    }
}

impl GatewayStatus {
    /// READY or RESUMED arrived.
    pub fn connected(&self) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.since_connected > 0 {
            tracing::info!(
                failed_attempts = failures.since_connected,
                last_failure = failures.last.as_ref().map_or("", |(_, why)| why.as_str()),
                "Discord gateway connected after failed attempts"
            );
            failures.since_connected = 0;
        }
        drop(failures);
        self.set(true, "connected");
    }

    /// serenity reported a failure: logs it (the only line an operator sees of it), remembers it
    /// for `/healthz`, and hands a refusal no retry can fix to [`Self::fatal`].
    pub fn failed(&self, report: &Report) {
        let reason = report.reason();
        let fatal = report.fatal();
        {
            let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            failures.since_connected += 1;
            failures.last = Some((Instant::now(), reason.clone()));
            if fatal.is_some() {
                tracing::warn!(reason = %reason, "Discord gateway refused the bot; stopping");
            } else {
                tracing::warn!(
                    reason = %reason,
                    next = %report.next_attempt(),
                    failed_attempts = failures.since_connected,
                    "Discord gateway connection failed"
                );
            }
        }
        if let Some(fatal) = fatal {
            self.fatal.send_replace(Some(fatal));
        }
    }

    /// Completes when a failure no retry can fix has been reported.
    pub async fn fatal(&self) -> Fatal {
        let mut rx = self.fatal.subscribe();
        loop {
            if let Some(fatal) = *rx.borrow_and_update() {
                return fatal;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// The last failure and how long ago it was, in words.
    fn last_failure(&self) -> Option<String> {
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.last.as_ref().map(|(at, why)| {
            let ago = std::time::Duration::from_secs(at.elapsed().as_secs());
            format!(
                "last failure {} ago: {why}",
                humantime::format_duration(ago)
            )
        })
    }

    /// The gateway is not usable; `why` says what it is doing instead ("resuming", …).
    pub fn disconnected(&self, why: &str) {
        self.set(false, why);
    }

    /// Also asks `shards` from now on.
    pub(crate) fn watch(&self, shards: Arc<ShardManager>) {
        let _ = self.shards.set(shards);
    }

    fn set(&self, up: bool, why: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.0 != up || seen.1 != why {
            tracing::info!(connected = up, state = why, "Discord gateway state changed");
            *seen = (up, why.to_owned());
        }
    }

    async fn current(&self) -> (bool, String) {
        let (up, state) = self.stage().await;
        match self.last_failure() {
            Some(failure) if !up => (up, format!("{state}; {failure}")),
            _ => (up, state),
        }
    }

    async fn stage(&self) -> (bool, String) {
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if !seen.0 {
            return seen;
        }
        let Some(shards) = self.shards.get() else {
            return seen;
        };
        let runners = shards.runners.lock().await;
        if runners.is_empty() {
            return (false, "reconnecting".to_owned());
        }
        match runners
            .values()
            .find(|r| r.stage != ConnectionStage::Connected)
        {
            Some(runner) => (false, runner.stage.to_string()),
            None => seen,
        }
    }
}

impl Gateway for GatewayStatus {
    fn state(&self) -> Pin<Box<dyn Future<Output = (bool, String)> + Send + '_>> {
        Box::pin(self.current())
    }
}
