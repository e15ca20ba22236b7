//! What the Discord side reports: one span per interaction, each command's outcome and latency,
//! and the Discord REST calls that failed, by Discord's error code.

use serenity::all::{CommandDataOptionValue, Interaction};

use crate::meetings::ServiceError;
use crate::zoom::{Missing, ZoomError};

/// How a command ended, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done as asked.
    Ok,
    /// Refused because of what the member asked (bad input, not theirs, already cancelled).
    UserError,
    /// The bot, Zoom, the store or Discord failed.
    Failed,
}

impl Outcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::UserError => "user_error",
            Self::Failed => "failed",
        }
    }

    /// Whose fault `err` is: the member's input, or something the operator should look at.
    pub fn of(err: &ServiceError) -> Self {
        match err {
            ServiceError::Plan(_)
            | ServiceError::UnknownMeeting(_)
            | ServiceError::NotCreator
            | ServiceError::NotAllowedToCancel
            | ServiceError::NotAllowedToReschedule
            | ServiceError::AlreadyStarted
            | ServiceError::StartNotAhead
            | ServiceError::AlreadyCancelled
            | ServiceError::NotManager
            | ServiceError::ServerScopeNotAllowed
            | ServiceError::MissingCreatorRole(_)
            | ServiceError::NothingToChange
            | ServiceError::UnknownHostUser(_)
            | ServiceError::BadHostUser(_)
            | ServiceError::WrongSettingKind(_)
            | ServiceError::HostUserNotAllowed(_)
            | ServiceError::BadCooldown(_)
            | ServiceError::BadReminder(_)
            | ServiceError::TooMany { .. }
            | ServiceError::MemberLimit { .. }
            | ServiceError::ServerDailyLimit { .. }
            | ServiceError::HostLinkLimit { .. }
            | ServiceError::MeetingOver
            | ServiceError::GoneFromZoom(_)
            | ServiceError::LinkRequired
            | ServiceError::AccountsOff
            | ServiceError::Zoom(
                ZoomError::Invalid { .. }
                | ZoomError::NotFound(Missing::Meeting(_))
                | ZoomError::Unlinked,
            ) => Self::UserError,
            ServiceError::Zoom(_) | ServiceError::Store(_) => Self::Failed,
        }
    }
}

/// `(status, code)`: the HTTP status and Discord's JSON error code (10062 unknown interaction,
/// 50007 DMs closed, …); `error`/`none` when Discord did not answer.
pub fn rest_error_labels(err: &serenity::Error) -> (String, String) {
    match err {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) => (
            response.status_code.as_u16().to_string(),
            response.error.code.to_string(),
        ),
        serenity::Error::Http(http) => (
            http.status_code()
                .map_or_else(|| "error".to_owned(), |s| s.as_u16().to_string()),
            "none".to_owned(),
        ),
        _ => ("error".to_owned(), "none".to_owned()),
    }
}

/// The command's name as metrics and logs show it: with its subcommand (`meetings cancel`).
/// Discord only sends names this application registered, so the set of values stays bounded.
pub fn command_name(interaction: &Interaction) -> String {
    match interaction {
        Interaction::Command(c) | Interaction::Autocomplete(c) => {
            let sub = c.data.options.iter().find_map(|o| match &o.value {
                CommandDataOptionValue::SubCommand(_)
                | CommandDataOptionValue::SubCommandGroup(_) => Some(o.name.as_str()),
                _ => None,
            });
            match sub {
                Some(sub) => format!("{} {sub}", c.data.name),
                None => c.data.name.clone(),
            }
        }
        Interaction::Component(c)
            if c.data.custom_id.starts_with(super::commands::START_BUTTON) =>
        {
            "start button".to_owned()
        }
        Interaction::Component(_) => "button".to_owned(),
        Interaction::Modal(_) => "modal".to_owned(),
        _ => "other".to_owned(),
    }
}

/// The span every log line of one interaction carries, so a failure can be followed.
pub fn span(interaction: &Interaction) -> tracing::Span {
    let (kind, guild, channel, user) = match interaction {
        Interaction::Command(c) => ("command", c.guild_id, Some(c.channel_id), Some(c.user.id)),
        Interaction::Autocomplete(c) => (
            "autocomplete",
            c.guild_id,
            Some(c.channel_id),
            Some(c.user.id),
        ),
        Interaction::Component(c) => ("component", c.guild_id, Some(c.channel_id), Some(c.user.id)),
        Interaction::Modal(m) => ("modal", m.guild_id, Some(m.channel_id), Some(m.user.id)),
        _ => ("other", None, None, None),
    };
    let span = tracing::info_span!(
        "interaction",
        interaction_id = %interaction.id(),
        kind,
        command = %command_name(interaction),
        guild = tracing::field::Empty,
        channel = tracing::field::Empty,
        user = tracing::field::Empty,
    );
    // Ids as strings: snowflakes exceed the integers JSON readers keep exactly.
    if let Some(guild) = guild {
        span.record("guild", tracing::field::display(guild));
    }
    if let Some(channel) = channel {
        span.record("channel", tracing::field::display(channel));
    }
    if let Some(user) = user {
        span.record("user", tracing::field::display(user));
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduling::plan::PlanError;
    use crate::store::StoreError;

    #[test]
    fn outcomes_tell_the_members_mistakes_from_failures() {
        assert_eq!(
            Outcome::of(&ServiceError::Plan(PlanError::EmptyTopic)),
            Outcome::UserError
        );
        assert_eq!(Outcome::of(&ServiceError::NotCreator), Outcome::UserError);
        assert_eq!(
            Outcome::of(&ServiceError::Store(StoreError::Backend("x".to_owned()))),
            Outcome::Failed
        );
        assert_eq!(
            Outcome::of(&ServiceError::Zoom(ZoomError::RateLimited {
                daily: true,
                retry_at: None
            })),
            Outcome::Failed
        );
    }

    #[test]
    fn a_transport_failure_has_no_discord_code() {
        let err = serenity::Error::Other("boom");
        assert_eq!(
            rest_error_labels(&err),
            ("error".to_owned(), "none".to_owned())
        );
    }
}
