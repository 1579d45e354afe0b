//! Opt-outs per channel and address (a STOP reply covers the number, whatever lead it is on).
//! The consent gate checks this before every automated message.

use super::error::StoreError;
use crate::domain::ContactChannel;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// How suppressions are keyed: a SHA-256 digest of the address (E.164 phone or lower-case
/// email), never the address itself, so an opt-out outlives the erasure of the person's data
/// (`DELETE /people/{id}`) while the list names nobody. A digest of a phone number can be
/// reversed by trying every number, so it is pseudonymous, not anonymous: it is kept only to
/// honour the opt-out.
pub fn address_digest(address: &str) -> String {
    hex::encode(Sha256::digest(format!("leadflow-suppression:{}", address.trim()).as_bytes()))
}

/// Suppressed addresses.
#[async_trait]
pub trait SuppressionStore: Send + Sync {
    /// Whether `address` (E.164 phone or lower-case email) opted out of `channel`.
    async fn is_suppressed(&self, channel: ContactChannel, address: &str) -> Result<bool, StoreError>;

    /// Records an opt-out; `reason` is a short code (`stop_keyword`, `complaint`, ...).
    async fn suppress(&self, channel: ContactChannel, address: &str, reason: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Lifts an opt-out (the person re-subscribed).
    async fn lift(&self, channel: ContactChannel, address: &str) -> Result<(), StoreError>;
}
