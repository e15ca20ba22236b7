//! What an applied webhook event changes in Discord, and what the worker needs of Discord to
//! show it.

use async_trait::async_trait;
use jiff::Timestamp;

use crate::scheduling::settings::RecordingsTo;
use crate::secret::Secret;
use crate::store::MeetingRecord;

/// What an applied event changes in Discord; the Discord side words and posts it.
#[derive(Debug, Clone)]
pub enum Effect {
    /// The meeting is live: its message shows it, its event goes active.
    Live {
        /// The meeting, as recorded now.
        record: MeetingRecord,
        /// When it started.
        started: Timestamp,
    },
    /// The meeting ended: its message shows how long it ran, its event completes.
    Ended {
        /// The meeting, as recorded now.
        record: MeetingRecord,
        /// When it started.
        started: Timestamp,
        /// When it ended.
        ended: Timestamp,
    },
    /// Deleted in Zoom: handled as a cancel.
    Cancelled {
        /// The meeting, as recorded now.
        record: MeetingRecord,
    },
    /// Moved (or, for a series, one occurrence deleted) in Zoom: message and event follow.
    Moved {
        /// The meeting, as recorded now.
        record: MeetingRecord,
    },
    /// A recording is ready.
    Recording {
        /// The meeting.
        record: MeetingRecord,
        /// Its share link, with the play passcode where Zoom gave one (never a download link).
        link: Secret,
        /// Where it goes.
        to: RecordingsTo,
    },
}

/// Why an event's effect could not be shown in Discord yet (it is tried again, in order).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Discord could not be told yet: {0}")]
pub struct NotYet(pub String);

/// What the webhook worker needs of Discord.
#[async_trait]
pub trait Teller: Send + Sync {
    /// Shows `effect`; `Err` when Discord may take it later (it failed or is down). `unsure`:
    /// it may have been shown already (the bot stopped between showing it and noting that), so
    /// what Discord shows is checked first and a shown effect is not shown twice.
    async fn tell(&self, effect: &Effect, unsure: bool) -> Result<(), NotYet>;
}
