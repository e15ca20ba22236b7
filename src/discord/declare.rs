//! A command declared once: its name, description, options (kind, limits, choices), where it may
//! run and the permission Discord shows it to. From a [`Declaration`] come both the registration
//! payload and, through [`check`], the options of an interaction read against it: a name, choice,
//! kind or length the declaration does not allow is refused before any handler runs.
//!
//! Our own small layer rather than poise: poise would take over the event handler, the raw-event
//! handler that answers interactions serenity cannot read, the ephemeral-acknowledgement rule and
//! the metrics, which are the parts of the adapter that most need to stay ours.

mod check;

use serenity::all::{
    CommandOptionType, CreateCommand, CreateCommandOption, InteractionContext, Permissions,
};

pub use check::{Args, Refusal, check};

/// A `(label, value)` choice of a text option.
pub type Choice = (&'static str, &'static str);

/// What an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A whole number.
    Integer,
    /// True or false.
    Flag,
    /// A role of the server.
    Role,
}

/// One option of a command or subcommand.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// Its name, as typed after the command.
    pub name: &'static str,
    /// What Discord shows under it.
    pub description: &'static str,
    /// What it takes.
    pub kind: Kind,
    /// Discord does not let the command be sent without it.
    pub required: bool,
    /// The longest text, in characters.
    pub max_len: Option<usize>,
    /// The least a number may be (counts and lengths: never below zero).
    pub min: Option<u64>,
    /// The most a number may be.
    pub max: Option<u64>,
    /// The only values it takes, when not empty.
    pub choices: &'static [Choice],
    /// Discord asks the bot for suggestions as it is typed.
    pub autocomplete: bool,
    /// What a member is told of a text over `max_len` characters (given its length), when the
    /// domain words it better than "too long".
    pub too_long: Option<fn(usize) -> String>,
}

impl Opt {
    const fn new(kind: Kind, name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            kind,
            required: false,
            max_len: None,
            min: None,
            max: None,
            choices: &[],
            autocomplete: false,
            too_long: None,
        }
    }

    /// A text option.
    pub const fn text(name: &'static str, description: &'static str) -> Self {
        Self::new(Kind::Text, name, description)
    }

    /// A true/false option.
    pub const fn flag(name: &'static str, description: &'static str) -> Self {
        Self::new(Kind::Flag, name, description)
    }

    /// A whole-number option.
    pub const fn integer(name: &'static str, description: &'static str) -> Self {
        Self::new(Kind::Integer, name, description)
    }

    /// A role option.
    pub const fn role(name: &'static str, description: &'static str) -> Self {
        Self::new(Kind::Role, name, description)
    }

    /// A time zone option, autocompleted over IANA names.
    pub const fn zone(name: &'static str, description: &'static str) -> Self {
        Self::text(name, description).max_len(64).autocomplete()
    }

    /// Required.
    #[must_use]
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// At most `max` characters.
    #[must_use]
    pub const fn max_len(mut self, max: usize) -> Self {
        self.max_len = Some(max);
        self
    }

    /// From `min` to `max`, both included.
    #[must_use]
    pub const fn range(mut self, min: u64, max: u64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    /// Only these values.
    #[must_use]
    pub const fn choices(mut self, choices: &'static [Choice]) -> Self {
        self.choices = choices;
        self
    }

    /// Suggestions as it is typed.
    #[must_use]
    pub const fn autocomplete(mut self) -> Self {
        self.autocomplete = true;
        self
    }

    /// How a text over `max_len` is refused.
    #[must_use]
    pub const fn too_long(mut self, says: fn(usize) -> String) -> Self {
        self.too_long = Some(says);
        self
    }

    fn option_type(self) -> CommandOptionType {
        match self.kind {
            Kind::Text => CommandOptionType::String,
            Kind::Integer => CommandOptionType::Integer,
            Kind::Flag => CommandOptionType::Boolean,
            Kind::Role => CommandOptionType::Role,
        }
    }

    /// serenity's builder for it.
    pub fn build(self) -> CreateCommandOption {
        let mut option = CreateCommandOption::new(self.option_type(), self.name, self.description);
        if self.required {
            option = option.required(true);
        }
        if let Some(max) = self.max_len {
            // Discord's limits are u16; ours are small constants.
            option = option.max_length(u16::try_from(max).unwrap_or(u16::MAX));
        }
        if let Some(min) = self.min {
            option = option.min_int_value(min);
        }
        if let Some(max) = self.max {
            option = option.max_int_value(max);
        }
        if self.autocomplete {
            option = option.set_autocomplete(true);
        }
        self.choices.iter().fold(option, |option, (label, value)| {
            option.add_string_choice(*label, *value)
        })
    }
}

/// A subcommand.
#[derive(Debug, Clone, Copy)]
pub struct Sub {
    /// Its name.
    pub name: &'static str,
    /// What Discord shows under it.
    pub description: &'static str,
    /// Its options.
    pub options: &'static [Opt],
}

impl Sub {
    fn build(&self) -> CreateCommandOption {
        self.options.iter().fold(
            CreateCommandOption::new(CommandOptionType::SubCommand, self.name, self.description),
            |sub, option| sub.add_sub_option(option.build()),
        )
    }
}

/// A slash command, declared once.
#[derive(Debug, Clone, Copy)]
pub struct Declaration {
    /// Its name, without the slash.
    pub name: &'static str,
    /// What Discord shows under it.
    pub description: &'static str,
    /// Its options (a command without subcommands).
    pub options: &'static [Opt],
    /// Its subcommands, when it has some (then it has no options of its own).
    pub subcommands: &'static [Sub],
    /// Where it may run.
    pub contexts: &'static [InteractionContext],
    /// Who Discord shows it to (the bot checks again: a client can be tricked).
    pub default_member_permissions: Option<Permissions>,
    /// Whether its acknowledgement, and with it the first answer, is visible only to the member.
    pub ephemeral: bool,
    /// Whether each use is kept in the store from its acknowledgement to its answer, so that
    /// another process finishes it should this one die (a /meet: a meeting at stake).
    pub kept: bool,
}

impl Declaration {
    /// A command for servers, shown to everyone, answered privately, with no options yet.
    pub const fn new(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            options: &[],
            subcommands: &[],
            contexts: &[InteractionContext::Guild],
            default_member_permissions: None,
            ephemeral: true,
            kept: false,
        }
    }

    /// Kept from its acknowledgement to its answer (see [`Declaration::kept`]); its handler
    /// must finish a use taken over ([`super::commands::Call::resumed`]) without doing twice
    /// what the process that died did.
    #[must_use]
    pub const fn kept_until_answered(mut self) -> Self {
        self.kept = true;
        self
    }

    /// With these options.
    #[must_use]
    pub const fn options(mut self, options: &'static [Opt]) -> Self {
        self.options = options;
        self
    }

    /// With these subcommands.
    #[must_use]
    pub const fn subcommands(mut self, subcommands: &'static [Sub]) -> Self {
        self.subcommands = subcommands;
        self
    }

    /// Shown only to members with `permissions`.
    #[must_use]
    pub const fn for_members_with(mut self, permissions: Permissions) -> Self {
        self.default_member_permissions = Some(permissions);
        self
    }

    /// serenity's builder for its registration.
    pub fn build(&self) -> CreateCommand {
        let mut command = CreateCommand::new(self.name)
            .description(self.description)
            .contexts(self.contexts.to_vec());
        if let Some(permissions) = self.default_member_permissions {
            command = command.default_member_permissions(permissions);
        }
        let command = self.options.iter().fold(command, |command, option| {
            command.add_option(option.build())
        });
        self.subcommands
            .iter()
            .fold(command, |command, sub| command.add_option(sub.build()))
    }
}

#[cfg(test)]
mod tests;
