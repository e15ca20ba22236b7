//! `/zoom link`, `/zoom status`, `/zoom unlink`: a member's own Zoom account. Every answer is
//! private; the link itself is a button to Zoom's consent page.

use super::commands::{Call, Command, Reply};
use super::declare::{Declaration, Sub};
use super::reply;
use crate::meetings::ServiceError;

const LINK: Sub = Sub {
    name: "link",
    description: "Host your meetings in your own Zoom account",
    options: &[],
};
const STATUS: Sub = Sub {
    name: "status",
    description: "Which Zoom account of yours is linked",
    options: &[],
};
const UNLINK: Sub = Sub {
    name: "unlink",
    description: "Stop hosting in your own Zoom account",
    options: &[],
};

const DECLARATION: Declaration =
    Declaration::new("zoom", "Your own Zoom account").subcommands(&[LINK, STATUS, UNLINK]);

/// `/zoom …`.
pub struct ZoomCommand;

#[serenity::async_trait]
impl Command for ZoomCommand {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    async fn run(&self, call: Call<'_>) -> Result<Reply, ServiceError> {
        let accounts = call.service.accounts().ok_or(ServiceError::AccountsOff)?;
        let member = call.who.member;
        let answer = if call.args.is(&LINK) {
            let current = accounts.status(member).await?;
            let url = accounts.begin(&call.who, call.interaction).await?;
            reply::link_started(&url, current.as_ref())
        } else if call.args.is(&STATUS) {
            reply::link_status(accounts.status(member).await?.as_ref())
        } else {
            reply::unlinked(accounts.unlink(member).await?.as_ref())
        };
        Ok(Reply::Private(answer))
    }
}

/// Edits a member's `/zoom link` answer once Zoom sent them back (from whichever process took
/// the callback: an interaction's token is all an edit needs).
pub struct DiscordLinkNotice(pub super::rest::Rest);

#[serenity::async_trait]
impl crate::meetings::LinkNotice for DiscordLinkNotice {
    async fn tell(
        &self,
        interaction: &crate::secret::Secret,
        outcome: &crate::meetings::LinkOutcome,
    ) {
        let edit = reply::link_finished(outcome);
        let edited = self
            .0
            .patiently(|| {
                serenity::builder::Builder::execute(
                    edit.clone(),
                    &self.0.http,
                    interaction.expose(),
                )
            })
            .await;
        if let Err(err) = edited {
            // The interaction's 15 minutes may be over: the callback's page says it all anyway.
            // Labels only: an error's text can carry the request's URL, which holds the token.
            let (status, code) = super::telemetry::rest_error_labels(&err);
            tracing::info!(status, code, "could not edit a /zoom link answer");
        }
    }
}
