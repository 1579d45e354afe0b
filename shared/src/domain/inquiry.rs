//! An inquiry: one submission from a person (a web form, a chat, a call), kept on the lead as it
//! arrived. A lead is one person's open thread on one service line; each time they ask again,
//! the new inquiry is recorded with what it asked, when, through which source and campaign,
//! its context and the consent evidence that came with it, and it is triaged (urgency, response
//! deadline) on its own. What a later submission says about how to reach the person never
//! replaces what the lead holds: new contact points are held on the inquiry until they are
//! confirmed (by staff, or by the person through a channel the lead already trusts), because a
//! stranger who knows someone's phone number could otherwise redirect or silence their lead.

use super::consent::Consents;
use super::context::LeadContext;
use super::ids::EventId;
use super::lead::Contact;
use super::source::Source;
use super::urgency::UrgencyTier;
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// A contact point an inquiry can bring: a phone number or an email address.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum PointKind {
        Phone => "phone",
        Email => "email",
    }
    parse(s) => s.trim();
}

/// Who confirmed a held contact point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ConfirmedBy {
    /// A team member (their user id), through the staff API.
    Staff(String),
    /// The person, through the signed confirmation link sent to a contact point the lead
    /// already held.
    Link,
    /// The person, replying on a contact point the lead already held (the provider's name).
    Reply(String),
}

/// A confirmation of a held contact point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub at: DateTime<Utc>,
    pub by: ConfirmedBy,
}

/// A contact point an inquiry gave that the lead did not hold when it arrived (the value is the
/// inquiry's `contact.phone` or `contact.email`). Not used for messages until confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPoint {
    pub kind: PointKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Confirmation>,
}

/// What triage (the score consumer) made of an inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triage {
    /// The urgency found in this inquiry's own words and form fields.
    pub tier: UrgencyTier,
    /// When a first human response to this inquiry is due (its response-time SLA).
    pub due_at: DateTime<Utc>,
    /// When it was triaged.
    pub at: DateTime<Utc>,
}

/// One submission, as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inquiry {
    /// The receipt: the public answer names this id, never the lead's.
    pub id: EventId,
    pub at: DateTime<Utc>,
    /// The channel and campaign tags it came with.
    pub source: Source,
    /// What was asked: service line, interest, the concern in the person's words (sealed at
    /// rest), insurance, location, preferences, stated urgency.
    pub context: LeadContext,
    /// The contact details as submitted (names included); the lead's own stay as they were.
    #[serde(default)]
    pub contact: Contact,
    /// The consent decisions submitted with it, each with its evidence (disclosure version and
    /// hash, time, page, address, browser).
    #[serde(default)]
    pub consent: Consents,
    /// Contact points it gave that the lead did not hold: held until confirmed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldPoint>,
    /// Filled by triage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<Triage>,
}

impl Inquiry {
    /// The held point of `kind`, if this inquiry brought one.
    pub fn held(&self, kind: PointKind) -> Option<&HeldPoint> {
        self.held.iter().find(|p| p.kind == kind)
    }

    /// Whether this inquiry's `kind` point is held and not yet confirmed.
    pub fn is_unconfirmed(&self, kind: PointKind) -> bool {
        self.held(kind).is_some_and(|p| p.confirmed.is_none())
    }
}

/// How many inquiries a lead keeps on its record (its timeline keeps every one). A person who
/// writes more often than this while the lead is open is flooding; the oldest answered ones
/// give way first.
pub const MAX_INQUIRIES: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_kinds_round_trip() {
        for k in PointKind::ALL {
            assert_eq!(PointKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(PointKind::parse("fax"), None);
        let c = Confirmation { at: DateTime::<Utc>::UNIX_EPOCH, by: ConfirmedBy::Staff("u-1".into()) };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["by"], serde_json::json!({"kind": "staff", "id": "u-1"}));
    }
}
