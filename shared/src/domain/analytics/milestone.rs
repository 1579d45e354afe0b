//! Funnel stages a lead reaches, from the statuses it has ever had. A later stage implies the
//! earlier ones (a lead booked straight from `new` was qualified), so every rate of the funnel
//! stays within 0..=1.

use crate::domain::string_enum::string_enum;
use crate::domain::LeadStatus;
use serde::{Deserialize, Serialize};

string_enum! {
    /// A conversion milestone attribution can be computed for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Milestone {
        Qualified => "qualified",
        Booked => "booked",
        Converted => "converted",
    }
    parse(s) => s.trim();
}

impl Milestone {
    /// Whether having had `status` means this milestone was reached.
    pub fn reached_by(self, status: LeadStatus) -> bool {
        use LeadStatus::*;
        match self {
            Milestone::Qualified => matches!(status, Qualified | Booked | Showed | NoShow | Canceled | Converted),
            Milestone::Booked => matches!(status, Booked | Showed | NoShow | Canceled),
            Milestone::Converted => status == Converted,
        }
    }
}

/// Funnel stages counted per lead (beyond capture).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Qualified,
    Booked,
    Showed,
    /// Missed an appointment (not a step of the funnel: the other side of showing up).
    NoShow,
    Converted,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Qualified, Stage::Booked, Stage::Showed, Stage::NoShow, Stage::Converted];

    /// Whether having had `status` means this stage was reached: qualified by anything past
    /// contact, booked by any appointment outcome, showed by a visit, a no-show by a missed
    /// appointment, converted by conversion.
    pub fn reached_by(self, status: LeadStatus) -> bool {
        match self {
            Stage::Qualified => Milestone::Qualified.reached_by(status),
            Stage::Booked => Milestone::Booked.reached_by(status) || status == LeadStatus::Showed,
            Stage::Showed => status == LeadStatus::Showed,
            Stage::NoShow => status == LeadStatus::NoShow,
            Stage::Converted => status == LeadStatus::Converted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_stages_imply_earlier_ones() {
        for s in LeadStatus::ALL {
            if Stage::Showed.reached_by(s) {
                assert!(Stage::Booked.reached_by(s) && Stage::Qualified.reached_by(s), "{s:?}");
            }
            if Stage::Booked.reached_by(s) || Stage::Converted.reached_by(s) {
                assert!(Stage::Qualified.reached_by(s), "{s:?}");
            }
        }
        assert!(!Stage::Qualified.reached_by(LeadStatus::Contacted));
        assert!(Stage::NoShow.reached_by(LeadStatus::NoShow) && Stage::Booked.reached_by(LeadStatus::NoShow));
        assert!(!Stage::NoShow.reached_by(LeadStatus::Showed));
        assert!(Milestone::Booked.reached_by(LeadStatus::NoShow));
        assert_eq!(Milestone::parse("booked"), Some(Milestone::Booked));
    }
}
