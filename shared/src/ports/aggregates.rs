//! The report aggregates: counter rows per family, dimension, day and value, maintained
//! incrementally by the analytics consumer, plus each lead's ledger (what it has contributed so
//! far), marketing spend, delivery markers of scheduled reports, and the source-tag audit list
//! (leads whose source or campaign tags need correcting: ids and tags only).
//!
//! A lead's update is one atomic step: add the delta to its rows and replace its ledger, only
//! if the ledger is still the version read. That step is what makes the counters exact: a
//! duplicate delivery computes an empty delta, a concurrent update of the same lead loses the
//! version check and is computed again.

use super::error::StoreError;
use crate::domain::analytics::contribution::Counters;
use crate::domain::analytics::source_audit::SourceFlag;
use crate::domain::analytics::spend::SpendEntry;
use crate::domain::analytics::{Contribution, Dimension, Family, RowDelta, RowKey};
use crate::domain::LeadId;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// Rows one update may touch (DynamoDB transactions hold 100 items; one is the ledger).
pub const MAX_ROWS_PER_UPDATE: usize = 99;

/// What a lead has contributed to the counters, and the version of that record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    pub version: u64,
    pub contribution: Contribution,
}

/// The aggregates.
#[async_trait]
pub trait AggregateStore: Send + Sync {
    /// The lead's ledger (`None` if nothing was ever applied for it).
    async fn ledger(&self, lead_id: LeadId) -> Result<Option<Ledger>, StoreError>;

    /// Adds `delta` to the rows and stores `next` as the lead's ledger (at `expected + 1`, or
    /// version 1 when `expected` is `None`), all or nothing, if the ledger's version is still
    /// `expected`. `Ok(false)` when it is not (re-read and compute again). More than
    /// [`MAX_ROWS_PER_UPDATE`] rows is refused with `Invalid`.
    async fn apply(&self, lead_id: LeadId, expected: Option<u64>, next: &Contribution, delta: &RowDelta) -> Result<bool, StoreError>;

    /// Rows of `family` and `dimension` with days in `from..=to`.
    async fn rows(
        &self,
        family: Family,
        dimension: Dimension,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(RowKey, Counters)>, StoreError>;

    /// Sets the spend of a month, source and campaign (replacing an earlier figure).
    async fn put_spend(&self, entry: &SpendEntry) -> Result<(), StoreError>;

    /// Spend entries of the months `from..=to` (first days of months).
    async fn spend(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<SpendEntry>, StoreError>;

    /// Marks a scheduled report delivery as made; `false` if it already was (a retried run).
    async fn claim_delivery(&self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Forgets a delivery claim after the delivery failed, so a retry sends it.
    async fn release_delivery(&self, key: &str) -> Result<(), StoreError>;

    /// Puts the lead on the source-tag audit list (replacing its earlier entry).
    async fn put_source_flag(&self, flag: &SourceFlag) -> Result<(), StoreError>;

    /// Takes the lead off the list (nothing happens when it is not on it).
    async fn clear_source_flag(&self, lead_id: LeadId) -> Result<(), StoreError>;

    /// At most `limit` entries of the list in lead-id order, after `after`; the id to continue
    /// after when there may be more.
    async fn source_flags(&self, after: Option<LeadId>, limit: usize) -> Result<(Vec<SourceFlag>, Option<LeadId>), StoreError>;
}
