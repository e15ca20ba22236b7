//! The serenity adapter: builds the client, registers the commands, and routes interactions to
//! the command files, which translate them into service calls and the results into replies.

pub mod commands;
pub mod meet;
pub mod meetings;
pub mod reply;
pub mod rest;
pub mod settings;
pub mod timezone;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serenity::all::{
    Client, ClientBuilder, CommandInteraction, ComponentInteraction, Context,
    CreateInteractionResponse, CreateInteractionResponseMessage, EventHandler, GatewayIntents,
    GuildId, HttpBuilder, Interaction, Ready,
};
use tokio::sync::Notify;
use tracing::Instrument;

use crate::config::DiscordConfig;
use crate::ids;
use crate::meetings::{Meetings, Requester};

/// Counts interactions being handled, so shutdown can wait for them.
#[derive(Debug, Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held while an interaction is handled.
pub struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    /// Marks one interaction as started until the guard drops.
    pub fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(Arc::clone(self))
    }

    /// How many are being handled.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Waits until none is being handled, at most `bound`. Returns whether they all finished.
    pub async fn wait_idle(&self, bound: Duration) -> bool {
        tokio::time::timeout(bound, async {
            loop {
                let idle = self.idle.notified();
                if self.count() == 0 {
                    return;
                }
                idle.await;
            }
        })
        .await
        .is_ok()
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Interaction ids seen lately. A gateway resume can deliver an interaction again; the second
/// delivery must not create a second meeting (and could not be answered anyway).
#[derive(Debug, Default)]
pub struct Seen(std::sync::Mutex<SeenInner>);

#[derive(Debug, Default)]
struct SeenInner {
    ids: std::collections::HashSet<u64>,
    order: std::collections::VecDeque<(std::time::Instant, u64)>,
}

/// How long an interaction can be answered (its token's lifetime), so how long to remember it.
const SEEN_FOR: Duration = Duration::from_secs(15 * 60);
/// A bound on memory whatever the rate.
const SEEN_MAX: usize = 100_000;

impl Seen {
    /// Whether `id` is new; remembers it.
    pub fn first_time(&self, id: u64) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(&(at, old)) = seen.order.front() {
            if now - at < SEEN_FOR && seen.order.len() < SEEN_MAX {
                break;
            }
            seen.order.pop_front();
            seen.ids.remove(&old);
        }
        if !seen.ids.insert(id) {
            return false;
        }
        seen.order.push_back((now, id));
        true
    }
}

/// The event handler.
pub struct Handler {
    service: Arc<Meetings>,
    dev_guild: Option<u64>,
    in_flight: Arc<InFlight>,
    seen: Seen,
}

/// Builds the serenity client: GUILDS intent only; REST through `DISCORD_API_BASE` when set.
pub async fn client(
    config: &DiscordConfig,
    service: Arc<Meetings>,
    in_flight: Arc<InFlight>,
) -> serenity::Result<Client> {
    let mut http = HttpBuilder::new(config.token.expose());
    if let Some(base) = &config.api_base {
        // serenity's rate limiter sends requests past the proxy (to discord.com), and the gateway
        // URL comes from the proxy's /api/v10/gateway only through this Http: both need this.
        http = http.proxy(base.clone()).ratelimiter_disabled(true);
    }
    let handler = Handler {
        service,
        dev_guild: config.guild_id,
        in_flight,
        seen: Seen::default(),
    };
    ClientBuilder::new_with_http(http.build(), GatewayIntents::GUILDS)
        .event_handler(handler)
        .await
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let commands = commands::registration();
        match ctx.http.create_global_commands(&commands).await {
            Ok(registered) => {
                let names: Vec<_> = registered.iter().map(|c| c.name.as_str()).collect();
                tracing::info!(
                    application = %ready.application.id,
                    bot = %ready.user.name,
                    guilds = ready.guilds.len(),
                    commands = ?names,
                    "connected to Discord; commands registered globally"
                );
            }
            Err(err) => tracing::error!(error = %err, "registering the global commands failed"),
        }
        if let Some(guild) = self.dev_guild {
            match ctx
                .http
                .create_guild_commands(GuildId::new(guild), &commands)
                .await
            {
                Ok(_) => tracing::info!(guild, "commands also registered on the development guild"),
                Err(err) => {
                    tracing::error!(guild, error = %err, "registering the guild commands failed");
                }
            }
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if !self.seen.first_time(interaction.id().get()) {
            tracing::info!(id = %interaction.id(), "ignored an interaction delivered twice");
            return;
        }
        let _guard = self.in_flight.enter();
        match interaction {
            Interaction::Command(command) => self.command(&ctx, &command).await,
            Interaction::Autocomplete(command) => self.autocomplete(&ctx, &command).await,
            Interaction::Component(component) => self.component(&ctx, &component).await,
            _ => {}
        }
    }
}

impl Handler {
    async fn command(&self, ctx: &Context, command: &CommandInteraction) {
        let span = tracing::info_span!(
            "interaction",
            id = %command.id,
            command = %command.data.name,
            guild = ?command.guild_id.map(GuildId::get),
            channel = %command.channel_id,
            user = %command.user.id,
        );
        async {
            let Some(who) = requester(
                command.guild_id,
                command.channel_id,
                &command.user,
                command.member.as_deref(),
            ) else {
                outside_a_server(ctx, command).await;
                return;
            };
            match command.data.name.as_str() {
                "meet" => meet::run(ctx, &self.service, command, who).await,
                "meetings" => meetings::run(ctx, &self.service, command, who).await,
                "meet-settings" => settings::run(ctx, &self.service, command, who).await,
                "meet-timezone" => timezone::run(ctx, &self.service, command, who).await,
                other => {
                    tracing::warn!(command = other, "unknown command");
                    answer_now(ctx, command, reply::OUTDATED).await;
                }
            }
        }
        .instrument(span)
        .await;
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
            // Their only autocompleted options besides `meeting` are time zones.
            "meet" | "meet-settings" | "meet-timezone" => timezone::suggestions(command),
            "meetings" => meetings::autocomplete(&self.service, command, &who),
            _ => return,
        };
        let response = CreateInteractionResponse::Autocomplete(choices);
        if let Err(err) = command.create_response(&ctx.http, response).await {
            tracing::debug!(error = %err, "an autocomplete answer was not delivered");
        }
    }

    async fn component(&self, ctx: &Context, component: &ComponentInteraction) {
        let Some(id) = component
            .data
            .custom_id
            .strip_prefix(commands::START_BUTTON)
            .and_then(|id| id.parse().ok())
        else {
            let _ = component
                .create_response(&ctx.http, private_message(reply::OUTDATED))
                .await;
            return;
        };
        let span = tracing::info_span!("interaction", id = %component.id, button = "start", meeting = id, user = %component.user.id);
        let Some(who) = requester(
            component.guild_id,
            component.channel_id,
            &component.user,
            component.member.as_ref(),
        ) else {
            let _ = component
                .create_response(&ctx.http, private_message(reply::OUTDATED))
                .await;
            return;
        };
        meet::start_button(ctx, &self.service, component, who, id)
            .instrument(span)
            .await;
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
        manage_guild: member
            .and_then(|m| m.permissions)
            .is_some_and(serenity::all::Permissions::manage_guild),
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
    let _ = rest::patiently(|| command.create_response(&ctx.http, private_message(text))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interaction_id_is_new_once_and_memory_stays_bounded() {
        let seen = Seen::default();
        assert!(seen.first_time(1));
        assert!(!seen.first_time(1));
        for id in 2..=(SEEN_MAX as u64 + 1) {
            assert!(seen.first_time(id));
        }
        let inner = seen.0.lock().unwrap();
        assert!(inner.ids.len() <= SEEN_MAX && inner.order.len() <= SEEN_MAX);
        assert!(!inner.ids.contains(&1), "the oldest was forgotten");
    }
}
