//! The lead's place in its lifecycle.

use serde::{Deserialize, Serialize};

/// Lifecycle status. The main path is new -> contacted -> qualified -> booked -> showed ->
/// converted; the rest are side exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Contacted,
    Qualified,
    Booked,
    Showed,
    Converted,
    Disqualified,
    NoShow,
    Canceled,
    /// Archived after no response for the configured period.
    Unresponsive,
    OptedOut,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 11] = [
        LeadStatus::New,
        LeadStatus::Contacted,
        LeadStatus::Qualified,
        LeadStatus::Booked,
        LeadStatus::Showed,
        LeadStatus::Converted,
        LeadStatus::Disqualified,
        LeadStatus::NoShow,
        LeadStatus::Canceled,
        LeadStatus::Unresponsive,
        LeadStatus::OptedOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Booked => "booked",
            LeadStatus::Showed => "showed",
            LeadStatus::Converted => "converted",
            LeadStatus::Disqualified => "disqualified",
            LeadStatus::NoShow => "no_show",
            LeadStatus::Canceled => "canceled",
            LeadStatus::Unresponsive => "unresponsive",
            LeadStatus::OptedOut => "opted_out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

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
