//! Whose Zoom account hosts a server's meetings: a server setting.

use serde::{Deserialize, Serialize};

/// Whose Zoom account a /meet creates the meeting in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hosting {
    /// Always the server's host user.
    Server,
    /// Members who linked their Zoom account host their own meetings; others use the server's.
    #[default]
    Linked,
    /// Only members who linked their Zoom account may schedule meetings.
    LinkedOnly,
}

impl Hosting {
    /// The choices `/meet-settings set hosting:` offers.
    pub const CHOICES: [(&'static str, &'static str); 3] = [
        ("the server's Zoom host, always", "server"),
        ("linked members host their own (default)", "linked"),
        ("only linked members may /meet", "linked_only"),
    ];

    /// The stored and shown name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Linked => "linked",
            Self::LinkedOnly => "linked_only",
        }
    }

    /// The choice named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Server, Self::Linked, Self::LinkedOnly]
            .into_iter()
            .find(|h| h.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_reads_back_and_nothing_else_does() {
        for (_, value) in Hosting::CHOICES {
            assert_eq!(Hosting::from_name(value).map(Hosting::name), Some(value));
        }
        assert_eq!(Hosting::from_name("Linked"), None);
        assert_eq!(Hosting::default(), Hosting::Linked);
    }
}
