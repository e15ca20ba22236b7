//! `DISCORD_MODE=gateway`: interactions arrive over a gateway connection, which `/healthz`
//! reports on. Shutdown stops the gateway first, so no new interaction comes in.

use std::sync::Arc;
use std::time::Duration;

use super::{AbortOnDrop, AppError, Parts, tasks};
use crate::discord::{self, GatewayStatus, Intake};
use crate::health::Health;

/// How long stopping the gateway may take after Discord refused the bot.
const SHARD_STOP: Duration = Duration::from_secs(1);

/// Serves, connects to the gateway, and runs until a shutdown signal or a refusal no retry fixes.
pub(super) async fn run(parts: Parts) -> Result<(), AppError> {
    let gateway = Arc::new(GatewayStatus::default());
    let health = Health::new(Arc::clone(&gateway) as _, Arc::clone(&parts.flushes));
    let state = parts.http_state(health, None);
    let (server, serving) = parts.serve(state, "GET /healthz, GET /metrics");
    let config = &serving.config;
    // Not awaited: a slow Zoom must not hold up connecting to Discord, and a failure only logs
    // (see `check_zoom` for why the bot keeps running).
    let _zoom_check = tokio::spawn(discord::startup::check_zoom(Arc::clone(&serving.zoom)));
    let http = discord::http(&config.discord);
    discord::startup::check_discord(&http).await?;
    // Subscribed before the client exists, so its first attempt's failure is not missed.
    let reports = discord::watch::reports();
    let _reports = AbortOnDrop(tokio::spawn(report_failures(reports, Arc::clone(&gateway))));
    let mut client = discord::client(
        &config.discord,
        http,
        Arc::clone(&serving.service),
        Intake::new(Arc::clone(&serving.in_flight), Arc::clone(&serving.store)),
        Arc::clone(&serving.metrics),
        Arc::clone(&gateway),
    )
    .await?;
    let _tasks = tasks::discord_tasks(&serving.service, &client.http, &serving.metrics);
    let shards = Arc::clone(&client.shard_manager);
    tokio::select! {
        result = client.start() => {
            if let Err(err) = result {
                return Err(discord::failure::Fatal::from_serenity(&err)
                    .map_or(AppError::Discord(err), AppError::Refused));
            }
        }
        fatal = gateway.fatal() => {
            // Bounded: serenity's runner waits for a close frame on a connection Discord has
            // already closed, for ever; nothing is lost by not waiting, the process ends.
            let _ = tokio::time::timeout(SHARD_STOP, shards.shutdown_all()).await;
            return Err(fatal.into());
        }
        () = super::shutdown_signal() => {
            gateway.disconnected("shutting down");
            tracing::info!(in_flight = serving.in_flight.count(), "shutting down: stopping the gateway");
            shards.shutdown_all().await;
        }
    }
    serving.finish(server, "stopped").await
}

/// Hands serenity's gateway failures, as `discord::watch` reads them from its log lines, to
/// `gateway`, which logs them and keeps the last for `/healthz`.
async fn report_failures(
    mut reports: tokio::sync::mpsc::UnboundedReceiver<discord::failure::Report>,
    gateway: Arc<GatewayStatus>,
) -> std::io::Result<()> {
    while let Some(report) = reports.recv().await {
        gateway.failed(&report);
    }
    Ok(())
}
