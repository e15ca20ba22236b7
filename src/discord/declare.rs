//! A command declared once: its name, description, options (kind, limits, choices), where it may
//! run and the permission Discord shows it to. From a [`Declaration`] come both the registration
//! payload and, through [`check`], the options of an interaction read against it: a name, choice,
//! kind or length the declaration does not allow is refused before any handler runs.
//!
//! Our own small layer rather than poise: poise would take over the event handler, the raw-event
//! handler that answers interactions serenity cannot read, the ephemeral-acknowledgement rule and
//! the metrics, which are the parts of the adapter that most need to stay ours.

use serenity::all::{
    CommandData, CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand,
    CreateCommandOption, InteractionContext, Permissions, RoleId,
};

/// A `(label, value)` choice of a text option.
pub type Choice = (&'static str, &'static str);

/// What an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
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
        if self.autocomplete {
            option = option.set_autocomplete(true);
        }
        self.choices.iter().fold(option, |option, (label, value)| {
            option.add_string_choice(*label, *value)
        })
    }

    /// `value` checked against the declaration.
    fn check(&self, value: &CommandDataOptionValue) -> Result<(), Refusal> {
        let wrong_kind = Refusal::WrongKind { option: self.name };
        match (self.kind, value) {
            (Kind::Text, CommandDataOptionValue::String(text)) => {
                if !self.choices.is_empty() && !self.choices.iter().any(|(_, v)| v == text) {
                    return Err(Refusal::NotAChoice {
                        option: self.name,
                        value: text.clone(),
                        choices: self.choices,
                    });
                }
                let len = text.chars().count();
                match self.max_len {
                    Some(max) if len > max => Err(Refusal::TooLong {
                        option: self.name,
                        len,
                        max,
                        says: self.too_long.map(|says| says(len)),
                    }),
                    _ => Ok(()),
                }
            }
            (Kind::Flag, CommandDataOptionValue::Boolean(_))
            | (Kind::Role, CommandDataOptionValue::Role(_)) => Ok(()),
            _ => Err(wrong_kind),
        }
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
        }
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

/// Why an interaction's options do not fit the declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An option or subcommand the declaration does not have, or a required one missing: the
    /// member's Discord shows another version of the command.
    Outdated,
    /// A value that is none of the option's choices.
    NotAChoice {
        /// The option.
        option: &'static str,
        /// What was sent.
        value: String,
        /// What it takes.
        choices: &'static [Choice],
    },
    /// A value of another kind than the option takes.
    WrongKind {
        /// The option.
        option: &'static str,
    },
    /// A text longer than the option allows.
    TooLong {
        /// The option.
        option: &'static str,
        /// Its length, in characters.
        len: usize,
        /// The most allowed.
        max: usize,
        /// The domain's words for it, if any.
        says: Option<String>,
    },
}

impl Refusal {
    /// The option refused, if it is one (for the log, which never shows the value: a member may
    /// have typed a passcode into the wrong option).
    pub fn option(&self) -> Option<&'static str> {
        match self {
            Self::Outdated => None,
            Self::NotAChoice { option, .. }
            | Self::WrongKind { option }
            | Self::TooLong { option, .. } => Some(option),
        }
    }
}

/// An interaction's options, read against its declaration.
#[derive(Debug, Clone, Copy)]
pub struct Args<'a> {
    sub: Option<&'a str>,
    options: &'a [CommandDataOption],
}

/// `data`'s options checked against `declaration`.
pub fn check<'a>(declaration: &Declaration, data: &'a CommandData) -> Result<Args<'a>, Refusal> {
    let args = Args::of(data);
    let declared = if declaration.subcommands.is_empty() {
        if args.sub.is_some() {
            return Err(Refusal::Outdated);
        }
        declaration.options
    } else {
        let sub = args
            .sub
            .and_then(|name| declaration.subcommands.iter().find(|s| s.name == name))
            .ok_or(Refusal::Outdated)?;
        if data.options.len() != 1 {
            return Err(Refusal::Outdated);
        }
        sub.options
    };
    for given in args.options {
        let option = declared
            .iter()
            .find(|o| o.name == given.name)
            .ok_or(Refusal::Outdated)?;
        option.check(&given.value)?;
    }
    let missing = declared
        .iter()
        .any(|o| o.required && !args.options.iter().any(|g| g.name == o.name));
    if missing {
        return Err(Refusal::Outdated);
    }
    Ok(args)
}

impl<'a> Args<'a> {
    /// `data`'s options as sent, unchecked (autocomplete reads a command still being typed).
    pub fn of(data: &'a CommandData) -> Self {
        let sub = data.options.iter().find_map(|o| match &o.value {
            CommandDataOptionValue::SubCommand(inner) => Some((o.name.as_str(), inner.as_slice())),
            _ => None,
        });
        match sub {
            Some((name, options)) => Self {
                sub: Some(name),
                options,
            },
            None => Self {
                sub: None,
                options: &data.options,
            },
        }
    }

    /// Whether the subcommand is `sub`.
    pub fn is(&self, sub: &Sub) -> bool {
        self.sub == Some(sub.name)
    }

    /// The subcommand's name, if any.
    pub fn subcommand(&self) -> Option<&'a str> {
        self.sub
    }

    fn value(&self, option: &Opt) -> Option<&'a CommandDataOptionValue> {
        self.options
            .iter()
            .find(|o| o.name == option.name)
            .map(|o| &o.value)
    }

    /// The text given for `option`.
    pub fn text(&self, option: &Opt) -> Option<&'a str> {
        match self.value(option)? {
            CommandDataOptionValue::String(v) => Some(v),
            _ => None,
        }
    }

    /// The flag given for `option`.
    pub fn flag(&self, option: &Opt) -> Option<bool> {
        match self.value(option)? {
            CommandDataOptionValue::Boolean(v) => Some(*v),
            _ => None,
        }
    }

    /// The role given for `option`.
    pub fn role(&self, option: &Opt) -> Option<RoleId> {
        match self.value(option)? {
            CommandDataOptionValue::Role(v) => Some(*v),
            _ => None,
        }
    }

    /// The option being typed, with what was typed so far.
    pub fn focused(&self) -> Option<(&'a str, &'a str)> {
        self.options.iter().find_map(|o| match &o.value {
            CommandDataOptionValue::Autocomplete { value, .. } => {
                Some((o.name.as_str(), value.as_str()))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const COLOUR: Opt = Opt::text("colour", "A colour")
        .choices(&[("red", "red"), ("blue", "blue")])
        .max_len(4);
    const NAME: Opt = Opt::text("name", "A name").required().max_len(5);
    const LOUD: Opt = Opt::flag("loud", "Loudly");
    const PAINT: Declaration = Declaration::new("paint", "Paint").options(&[NAME, COLOUR, LOUD]);

    fn data(options: &serde_json::Value) -> CommandData {
        serde_json::from_value(json!({"id": "1", "name": "paint", "type": 1, "options": options}))
            .expect("command data")
    }

    #[test]
    fn options_are_read_by_their_declaration_and_refused_when_they_do_not_fit_it() {
        let ok = data(&json!([
            {"name": "name", "type": 3, "value": "Ann"},
            {"name": "colour", "type": 3, "value": "red"},
            {"name": "loud", "type": 5, "value": true},
        ]));
        let args = check(&PAINT, &ok).expect("fits");
        assert_eq!(
            (args.text(&NAME), args.text(&COLOUR), args.flag(&LOUD)),
            (Some("Ann"), Some("red"), Some(true))
        );

        let refused = |options| check(&PAINT, &data(&options)).err();
        assert_eq!(
            refused(json!([{"name": "name", "type": 3, "value": "Ann"},
                           {"name": "colour", "type": 3, "value": "bogus"}])),
            Some(Refusal::NotAChoice {
                option: "colour",
                value: "bogus".into(),
                choices: COLOUR.choices
            })
        );
        assert_eq!(
            refused(json!([{"name": "name", "type": 3, "value": "Annabel"}])),
            Some(Refusal::TooLong {
                option: "name",
                len: 7,
                max: 5,
                says: None
            })
        );
        assert_eq!(
            refused(json!([{"name": "name", "type": 5, "value": true}])),
            Some(Refusal::WrongKind { option: "name" })
        );
        assert_eq!(
            refused(json!([{"name": "name", "type": 3, "value": "Ann"},
                           {"name": "size", "type": 3, "value": "xl"}])),
            Some(Refusal::Outdated)
        );
        assert_eq!(
            refused(json!([{"name": "colour", "type": 3, "value": "red"}])),
            Some(Refusal::Outdated),
            "the required name is missing"
        );
    }

    #[test]
    fn a_declaration_registers_its_options_with_their_limits_and_choices() {
        let body = serde_json::to_value(PAINT.build()).expect("serialises");
        assert_eq!(body["name"], "paint");
        assert_eq!(body["contexts"], json!([0]));
        assert_eq!(body["options"][0]["required"], true);
        assert_eq!(body["options"][0]["max_length"], 5);
        assert_eq!(
            body["options"][1]["choices"],
            json!([{"name": "red", "value": "red"}, {"name": "blue", "value": "blue"}])
        );
        assert_eq!(body["options"][2]["type"], 5);
    }
}
