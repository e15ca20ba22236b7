//! `/meet-timezone`, and the time zone suggestions every command's zone option autocompletes with.

use serenity::all::{CommandInteraction, Context, CreateAutocompleteResponse, ResolvedValue};

use super::telemetry::Outcome;
use super::{reply, rest};
use crate::meetings::{Meetings, Requester};
use crate::scheduling::timezone_suggestions;

/// Time zone suggestions for the focused option.
pub fn suggestions(command: &CommandInteraction) -> CreateAutocompleteResponse {
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

/// `/meet-timezone zone:…`: any member's own time zone, confirmed with their local "now".
pub async fn run(
    ctx: &Context,
    service: &Meetings,
    command: &CommandInteraction,
    who: Requester,
) -> Outcome {
    if !rest::defer(ctx, command).await {
        return Outcome::Failed;
    }
    let zone = command
        .data
        .options()
        .into_iter()
        .find_map(|o| match (o.name, o.value) {
            ("zone", ResolvedValue::String(v)) => Some(v.trim().to_owned()),
            _ => None,
        })
        .unwrap_or_default();
    let clear = ["none", "clear", "reset"].contains(&zone.to_lowercase().as_str());
    let result = service
        .set_member_timezone(who.member, (!clear).then_some(zone.as_str()))
        .await;
    super::conclude(
        ctx,
        command,
        result.map(|zone| reply::member_timezone(zone.as_deref())),
    )
    .await
}
