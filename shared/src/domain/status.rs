//! The lead's place in its lifecycle.

use crate::domain::string_enum::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Lifecycle status. The main path is new -> contacted -> qualified -> booked -> showed ->
    /// converted; the rest are side exits.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum LeadStatus {
        New => "new",
        Contacted => "contacted",
        Qualified => "qualified",
        Booked => "booked",
        Showed => "showed",
        Converted => "converted",
        Disqualified => "disqualified",
        NoShow => "no_show",
        Canceled => "canceled",
        /// Archived after no response for the configured period.
        Unresponsive => "unresponsive",
        OptedOut => "opted_out",
    }
}

impl LeadStatus {
    /// An open lead is still being worked: a new inquiry from the same person joins it instead
    /// of starting a new one. Closed leads (converted, disqualified, archived, opted out) do not
    /// absorb new inquiries.
    pub fn is_open(self) -> bool {
        !matches!(self, LeadStatus::Converted | LeadStatus::Disqualified | LeadStatus::Unresponsive | LeadStatus::OptedOut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for s in LeadStatus::ALL {
            assert_eq!(LeadStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
    }

    #[test]
    fn terminal_statuses_are_closed() {
        assert!(LeadStatus::New.is_open());
        assert!(LeadStatus::Booked.is_open());
        assert!(!LeadStatus::Converted.is_open());
        assert!(!LeadStatus::OptedOut.is_open());
    }
}
