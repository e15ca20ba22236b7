//! `/meet` and its "Start as host" button.

use serenity::all::{
    CommandInteraction, ComponentInteraction, Context, ResolvedOption, ResolvedValue,
};

use super::telemetry::Outcome;
use super::{reply, rest};
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
                input.recording = Recording::from_name(v);
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
    if !rest::defer(ctx, command).await {
        return Outcome::Failed;
    }
    let created = match service.create(&who, &input(&command.data.options())).await {
        Ok(created) => created,
        Err(err) => return super::conclude(ctx, command, Err(err)).await,
    };
    tracing::info!(meeting_id = created.meeting.id, "meeting created");
    // The meeting exists now: the member must hear of it and the channel must see it, even when
    // the interaction can no longer be answered (its token expired, Discord failed).
    let answered = rest::answer(ctx, command, reply::private_host_link(&created))
        .await
        .is_ok();
    if !answered || created.dm_host_link {
        if let Some(message) = reply::direct_host_link(&created) {
            rest::direct(ctx, &command.user, message).await;
        }
    }
    // While the original is still "thinking", a follow-up would replace it and turn private: after
    // a failed answer, post to the channel directly.
    let posted = if answered {
        rest::patiently(ctx, || {
            command.create_followup(&ctx.http, reply::public_meeting(&created))
        })
        .await
    } else {
        rest::patiently(ctx, || {
            command
                .channel_id
                .send_message(&ctx.http, reply::public_meeting_message(&created))
        })
        .await
    };
    match posted {
        Ok(message) => {
            let (channel, message) = (
                ChannelId(message.channel_id.get()),
                MessageId(message.id.get()),
            );
            match service
                .attach_message(who.guild, created.meeting.id, channel, message)
                .await
            {
                Ok(record) if record.cancelled => {
                    // Cancelled before its message was noted: the cancel could not mark it.
                    let edit = reply::cancelled_meeting(&record, None);
                    let marked = rest::patiently(ctx, || {
                        serenity::all::ChannelId::new(channel.0).edit_message(
                            &ctx.http,
                            serenity::all::MessageId::new(message.0),
                            edit.clone(),
                        )
                    })
                    .await;
                    if let Err(err) = marked {
                        tracing::warn!(error = %err, "could not mark the public message as cancelled");
                    }
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
        Err(err) => {
            tracing::warn!(error = %err, meeting_id = created.meeting.id, "could not post the public message");
            Outcome::Failed
        }
    }
}

/// "Start as host": a fresh start link for the creator, a polite refusal for anyone else.
pub async fn start_button(
    ctx: &Context,
    service: &Meetings,
    component: &ComponentInteraction,
    who: Requester,
    id: i64,
) -> Outcome {
    if !rest::defer_click(ctx, component).await {
        return Outcome::Failed;
    }
    let (answer, outcome) = match service.host_link(&who, id).await {
        Ok((record, link)) => (reply::host_link(&record, &link), Outcome::Ok),
        Err(err) => {
            tracing::info!(error = %err, "start button refused");
            (reply::private(reply::error_text(&err)), Outcome::of(&err))
        }
    };
    match rest::answer_click(ctx, component, answer).await {
        Ok(()) => outcome,
        Err(_) => Outcome::Failed,
    }
}
