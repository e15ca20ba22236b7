//! Where a meeting's recording goes once Zoom has it ready: a server setting.

use serde::{Deserialize, Serialize};

/// Where a recording's share link goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingsTo {
    /// Nowhere.
    Off,
    /// The meeting's creator, by direct message.
    Host,
    /// A reply to the meeting's public message (recordings can be sensitive: only members with
    /// Manage Server change settings).
    Channel,
}

impl RecordingsTo {
    /// The choices `/meet-settings set recordings:` offers.
    pub const CHOICES: [(&'static str, &'static str); 3] = [
        ("off", "off"),
        ("the host, by DM", "host"),
        ("the meeting's channel", "channel"),
    ];

    /// The stored and shown name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Host => "host",
            Self::Channel => "channel",
        }
    }

    /// The choice named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Off, Self::Host, Self::Channel]
            .into_iter()
            .find(|r| r.name() == name)
    }
}
