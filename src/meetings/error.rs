//! Why a request failed. The words a member sees are written in `discord::reply`.

use jiff::Timestamp;

use crate::ids::RoleId;
use crate::scheduling::plan::PlanError;
use crate::scheduling::{Cooldown, CooldownError};
use crate::store::StoreError;
use crate::zoom::ZoomError;

/// Why a request failed. The words a member sees are written in `discord::reply`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// The input cannot make a meeting.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Zoom failed.
    #[error(transparent)]
    Zoom(#[from] ZoomError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No meeting with that id was created from this server.
    #[error("no upcoming meeting with id {0} was scheduled from this server")]
    UnknownMeeting(i64),
    /// Only the creator may do this.
    #[error("only the member who scheduled this meeting can do that")]
    NotCreator,
    /// Only the creator or a member with Manage Server may cancel.
    #[error(
        "only the member who scheduled this meeting, or a member with Manage Server, can cancel it"
    )]
    NotAllowedToCancel,
    /// Already cancelled.
    #[error("this meeting was already cancelled")]
    AlreadyCancelled,
    /// Changing settings takes Manage Server.
    #[error("changing this server's settings takes the Manage Server permission")]
    NotManager,
    /// Only the creator or a member with Manage Server may move a meeting.
    #[error("only the meeting's creator or a member with Manage Server may reschedule it")]
    NotAllowedToReschedule,
    /// The meeting is under way.
    #[error("the meeting has started")]
    AlreadyStarted,
    /// A new start that is not ahead.
    #[error("the new start is not in the future")]
    StartNotAhead,
    /// Listing the whole server's meetings takes Manage Server.
    #[error("listing every meeting of the server takes the Manage Server permission")]
    ServerScopeNotAllowed,
    /// The server lets only members with a role schedule meetings.
    #[error("only members with role {0} may schedule meetings in this server")]
    MissingCreatorRole(RoleId),
    /// `/meet-settings set` without a field.
    #[error("no setting was given to change")]
    NothingToChange,
    /// Zoom has no such user to create meetings under.
    #[error("Zoom has no user {0} in this account")]
    UnknownHostUser(String),
    /// A cooldown setting that cannot be read.
    #[error(transparent)]
    BadCooldown(#[from] CooldownError),
    /// A reminder setting that cannot be read.
    #[error(transparent)]
    BadReminder(#[from] crate::scheduling::reminder::ReminderError),
    /// The member scheduled as many meetings as the server's cooldown allows.
    #[error("the member reached this server's limit of {cooldown}")]
    TooMany {
        /// The server's rule.
        cooldown: Cooldown,
        /// When the member may schedule again.
        retry_at: Timestamp,
    },
    /// A Zoom user the operator does not let servers pick.
    #[error("{0} is not among the Zoom users this bot's operator lets servers pick")]
    HostUserNotAllowed(String),
    /// The member created as many meetings as the operator allows one member in every server.
    #[error("the member reached the bot's limit of {limit} in every server")]
    MemberLimit {
        /// The operator's rule.
        limit: Cooldown,
        /// When the member may schedule again.
        retry_at: Timestamp,
    },
    /// The server created as many meetings today as the operator allows one server.
    #[error("this server reached the bot's limit of {limit} meetings a day")]
    ServerDailyLimit {
        /// Meetings per UTC day.
        limit: u32,
        /// 00:00 UTC tomorrow.
        reset_at: Timestamp,
    },
    /// The member asked for host links too often.
    #[error("the member asked for host links too often")]
    HostLinkLimit {
        /// When the member may ask again.
        retry_at: Timestamp,
    },
    /// The meeting ended: its host link is no longer handed out.
    #[error("this meeting is over")]
    MeetingOver,
    /// Zoom's meeting with this number is not the one recorded: Zoom deleted it and reused the
    /// number, or it was deleted in Zoom.
    #[error("Zoom no longer has the meeting recorded under number {0}")]
    GoneFromZoom(i64),
    /// A host user that cannot be a Zoom user id or email.
    #[error("{0:?} is not a Zoom user id or email")]
    BadHostUser(String),
    /// The server lets only members with a linked Zoom account schedule meetings.
    #[error("this server's meetings are hosted only by members' own linked Zoom accounts")]
    LinkRequired,
    /// Members' own Zoom accounts are not set up by the operator.
    #[error("linking Zoom accounts is not set up on this bot")]
    AccountsOff,
    /// A setting given a value of another kind than it takes (a client with an old command).
    #[error("setting {0} takes another kind of value")]
    WrongSettingKind(&'static str),
}
