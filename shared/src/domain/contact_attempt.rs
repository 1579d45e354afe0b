//! A human contact attempt recorded by a team member: the first one ends the response-time
//! clock (`first_contact_at`) and stops the escalation ladder.

use super::channel::ContactChannel;
use super::text::FreeText;
use crate::domain::string_enum::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// How the attempt went.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ContactOutcome {
        Answered => "answered",
        NoAnswer => "no_answer",
        Voicemail => "voicemail",
        WrongNumber => "wrong_number",
    }
    // Accepts `no_answer` and `no-answer`.
    parse(s) => s.trim().to_ascii_lowercase().replace('-', "_");
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
