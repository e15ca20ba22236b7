//! The gateway's event handler: the connection's state for `/healthz`, the commands' registration
//! once connected, and each interaction handed to the router once (Discord may deliver one twice)
//! while shutdown waits for it.

use std::sync::Arc;

use serenity::all::{
    ConnectionStage, Context, EventHandler, Interaction, Ready, ResumedEvent, ShardStageUpdateEvent,
};

use super::commands;
use super::gateway::GatewayStatus;
use super::rest::Rest;
use super::router::Router;
use super::tracking::Intake;
use crate::metrics::Metrics;

/// The event handler.
pub struct Handler {
    pub(super) router: Router,
    pub(super) dev_guild: Option<u64>,
    pub(super) intake: Intake,
    pub(super) metrics: Arc<Metrics>,
    pub(super) gateway: Arc<GatewayStatus>,
}

impl Handler {
    fn rest(&self, ctx: &Context) -> Rest {
        Rest::new(Arc::clone(&ctx.http), Arc::clone(&self.metrics))
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        self.gateway.connected();
        // Which servers, by id: enough to tell which installation this is, capped for big bots.
        let guilds: Vec<String> = ready
            .guilds
            .iter()
            .take(25)
            .map(|g| g.id.to_string())
            .collect();
        tracing::info!(
            application = %ready.application.id,
            bot = %ready.user.name,
            guild_count = ready.guilds.len(),
            guilds = %guilds.join(","),
            "connected to Discord"
        );
        commands::register(&self.rest(&ctx), self.dev_guild).await;
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        self.gateway.connected();
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        match event.new {
            ConnectionStage::Connected => self.gateway.connected(),
            stage => self.gateway.disconnected(&stage.to_string()),
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Some(_guard) = self.intake.admit(interaction.id().get()).await else {
            return;
        };
        let rest = self.rest(&ctx);
        // Over the gateway, the acknowledgement is a REST call like the others.
        self.router.handle(&rest, &rest, &interaction).await;
    }
}
