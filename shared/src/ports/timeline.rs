//! The append-only timeline of each lead.

use super::error::StoreError;
use crate::domain::{EventId, LeadId, TimelineEntry};
use async_trait::async_trait;

/// One page of a listing; `next` is present when more items follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<EventId>,
}

/// Timelines. Entries are ordered by id, and ids carry their time (`EventId::new_at`).
#[async_trait]
pub trait TimelineStore: Send + Sync {
    /// Appends an entry; if an entry with the same id exists nothing changes and `false` is
    /// returned (so redelivered events do not duplicate history).
    async fn append(&self, entry: &TimelineEntry) -> Result<bool, StoreError>;

    /// Entries in time order, starting after `after`, at most `limit`.
    async fn list(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<TimelineEntry>, StoreError>;
}
