//! Identifiers. They carry no personal data, so they are what logs may show.
//!
//! * [`LeadId`] is random: it is returned by the public intake route, and an id that encoded
//!   its creation time would tell a stranger whether a phone or email had inquired before.
//! * [`EventId`] is a ULID whose time part is the event's time and whose next 20 bits hold the
//!   nanoseconds within that millisecond, so timeline keys sort in time order even for entries
//!   written less than a millisecond apart (capture and acknowledgement often are).

use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::fmt;
use std::str::FromStr;
use ulid::Ulid;

/// Identifies one lead (one person's inquiry thread).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LeadId(Ulid);

impl LeadId {
    /// A new random id.
    pub fn random() -> Self {
        // ULID's generator gives 80 random bits per call; two calls fill all 128.
        let high = Ulid::new().random() & ((1u128 << 48) - 1);
        LeadId(Ulid::from((high << 80) | Ulid::new().random()))
    }

    /// A deterministic id derived from `seed` (an idempotency key): a retried request builds
    /// the same lead rather than a second one.
    pub fn derived(seed: &[u8]) -> Self {
        let digest = sha2::Sha256::digest([b"lead:".as_slice(), seed].concat());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        LeadId(Ulid::from(u128::from_be_bytes(bytes)))
    }

    pub fn from_ulid(ulid: Ulid) -> Self {
        LeadId(ulid)
    }
}

/// Identifies one entry on a lead's timeline, or one event on the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(Ulid);

impl EventId {
    /// A new id whose time part is `at` (so ids made under a moved clock sort with it).
    pub fn new_at(at: chrono::DateTime<chrono::Utc>) -> Self {
        EventId(Ulid::from_parts(millis(at), sub_millis(at) | (Ulid::new().random() & LOW_60)))
    }

    /// A deterministic id for `at` derived from `seed`: the same seed and time give the same
    /// id, so recording a fact twice writes one record.
    pub fn derived(at: chrono::DateTime<chrono::Utc>, seed: &[u8]) -> Self {
        let digest = sha2::Sha256::digest(seed);
        let mut bytes = [0u8; 16];
        bytes[8..].copy_from_slice(&digest[..8]);
        EventId(Ulid::from_parts(millis(at), sub_millis(at) | (u128::from_be_bytes(bytes) & LOW_60)))
    }

    pub fn from_ulid(ulid: Ulid) -> Self {
        EventId(ulid)
    }

    /// The time part in milliseconds since the epoch.
    pub fn timestamp_ms(&self) -> u64 {
        self.0.timestamp_ms()
    }

    /// The time the id was made for, to the nanosecond (`new_at` and `derived` keep it whole).
    pub fn at(&self) -> chrono::DateTime<chrono::Utc> {
        let nanos = ((u128::from(self.0) >> 60) & 0xF_FFFF) as i64;
        chrono::DateTime::from_timestamp_millis(self.0.timestamp_ms() as i64).unwrap_or_default() + chrono::Duration::nanoseconds(nanos)
    }
}

fn millis(at: chrono::DateTime<chrono::Utc>) -> u64 {
    u64::try_from(at.timestamp_millis()).unwrap_or(0)
}

/// The low 60 of the 80 bits after a ULID's time part.
const LOW_60: u128 = (1 << 60) - 1;

/// Nanoseconds within the millisecond (< 2^20), placed above the 60 random bits.
fn sub_millis(at: chrono::DateTime<chrono::Utc>) -> u128 {
    u128::from(at.timestamp_subsec_nanos() % 1_000_000) << 60
}

macro_rules! text_form {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = ulid::DecodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ulid::from_string(s).map(Self)
            }
        }
    };
}
text_form!(LeadId);
text_form!(EventId);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn event_ids_carry_their_time_and_sort_by_it() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let a = EventId::new_at(at);
        let b = EventId::new_at(at + chrono::Duration::seconds(1));
        assert_eq!(a.timestamp_ms() as i64, at.timestamp_millis());
        assert!(a.to_string() < b.to_string());
        assert_eq!(a.to_string().parse::<EventId>().unwrap(), a);
    }

    #[test]
    fn ids_within_one_millisecond_keep_their_order() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        for step in [1, 1_000, 999_000] {
            let later = at + chrono::Duration::nanoseconds(step);
            assert!(EventId::new_at(at) < EventId::new_at(later), "{step} ns");
            assert!(EventId::derived(at, b"z") < EventId::derived(later, b"a"), "{step} ns");
        }
    }

    #[test]
    fn an_event_id_gives_back_its_time() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + chrono::Duration::nanoseconds(987_654_321);
        assert_eq!(EventId::new_at(at).at(), at);
        assert_eq!(EventId::derived(at, b"x").at(), at);
    }

    #[test]
    fn derived_ids_are_stable_per_seed() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(EventId::derived(at, b"k1"), EventId::derived(at, b"k1"));
        assert_ne!(EventId::derived(at, b"k1"), EventId::derived(at, b"k2"));
        assert_eq!(LeadId::derived(b"k1"), LeadId::derived(b"k1"));
        assert_ne!(LeadId::derived(b"k1"), LeadId::derived(b"k2"));
    }

    #[test]
    fn lead_ids_do_not_reveal_when_they_were_made() {
        let ids: Vec<LeadId> = (0..50).map(|_| LeadId::random()).collect();
        let now_ms = chrono::Utc::now().timestamp_millis() as u64;
        // The time part of a random id is spread over the whole range, not clustered at now.
        let near_now = ids.iter().filter(|i| i.0.timestamp_ms().abs_diff(now_ms) < 86_400_000 * 365).count();
        assert!(near_now < 5, "{near_now} of 50 ids look time-based");
        assert_eq!(ids[0].to_string().parse::<LeadId>().unwrap(), ids[0]);
        assert!("not-an-id".parse::<LeadId>().is_err());
    }
}
