//! What a member is told when a request fails, or its options do not fit the command: what happened
//! and what to do.

use super::{markdown, spaced_id, stamp};
use crate::discord::declare::Refusal;
use crate::meetings::ServiceError;
use crate::scheduling::{clean, shown};
use crate::store::StoreError;
use crate::zoom::{AuthProblem, Missing, ZoomError};

/// What a member is told when something fails: what happened and what to do.
pub fn error_text(err: &ServiceError) -> String {
    match err {
        ServiceError::Plan(plan) => plan.to_string(),
        ServiceError::Zoom(zoom) => zoom_error_text(zoom),
        ServiceError::Store(StoreError::NewerVersion { .. } | StoreError::Corrupt { .. }) => {
            "The bot's stored data for this can't be read by this version of the bot, so it left it untouched and \
             changed nothing. Tell the bot's operator (the log says which record)."
                .to_owned()
        }
        ServiceError::Store(_) => "The bot could not save this to its data store, so it may not have taken effect. \
                                   Try again in a moment; if it keeps failing, tell the bot's operator (the log says \
                                   why)."
            .to_owned(),
        ServiceError::UnknownMeeting(id) => format!(
            "There is no upcoming meeting {} scheduled from this server. Pick one from the list the command offers, \
             or see /meetings list.",
            spaced_id(*id)
        ),
        ServiceError::NotCreator => "Only the host can start this meeting.".to_owned(),
        ServiceError::NotAllowedToCancel => {
            "Only the member who scheduled this meeting, or someone with Manage Server, can cancel it.".to_owned()
        }
        ServiceError::AlreadyCancelled => "That meeting was already cancelled.".to_owned(),
        ServiceError::NotAllowedToReschedule => {
            "Only the member who scheduled this meeting, or someone with Manage Server, can reschedule it.".to_owned()
        }
        ServiceError::AlreadyStarted => {
            "That meeting has already started, so it can't be moved. Schedule a new one with /meet.".to_owned()
        }
        ServiceError::StartNotAhead => {
            "The new start is not in the future. Give a time ahead, like \"tomorrow 16:00\" or \"in 2h\".".to_owned()
        }
        ServiceError::NotManager => {
            "Only members with the Manage Server permission can see or change this server's meeting settings."
                .to_owned()
        }
        ServiceError::ServerScopeNotAllowed => "Only members with the Manage Server permission can list every \
                                                meeting of the server: a meeting stays with the channel it was \
                                                scheduled in. `/meetings list` shows this channel's meetings and \
                                                your own."
            .to_owned(),
        ServiceError::MissingCreatorRole(role) => format!(
            "In this server only members with the <@&{role}> role can schedule meetings. Ask a server admin if you \
             need it."
        ),
        ServiceError::NothingToChange => "Nothing to change: give at least one setting, like \
                                          `/meet-settings set duration:45m`. `/meet-settings show` lists them."
            .to_owned(),
        ServiceError::UnknownHostUser(user) => format!(
            "Zoom has no user `{user}` in the bot's Zoom account, so nothing was changed. Use the email or user id \
             of a user in that account (Zoom → Admin → User Management → Users)."
        ),
        ServiceError::BadCooldown(err) => err.to_string(),
        ServiceError::BadReminder(err) => err.to_string(),
        ServiceError::TooMany { cooldown, retry_at } => format!(
            "This server allows {} meetings per member in {} minutes, and you have scheduled that many. You can \
             schedule the next one {}.",
            cooldown.count,
            cooldown.window_minutes,
            stamp(*retry_at, 'R')
        ),
        ServiceError::MemberLimit { limit, retry_at } => format!(
            "This bot allows each member {} meetings in {} minutes across every server it is in, and you have \
             scheduled that many. You can schedule the next one {}.",
            limit.count,
            limit.window_minutes,
            stamp(*retry_at, 'R')
        ),
        ServiceError::ServerDailyLimit { limit, reset_at } => format!(
            "This server has created its {limit} meetings for today, the most this bot's operator allows one server \
             in a day (the Zoom host's daily limit is shared with other servers). It resets {} ({}).",
            stamp(*reset_at, 'R'),
            stamp(*reset_at, 'f')
        ),
        ServiceError::HostLinkLimit { retry_at } => format!(
            "You have asked for host links often in a short time. Ask again {}; the last link you got is valid \
             for about two hours.",
            stamp(*retry_at, 'R')
        ),
        ServiceError::MeetingOver => "That meeting is over, so there is no host link for it any more. Schedule \
                                      a new one with `/meet`."
            .to_owned(),
        ServiceError::GoneFromZoom(_) => "Zoom no longer has this meeting (it was deleted in Zoom, and Zoom may \
                                          have given its number to another meeting), so I won't act on that \
                                          number."
            .to_owned(),
        ServiceError::HostUserNotAllowed(user) => format!(
            "This bot's operator hasn't allowed servers to create meetings as `{}`, so nothing was changed: a \
             host link signs its holder in as that Zoom user. Ask the operator to add it to ZOOM_HOST_USERS.",
            markdown(&user.chars().take(64).collect::<String>())
        ),
        ServiceError::WrongSettingKind(name) => wrong_kind(name),
        ServiceError::LinkRequired | ServiceError::AccountsOff => {
            super::account_refusal(err).unwrap_or_default()
        }
        ServiceError::BadHostUser(user) => format!(
            "`{}` can't be a Zoom user: give the email or user id of a user in the bot's Zoom account.",
            user.chars().take(64).collect::<String>()
        ),
    }
}

fn zoom_error_text(err: &ZoomError) -> String {
    match err {
        ZoomError::RateLimited { daily: true, retry_at } => format!(
            "This server's Zoom host has reached Zoom's daily limit of 100 meetings created or changed. It resets {}.",
            retry_at.map_or_else(|| "at 00:00 UTC".to_owned(), |t| format!("{} ({})", stamp(t, 'R'), stamp(t, 'f')))
        ),
        ZoomError::RateLimited { daily: false, .. } => "Zoom is busy right now. Try again in a few seconds.".to_owned(),
        ZoomError::Auth(AuthProblem::MissingScopes(_)) => "The bot's Zoom app is missing a permission (scope) it needs. \
                                                           Ask the bot's operator to run `zoombot doctor`."
            .to_owned(),
        ZoomError::Auth(_) => {
            "The bot could not sign in to Zoom. Ask the bot's operator to run `zoombot doctor`.".to_owned()
        }
        ZoomError::NotFound(Missing::Meeting(_)) => {
            "Zoom no longer has this meeting; it may have been deleted in Zoom.".to_owned()
        }
        ZoomError::NotFound(Missing::User(_)) => "The Zoom user this server's meetings are created under doesn't \
                                                  exist. Ask the bot's operator to check the Zoom host user."
            .to_owned(),
        ZoomError::Invalid { errors, .. } => {
            let fields: Vec<_> = errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect();
            format!("Zoom refused the meeting: {}. Change that and try again.", fields.join("; "))
        }
        ZoomError::LookAlikes(_) => "Zoom failed while creating the meeting, and now has more than one meeting \
                                     like it, so I can't tell which one is yours: none was scheduled here. Ask the \
                                     bot's operator to check the host's meetings in Zoom (the bot's log names them) \
                                     before you try again."
            .to_owned(),
        ZoomError::Unlinked => "Your Zoom account is no longer linked to the bot (it was removed in Zoom, or Zoom \
                                stopped accepting the link), so nothing was done, and nothing was done with the \
                                server's Zoom account instead. Run `/zoom link` to link it again."
            .to_owned(),
        ZoomError::Transport { sent: false, .. } => {
            "Zoom can't be reached right now, so nothing was created. Try again in a minute.".to_owned()
        }
        err if err.is_ambiguous() => "Zoom didn't answer properly, so it isn't certain whether that was done. \
                                      Look in Zoom (zoom.us → Meetings) before trying again."
            .to_owned(),
        ZoomError::Api { .. } | ZoomError::Transport { .. } | ZoomError::Unreadable(_) => {
            "Zoom answered with an error. Try again in a minute; if it keeps failing, tell the bot's operator.".to_owned()
        }
    }
}

/// The answer to options that do not fit the command's declaration.
pub fn refusal(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Outdated => super::OUTDATED.to_owned(),
        Refusal::NotAChoice {
            option,
            value,
            choices,
        } => {
            let names: Vec<_> = choices.iter().map(|(_, v)| format!("`{v}`")).collect();
            format!(
                "`{option}` can't be \"{}\": pick one of {}. Nothing was done.",
                markdown(&shown(&clean(value))),
                names.join(", ")
            )
        }
        Refusal::WrongKind { option } => wrong_kind(option),
        Refusal::TooLong {
            says: Some(says), ..
        } => says.clone(),
        Refusal::TooLong {
            option, len, max, ..
        } => format!("`{option}` is {len} characters long; at most {max} fit. Shorten it."),
        Refusal::OutOfRange {
            option,
            value,
            min,
            max,
        } => {
            let range = match (min, max) {
                (Some(min), Some(max)) => format!("from {min} to {max}"),
                (Some(min), None) => format!("at least {min}"),
                (None, Some(max)) => format!("at most {max}"),
                (None, None) => "another number".to_owned(),
            };
            format!("`{option}` can't be {value}: it takes {range}. Nothing was done.")
        }
    }
}

/// The answer to an option sent as another kind of value than the command declares.
pub fn wrong_kind(option: &str) -> String {
    format!(
        "`{option}` came as another kind of value than this version of the bot takes, so nothing was done. \
         Discord may take a minute to show the current commands; try again in a minute."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_limit_shows_its_reset_as_a_discord_timestamp() {
        let at: jiff::Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        let text = error_text(&ServiceError::Zoom(ZoomError::RateLimited {
            daily: true,
            retry_at: Some(at),
        }));
        assert!(
            text.contains(&format!("<t:{}:R>", at.as_second())),
            "{text}"
        );
    }
}
