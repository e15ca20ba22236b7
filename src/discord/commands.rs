//! The slash commands, as registered with Discord at start-up.

use serenity::all::{
    CommandOptionType, CreateCommand, CreateCommandOption, InteractionContext, Permissions,
};

use crate::scheduling::plan::{AGENDA_MAX, PASSCODE_MAX, Recording, TOPIC_MAX};
use crate::store::SettingField;

/// Custom id prefix of the "Start as host" button; the Zoom meeting id follows.
pub const START_BUTTON: &str = "zoombot:start:";

fn text(name: &str, description: &str) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::String, name, description)
}

fn flag(name: &str, description: &str) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::Boolean, name, description)
}

fn subcommand(name: &str, description: &str) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::SubCommand, name, description)
}

/// A time zone option, autocompleted over IANA names.
fn zone(name: &str, description: &str) -> CreateCommandOption {
    text(name, description)
        .set_autocomplete(true)
        .max_length(64)
}

fn recording(name: &str) -> CreateCommandOption {
    Recording::ALL
        .iter()
        .fold(text(name, "Record automatically"), |option, r| {
            option.add_string_choice(r.name(), r.name())
        })
}

/// `/meet-settings`: only members with Manage Server see it (the bot checks again).
fn settings() -> CreateCommand {
    let reset_field = SettingField::ALL.iter().fold(
        text("field", "The setting to reset (default: all of them)"),
        |option, field| option.add_string_choice(field.name(), field.name()),
    );
    CreateCommand::new("meet-settings")
        .description("This server's defaults for /meet (Manage Server)")
        .contexts(vec![InteractionContext::Guild])
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .add_option(subcommand("show", "Show the settings in effect"))
        .add_option(
            subcommand("set", "Change one or more settings")
                .add_sub_option(
                    text(
                        "duration",
                        "Default length: 45m, 1h30m (1 minute to 24 hours)",
                    )
                    .max_length(32),
                )
                .add_sub_option(zone(
                    "timezone",
                    "Time zone `when` is read in for members without their own",
                ))
                .add_sub_option(flag(
                    "waiting_room",
                    "Hold participants until the host admits them",
                ))
                .add_sub_option(flag(
                    "join_before_host",
                    "Let participants join before the host",
                ))
                .add_sub_option(flag("mute_upon_entry", "Mute participants when they join"))
                .add_sub_option(recording("auto_recording"))
                .add_sub_option(
                    text("passcode", "Passcodes for meetings without one given")
                        .add_string_choice("auto: Zoom makes one", "auto")
                        .add_string_choice("none", "none"),
                )
                .add_sub_option(
                    text(
                        "host_user",
                        "The Zoom user (id or email) meetings are created under",
                    )
                    .max_length(128),
                )
                .add_sub_option(flag(
                    "dm_host_link",
                    "Also send the host link by direct message",
                ))
                .add_sub_option(CreateCommandOption::new(
                    CommandOptionType::Role,
                    "creator_role",
                    "Only members with this role may schedule meetings",
                ))
                .add_sub_option(
                    text(
                        "cooldown",
                        "Meetings per member in a window: 5/10m (default), 20/1h, or off",
                    )
                    .max_length(32),
                ),
        )
        .add_option(subcommand("reset", "Back to the defaults").add_sub_option(reset_field))
}

/// The `meeting` option of `/meetings cancel` and `/meetings host-link`.
fn meeting_option() -> CreateCommandOption {
    text(
        "meeting",
        "An upcoming meeting of this channel, or one of yours",
    )
    .required(true)
    .set_autocomplete(true)
}

/// Every command the bot registers.
pub fn all() -> Vec<CreateCommand> {
    // Option lengths are u16 in Discord's API; the limits are small constants.
    #[allow(clippy::cast_possible_truncation)]
    let max = |n: usize| n as u16;
    vec![
        CreateCommand::new("meet")
            .description(
                "Schedule a Zoom meeting: the channel gets the join link, you get the host link",
            )
            .contexts(vec![InteractionContext::Guild])
            .add_option(
                text("topic", "What the meeting is about")
                    .required(true)
                    .max_length(max(TOPIC_MAX)),
            )
            .add_option(
                text(
                    "duration",
                    "How long: 45m, 1h30m (1 minute to 24 hours; default 30m)",
                )
                .max_length(32),
            )
            .add_option(
                text(
                    "when",
                    "now, in 2h, tomorrow 3pm, next fri 9:30, 24 dec 18:00 ET (default now)",
                )
                .max_length(100)
                // Each choice shows the instant it means before the member sends.
                .set_autocomplete(true),
            )
            .add_option(zone(
                "timezone",
                "The time zone `when` is read in, like Europe/Berlin",
            ))
            .add_option(text("agenda", "What the meeting will cover").max_length(max(AGENDA_MAX)))
            .add_option(
                text(
                    "passcode",
                    "Up to 10 letters, digits, @ - _ * (default: Zoom makes one)",
                )
                .max_length(max(PASSCODE_MAX)),
            )
            .add_option(flag(
                "waiting_room",
                "Hold participants in a waiting room until the host admits them",
            ))
            .add_option(recording("recording")),
        CreateCommand::new("meetings")
            .description("This server's Zoom meetings")
            .contexts(vec![InteractionContext::Guild])
            .add_option(
                subcommand("list", "Upcoming meetings, soonest first").add_sub_option(
                    text(
                        "scope",
                        "Whose meetings (default: this channel's and yours)",
                    )
                    .add_string_choice("this channel's and yours", "channel")
                    .add_string_choice("the whole server (Manage Server)", "server"),
                ),
            )
            .add_option(
                subcommand(
                    "cancel",
                    "Cancel a meeting (its creator or a server manager)",
                )
                .add_sub_option(meeting_option()),
            )
            .add_option(
                subcommand("host-link", "A fresh host link for a meeting you scheduled")
                    .add_sub_option(meeting_option()),
            ),
        settings(),
        CreateCommand::new("meet-timezone")
            .description("Your own time zone: /meet reads `when` in it")
            .contexts(vec![InteractionContext::Guild])
            .add_option(
                zone(
                    "zone",
                    "An IANA name like America/New_York (\"none\" clears it)",
                )
                .required(true),
            ),
    ]
}

/// The registration body of [`all`]: serenity's serialisation, with `default_member_permissions`
/// as the integer Discord's API spec declares for requests (serenity writes a string).
pub fn registration() -> Vec<serde_json::Value> {
    all()
        .iter()
        .map(|command| {
            let mut body = serde_json::to_value(command).unwrap_or_default();
            if let Some(field) = body.get_mut("default_member_permissions")
                && let Some(bits) = field.as_str().and_then(|s| s.parse::<u64>().ok())
            {
                *field = bits.into();
            }
            body
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meet_settings_is_registered_for_manage_server_with_integer_permissions() {
        let body = registration();
        let settings = body
            .iter()
            .find(|c| c["name"] == "meet-settings")
            .expect("registered");
        assert_eq!(settings["default_member_permissions"], 32);
        let meet = body.iter().find(|c| c["name"] == "meet").expect("meet");
        assert!(meet["default_member_permissions"].is_null());
    }
}
