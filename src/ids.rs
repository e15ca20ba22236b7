//! Discord ids as plain domain types, so nothing below `discord/` needs serenity.

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id!(
    /// A Discord server.
    GuildId,
    /// A channel.
    ChannelId,
    /// A member (user id).
    MemberId,
    /// A message.
    MessageId,
    /// A role.
    RoleId,
);
