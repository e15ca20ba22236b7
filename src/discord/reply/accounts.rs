//! What a member is told about their own Zoom account: `/zoom link`, `status`, `unlink`, and the
//! edit of the link's answer once Zoom sent them back.

use std::fmt::Write as _;

use serenity::all::{CreateActionRow, CreateButton, EditInteractionResponse};

use super::{markdown, no_mentions, private, stamp};
use crate::meetings::{LinkOutcome, LinkStatus, ServiceError};

/// `/zoom link`: the button to Zoom's consent page.
pub fn link_started(url: &str, current: Option<&LinkStatus>) -> EditInteractionResponse {
    let mut text = "Open Zoom's page below and allow the bot. It then creates the meetings you schedule \
                    in your own Zoom account, so they show in your Zoom app and you host them yourself. The \
                    link works once, for 10 minutes. Don't pass it on: whoever allows the bot through it \
                    links their Zoom account to you."
        .to_owned();
    if let Some(current) = current {
        let _ = write!(
            text,
            "\n\nYou are linked as **{}** now; linking another account replaces it.",
            markdown(&current.email)
        );
    }
    EditInteractionResponse::new()
        .content(text)
        .components(vec![CreateActionRow::Buttons(vec![
            CreateButton::new_link(url).label("Link my Zoom account"),
        ])])
        .allowed_mentions(no_mentions())
}

/// The `/zoom link` answer once Zoom sent the member back.
pub fn link_finished(outcome: &LinkOutcome) -> EditInteractionResponse {
    let text = match outcome {
        LinkOutcome::Linked(email) => format!(
            "Linked as **{}**. Your next /meet is hosted in that Zoom account. `/zoom unlink` undoes it.",
            markdown(email)
        ),
        LinkOutcome::Denied => {
            "You declined on Zoom's page, so nothing was linked. Run `/zoom link` again \
                                whenever you like."
                .to_owned()
        }
        LinkOutcome::Failed => {
            "Linking didn't work (Zoom refused or could not be reached), so nothing was \
                                linked. Run `/zoom link` to try again."
                .to_owned()
        }
    };
    EditInteractionResponse::new()
        .content(text)
        .components(Vec::new())
        .allowed_mentions(no_mentions())
}

/// `/zoom status`.
pub fn link_status(status: Option<&LinkStatus>) -> EditInteractionResponse {
    private(match status {
        Some(status) => format!(
            "Your Zoom account **{}** is linked (since {}). Meetings you schedule are hosted there, where this \
             server allows it. `/zoom unlink` undoes it.",
            markdown(&status.email),
            stamp(status.linked_at, 'D')
        ),
        None => "No Zoom account of yours is linked: your meetings are hosted by the server's Zoom user. \
                 `/zoom link` links yours."
            .to_owned(),
    })
}

/// `/zoom unlink`.
pub fn unlinked(was: Option<&LinkStatus>) -> EditInteractionResponse {
    private(match was {
        Some(was) => format!(
            "Unlinked **{}**: the bot gave up its access at Zoom and forgot it. Meetings already scheduled \
             stay in that account.",
            markdown(&was.email)
        ),
        None => "No Zoom account of yours was linked, so there was nothing to unlink.".to_owned(),
    })
}

/// Why a /meet or `/zoom` was refused for the member's own account: `None` for other errors.
pub fn account_refusal(err: &ServiceError) -> Option<String> {
    Some(match err {
        ServiceError::LinkRequired => "In this server meetings are hosted by members' own Zoom accounts, and yours \
                                       isn't linked. Run `/zoom link` to link it, then try again."
            .to_owned(),
        ServiceError::AccountsOff => "This bot isn't set up for linking Zoom accounts: its meetings are hosted by \
                                      the server's Zoom user. (The operator can set it up: README, \"Members' own \
                                      Zoom accounts\".)"
            .to_owned(),
        _ => return None,
    })
}
