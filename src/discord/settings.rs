//! `/meet-settings show | set | reset`: a server's defaults for /meet. Discord shows the command
//! only to members with Manage Server, and the service checks it again: a client can be tricked.

use serenity::all::{CommandInteraction, Context, ResolvedOption, ResolvedValue, Unresolved};

use super::telemetry::Outcome;
use super::{reply, rest};
use crate::ids::RoleId;
use crate::meetings::{Meetings, Requester, ServiceError, SettingsInput};
use crate::scheduling::plan::Recording;
use crate::store::SettingField;

/// Reads `set`'s options.
fn input(options: &[ResolvedOption<'_>]) -> SettingsInput {
    let mut input = SettingsInput::default();
    for option in options {
        match (option.name, &option.value) {
            ("duration", ResolvedValue::String(v)) => input.duration = Some((*v).to_owned()),
            ("timezone", ResolvedValue::String(v)) => input.timezone = Some((*v).to_owned()),
            ("waiting_room", ResolvedValue::Boolean(v)) => input.waiting_room = Some(*v),
            ("join_before_host", ResolvedValue::Boolean(v)) => input.join_before_host = Some(*v),
            ("mute_upon_entry", ResolvedValue::Boolean(v)) => input.mute_upon_entry = Some(*v),
            ("auto_recording", ResolvedValue::String(v)) => {
                input.auto_recording = Recording::from_name(v);
            }
            ("passcode", ResolvedValue::String(v)) => input.auto_passcode = Some(*v == "auto"),
            ("host_user", ResolvedValue::String(v)) => input.host_user = Some((*v).to_owned()),
            ("dm_host_link", ResolvedValue::Boolean(v)) => input.dm_host_link = Some(*v),
            ("cooldown", ResolvedValue::String(v)) => input.cooldown = Some((*v).to_owned()),
            ("creator_role", ResolvedValue::Role(role)) => {
                input.creator_role = Some(RoleId(role.id.get()));
            }
            // Discord resolves the role; its id alone is just as good.
            ("creator_role", ResolvedValue::Unresolved(Unresolved::RoleId(id))) => {
                input.creator_role = Some(RoleId(id.get()));
            }
            _ => {}
        }
    }
    input
}

/// Runs a `/meet-settings` subcommand. Every answer is private.
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
    let (name, inner) = options
        .iter()
        .find_map(|o| match &o.value {
            ResolvedValue::SubCommand(inner) => Some((o.name, inner.as_slice())),
            _ => None,
        })
        .unwrap_or_default();
    // `None`: a subcommand or field this version does not know.
    let result = match name {
        // Even reading the settings takes Manage Server: they name the Zoom host user.
        "show" if !who.manage_guild => Some(Err(ServiceError::NotManager)),
        "show" => Some(
            service
                .settings(who.guild)
                .await
                .map(|s| reply::settings(&s, "This server's meeting settings")),
        ),
        "set" => Some(
            service
                .change_settings(&who, &input(inner))
                .await
                .map(|s| reply::settings(&s, "Saved. This server's meeting settings are now")),
        ),
        "reset" => {
            let field = inner.iter().find_map(|o| match (o.name, &o.value) {
                ("field", ResolvedValue::String(v)) => Some(*v),
                _ => None,
            });
            let reset = match field.map(SettingField::from_name) {
                Some(None) => None,
                Some(Some(field)) => Some(service.reset_settings(&who, Some(field)).await),
                None => Some(service.reset_settings(&who, None).await),
            };
            reset.map(|r| {
                r.map(|s| reply::settings(&s, "Reset. This server's meeting settings are now"))
            })
        }
        _ => None,
    };
    if let Some(result) = result {
        return super::conclude(ctx, command, result).await;
    }
    tracing::info!(
        subcommand = name,
        "unknown /meet-settings subcommand or field"
    );
    let outdated = reply::private(reply::OUTDATED.to_owned());
    match rest::answer(ctx, command, outdated).await {
        Ok(()) => Outcome::UserError,
        Err(_) => Outcome::Failed,
    }
}
