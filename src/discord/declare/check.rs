//! An interaction's options read against the command's declaration: what does not fit is a
//! [`Refusal`], what fits is read through [`Args`] by the same option declarations.

use serenity::all::{CommandData, CommandDataOption, CommandDataOptionValue, RoleId};

use super::{Choice, Declaration, Kind, Opt, Sub};

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
    /// A number outside the option's range.
    OutOfRange {
        /// The option.
        option: &'static str,
        /// What was sent.
        value: i64,
        /// The least allowed.
        min: Option<u64>,
        /// The most allowed.
        max: Option<u64>,
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
            | Self::TooLong { option, .. }
            | Self::OutOfRange { option, .. } => Some(option),
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
        fits(option, &given.value)?;
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

    /// The whole number given for `option`.
    pub fn integer(&self, option: &Opt) -> Option<i64> {
        match self.value(option)? {
            CommandDataOptionValue::Integer(v) => Some(*v),
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

/// `value` checked against `option`'s declaration.
fn fits(option: &Opt, value: &CommandDataOptionValue) -> Result<(), Refusal> {
    let wrong_kind = Refusal::WrongKind {
        option: option.name,
    };
    match (option.kind, value) {
        (Kind::Text, CommandDataOptionValue::String(text)) => {
            if !option.choices.is_empty() && !option.choices.iter().any(|(_, v)| v == text) {
                return Err(Refusal::NotAChoice {
                    option: option.name,
                    value: text.clone(),
                    choices: option.choices,
                });
            }
            let len = text.chars().count();
            match option.max_len {
                Some(max) if len > max => Err(Refusal::TooLong {
                    option: option.name,
                    len,
                    max,
                    says: option.too_long.map(|says| says(len)),
                }),
                _ => Ok(()),
            }
        }
        (Kind::Integer, CommandDataOptionValue::Integer(n)) => {
            // A negative number is below any bound.
            let below = option
                .min
                .is_some_and(|min| u64::try_from(*n).map_or(true, |n| n < min));
            let above = option
                .max
                .is_some_and(|max| u64::try_from(*n).is_ok_and(|n| n > max));
            if below || above {
                return Err(Refusal::OutOfRange {
                    option: option.name,
                    value: *n,
                    min: option.min,
                    max: option.max,
                });
            }
            Ok(())
        }
        (Kind::Flag, CommandDataOptionValue::Boolean(_))
        | (Kind::Role, CommandDataOptionValue::Role(_)) => Ok(()),
        _ => Err(wrong_kind),
    }
}
