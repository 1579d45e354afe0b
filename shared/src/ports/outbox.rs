//! The outbox records of the transactional outbox (see [`Alongside`](super::Alongside)): one
//! per event, written in the same atomic write as the lead. A record names its event by ids
//! only, all in its key (`LEAD#{lead_id}` / `OUTBOX#{event_id}#{kind}`), so the change stream
//! that carries new records to the relay (DynamoDB Streams, keys only, in AWS; the embedded
//! store's own log in-process) holds no personal data. The event's time is its id's.

use crate::domain::{EventId, LeadEvent, LeadEventKind, LeadId};

/// The sort-key prefix of outbox records.
pub const PREFIX: &str = "OUTBOX#";

/// How long an outbox record is kept after its write (DynamoDB TTL): long after the relay, whose
/// stream keeps changes 24 hours, has delivered it.
pub const RETENTION_DAYS: i64 = 7;

/// The record's key: the lead's partition and `OUTBOX#{event_id}#{kind}`.
pub fn record_key(event: &LeadEvent) -> (String, String) {
    (format!("LEAD#{}", event.lead_id), format!("{PREFIX}{}#{}", event.id, event.kind.as_str()))
}

/// The event a record's key names; `None` for a key that is not an outbox record's.
pub fn event_from_key(pk: &str, sk: &str) -> Option<LeadEvent> {
    let lead_id: LeadId = pk.strip_prefix("LEAD#")?.parse().ok()?;
    let (id, kind) = sk.strip_prefix(PREFIX)?.split_once('#')?;
    let id: EventId = id.parse().ok()?;
    let kind = LeadEventKind::parse(kind)?;
    Some(LeadEvent { id, kind, lead_id, occurred_at: id.at() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_record_key_names_its_event_and_nothing_else() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 3, 15, 0, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789);
        let event = LeadEvent {
            id: EventId::derived(at, b"seed"),
            kind: LeadEventKind::InquiryRepeated,
            lead_id: LeadId::random(),
            occurred_at: at,
        };
        let (pk, sk) = record_key(&event);
        assert!(sk.starts_with(PREFIX) && sk.ends_with("#lead.inquiry_repeated"), "{sk}");
        assert_eq!(event_from_key(&pk, &sk), Some(event));
        assert_eq!(event_from_key(&pk, "LEAD"), None);
        assert_eq!(event_from_key(&pk, "OUTBOX#nope#lead.captured"), None);
        assert_eq!(event_from_key("CLAIM#x", &sk), None);
    }
}
