//! A generic due-time scheduler: "do this for that key at that time", durable, exactly once per
//! due time even when ticks overlap, cheap when nothing is due. The SLA escalation ladder uses it
//! (kind `sla`, one item per lead); follow-up cadence steps can use it the same way with their own
//! kind.
//!
//! # Layout
//! Each scheduled item is two records:
//! * the **item** itself, one per `(kind, key)`: due time, payload, state (pending or claimed
//!   with a lease) and attempts. Scheduling the same key again replaces it.
//! * an **index entry** in the minute bucket of its due time (`DUE#{kind}#{yyyy-mm-ddThh:mm}`,
//!   sorted by `{due_at}#{key}`), so a tick finds what is due with one key-range query per
//!   minute and never scans.
//!
//! An index entry whose item was cancelled or rescheduled is *stale*: claiming it says so and it
//! is dropped. Per kind a **cursor** records the last minute bucket fully processed, so after
//! downtime a tick catches up bucket by bucket; in steady state a tick reads the two or three
//! newest buckets (the cursor trails the clock by a grace period, so an item written a little
//! late into the current minute is never skipped).
//!
//! # Using it
//! Build a [`DueItem`] with your kind (a slug such as `cadence`), a key (for example a lead id
//! and step), the due time and a small payload (ids and numbers only: it is stored as is), and
//! call [`DueStore::schedule`]. Run `app::scheduler::run_due` for your kind from a scheduled
//! function with a handler that returns `Done`, `Chain(next)` (the next step replaces this one,
//! unless it was cancelled meanwhile) or `Retry`. Cancel with [`DueStore::cancel`].

use super::error::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Duration, DurationRound, Utc};

/// Something to do at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueItem {
    /// The kind of work (`sla`, `cadence`): a lower-case slug without `#`.
    pub kind: String,
    /// Unique within the kind (a lead id, `lead#step`).
    pub key: String,
    pub due_at: DateTime<Utc>,
    /// Small JSON for the handler (ids and numbers; never personal data).
    pub payload: String,
    /// How many times the item has been claimed (set by the store).
    pub attempts: u32,
}

impl DueItem {
    pub fn new(kind: &str, key: impl Into<String>, due_at: DateTime<Utc>, payload: impl Into<String>) -> Self {
        DueItem { kind: kind.to_string(), key: key.into(), due_at, payload: payload.into(), attempts: 0 }
    }
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueClaim {
    /// This caller holds the item (with its payload and attempt count) until the lease ends.
    Claimed(DueItem),
    /// Another caller holds it and its lease has not run out.
    Busy,
    /// The entry is stale: the item was cancelled, completed or rescheduled to another time.
    Stale,
}

/// The minute bucket of a time.
pub fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::minutes(1)).unwrap_or(at)
}

/// The bucket's name: `yyyy-mm-ddThh:mm`.
pub fn bucket_name(minute: DateTime<Utc>) -> String {
    minute.format("%Y-%m-%dT%H:%M").to_string()
}

/// Whether `kind` may name a kind of item.
pub fn valid_kind(kind: &str) -> bool {
    !kind.is_empty() && kind.len() <= 32 && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Durable due items with minute-bucket index entries and a cursor per kind.
#[async_trait]
pub trait DueStore: Send + Sync {
    /// Schedules an item, replacing any item with the same kind and key. An item due before
    /// `now` is indexed in `now`'s bucket (it is due at once).
    async fn schedule(&self, item: &DueItem, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// The scheduled item for a key (pending or claimed), if any.
    async fn get(&self, kind: &str, key: &str) -> Result<Option<DueItem>, StoreError>;

    /// Cancels the item for a key; `true` when there was one.
    async fn cancel(&self, kind: &str, key: &str) -> Result<bool, StoreError>;

    /// Index entries of one minute bucket due at or before `upto`, oldest first, at most
    /// `limit` (one key-range query). Entries carry kind, key and due time; no payload.
    async fn bucket(&self, kind: &str, minute: DateTime<Utc>, upto: DateTime<Utc>, limit: usize) -> Result<Vec<DueItem>, StoreError>;

    /// Claims the item an entry points at, by conditional write: only if it is still due at
    /// the entry's time and nobody else holds a live claim.
    async fn claim(&self, entry: &DueItem, now: DateTime<Utc>, lease: Duration) -> Result<DueClaim, StoreError>;

    /// Removes a claimed item and its entry (the work is done).
    async fn complete(&self, claimed: &DueItem) -> Result<(), StoreError>;

    /// Replaces a claimed item by `next` (a chained step) if the claim still holds, so a cancel
    /// that came in meanwhile wins; `false` when it did not hold.
    async fn chain(&self, claimed: &DueItem, next: &DueItem, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Gives a claim back after a failure: the next tick retries the item.
    async fn release(&self, claimed: &DueItem) -> Result<(), StoreError>;

    /// Drops a stale index entry found in the bucket of `minute`.
    async fn drop_entry(&self, entry: &DueItem, minute: DateTime<Utc>) -> Result<(), StoreError>;

    /// The last minute bucket fully processed for `kind`.
    async fn cursor(&self, kind: &str) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Moves the cursor from `from` to `to` by conditional write (only forward, only from the
    /// value this caller read); `false` when another tick moved it first.
    async fn advance_cursor(&self, kind: &str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> Result<bool, StoreError>;
}
