//! Franchise development: a prospect is rarely one person (a spouse, a business partner, an
//! attorney take part), and the deal moves through milestones that the team tracks on the
//! timeline until the agreement is signed.

use super::email::Email;
use super::phone::Phone;
use super::text::PersonName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A stakeholder's part in the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StakeholderRole {
    Spouse,
    BusinessPartner,
    Investor,
    Attorney,
    Accountant,
    Advisor,
    Other,
}

impl StakeholderRole {
    pub const ALL: [StakeholderRole; 7] = [
        StakeholderRole::Spouse,
        StakeholderRole::BusinessPartner,
        StakeholderRole::Investor,
        StakeholderRole::Attorney,
        StakeholderRole::Accountant,
        StakeholderRole::Advisor,
        StakeholderRole::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StakeholderRole::Spouse => "spouse",
            StakeholderRole::BusinessPartner => "business_partner",
            StakeholderRole::Investor => "investor",
            StakeholderRole::Attorney => "attorney",
            StakeholderRole::Accountant => "accountant",
            StakeholderRole::Advisor => "advisor",
            StakeholderRole::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }
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

/// The steps of a franchise sale, in their usual order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    DiscoveryCall,
    /// The Franchise Disclosure Document was sent (the 14-day FTC waiting period starts).
    FddSent,
    /// The prospect talked to existing franchisees.
    Validation,
    DiscoveryDay,
    /// The franchise agreement was signed: the lead converted.
    Signed,
}

impl Milestone {
    pub const ALL: [Milestone; 5] =
        [Milestone::DiscoveryCall, Milestone::FddSent, Milestone::Validation, Milestone::DiscoveryDay, Milestone::Signed];

    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::DiscoveryCall => "discovery_call",
            Milestone::FddSent => "fdd_sent",
            Milestone::Validation => "validation",
            Milestone::DiscoveryDay => "discovery_day",
            Milestone::Signed => "signed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// A milestone reached, as kept on the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneRecord {
    pub milestone: Milestone,
    pub at: DateTime<Utc>,
    pub by: String,
}
