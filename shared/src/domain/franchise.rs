//! Franchise development: a prospect is rarely one person (a spouse, a business partner, an
//! attorney take part), and the deal moves through milestones that the team tracks on the
//! timeline until the agreement is signed.

use super::email::Email;
use super::phone::Phone;
use super::text::PersonName;
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// A stakeholder's part in the decision.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum StakeholderRole {
        Spouse => "spouse",
        BusinessPartner => "business_partner",
        Investor => "investor",
        Attorney => "attorney",
        Accountant => "accountant",
        Advisor => "advisor",
        Other => "other",
    }
    parse(s) => s.trim().to_ascii_lowercase();
}

/// Another person taking part in a franchise prospect's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stakeholder {
    pub name: PersonName,
    pub role: StakeholderRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    pub added_at: DateTime<Utc>,
    /// The team member who added them.
    pub added_by: String,
}

string_enum! {
    /// The steps of a franchise sale, in their usual order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Milestone {
        DiscoveryCall => "discovery_call",
        /// The Franchise Disclosure Document was sent (the 14-day FTC waiting period starts).
        FddSent => "fdd_sent",
        /// The prospect talked to existing franchisees.
        Validation => "validation",
        DiscoveryDay => "discovery_day",
        /// The franchise agreement was signed: the lead converted.
        Signed => "signed",
    }
    parse(s) => s.trim().to_ascii_lowercase();
}

/// A milestone reached, as kept on the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneRecord {
    pub milestone: Milestone,
    pub at: DateTime<Utc>,
    pub by: String,
}
