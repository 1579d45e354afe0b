//! A human contact attempt recorded by a team member: the first one ends the response-time
//! clock (`first_contact_at`) and stops the escalation ladder.

use super::channel::ContactChannel;
use super::text::FreeText;
use serde::{Deserialize, Serialize};

/// How the attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    Answered,
    NoAnswer,
    Voicemail,
    WrongNumber,
}

impl ContactOutcome {
    pub const ALL: [ContactOutcome; 4] =
        [ContactOutcome::Answered, ContactOutcome::NoAnswer, ContactOutcome::Voicemail, ContactOutcome::WrongNumber];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactOutcome::Answered => "answered",
            ContactOutcome::NoAnswer => "no_answer",
            ContactOutcome::Voicemail => "voicemail",
            ContactOutcome::WrongNumber => "wrong_number",
        }
    }

    /// Accepts `no_answer` and `no-answer`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// Longest note accepted with an attempt. Notes are free text: stored on the timeline, never logged.
pub const MAX_NOTE_CHARS: usize = 1000;

/// One attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAttempt {
    pub channel: ContactChannel,
    pub outcome: ContactOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<FreeText>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_parse_in_both_spellings() {
        assert_eq!(ContactOutcome::parse("no-answer"), Some(ContactOutcome::NoAnswer));
        assert_eq!(ContactOutcome::parse("Wrong_Number"), Some(ContactOutcome::WrongNumber));
        assert_eq!(ContactOutcome::parse("busy"), None);
    }
}
