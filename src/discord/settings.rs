//! `/meet-settings show | set | reset`: a server's defaults for /meet. Discord shows the command
//! only to members with Manage Server, and the service checks it again: a client can be tricked.
//! `set`'s options and `reset`'s choices come from the settings table
//! (`scheduling::settings`): a new setting appears here without a line of its own.

use serenity::all::Permissions;

use super::commands::{Call, Command, Reply};
use super::declare::{Args, Choice, Declaration, Opt, Sub};
use super::reply;
use crate::ids::RoleId;
use crate::meetings::{ServiceError, SettingsInput};
use crate::scheduling::settings::{Given, SettingKind};
use crate::store::SettingField;

const COUNT: usize = SettingField::ALL.len();

/// The option of `set` that sets `field`.
const fn option(field: SettingField) -> Opt {
    let (name, description) = (field.name(), field.description());
    match field.kind() {
        SettingKind::Text { max_len } => Opt::text(name, description).max_len(max_len),
        SettingKind::Zone => Opt::zone(name, description),
        SettingKind::Flag => Opt::flag(name, description),
        SettingKind::Role => Opt::role(name, description),
        SettingKind::Choice(choices) => Opt::text(name, description).choices(choices),
    }
}

/// `set`'s options, one per setting, in the table's order.
const SET_OPTIONS: [Opt; COUNT] = {
    let mut options = [Opt::text("", ""); COUNT];
    let mut i = 0;
    while i < COUNT {
        options[i] = option(SettingField::ALL[i]);
        i += 1;
    }
    options
};

/// `reset field:`'s choices: every setting, by name.
const FIELD_CHOICES: [Choice; COUNT] = {
    let mut choices = [("", ""); COUNT];
    let mut i = 0;
    while i < COUNT {
        let name = SettingField::ALL[i].name();
        choices[i] = (name, name);
        i += 1;
    }
    choices
};

const FIELD: Opt =
    Opt::text("field", "The setting to reset (default: all of them)").choices(&FIELD_CHOICES);

const SHOW: Sub = Sub {
    name: "show",
    description: "Show the settings in effect",
    options: &[],
};
const SET: Sub = Sub {
    name: "set",
    description: "Change one or more settings",
    options: &SET_OPTIONS,
};
const RESET: Sub = Sub {
    name: "reset",
    description: "Back to the defaults",
    options: &[FIELD],
};

const DECLARATION: Declaration = Declaration::new(
    "meet-settings",
    "This server's defaults for /meet (Manage Server)",
)
.subcommands(&[SHOW, SET, RESET])
.for_members_with(Permissions::MANAGE_GUILD);

/// `/meet-settings`.
pub struct Settings;

/// Reads `set`'s options: each setting given, as the kind of value it takes.
fn input(args: &Args<'_>) -> SettingsInput {
    let given = SettingField::ALL
        .iter()
        .zip(&SET_OPTIONS)
        .filter_map(|(field, option)| {
            let value = match field.kind() {
                SettingKind::Flag => args.flag(option).map(Given::Flag),
                SettingKind::Role => args.role(option).map(|r| Given::Role(RoleId(r.get()))),
                SettingKind::Text { .. } | SettingKind::Zone | SettingKind::Choice(_) => {
                    args.text(option).map(|v| Given::Text(v.to_owned()))
                }
            };
            Some((*field, value?))
        })
        .collect();
    SettingsInput(given)
}

#[serenity::async_trait]
impl Command for Settings {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    async fn run(&self, call: Call<'_>) -> Result<Reply, ServiceError> {
        let Call {
            args, who, service, ..
        } = call;
        let (settings, title) = if args.is(&SET) {
            let settings = service.change_settings(&who, &input(&args)).await?;
            (settings, "Saved. This server's meeting settings are now")
        } else if args.is(&RESET) {
            // The declaration's choices are the only values that get here; should another ever
            // do, it resets nothing rather than everything.
            let field = match args.text(&FIELD) {
                Some(name) => match SettingField::from_name(name) {
                    Some(field) => Some(field),
                    None => return Ok(Reply::Private(reply::private(reply::OUTDATED.to_owned()))),
                },
                None => None,
            };
            let settings = service.reset_settings(&who, field).await?;
            (settings, "Reset. This server's meeting settings are now")
        } else {
            (
                service.settings(&who).await?,
                "This server's meeting settings",
            )
        };
        Ok(Reply::Private(reply::settings(&settings, title)))
    }
}
