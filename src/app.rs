//! Wiring: the Zoom client, the store, the service and the Discord client; runs until SIGINT or
//! SIGTERM, then stops the gateway, lets in-flight commands finish (bounded) and flushes the store.

use std::sync::Arc;
use std::time::Duration;

use crate::config::BotConfig;
use crate::discord::{self, InFlight};
use crate::meetings::Meetings;
use crate::store::{SledStore, Store};
use crate::zoom::ZoomClient;

/// How long shutdown waits for commands being handled.
const DRAIN: Duration = Duration::from_secs(10);

/// Why the bot stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Zoom client construction failed.
    #[error(transparent)]
    Zoom(#[from] crate::zoom::ZoomError),
    /// Discord failed (bad token, gateway refused).
    #[error("Discord: {0}. Check DISCORD_TOKEN (Developer Portal → your application → Bot).")]
    Discord(#[from] serenity::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Runs the bot, with its store in `DATA_DIR`, until a shutdown signal.
pub async fn run(config: BotConfig) -> Result<(), AppError> {
    let sled = SledStore::open(&config.data_dir)?;
    tracing::info!(
        data_dir = %config.data_dir.display(),
        servers_with_settings = sled.guild_count(),
        "store opened"
    );
    run_with_store(config, Arc::new(sled)).await
}

/// Runs the bot on `store` until a shutdown signal (tests hand in stores that fail on demand).
pub async fn run_with_store(config: BotConfig, store: Arc<dyn Store>) -> Result<(), AppError> {
    let zoom = Arc::new(ZoomClient::new(&config.zoom)?);
    let service = Arc::new(Meetings::new(zoom, Arc::clone(&store)));
    let in_flight = Arc::new(InFlight::default());
    tracing::info!(
        zoom_host_user = %config.zoom.host_user,
        zoom_api = %config.zoom.api_base,
        dev_guild = ?config.discord.guild_id,
        discord_api = config.discord.api_base.as_deref().unwrap_or("https://discord.com"),
        "starting zoombot"
    );
    let mut client = discord::client(&config.discord, service, Arc::clone(&in_flight)).await?;
    let shards = Arc::clone(&client.shard_manager);
    tokio::select! {
        result = client.start() => result?,
        () = shutdown_signal() => {
            tracing::info!(in_flight = in_flight.count(), "shutting down: stopping the gateway");
            shards.shutdown_all().await;
        }
    }
    let pending = in_flight.count();
    if in_flight.wait_idle(DRAIN).await {
        tracing::info!(waited_for = pending, "in-flight commands finished");
    } else {
        tracing::warn!(
            left = in_flight.count(),
            "gave up waiting for in-flight commands"
        );
    }
    store.flush().await?;
    tracing::info!("store flushed; bye");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
