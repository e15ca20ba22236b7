//! What "healthy" means: the Discord gateway is connected and the store answers. `GET /healthz`
//! asks; `discord::GatewayStatus` knows the gateway's state.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::store::Store;

/// How long the store may take to answer a health check.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// The Discord gateway connection, as the Discord side knows it.
pub trait Gateway: Send + Sync {
    /// Whether it is connected, and its state in words ("connected", "resuming", …).
    fn state(&self) -> Pin<Box<dyn Future<Output = (bool, String)> + Send + '_>>;
}

/// Checks the bot's health.
#[derive(Clone)]
pub struct Health {
    gateway: Arc<dyn Gateway>,
    store: Arc<dyn Store>,
    store_timeout: Duration,
}

impl Health {
    /// Health from the gateway's state and the store, with the default store timeout.
    pub fn new(gateway: Arc<dyn Gateway>, store: Arc<dyn Store>) -> Self {
        Self {
            gateway,
            store,
            store_timeout: STORE_TIMEOUT,
        }
    }

    /// Replaces how long the store may take to answer.
    #[must_use]
    pub fn with_store_timeout(mut self, timeout: Duration) -> Self {
        self.store_timeout = timeout;
        self
    }

    /// `Ok` when healthy, otherwise every reason it is not.
    pub async fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let (up, state) = self.gateway.state().await;
        if !up {
            problems.push(format!("Discord gateway: {state}"));
        }
        // A flush is the cheapest call that makes the backend do I/O, so it shows a stuck disk.
        match tokio::time::timeout(self.store_timeout, self.store.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => problems.push(format!("store: {err}")),
            Err(_) => problems.push(format!(
                "store: did not answer within {}",
                humantime::format_duration(self.store_timeout)
            )),
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}
