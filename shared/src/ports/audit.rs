//! The audit trail: append-only, queryable per lead and per staff user. No operation changes or
//! removes an entry; the AWS adapter's table is written by PutItem with `attribute_not_exists`
//! only, and no function's IAM role may update or delete its items (`tests/infra/template_policies.rs`).

use super::error::StoreError;
use super::timeline::Page;
use crate::domain::{AuditEntry, EventId, LeadId};
use async_trait::async_trait;

/// The audit store.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry. An entry whose id is already stored is left as it was and `false` is
    /// returned (a retried step records once).
    async fn append(&self, entry: &AuditEntry) -> Result<bool, StoreError>;

    /// Entries about one lead, oldest first, after `after`, at most `limit`.
    async fn by_lead(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<AuditEntry>, StoreError>;

    /// Entries by one staff user (`user:{id}`, [`AuditActor::trail_key`](crate::domain::AuditActor::trail_key)),
    /// oldest first, after `after`, at most `limit`. Entries by the public form and by system
    /// components are kept by lead only: no key finds them here.
    async fn by_actor(&self, actor_key: &str, after: Option<EventId>, limit: usize) -> Result<Page<AuditEntry>, StoreError>;
}
