//! Opt-outs per channel and address (a STOP reply covers the number, whatever lead it is on).
//! The consent gate checks this before every automated message.

use super::error::StoreError;
use crate::domain::ContactChannel;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

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
