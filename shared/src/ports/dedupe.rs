//! Duplicate detection and reversible merges: the blocking-key index (candidates come
//! from key look-ups, never a scan), the "changed since" index the daily job reads, merges with
//! a before-image of both records, and the review queue for probable duplicates.

use super::error::StoreError;
use crate::domain::matching::Reason;
use crate::domain::{EventId, Lead, LeadId, TimelineEntry};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An unordered pair of records, written smaller id first (`{a}.{b}`): the review item's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PairKey(pub LeadId, pub LeadId);

impl PairKey {
    pub fn new(a: LeadId, b: LeadId) -> Self {
        if a <= b {
            PairKey(a, b)
        } else {
            PairKey(b, a)
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.split_once('.')?;
        let (a, b): (LeadId, LeadId) = (a.parse().ok()?, b.parse().ok()?);
        (a != b).then(|| PairKey::new(a, b))
    }
}

impl fmt::Display for PairKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// A probable duplicate waiting for a person: ids, points and reasons only (no personal values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub pair: PairKey,
    pub points: f64,
    pub reasons: Vec<(Reason, f64)>,
    pub detected_at: DateTime<Utc>,
}

/// What a store must write for one merge, atomically. The store keeps the before-image of both
/// records itself (exactly as stored: sealed fields stay sealed) so `unmerge` restores them.
#[derive(Debug, Clone)]
pub struct MergeWrite {
    pub id: EventId,
    pub at: DateTime<Utc>,
    /// Who merged (`system:hygiene`, a user id).
    pub by: String,
    /// The merged survivor (version = stored version + 1).
    pub survivor: Lead,
    /// The absorbed record's tombstone (version = stored version + 1).
    pub tombstone: Lead,
    /// New timeline entries on either record: the absorbed timeline's copies and the merge events.
    pub entries: Vec<TimelineEntry>,
}

/// A merge as remembered (ids only; the before-image stays inside the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeSummary {
    pub id: EventId,
    pub survivor: LeadId,
    pub absorbed: LeadId,
    pub at: DateTime<Utc>,
    pub by: String,
    /// When it was undone (the before-image is then dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_at: Option<DateTime<Utc>>,
}

/// Merges and their before-images.
#[async_trait]
pub trait MergeStore: Send + Sync {
    /// Applies a merge atomically: both records (each only if unchanged since read: `Conflict`
    /// otherwise, nothing written), the phone/email claims the absorbed record held (moved to the
    /// survivor), the new timeline entries, and the merge record with the before-image.
    async fn merge(&self, write: &MergeWrite) -> Result<(), StoreError>;

    /// Restores both records, their timelines and claims exactly as before merge `id`, if neither
    /// record changed since (`Conflict` otherwise); drops the before-image. `Ok(false)` for a merge
    /// already undone or unknown.
    async fn unmerge(&self, survivor: LeadId, id: EventId, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// The merges into `survivor`, oldest first.
    async fn merges_into(&self, survivor: LeadId) -> Result<Vec<MergeSummary>, StoreError>;
}

/// The review queue and the pairs people said are different.
#[async_trait]
pub trait ReviewQueue: Send + Sync {
    /// Queues a pair unless it is queued already; `false` when it was.
    async fn put_review(&self, item: &ReviewItem) -> Result<bool, StoreError>;

    /// Open items in pair order, after `after`, at most `limit`; the next cursor if more follow.
    async fn reviews(&self, after: Option<PairKey>, limit: usize) -> Result<(Vec<ReviewItem>, Option<PairKey>), StoreError>;

    async fn review(&self, pair: PairKey) -> Result<Option<ReviewItem>, StoreError>;

    /// Removes an open item (accepted or rejected).
    async fn close_review(&self, pair: PairKey) -> Result<(), StoreError>;

    /// Remembers that two records are different people: detection never proposes them again.
    async fn mark_distinct(&self, pair: PairKey, at: DateTime<Utc>) -> Result<(), StoreError>;

    async fn is_distinct(&self, pair: PairKey) -> Result<bool, StoreError>;
}

/// The blocking-key index and the change index.
#[async_trait]
pub trait MatchIndex: Send + Sync {
    /// Makes `keys` the lead's blocking keys (adding the new ones, removing those it no longer
    /// has); returns how many index items were written or deleted.
    async fn index_keys(&self, lead: LeadId, keys: &[String]) -> Result<usize, StoreError>;

    /// The leads holding a blocking key (at most `limit + 1`, so callers can tell an oversized block).
    async fn key_members(&self, key: &str, limit: usize) -> Result<Vec<LeadId>, StoreError>;

    /// Leads changed after `after` (exclusive) up to `until` (inclusive), oldest change first, at
    /// most `limit`, through the change index (every saved lead is in it, by its `updated_at`).
    async fn changed_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(DateTime<Utc>, LeadId)>, StoreError>;

    /// Many leads at once (BatchGetItem, 100 keys per request): the candidates of one lead are
    /// read in one round trip. Leads that do not exist are left out.
    async fn leads(&self, ids: &[LeadId]) -> Result<Vec<Lead>, StoreError>;

    /// A job's last-run watermark.
    async fn watermark(&self, job: &str) -> Result<Option<DateTime<Utc>>, StoreError>;

    async fn set_watermark(&self, job: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
}

/// Everything duplicate handling needs, on one store.
pub trait DedupeStore: MergeStore + ReviewQueue + MatchIndex {}

impl<T: MergeStore + ReviewQueue + MatchIndex> DedupeStore for T {}
