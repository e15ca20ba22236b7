//! `DISCORD_MODE=http`: Discord posts interactions to `POST /discord/interactions` and no gateway
//! connection is made. With no READY to wait for, the token is checked and the commands are
//! registered at start, through REST. `/healthz` is the store's alone. Shutdown closes the
//! endpoint first (503 from then on), so no new interaction is taken while the others finish.

use std::sync::Arc;

use super::{AppError, Parts, tasks};
use crate::config::PublicKey;
use crate::discord::interactions::Endpoint;
use crate::discord::rest::Rest;
use crate::discord::router::Router;
use crate::discord::{self, Intake};
use crate::health::{Health, NoGateway};

/// Serves the interactions endpoint, checked with `public_key`, until a shutdown signal.
pub(super) async fn run(parts: Parts, public_key: &PublicKey) -> Result<(), AppError> {
    // Not awaited, as in gateway mode: a slow or refusing Zoom only logs.
    let _zoom_check = tokio::spawn(discord::startup::check_zoom(Arc::clone(&parts.zoom)));
    let http = Arc::new(discord::http(&parts.config.discord));
    // Before listening for interactions: a wrong token would fail every answer.
    discord::startup::check_discord(&http).await?;
    let rest = Rest::new(Arc::clone(&http), Arc::clone(&parts.metrics));
    let endpoint = Arc::new(Endpoint::new(
        public_key,
        Router::new(Arc::clone(&parts.service), Arc::clone(&parts.metrics)),
        rest.clone(),
        Intake::new(Arc::clone(&parts.in_flight), Arc::clone(&parts.store)),
        Arc::clone(&parts.metrics),
    ));
    let health = Health::new(Arc::new(NoGateway), Arc::clone(&parts.flushes));
    let state = parts.http_state(health, Some(Arc::clone(&endpoint)));
    let (server, serving) = parts.serve(
        state,
        "GET /healthz, GET /metrics, POST /discord/interactions",
    );
    // The same idempotent overwrite the gateway path makes on READY.
    discord::commands::register(&rest, serving.config.discord.guild_id).await;
    let _tasks = tasks::discord_tasks(&serving.service, &http, &serving.metrics);
    super::shutdown_signal().await;
    endpoint.close();
    tracing::info!(
        in_flight = serving.in_flight.count(),
        "shutting down: the interactions endpoint takes no new interactions"
    );
    serving.finish(server, "not used").await
}
