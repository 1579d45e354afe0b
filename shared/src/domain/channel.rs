//! The ways leadflow reaches a person, used for consent and contact preferences.

use crate::domain::string_enum::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// A channel leadflow (or a team member) uses to reach a person.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ContactChannel {
        Sms => "sms",
        Call => "call",
        Email => "email",
    }
    parse(s) => s.trim().to_ascii_lowercase();
}
