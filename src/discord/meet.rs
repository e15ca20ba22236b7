//! `/meet` and its "Start as host" button.

use serenity::all::{
    CommandInteraction, ComponentInteraction, Context, CreateAutocompleteResponse, ResolvedOption,
    ResolvedValue,
};

use super::reply;
use super::telemetry::{Outcome, rest_failed};
use crate::ids::{ChannelId, MessageId};
use crate::meetings::{Meetings, Requester};
use crate::scheduling::plan::{MeetInput, Recording};
use crate::scheduling::timezone_suggestions;

/// Reads `/meet`'s options into the domain's input.
fn input(options: &[ResolvedOption<'_>]) -> MeetInput {
    let mut input = MeetInput::default();
    for option in options {
        match (option.name, &option.value) {
            ("topic", ResolvedValue::String(v)) => (*v).clone_into(&mut input.topic),
            ("duration", ResolvedValue::String(v)) => input.duration = Some((*v).to_owned()),
            ("when", ResolvedValue::String(v)) => input.when = Some((*v).to_owned()),
            ("timezone", ResolvedValue::String(v)) => input.timezone = Some((*v).to_owned()),
            ("agenda", ResolvedValue::String(v)) => input.agenda = Some((*v).to_owned()),
            ("passcode", ResolvedValue::String(v)) => input.passcode = Some((*v).to_owned()),
            ("waiting_room", ResolvedValue::Boolean(v)) => input.waiting_room = Some(*v),
            ("recording", ResolvedValue::String(v)) => {
                input.recording = match *v {
                    "none" => Some(Recording::None),
                    "local" => Some(Recording::Local),
                    "cloud" => Some(Recording::Cloud),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    input
}

/// `/meet`: acknowledge at once (privately), create, then answer the requester privately with the
/// host link and post the public message.
///
/// The acknowledgement is ephemeral on purpose: the requester's private answer (host link, or the
/// reason for a refusal) becomes the original response, and the public message a follow-up sent
/// after it. A public defer would turn the first follow-up public whatever its flags (Discord
/// replaces a "thinking" original with it), which is how other bots leak host links.
pub async fn run(
    ctx: &Context,
    service: &Meetings,
    command: &CommandInteraction,
    who: Requester,
) -> Outcome {
    if let Err(err) = command.defer_ephemeral(&ctx.http).await {
        rest_failed(ctx, &err).await;
        tracing::warn!(error = %err, "could not acknowledge /meet");
        return Outcome::Failed;
    }
    let created = match service.create(&who, &input(&command.data.options())).await {
        Ok(created) => created,
        Err(err) => {
            tracing::info!(error = %err, "/meet refused");
            if let Err(err) = command
                .edit_response(&ctx.http, reply::private(reply::error_text(&err)))
                .await
            {
                rest_failed(ctx, &err).await;
                tracing::warn!(error = %err, "could not tell the requester why /meet was refused");
                return Outcome::Failed;
            }
            return Outcome::of(&err);
        }
    };
    tracing::info!(meeting_id = created.meeting.id, "meeting created");
    let mut outcome = Outcome::Failed;
    // Once more on failure: while the original is still "thinking", the public follow-up below
    // would replace it and turn private (nothing leaks, but the channel would not see it).
    for attempt in 1..=2 {
        match command
            .edit_response(&ctx.http, reply::private_host_link(&created))
            .await
        {
            Ok(_) => {
                outcome = Outcome::Ok;
                break;
            }
            Err(err) => {
                rest_failed(ctx, &err).await;
                tracing::warn!(error = %err, attempt, meeting_id = created.meeting.id, "could not give the requester the host link");
            }
        }
    }
    match command
        .create_followup(&ctx.http, reply::public_meeting(&created))
        .await
    {
        Ok(message) => {
            let (channel, message) = (
                ChannelId(message.channel_id.get()),
                MessageId(message.id.get()),
            );
            if let Err(err) = service
                .attach_message(who.guild, created.meeting.id, channel, message)
                .await
            {
                tracing::warn!(error = %err, "could not note where the meeting's message is");
            }
        }
        Err(err) => {
            rest_failed(ctx, &err).await;
            tracing::warn!(error = %err, meeting_id = created.meeting.id, "could not post the public message");
            outcome = Outcome::Failed;
        }
    }
    outcome
}

/// Time zone suggestions for `/meet timezone:`.
pub fn autocomplete(command: &CommandInteraction) -> CreateAutocompleteResponse {
    let query = command
        .data
        .autocomplete()
        .map(|o| o.value)
        .unwrap_or_default();
    timezone_suggestions(query, 25)
        .into_iter()
        .fold(CreateAutocompleteResponse::new(), |r, zone| {
            r.add_string_choice(zone.clone(), zone)
        })
}

/// "Start as host": a fresh start link for the creator, a polite refusal for anyone else.
pub async fn start_button(
    ctx: &Context,
    service: &Meetings,
    component: &ComponentInteraction,
    who: Requester,
    id: i64,
) -> Outcome {
    if let Err(err) = component.defer_ephemeral(&ctx.http).await {
        rest_failed(ctx, &err).await;
        tracing::warn!(error = %err, "could not acknowledge the start button");
        return Outcome::Failed;
    }
    let (answer, outcome) = match service.host_link(&who, id).await {
        Ok((record, link)) => (reply::host_link(&record, &link), Outcome::Ok),
        Err(err) => {
            tracing::info!(error = %err, "start button refused");
            (reply::private(reply::error_text(&err)), Outcome::of(&err))
        }
    };
    if let Err(err) = component.edit_response(&ctx.http, answer).await {
        rest_failed(ctx, &err).await;
        tracing::warn!(error = %err, "could not answer the start button");
        return Outcome::Failed;
    }
    outcome
}
