//! Messages on the lead queue. They carry ids only: consumers read the lead from the store, so
//! no personal data sits in a queue or a dead-letter queue.

use super::ids::{EventId, LeadId};
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// What happened to the lead.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum LeadEventKind {
        /// A new lead was stored.
        #[serde(rename = "lead.captured")]
        Captured => "lead.captured",
        /// An open lead received another inquiry from the same person.
        #[serde(rename = "lead.inquiry_repeated")]
        InquiryRepeated => "lead.inquiry_repeated",
        /// A touchpoint was recorded after capture (a page view, a download, an email open):
        /// the lead is scored again.
        #[serde(rename = "lead.touchpoint_added")]
        TouchpointAdded => "lead.touchpoint_added",
        /// The lead's data changed (a field edited by staff or an integration): scored again.
        #[serde(rename = "lead.updated")]
        Updated => "lead.updated",
        /// The lead was scored (and, when needed, assigned); its score and assignment are on the
        /// lead. For follow-up cadences to pick the lead's track.
        #[serde(rename = "lead.scored")]
        Scored => "lead.scored",
        /// A team member recorded a contact attempt (`first_contact_at` is set on the first).
        #[serde(rename = "lead.contact_recorded")]
        ContactRecorded => "lead.contact_recorded",
        /// The lifecycle status changed. The event's id is the id of the `status_changed` timeline
        /// entry, which holds `from`, `to` and the cause.
        #[serde(rename = "lead.status_changed")]
        StatusChanged => "lead.status_changed",
        /// The person replied (a text that is not a keyword): cadences stop.
        #[serde(rename = "lead.replied")]
        Replied => "lead.replied",
        /// The person opted out of a channel.
        #[serde(rename = "lead.opted_out")]
        OptedOut => "lead.opted_out",
        /// The instant acknowledgement went out (`acknowledged_at` is on the lead): speed to lead.
        #[serde(rename = "lead.acknowledged")]
        Acknowledged => "lead.acknowledged",
        /// A payment was recorded on the lead (revenue; a first payment also converts it).
        #[serde(rename = "lead.payment_received")]
        PaymentReceived => "lead.payment_received",
        /// The record was merged with another one, or a merge was undone: the report
        /// counters drop a tombstone's share and count the survivor's joined timeline once.
        #[serde(rename = "lead.merged")]
        Merged => "lead.merged",
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
