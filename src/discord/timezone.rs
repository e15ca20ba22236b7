//! `/meet-timezone`, and the time zone suggestions every command's zone option autocompletes with.

use serenity::all::CreateAutocompleteResponse;

use super::commands::{Call, Command, Reply};
use super::declare::{Args, Declaration, Opt};
use super::reply;
use crate::meetings::ServiceError;
use crate::scheduling::timezone_suggestions;

const ZONE: Opt = Opt::zone(
    "zone",
    "An IANA name like America/New_York (\"none\" clears it)",
)
.required();

const DECLARATION: Declaration = Declaration::new(
    "meet-timezone",
    "Your own time zone: /meet reads `when` in it",
)
.options(&[ZONE]);

/// `/meet-timezone zone:…`: any member's own time zone, confirmed with their local "now".
pub struct MemberTimezone;

/// Time zone suggestions for the option being typed.
pub fn suggestions(args: &Args<'_>) -> CreateAutocompleteResponse {
    let query = args.focused().map(|(_, typed)| typed).unwrap_or_default();
    timezone_suggestions(query, 25)
        .into_iter()
        .fold(CreateAutocompleteResponse::new(), |r, zone| {
            r.add_string_choice(zone.clone(), zone)
        })
}

#[serenity::async_trait]
impl Command for MemberTimezone {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    async fn run(&self, call: Call<'_>) -> Result<Reply, ServiceError> {
        let zone = call.args.text(&ZONE).unwrap_or_default().trim();
        let clear = ["none", "clear", "reset"].contains(&zone.to_lowercase().as_str());
        let zone = call
            .service
            .set_member_timezone(call.who.member, (!clear).then_some(zone))
            .await?;
        Ok(Reply::Private(reply::member_timezone(zone.as_deref())))
    }
}
