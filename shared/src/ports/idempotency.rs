//! `Idempotency-Key` records: a retried request replays the first answer instead of doing the
//! work twice, and a request that failed half-way can be completed by its retry.

use super::error::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// The answer to `begin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// This caller holds the key until `lease` ends. `first_seen` is when the key was first
    /// used: ids derived from it are the same on every attempt, so a retry finishes an earlier
    /// attempt's work instead of doing it a second time.
    Started { first_seen: DateTime<Utc> },
    /// The key was used and completed: replay this response.
    Completed { status: u16, body: String },
    /// Another request with this key is running now.
    InProgress,
    /// The key was used with a different request body.
    Mismatch,
}

/// Idempotency records, kept for a day.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request whose body hashes to `fingerprint`.
    async fn begin(&self, key: &str, fingerprint: &str, now: DateTime<Utc>, lease: Duration) -> Result<Begin, StoreError>;

    /// Stores the final response; later `begin`s replay it.
    async fn complete(&self, key: &str, status: u16, body: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Gives the key up after a failure so an immediate retry may proceed.
    async fn release(&self, key: &str) -> Result<(), StoreError>;
}
