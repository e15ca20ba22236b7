//! The serenity client: its REST client (through `DISCORD_API_BASE` when set) and the gateway
//! client with the event handlers.

use std::sync::Arc;

use serenity::all::{Client, ClientBuilder, Http, HttpBuilder};

use super::events::Handler;
use super::gateway::GatewayStatus;
use super::router::Router;
use super::tracking::Intake;
use super::{INTENTS, unreadable};
use crate::config::{DiscordConfig, IDLE_CONNECTIONS_PER_HOST};
use crate::meetings::Meetings;
use crate::metrics::Metrics;

/// The REST client: through `DISCORD_API_BASE` when set. Built before the client, so the token
/// can be checked (`startup::check_discord`) before anything connects.
pub fn http(config: &DiscordConfig) -> Http {
    let mut http = HttpBuilder::new(config.token.expose());
    // serenity's own client, but with a bounded idle pool; should it fail to build, serenity's.
    if let Ok(client) = reqwest::Client::builder()
        .use_rustls_tls()
        .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_HOST)
        .build()
    {
        http = http.client(client);
    }
    if let Some(base) = &config.api_base {
        // serenity's rate limiter sends requests past the proxy (to discord.com), and the gateway
        // URL comes from the proxy's /api/v10/gateway only through this Http: both need this.
        http = http.proxy(base.clone()).ratelimiter_disabled(true);
    }
    http.build()
}

/// Builds the serenity client on `http`: GUILDS intent only. The handler counts commands in
/// `metrics` and keeps `gateway` up to date for `/healthz`.
pub async fn client(
    config: &DiscordConfig,
    http: Http,
    service: Arc<Meetings>,
    intake: Intake,
    metrics: Arc<Metrics>,
    gateway: Arc<GatewayStatus>,
) -> serenity::Result<Client> {
    let unreadable = unreadable::Unreadable {
        intake: intake.clone(),
        metrics: Arc::clone(&metrics),
    };
    let handler = Handler {
        router: Router::new(service, Arc::clone(&metrics)),
        dev_guild: config.guild_id,
        intake,
        metrics,
        gateway: Arc::clone(&gateway),
    };
    let client = ClientBuilder::new_with_http(http, INTENTS)
        .event_handler(handler)
        .raw_event_handler(unreadable)
        .await?;
    gateway.watch(Arc::clone(&client.shard_manager));
    Ok(client)
}
