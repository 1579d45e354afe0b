//! Messages on the lead queue. They carry ids only: consumers read the lead from the store, so
//! no personal data sits in a queue or a dead-letter queue.

use super::ids::{EventId, LeadId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to the lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LeadEventKind {
    /// A new lead was stored.
    #[serde(rename = "lead.captured")]
    Captured,
    /// An open lead received another inquiry from the same person.
    #[serde(rename = "lead.inquiry_repeated")]
    InquiryRepeated,
    /// A touchpoint was recorded after capture (a page view, a download, an email open):
    /// the lead is scored again.
    #[serde(rename = "lead.touchpoint_added")]
    TouchpointAdded,
    /// The lead's data changed (a field edited by staff or an integration): scored again.
    #[serde(rename = "lead.updated")]
    Updated,
    /// The lead was scored (and, when needed, assigned); its score and assignment are on the
    /// lead. For follow-up cadences to pick the lead's track.
    #[serde(rename = "lead.scored")]
    Scored,
    /// A team member recorded a contact attempt (`first_contact_at` is set on the first).
    #[serde(rename = "lead.contact_recorded")]
    ContactRecorded,
    /// The lifecycle status changed. The event's id is the id of the `status_changed` timeline
    /// entry, which holds `from`, `to` and the cause.
    #[serde(rename = "lead.status_changed")]
    StatusChanged,
    /// The person replied (a text that is not a keyword): cadences stop.
    #[serde(rename = "lead.replied")]
    Replied,
    /// The person opted out of a channel.
    #[serde(rename = "lead.opted_out")]
    OptedOut,
    /// The instant acknowledgement went out (`acknowledged_at` is on the lead): speed to lead.
    #[serde(rename = "lead.acknowledged")]
    Acknowledged,
    /// A payment was recorded on the lead (revenue; a first payment also converts it).
    #[serde(rename = "lead.payment_received")]
    PaymentReceived,
    /// The record was merged with another one, or a merge was undone: the report
    /// counters drop a tombstone's share and count the survivor's joined timeline once.
    #[serde(rename = "lead.merged")]
    Merged,
}

impl LeadEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LeadEventKind::Captured => "lead.captured",
            LeadEventKind::InquiryRepeated => "lead.inquiry_repeated",
            LeadEventKind::TouchpointAdded => "lead.touchpoint_added",
            LeadEventKind::Updated => "lead.updated",
            LeadEventKind::Scored => "lead.scored",
            LeadEventKind::ContactRecorded => "lead.contact_recorded",
            LeadEventKind::StatusChanged => "lead.status_changed",
            LeadEventKind::Replied => "lead.replied",
            LeadEventKind::OptedOut => "lead.opted_out",
            LeadEventKind::Acknowledged => "lead.acknowledged",
            LeadEventKind::PaymentReceived => "lead.payment_received",
            LeadEventKind::Merged => "lead.merged",
        }
    }

    pub const ALL: [LeadEventKind; 12] = [
        LeadEventKind::Captured,
        LeadEventKind::InquiryRepeated,
        LeadEventKind::TouchpointAdded,
        LeadEventKind::Updated,
        LeadEventKind::Scored,
        LeadEventKind::ContactRecorded,
        LeadEventKind::StatusChanged,
        LeadEventKind::Replied,
        LeadEventKind::OptedOut,
        LeadEventKind::Acknowledged,
        LeadEventKind::PaymentReceived,
        LeadEventKind::Merged,
    ];

    /// Parses a wire name (`lead.captured`).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One message on the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadEvent {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: LeadEventKind,
    pub lead_id: LeadId,
    pub occurred_at: DateTime<Utc>,
}

impl LeadEvent {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a LeadEvent always serializes")
    }

    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_wire_form_is_stable() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let e = LeadEvent {
            id: EventId::from_ulid(ulid::Ulid::from_parts(1, 2)),
            kind: LeadEventKind::Captured,
            lead_id: LeadId::from_ulid(ulid::Ulid::from_parts(1, 3)),
            occurred_at: at,
        };
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["type"], "lead.captured");
        assert_eq!(v["occurred_at"], "2026-01-02T03:04:05Z");
        assert_eq!(LeadEvent::from_json(&e.to_json()).unwrap(), e);
    }
}
