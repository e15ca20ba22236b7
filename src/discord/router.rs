//! The one way in for every interaction, whichever way it arrived: it finds the command, checks
//! the options against the declaration, acknowledges (within Discord's 3 s, before any I/O, with
//! the visibility the command declares), runs the handler, delivers its answer, and counts the
//! outcome and the latency. The failure paths live here once: an interaction that cannot be
//! acknowledged is reported by direct message, and a meeting whose answer cannot be delivered
//! still reaches the member (by direct message) and the channel (posted directly).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;

use serenity::all::{
    CommandInteraction, ComponentInteraction, CreateInteractionResponse,
    CreateInteractionResponseMessage, GuildId, Interaction, Member, ModalInteraction, User,
};
use tracing::Instrument;

use super::commands::{self, Call, Reply, START_BUTTON};
use super::declare;
use super::reply;
use super::rest::{Rest, Target};
use super::telemetry::{self, Outcome};
use crate::ids;
use crate::meetings::{Created, Meetings, Requester, ServiceError};
use crate::metrics::Metrics;

mod unfinished;

/// How an interaction gets its first response. Over the gateway that is a REST call
/// ([`Rest`]); an interaction that arrives over HTTP is answered in the HTTP response instead.
#[serenity::async_trait]
pub trait Ack: Send + Sync {
    /// Sends `response` as the interaction's first response.
    async fn acknowledge(
        &self,
        target: &Target<'_>,
        response: CreateInteractionResponse,
    ) -> serenity::Result<()>;
}

#[serenity::async_trait]
impl Ack for Rest {
    async fn acknowledge(
        &self,
        target: &Target<'_>,
        response: CreateInteractionResponse,
    ) -> serenity::Result<()> {
        self.respond(target, response).await
    }
}

/// Routes interactions to the commands.
pub struct Router {
    service: Arc<Meetings>,
    metrics: Arc<Metrics>,
}

impl Router {
    /// A router to `service`, counting in `metrics`.
    pub fn new(service: Arc<Meetings>, metrics: Arc<Metrics>) -> Self {
        Self { service, metrics }
    }

    /// Handles one interaction: acknowledged through `ack`, answered through `rest`.
    pub async fn handle(&self, rest: &Rest, ack: &dyn Ack, interaction: &Interaction) {
        self.dispatch(rest, ack, interaction, None).await;
    }

    pub(super) async fn dispatch(
        &self,
        rest: &Rest,
        ack: &dyn Ack,
        interaction: &Interaction,
        resumed: Option<Timestamp>,
    ) {
        let span = telemetry::span(interaction);
        async {
            let started = Instant::now();
            let outcome = match interaction {
                Interaction::Command(command) => {
                    Some(self.command(rest, ack, command, resumed).await)
                }
                Interaction::Autocomplete(command) => {
                    self.autocomplete(rest, ack, command).await;
                    None
                }
                Interaction::Component(component) => {
                    Some(self.component(rest, ack, component).await)
                }
                Interaction::Modal(modal) => Some(unknown_form(ack, modal).await),
                _ => None,
            };
            if let Some(outcome) = outcome {
                let name = telemetry::command_name(interaction);
                let elapsed = started.elapsed();
                // The duration first: a reader that saw the count sees its duration too.
                self.metrics.command_seconds.observe(&[&name], elapsed);
                self.metrics.commands.inc(&[&name, outcome.as_str()]);
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

    async fn command(
        &self,
        rest: &Rest,
        ack: &dyn Ack,
        command: &CommandInteraction,
        resumed: Option<Timestamp>,
    ) -> Outcome {
        let target = Target::from(command);
        let Some(who) = requester(
            command.guild_id,
            command.channel_id,
            &command.user,
            command.member.as_deref(),
        ) else {
            refuse(ack, &target, reply::OUTSIDE_A_SERVER).await;
            return Outcome::UserError;
        };
        let Some(handler) = commands::find(&command.data.name) else {
            tracing::warn!(command = %command.data.name, "unknown command");
            refuse(ack, &target, reply::OUTDATED).await;
            return Outcome::UserError;
        };
        let declaration = handler.declaration();
        let args = match declare::check(declaration, &command.data) {
            Ok(args) => args,
            Err(refusal) => {
                let option = refusal.option().unwrap_or("(unknown or missing)");
                tracing::info!(option, "options that do not fit the command");
                refuse(ack, &target, &reply::refusal(&refusal)).await;
                return Outcome::UserError;
            }
        };
        let call = Call {
            args,
            who,
            interaction: &command.token,
            locale: &command.locale,
            service: &self.service,
            rest,
            at: resumed.unwrap_or_else(Timestamp::now),
            resumed: resumed.is_some(),
        };
        // A use taken over is kept already, under this process's name now.
        let keep = (declaration.kept && resumed.is_none()).then_some((command, call.at));
        let work = handler.run(call);
        let outcome = self
            .acknowledged(rest, ack, &target, declaration.ephemeral, keep, work)
            .await;
        if declaration.kept {
            self.service.finished(command.id.get()).await;
        }
        outcome
    }

    async fn autocomplete(&self, rest: &Rest, ack: &dyn Ack, command: &CommandInteraction) {
        let target = Target::from(command);
        let who = requester(
            command.guild_id,
            command.channel_id,
            &command.user,
            command.member.as_deref(),
        );
        let (Some(who), Some(handler)) = (who, commands::find(&command.data.name)) else {
            return;
        };
        let call = Call {
            args: declare::Args::of(&command.data),
            who,
            interaction: &command.token,
            locale: &command.locale,
            service: &self.service,
            rest,
            at: Timestamp::now(),
            resumed: false,
        };
        let choices = handler.autocomplete(call).await;
        let response = CreateInteractionResponse::Autocomplete(choices);
        if let Err(err) = ack.acknowledge(&target, response).await {
            tracing::debug!(error = %err, "an autocomplete answer was not delivered");
        }
    }

    /// "Start as host": a fresh start link for the creator, a polite refusal for anyone else.
    async fn component(
        &self,
        rest: &Rest,
        ack: &dyn Ack,
        component: &ComponentInteraction,
    ) -> Outcome {
        let target = Target::from(component);
        let id = component
            .data
            .custom_id
            .strip_prefix(START_BUTTON)
            .and_then(|id| id.parse().ok());
        let who = requester(
            component.guild_id,
            component.channel_id,
            &component.user,
            component.member.as_ref(),
        );
        let (Some(id), Some(who)) = (id, who) else {
            refuse(ack, &target, reply::OUTDATED).await;
            return Outcome::UserError;
        };
        tracing::debug!(meeting_id = id, "start button");
        let started = super::meet::start(&self.service, who, id);
        self.acknowledged(rest, ack, &target, true, None, started)
            .await
    }

    /// Acknowledges, keeps `keep` until answered (see [`declare::Declaration::kept`]), runs `work`, and
    /// delivers its answer (or what went wrong, in words for the member). Returns the outcome
    /// for the metrics.
    async fn acknowledged(
        &self,
        rest: &Rest,
        ack: &dyn Ack,
        target: &Target<'_>,
        ephemeral: bool,
        keep: Option<(&CommandInteraction, Timestamp)>,
        work: impl Future<Output = Result<Reply, ServiceError>>,
    ) -> Outcome {
        let defer = CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(ephemeral),
        );
        if let Err(err) = ack.acknowledge(target, defer).await {
            tracing::warn!(error = %err, "could not acknowledge the interaction");
            // Discord shows the member "did not respond"; say that nothing was done, and why.
            rest.direct(target.user, reply::too_late()).await;
            return Outcome::Failed;
        }
        if let Some((command, at)) = keep {
            self.keep(command, at).await;
        }
        let (answer, outcome) = match work.await {
            Ok(Reply::Done) => return Outcome::Ok,
            Ok(Reply::Private(answer)) => (answer, Outcome::Ok),
            Ok(Reply::Created(created)) => return self.created(rest, target, &created).await,
            Err(err) => {
                tracing::info!(error = %err, "refused");
                (reply::private(reply::error_text(&err)), Outcome::of(&err))
            }
        };
        match rest.answer(target, answer).await {
            Ok(()) => outcome,
            Err(_) => Outcome::Failed,
        }
    }

    /// A meeting exists now: the member must hear of it and the channel must see it, even when
    /// the interaction can no longer be answered (its token expired, Discord failed).
    async fn created(&self, rest: &Rest, target: &Target<'_>, created: &Created) -> Outcome {
        let answered = rest
            .answer(target, reply::private_host_link(created))
            .await
            .is_ok();
        if (!answered || created.dm_host_link)
            && let Some(message) = reply::direct_host_link(created)
        {
            rest.direct(target.user, message).await;
        }
        // While the original is still "thinking", a follow-up would replace it and turn private:
        // after a failed answer, post to the channel directly.
        let posted = if answered {
            rest.follow_up(target, reply::public_meeting(created)).await
        } else {
            rest.patiently(|| {
                target
                    .channel
                    .send_message(&rest.http, reply::public_meeting_message(created))
            })
            .await
        };
        let message = match posted {
            Ok(message) => message,
            Err(err) => {
                tracing::warn!(error = %err, meeting_id = created.meeting.id, "could not post the public message");
                return Outcome::Failed;
            }
        };
        let (channel, message) = (
            ids::ChannelId(message.channel_id.get()),
            ids::MessageId(message.id.get()),
        );
        match self
            .service
            .attach_message(created.record.guild, created.meeting.id, channel, message)
            .await
        {
            // Cancelled before its message was noted: the cancel could not mark it.
            Ok(record) if record.cancelled => {
                super::announce::cancelled(rest, &record, None).await;
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "could not note where the meeting's message is");
            }
        }
        if answered {
            Outcome::Ok
        } else {
            Outcome::Failed
        }
    }
}

/// A private answer as the interaction's first response, for a refusal that needs no I/O.
async fn refuse(ack: &dyn Ack, target: &Target<'_>, text: &str) {
    if let Err(err) = ack.acknowledge(target, reply::private_message(text)).await {
        tracing::debug!(error = %err, "a direct answer was not delivered");
    }
}

/// The bot shows no forms, so a submitted one is from another version or not the bot's at all.
async fn unknown_form(ack: &dyn Ack, modal: &ModalInteraction) -> Outcome {
    tracing::info!(custom_id = %modal.data.custom_id, "a form the bot does not handle");
    let target = Target::from(modal);
    match ack
        .acknowledge(&target, reply::private_message(reply::UNKNOWN_FORM))
        .await
    {
        Ok(()) => Outcome::UserError,
        Err(_) => Outcome::Failed,
    }
}

/// Where each kind of interaction is answered.
macro_rules! target_of {
    ($($interaction:ty),*) => {$(
        impl<'a> From<&'a $interaction> for Target<'a> {
            fn from(interaction: &'a $interaction) -> Self {
                Target {
                    id: interaction.id,
                    token: &interaction.token,
                    user: &interaction.user,
                    channel: interaction.channel_id,
                }
            }
        }
    )*};
}

target_of!(CommandInteraction, ComponentInteraction, ModalInteraction);

/// The domain's view of who sent an interaction; `None` outside a server.
fn requester(
    guild: Option<GuildId>,
    channel: serenity::all::ChannelId,
    user: &User,
    member: Option<&Member>,
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
