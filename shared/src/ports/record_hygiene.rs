//! What the hygiene steps need from the lead store beyond reading and saving leads:
//! an index of test records to delete them without a scan, deletion of a whole lead, and the
//! expiry of an archived lead's personal data (DynamoDB TTL on `expires_at`) with an anonymized
//! stub left behind.

use super::error::StoreError;
use crate::domain::{Lead, LeadId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Test-record index, deletion and retention.
#[async_trait]
pub trait RecordHygiene: Send + Sync {
    /// Lists `lead` in the test-record index (by creation time). Idempotent.
    async fn mark_test(&self, lead: &Lead) -> Result<(), StoreError>;
    /// Test leads created before `before`, oldest first, at most `limit`.
    async fn test_leads_before(&self, before: DateTime<Utc>, limit: usize) -> Result<Vec<LeadId>, StoreError>;
    /// Deletes the lead, its timeline and markers, the unique claims it holds and its test-index
    /// entry. Returns whether a lead was there. Idempotent.
    async fn delete_lead(&self, id: LeadId) -> Result<bool, StoreError>;
    /// Stores `stub` (the lead anonymized: ids, status, source, service line, dates) where it
    /// outlives the lead, and sets `expires_at` on every item of the lead's that holds personal
    /// data (timeline entries, markers, the unique claims it holds; the lead item carries it from
    /// `Lead::personal_data_expires_at` on every save). Idempotent.
    async fn expire_personal_data(&self, lead: &Lead, stub: &Lead, expires_at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The anonymized stub of an archived lead, if one was stored.
    async fn stub(&self, id: LeadId) -> Result<Option<Lead>, StoreError>;
    /// Deletes what has expired by `now`. DynamoDB does this itself (TTL, within days of the
    /// time), so the AWS adapter returns 0; the embedded store emulates it here.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError>;
}
