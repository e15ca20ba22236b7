//! The slash commands, as registered with Discord at start-up.

use serenity::all::{CommandOptionType, CreateCommand, CreateCommandOption, InteractionContext};

use crate::scheduling::plan::{AGENDA_MAX, PASSCODE_MAX, TOPIC_MAX};

/// Custom id prefix of the "Start as host" button; the Zoom meeting id follows.
pub const START_BUTTON: &str = "zoombot:start:";

fn text(name: &str, description: &str) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::String, name, description)
}

/// The `meeting` option of `/meetings cancel` and `/meetings host-link`.
fn meeting_option() -> CreateCommandOption {
    text("meeting", "One of this server's upcoming meetings")
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
                    "now, in 2h, tomorrow 15:00, fri 9am, 2026-12-01 09:30 (default now)",
                )
                .max_length(100),
            )
            .add_option(
                text(
                    "timezone",
                    "The time zone `when` is read in, like Europe/Berlin",
                )
                .set_autocomplete(true)
                .max_length(64),
            )
            .add_option(text("agenda", "What the meeting will cover").max_length(max(AGENDA_MAX)))
            .add_option(
                text(
                    "passcode",
                    "Up to 10 letters, digits, @ - _ * (default: Zoom makes one)",
                )
                .max_length(max(PASSCODE_MAX)),
            )
            .add_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                "waiting_room",
                "Hold participants in a waiting room until the host admits them",
            ))
            .add_option(
                text("recording", "Record automatically")
                    .add_string_choice("none", "none")
                    .add_string_choice("local", "local")
                    .add_string_choice("cloud", "cloud"),
            ),
        CreateCommand::new("meetings")
            .description("This server's Zoom meetings")
            .contexts(vec![InteractionContext::Guild])
            .add_option(CreateCommandOption::new(
                CommandOptionType::SubCommand,
                "list",
                "Upcoming meetings, soonest first",
            ))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::SubCommand,
                    "cancel",
                    "Cancel a meeting (its creator or a server manager)",
                )
                .add_sub_option(meeting_option()),
            )
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::SubCommand,
                    "host-link",
                    "A fresh host link for a meeting you scheduled",
                )
                .add_sub_option(meeting_option()),
            ),
    ]
}
