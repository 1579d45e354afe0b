//! Application-level rate limits: one atomic counter per key and fixed window, kept
//! only as long as its window (DynamoDB: `ADD` on an item with a TTL). API Gateway's throttling
//! caps the whole API; these counters cap one IP address or one phone number.

use super::error::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::Digest;

/// Counts hits per key and window.
#[async_trait]
pub trait RateCounter: Send + Sync {
    /// Adds one hit to `key` in the window starting at `window_start` (ending at `window_end`)
    /// and returns the count including it. Atomic: concurrent hits each see their own count.
    async fn hit(&self, key: &str, window_start: DateTime<Utc>, window_end: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The counter key for `value` in `scope` (`ip`, `phone`): a digest, so the table never holds
/// the address or number itself.
pub fn counter_key(scope: &str, value: &str) -> String {
    format!("{scope}#{}", hex::encode(sha2::Sha256::digest(format!("leadflow-rate:{scope}:{value}").as_bytes())))
}

/// The fixed window containing `now`: its start and end.
pub fn window(now: DateTime<Utc>, seconds: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let len = i64::from(seconds.max(1));
    let start = now.timestamp().div_euclid(len) * len;
    let start = DateTime::from_timestamp(start, 0).unwrap_or(now);
    (start, start + chrono::Duration::seconds(len))
}
