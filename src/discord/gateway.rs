//! The gateway connection's state for `/healthz`.
//!
//! serenity reports READY, RESUMED and stage changes to the event handler, but not every way a
//! connection ends: when a dropped connection cannot be resumed, the shard is restarted without a
//! stage event. Its shard manager's table of runners does see that (the runner's stage turns to
//! connecting, then the runner is gone until a new one connects), so both are asked.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serenity::all::{ConnectionStage, ShardManager};

use crate::health::Gateway;

/// What the event handler last saw, and the shard manager to ask.
#[derive(Debug)]
pub struct GatewayStatus {
    seen: Mutex<(bool, String)>,
    shards: OnceLock<Arc<ShardManager>>,
}

impl Default for GatewayStatus {
    fn default() -> Self {
        Self {
            seen: Mutex::new((false, "not connected yet".to_owned())),
            shards: OnceLock::new(),
        }
    }
}

impl GatewayStatus {
    /// READY or RESUMED arrived.
    pub fn connected(&self) {
        self.set(true, "connected");
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
