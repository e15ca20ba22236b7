//! `/meet` and its "Start as host" button.

use serenity::all::{
    CommandInteraction, ComponentInteraction, Context, ResolvedOption, ResolvedValue,
};

use super::reply;
use crate::ids::{ChannelId, MessageId};
use crate::meetings::{Meetings, Requester};
use crate::scheduling::plan::{MeetInput, Recording};

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
pub async fn run(ctx: &Context, service: &Meetings, command: &CommandInteraction, who: Requester) {
    if let Err(err) = command.defer_ephemeral(&ctx.http).await {
        tracing::warn!(error = %err, "could not acknowledge /meet");
        return;
    }
    let created = match service.create(&who, &input(&command.data.options())).await {
        Ok(created) => created,
        Err(err) => {
            tracing::info!(error = %err, "/meet refused");
            let _ = command
                .edit_response(&ctx.http, reply::private(reply::error_text(&err)))
                .await;
            return;
        }
    };
    tracing::info!(meeting_id = created.meeting.id, "meeting created");
    // Once more on failure: while the original is still "thinking", the public follow-up below
    // would replace it and turn private (nothing leaks, but the channel would not see it).
    for attempt in 1..=2 {
        match command
            .edit_response(&ctx.http, reply::private_host_link(&created))
            .await
        {
            Ok(_) => break,
            Err(err) => {
                tracing::warn!(error = %err, attempt, meeting_id = created.meeting.id, "could not give the requester the host link");
            }
        }
    }
    if created.dm_host_link {
        direct_host_link(ctx, command, &created).await;
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
            tracing::warn!(error = %err, meeting_id = created.meeting.id, "could not post the public message");
        }
    }
}

/// The host link by direct message too, where the server opted in. Closed DMs (50007) are
/// expected: the requester has the private answer already.
async fn direct_host_link(
    ctx: &Context,
    command: &CommandInteraction,
    created: &crate::meetings::Created,
) {
    let Some(message) = reply::direct_host_link(created) else {
        return;
    };
    match command.user.direct_message(&ctx.http, message).await {
        Ok(_) => tracing::debug!("host link sent by direct message"),
        Err(serenity::Error::Http(serenity::all::HttpError::UnsuccessfulRequest(e)))
            if e.error.code == 50007 =>
        {
            tracing::debug!("the requester's DMs are closed; the private answer has the host link");
        }
        Err(err) => tracing::warn!(error = %err, "could not send the host link by direct message"),
    }
}

/// "Start as host": a fresh start link for the creator, a polite refusal for anyone else.
pub async fn start_button(
    ctx: &Context,
    service: &Meetings,
    component: &ComponentInteraction,
    who: Requester,
    id: i64,
) {
    if let Err(err) = component.defer_ephemeral(&ctx.http).await {
        tracing::warn!(error = %err, "could not acknowledge the start button");
        return;
    }
    let answer = match service.host_link(&who, id).await {
        Ok((record, link)) => reply::host_link(&record, &link),
        Err(err) => reply::private(reply::error_text(&err)),
    };
    let _ = component.edit_response(&ctx.http, answer).await;
}
