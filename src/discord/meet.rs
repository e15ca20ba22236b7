//! `/meet` and its "Start as host" button.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serenity::all::{
    CommandInteraction, ComponentInteraction, Context, CreateAutocompleteResponse, ResolvedOption,
    ResolvedValue,
};

use super::telemetry::Outcome;
use super::{reply, rest};
use crate::ids::{ChannelId, MessageId};
use crate::meetings::{Meetings, Requester};
use crate::scheduling::plan::{MeetInput, Recording, resolve_zone};
use crate::scheduling::{WhenContext, suggest_when};

/// Reads `/meet`'s options into the domain's input; `locale` is the member's Discord language.
fn input(options: &[ResolvedOption<'_>], locale: &str) -> MeetInput {
    let mut input = MeetInput {
        locale: (!locale.is_empty()).then(|| locale.to_owned()),
        ..MeetInput::default()
    };
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
    let created = match service
        .create(&who, &input(&command.data.options(), &command.locale))
        .await
    {
        Ok(created) => created,
        Err(err) => return super::conclude(ctx, command, Err(err)).await,
    };
    tracing::info!(meeting_id = created.meeting.id, "meeting created");
    // The meeting exists now: the member must hear of it and the channel must see it, even when
    // the interaction can no longer be answered (its token expired, Discord failed).
    let answered = rest::answer(ctx, command, reply::private_host_link(&created))
        .await
        .is_ok();
    if (!answered || created.dm_host_link)
        && let Some(message) = reply::direct_host_link(&created)
    {
        rest::direct(ctx, &command.user, message).await;
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

/// Choices for `when` as the member types it: each shows the instant it would mean in the zone
/// that applies (typed, option, member, server), and sends a canonical text for exactly that.
pub async fn when_suggestions(
    service: &Meetings,
    command: &CommandInteraction,
    who: &Requester,
) -> CreateAutocompleteResponse {
    let mut input = input(&command.data.options(), &command.locale);
    let typed = command
        .data
        .autocomplete()
        .map(|o| o.value)
        .unwrap_or_default();
    // A member the server does not let schedule is refused on sending; the reading is still theirs.
    let defaults = service
        .meet_defaults(who)
        .await
        .map(|(_, defaults)| defaults)
        .unwrap_or_default();
    let zone = resolve_zone(&input, &defaults)
        .or_else(|_| {
            // A timezone option still being typed is refused on sending; read in the rest meanwhile.
            input.timezone = None;
            resolve_zone(&input, &defaults)
        })
        .map_or(TimeZone::UTC, |(zone, _)| zone);
    let context = WhenContext {
        now: Timestamp::now(),
        zone: &zone,
        locale: input.locale.as_deref(),
    };
    suggest_when(typed, &context)
        .into_iter()
        .fold(CreateAutocompleteResponse::new(), |r, choice| {
            r.add_string_choice(choice.name, choice.value)
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
