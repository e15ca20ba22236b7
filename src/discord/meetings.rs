//! `/meetings list`, `/meetings cancel`, `/meetings host-link`.

use serenity::all::{
    ChannelId, CommandInteraction, Context, CreateAutocompleteResponse, MessageId, ResolvedOption,
    ResolvedValue,
};

use super::telemetry::Outcome;
use super::{reply, rest};
use crate::meetings::{Meetings, Requester, Scope};

/// The subcommand and its options.
fn subcommand<'a>(
    options: &'a [ResolvedOption<'a>],
) -> Option<(&'a str, &'a [ResolvedOption<'a>])> {
    options.iter().find_map(|o| match &o.value {
        ResolvedValue::SubCommand(inner) => Some((o.name, inner.as_slice())),
        _ => None,
    })
}

/// The string option `name` of a subcommand.
fn string<'a>(options: &[ResolvedOption<'a>], name: &str) -> Option<&'a str> {
    options.iter().find_map(|o| match (o.name, &o.value) {
        (n, ResolvedValue::String(v)) if n == name => Some(*v),
        _ => None,
    })
}

/// `scope:` of `/meetings list`; an unknown value is refused, not widened.
fn scope(value: Option<&str>) -> Option<Scope> {
    match value {
        None | Some("channel") => Some(Scope::Channel),
        Some("server") => Some(Scope::Server),
        Some(_) => None,
    }
}

/// The meeting a member picked: the autocomplete value is the Zoom id; a typed id may have spaces.
fn meeting_id(value: Option<&str>) -> Option<i64> {
    value?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .parse()
        .ok()
}

/// Runs a `/meetings` subcommand. Every answer is private.
pub async fn run(
    ctx: &Context,
    service: &Meetings,
    command: &CommandInteraction,
    who: Requester,
) -> Outcome {
    if !rest::defer(ctx, command).await {
        return Outcome::Failed;
    }
    let options = command.data.options();
    let (name, sub_options) = subcommand(&options).unwrap_or_default();
    let meeting = string(sub_options, "meeting");
    let answer = match (name, meeting_id(meeting)) {
        ("list", _) => match scope(string(sub_options, "scope")) {
            Some(scope) => service
                .upcoming(&who, scope)
                .await
                .map(|m| reply::meeting_list(&m, scope, who.channel)),
            None => Ok(reply::private(reply::OUTDATED.to_owned())),
        },
        // Typed instead of picked: say what was typed, not "meeting 0".
        ("cancel" | "host-link", None) => Ok(reply::not_a_meeting(meeting.unwrap_or_default())),
        ("cancel", Some(id)) => match service.cancel(&who, id).await {
            Ok(record) => {
                if let Some(message) = record.message {
                    let edit = reply::cancelled_meeting(&record, Some(who.member.0));
                    let edited = rest::patiently(ctx, || {
                        ChannelId::new(record.channel.0).edit_message(
                            &ctx.http,
                            MessageId::new(message.0),
                            edit.clone(),
                        )
                    })
                    .await;
                    if let Err(err) = edited {
                        tracing::warn!(error = %err, "could not mark the public message as cancelled");
                    }
                }
                tracing::info!(meeting_id = id, "meeting cancelled");
                Ok(reply::private(format!(
                    "Cancelled **{}**; it is gone from Zoom too.",
                    reply::markdown(&record.topic)
                )))
            }
            Err(err) => Err(err),
        },
        ("host-link", Some(id)) => service
            .host_link(&who, id)
            .await
            .map(|(record, link)| reply::host_link(&record, &link)),
        _ => Ok(reply::private(reply::OUTDATED.to_owned())),
    };
    super::conclude(ctx, command, answer).await
}

/// Suggestions for the `meeting` option: the upcoming meetings of this channel and the member's
/// own (for host-link, only their own), matching what was typed. Never the whole server's, even
/// for managers: other channels' meetings are shown only when asked for (`scope:server`).
pub async fn autocomplete(
    service: &Meetings,
    command: &CommandInteraction,
    who: &Requester,
) -> CreateAutocompleteResponse {
    let options = command.data.options();
    let own_only = subcommand(&options).is_some_and(|(name, _)| name == "host-link");
    let query = command
        .data
        .autocomplete()
        .map(|o| o.value.to_lowercase())
        .unwrap_or_default();
    let meetings = service
        .upcoming(who, Scope::Channel)
        .await
        .unwrap_or_default();
    meetings
        .iter()
        .filter(|m| !own_only || m.creator == who.member)
        .filter(|m| {
            m.topic.to_lowercase().contains(&query) || m.zoom_id.to_string().contains(&query)
        })
        .take(25)
        .fold(CreateAutocompleteResponse::new(), |r, m| {
            let when = m.start.strftime("%a %-d %b %H:%M UTC").to_string();
            let mut name = format!("{} · {when}", m.topic);
            if name.chars().count() > 100 {
                name = format!(
                    "{}… · {when}",
                    m.topic
                        .chars()
                        .take(100 - when.chars().count() - 4)
                        .collect::<String>()
                );
            }
            r.add_string_choice(name, m.zoom_id.to_string())
        })
}
