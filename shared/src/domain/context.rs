//! What the team needs to know about an inquiry to answer it well: the service wanted, the
//! concern in the person's words, insurance, where they are, how and when to reach them.

use super::channel::ContactChannel;
use super::money::Money;
use super::text::{FreeText, Label};
use crate::domain::string_enum::string_enum;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A configured service line's id (`med_spa`, `addiction_treatment`, `franchise`, ...): a slug
/// of lower-case letters, digits and underscores.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceLineId(String);

impl ServiceLineId {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let ok = !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| ServiceLineId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ServiceLineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceLineId({})", self.0)
    }
}

impl fmt::Display for ServiceLineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ServiceLineId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ServiceLineId::parse(&value).ok_or_else(|| "service line ids are lower-case slugs".to_string())
    }
}

impl From<ServiceLineId> for String {
    fn from(v: ServiceLineId) -> String {
        v.0
    }
}

string_enum! {
    /// Insurance as the person described it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum InsuranceStatus {
        Insured => "insured",
        Medicare => "medicare",
        Medicaid => "medicaid",
        SelfPay => "self_pay",
        Unsure => "unsure",
    }
    parse(s) => s.trim();
}

string_enum! {
    /// How soon the person said they need help (their own words on the form; the detected
    /// urgency tier is separate).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum StatedUrgency {
        Routine => "routine",
        Soon => "soon",
        Urgent => "urgent",
    }
    parse(s) => s.trim();
}

/// Where the person is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Label>,
    /// State or province code, upper case (`FL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Label>,
}

/// How and when the person wants to be reached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPreferences {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_channel: Option<ContactChannel>,
    /// Free description such as "weekday mornings".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_times: Option<Label>,
    /// Preferred language (BCP 47 tag or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Label>,
}

/// When a franchise prospect means to invest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestmentTimeline {
    ZeroToThreeMonths,
    ThreeToSixMonths,
    SixToTwelveMonths,
    OverTwelveMonths,
    Unsure,
}

impl InvestmentTimeline {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "0_3_months" | "zero_to_three_months" => Some(Self::ZeroToThreeMonths),
            "3_6_months" | "three_to_six_months" => Some(Self::ThreeToSixMonths),
            "6_12_months" | "six_to_twelve_months" => Some(Self::SixToTwelveMonths),
            "12_plus_months" | "over_twelve_months" => Some(Self::OverTwelveMonths),
            "unsure" => Some(Self::Unsure),
            _ => None,
        }
    }
}

/// What a franchise prospect told us about their means and plans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FranchiseProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liquid_capital: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_worth: Option<Money>,
    /// Industries they have worked in (`healthcare`, `hospitality`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub industry_experience: Vec<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_territory: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investment_timeline: Option<InvestmentTimeline>,
}

impl FranchiseProfile {
    pub fn is_empty(&self) -> bool {
        *self == FranchiseProfile::default()
    }
}

/// The inquiry's context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadContext {
    pub service_line: ServiceLineId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_interest: Option<Label>,
    /// The person's own words about their need. Health data: never logged, never in texts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concern: Option<FreeText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance: Option<InsuranceStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance_carrier: Option<Label>,
    #[serde(default)]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_facility: Option<Label>,
    #[serde(default)]
    pub preferences: ContactPreferences,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_urgency: Option<StatedUrgency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "FranchiseProfile::is_empty")]
    pub franchise: FranchiseProfile,
    /// The site's own fields that intake has no place for (`how_did_you_hear`), kept with
    /// their labels. The person's own words: treated like the concern (sealed, never logged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<ExtraField>,
}

/// One field of the site's own form, kept as the person filled it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraField {
    /// The form field's name (`how_did_you_hear`).
    pub name: String,
    /// What the form called it ("How did you hear about us?").
    pub label: String,
    pub value: FreeText,
}
