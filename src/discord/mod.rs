//! The serenity adapter: builds the client, registers the commands, and routes interactions to
//! the command files, which translate them into service calls and the results into replies.

pub mod commands;
pub mod failure;
pub mod gateway;
pub mod meet;
pub mod meetings;
pub mod reply;
pub mod rest;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod timezone;
pub mod tracking;
pub mod unreadable;
pub mod watch;

use std::sync::Arc;
use std::time::Instant;

use serenity::all::{
    Client, ClientBuilder, CommandInteraction, ComponentInteraction, ConnectionStage, Context,
    CreateInteractionResponse, CreateInteractionResponseMessage, EventHandler, GatewayIntents,
    GuildId, Http, HttpBuilder, Interaction, ModalInteraction, Ready, ResumedEvent,
    ShardStageUpdateEvent,
};
use tracing::Instrument;

use crate::config::DiscordConfig;
use crate::ids;
use crate::meetings::{Meetings, Requester, ServiceError};
use crate::metrics::Metrics;
use telemetry::{MetricsKey, Outcome};

pub use gateway::GatewayStatus;
pub use tracking::{InFlight, InFlightGuard, Seen};

/// The gateway intents the bot asks for ([`failure::INTENT_NAMES`] names them).
pub const INTENTS: GatewayIntents = GatewayIntents::GUILDS;

/// The event handler.
pub struct Handler {
    service: Arc<Meetings>,
    dev_guild: Option<u64>,
    in_flight: Arc<InFlight>,
    metrics: Arc<Metrics>,
    gateway: Arc<GatewayStatus>,
    seen: Arc<Seen>,
}

/// The REST client: through `DISCORD_API_BASE` when set. Built before the client, so the token
/// can be checked (`startup::check_discord`) before anything connects.
pub fn http(config: &DiscordConfig) -> Http {
    let mut http = HttpBuilder::new(config.token.expose());
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
    in_flight: Arc<InFlight>,
    metrics: Arc<Metrics>,
    gateway: Arc<GatewayStatus>,
) -> serenity::Result<Client> {
    let seen = Arc::new(Seen::default());
    let unreadable = unreadable::Unreadable {
        seen: Arc::clone(&seen),
        in_flight: Arc::clone(&in_flight),
    };
    let handler = Handler {
        service,
        dev_guild: config.guild_id,
        in_flight,
        metrics: Arc::clone(&metrics),
        gateway: Arc::clone(&gateway),
        seen,
    };
    let client = ClientBuilder::new_with_http(http, INTENTS)
        .type_map_insert::<MetricsKey>(metrics)
        .event_handler(handler)
        .raw_event_handler(unreadable)
        .await?;
    gateway.watch(Arc::clone(&client.shard_manager));
    Ok(client)
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
        let commands = commands::registration();
        match ctx.http.create_global_commands(&commands).await {
            Ok(registered) => {
                let names: Vec<_> = registered.iter().map(|c| c.name.as_str()).collect();
                tracing::info!(commands = %names.join(","), "commands registered globally");
            }
            Err(err) => {
                telemetry::rest_failed(&ctx, &err).await;
                tracing::error!(error = %err, "registering the global commands failed");
            }
        }
        if let Some(guild) = self.dev_guild {
            match ctx
                .http
                .create_guild_commands(GuildId::new(guild), &commands)
                .await
            {
                Ok(registered) => {
                    let names: Vec<_> = registered.iter().map(|c| c.name.as_str()).collect();
                    tracing::info!(%guild, commands = %names.join(","), "commands also registered on the development guild");
                }
                Err(err) => {
                    telemetry::rest_failed(&ctx, &err).await;
                    tracing::error!(guild, error = %err, "registering the guild commands failed");
                }
            }
        }
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
        if !self.seen.first_time(interaction.id().get()) {
            tracing::info!(id = %interaction.id(), "ignored an interaction delivered twice");
            return;
        }
        let _guard = self.in_flight.enter();
        let span = telemetry::span(&interaction);
        async {
            let started = Instant::now();
            let outcome = match &interaction {
                Interaction::Command(command) => Some(self.command(&ctx, command).await),
                Interaction::Autocomplete(command) => {
                    self.autocomplete(&ctx, command).await;
                    None
                }
                Interaction::Component(component) => Some(self.component(&ctx, component).await),
                Interaction::Modal(modal) => Some(unknown_form(&ctx, modal).await),
                _ => None,
            };
            if let Some(outcome) = outcome {
                let name = telemetry::command_name(&interaction);
                let elapsed = started.elapsed();
                self.metrics.commands.inc(&[&name, outcome.as_str()]);
                self.metrics.command_seconds.observe(&[&name], elapsed);
                tracing::info!(
                    outcome = outcome.as_str(),
                    elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                    "interaction handled"
                );
            }
        }
        .instrument(span)
        .await;
    }
}

impl Handler {
    async fn command(&self, ctx: &Context, command: &CommandInteraction) -> Outcome {
        let Some(who) = requester(
            command.guild_id,
            command.channel_id,
            &command.user,
            command.member.as_deref(),
        ) else {
            outside_a_server(ctx, command).await;
            return Outcome::UserError;
        };
        match command.data.name.as_str() {
            "meet" => meet::run(ctx, &self.service, command, who).await,
            "meetings" => meetings::run(ctx, &self.service, command, who).await,
            "meet-settings" => settings::run(ctx, &self.service, command, who).await,
            "meet-timezone" => timezone::run(ctx, &self.service, command, who).await,
            other => {
                tracing::warn!(command = other, "unknown command");
                answer_now(ctx, command, reply::OUTDATED).await;
                Outcome::UserError
            }
        }
    }

    async fn autocomplete(&self, ctx: &Context, command: &CommandInteraction) {
        let Some(who) = requester(
            command.guild_id,
            command.channel_id,
            &command.user,
            command.member.as_deref(),
        ) else {
            return;
        };
        let choices = match command.data.name.as_str() {
            "meet"
                if command
                    .data
                    .autocomplete()
                    .is_some_and(|o| o.name == "when") =>
            {
                meet::when_suggestions(&self.service, command, &who).await
            }
            // Their other autocompleted options, besides `meeting`, are time zones.
            "meet" | "meet-settings" | "meet-timezone" => timezone::suggestions(command),
            "meetings" => meetings::autocomplete(&self.service, command, &who).await,
            _ => return,
        };
        let response = CreateInteractionResponse::Autocomplete(choices);
        if let Err(err) = command.create_response(&ctx.http, response).await {
            telemetry::rest_failed(ctx, &err).await;
            tracing::debug!(error = %err, "an autocomplete answer was not delivered");
        }
    }

    async fn component(&self, ctx: &Context, component: &ComponentInteraction) -> Outcome {
        let id = component
            .data
            .custom_id
            .strip_prefix(commands::START_BUTTON)
            .and_then(|id| id.parse().ok());
        let who = requester(
            component.guild_id,
            component.channel_id,
            &component.user,
            component.member.as_ref(),
        );
        let (Some(id), Some(who)) = (id, who) else {
            if let Err(err) = component
                .create_response(&ctx.http, private_message(reply::OUTDATED))
                .await
            {
                telemetry::rest_failed(ctx, &err).await;
            }
            return Outcome::UserError;
        };
        tracing::debug!(meeting_id = id, "start button");
        meet::start_button(ctx, &self.service, component, who, id).await
    }
}

/// The bot shows no forms, so a submitted one is from another version or not the bot's at all.
async fn unknown_form(ctx: &Context, modal: &ModalInteraction) -> Outcome {
    tracing::info!(custom_id = %modal.data.custom_id, "a form the bot does not handle");
    let sent = rest::patiently(ctx, || {
        modal.create_response(&ctx.http, private_message(reply::UNKNOWN_FORM))
    })
    .await;
    match sent {
        Ok(()) => Outcome::UserError,
        Err(_) => Outcome::Failed,
    }
}

/// Gives a deferred command its private answer: `result`, or what went wrong in words for the
/// member. Returns the outcome for the metrics.
async fn conclude(
    ctx: &Context,
    command: &CommandInteraction,
    result: Result<serenity::all::EditInteractionResponse, ServiceError>,
) -> Outcome {
    let (answer, outcome) = match result {
        Ok(answer) => (answer, Outcome::Ok),
        Err(err) => {
            tracing::info!(error = %err, "refused");
            (reply::private(reply::error_text(&err)), Outcome::of(&err))
        }
    };
    match rest::answer(ctx, command, answer).await {
        Ok(()) => outcome,
        Err(_) => Outcome::Failed,
    }
}

/// The domain's view of who sent an interaction; `None` outside a server.
fn requester(
    guild: Option<GuildId>,
    channel: serenity::all::ChannelId,
    user: &serenity::all::User,
    member: Option<&serenity::all::Member>,
) -> Option<Requester> {
    Some(Requester {
        guild: ids::GuildId(guild?.get()),
        channel: ids::ChannelId(channel.get()),
        member: ids::MemberId(user.id.get()),
        // Administrator implies every permission, whatever other bits the member's roles set.
        manage_guild: member
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.administrator() || p.manage_guild()),
        roles: member
            .map(|m| m.roles.iter().map(|r| ids::RoleId(r.get())).collect())
            .unwrap_or_default(),
    })
}

async fn outside_a_server(ctx: &Context, command: &CommandInteraction) {
    answer_now(
        ctx,
        command,
        "zoombot's commands work in a server, not in direct messages.",
    )
    .await;
}

/// A private answer as the interaction's first response.
fn private_message(text: &str) -> CreateInteractionResponse {
    let message = CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(reply::no_mentions());
    CreateInteractionResponse::Message(message)
}

async fn answer_now(ctx: &Context, command: &CommandInteraction, text: &str) {
    let result = rest::patiently(ctx, || {
        command.create_response(&ctx.http, private_message(text))
    })
    .await;
    if let Err(err) = result {
        tracing::debug!(error = %err, "a direct answer was not delivered");
    }
}
