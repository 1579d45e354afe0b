//! The ways leadflow reaches a person, used for consent and contact preferences.

use serde::{Deserialize, Serialize};

/// A channel leadflow (or a team member) uses to reach a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    Sms,
    Call,
    Email,
}

impl ContactChannel {
    pub const ALL: [ContactChannel; 3] = [ContactChannel::Sms, ContactChannel::Call, ContactChannel::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactChannel::Sms => "sms",
            ContactChannel::Call => "call",
            ContactChannel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim().to_ascii_lowercase())
    }
}
