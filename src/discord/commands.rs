//! The slash commands: each is one file (its [`Declaration`] and its handler) and one line of
//! [`ALL`]. The registration payload comes from the declarations; the router finds a command's
//! handler by its declared name.

use serenity::all::{
    Command as ApplicationCommand, CreateAutocompleteResponse, EditInteractionResponse, GuildId,
};

use super::declare::{Args, Declaration};
use super::rest::Rest;
use crate::meetings::{Created, Meetings, Requester, ServiceError};

/// Custom id prefix of the "Start as host" button; the Zoom meeting id follows.
pub const START_BUTTON: &str = "zoombot:start:";

/// What a handler gets: the interaction's checked options, who sent it, the service, and
/// Discord's REST API (no gateway `Context`: the same handler serves an interaction however it
/// arrived).
pub struct Call<'a> {
    /// The options, checked against the command's declaration.
    pub args: Args<'a>,
    /// Who sent it, in which server and channel.
    pub who: Requester,
    /// The interaction's token (valid 15 minutes): a later edit of its answer needs it.
    pub interaction: &'a str,
    /// The member's Discord language ("en-US"), empty when unknown.
    pub locale: &'a str,
    /// The service.
    pub service: &'a Meetings,
    /// Discord's REST API.
    pub rest: &'a Rest,
    /// The interaction's moment: when this process took it up, or, for one a process that died
    /// had taken up, when that process did. Times the member typed ("in 1h") are read as at it,
    /// so finishing a use taken over plans the very meeting the first process asked for.
    pub at: jiff::Timestamp,
    /// True when a process that died took this interaction up: it is being finished for it.
    pub resumed: bool,
}

/// What a handler answers with; the router delivers it.
pub enum Reply {
    /// The member's private answer.
    Private(EditInteractionResponse),
    /// A meeting was created: the host link privately, then the public message (and the
    /// fallbacks when the interaction can no longer be answered).
    Created(Box<Created>),
    /// Nothing left to send: a use taken over that the process which died had answered.
    Done,
}

/// One slash command: its declaration and its handler.
#[serenity::async_trait]
pub trait Command: Sync {
    /// The command, declared once.
    fn declaration(&self) -> &'static Declaration;

    /// Runs it, once the router has acknowledged it.
    async fn run(&self, call: Call<'_>) -> Result<Reply, ServiceError>;

    /// Suggestions for the option being typed (`call.args` as sent so far, unchecked); by
    /// default time zones, the only other autocompleted option.
    async fn autocomplete(&self, call: Call<'_>) -> CreateAutocompleteResponse {
        super::timezone::suggestions(&call.args)
    }
}

/// Every command the bot registers and answers.
pub const ALL: &[&dyn Command] = &[
    &super::meet::Meet,
    &super::meetings::MeetingsCommand,
    &super::settings::Settings,
    &super::timezone::MemberTimezone,
    &super::zoom::ZoomCommand,
];

/// The command named `name`.
pub fn find(name: &str) -> Option<&'static dyn Command> {
    ALL.iter().copied().find(|c| c.declaration().name == name)
}

/// The registration body of every command: serenity's serialisation, with
/// `default_member_permissions` as the integer Discord's API spec declares for requests (serenity
/// writes a string).
pub fn registration() -> Vec<serde_json::Value> {
    ALL.iter()
        .map(|command| {
            let mut body = serde_json::to_value(command.declaration().build()).unwrap_or_default();
            if let Some(field) = body.get_mut("default_member_permissions")
                && let Some(bits) = field.as_str().and_then(|s| s.parse::<u64>().ok())
            {
                *field = bits.into();
            }
            body
        })
        .collect()
}

/// Registers every command globally and, when one is configured, on the development guild too
/// (where changes show at once; global ones may take a while).
pub async fn register(rest: &Rest, dev_guild: Option<u64>) {
    let commands = registration();
    let registered = rest.http.create_global_commands(&commands).await;
    report(rest, registered, None);
    if let Some(guild) = dev_guild {
        let registered = rest
            .http
            .create_guild_commands(GuildId::new(guild), &commands)
            .await;
        report(rest, registered, Some(guild));
    }
}

fn report(rest: &Rest, registered: serenity::Result<Vec<ApplicationCommand>>, guild: Option<u64>) {
    match (registered, guild) {
        (Ok(registered), guild) => {
            let names: Vec<_> = registered.iter().map(|c| c.name.as_str()).collect();
            match guild {
                None => tracing::info!(commands = %names.join(","), "commands registered globally"),
                Some(guild) => {
                    tracing::info!(%guild, commands = %names.join(","), "commands also registered on the development guild");
                }
            }
        }
        (Err(err), None) => {
            rest.failed(&err);
            tracing::error!(error = %err, "registering the global commands failed");
        }
        (Err(err), Some(guild)) => {
            rest.failed(&err);
            tracing::error!(guild, error = %err, "registering the guild commands failed");
        }
    }
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

    /// What Discord is sent, pinned: a renamed option, a lost choice or limit, or a changed
    /// description shows here before members see it.
    #[test]
    fn the_registration_payload_is_exactly_the_pinned_one() {
        let pinned: serde_json::Value =
            serde_json::from_str(include_str!("registration.json")).expect("pinned payload");
        assert_eq!(serde_json::Value::Array(registration()), pinned);
    }

    /// The first answer of every command is private: /meet's carries the host link, and a public
    /// acknowledgement would make it public (see meet.rs).
    #[test]
    fn every_command_is_acknowledged_privately() {
        for command in ALL {
            let declaration = command.declaration();
            assert!(
                declaration.ephemeral,
                "/{} is acknowledged publicly",
                declaration.name
            );
        }
    }
}
