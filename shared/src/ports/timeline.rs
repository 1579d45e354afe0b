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

impl<T> Page<T> {
    /// A page of at most `limit` from up to `limit + 1` items read in order: the extra one says
    /// there is more, and the page's last id is where the next page starts.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, id: impl Fn(&T) -> EventId) -> Self {
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(id)
        } else {
            None
        };
        Page { items, next }
    }
}

/// Every item of a paged listing (a timeline, an audit trail), read page by page.
pub async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(Option<EventId>) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
{
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let p = page(after).await?;
        out.extend(p.items);
        match p.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// Timelines. Entries are ordered by id, and ids carry their time (`EventId::new_at`).
#[async_trait]
pub trait TimelineStore: Send + Sync {
    /// Appends an entry; if an entry with the same id exists nothing changes and `false` is
    /// returned (so redelivered events do not duplicate history).
    async fn append(&self, entry: &TimelineEntry) -> Result<bool, StoreError>;

    /// Entries in time order, starting after `after`, at most `limit`.
    async fn list(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<TimelineEntry>, StoreError>;

    /// The same entries as [`TimelineStore::list`], with the free text sealed at rest (the
    /// paths in `crypto::fields::TIMELINE`: notes, message texts and subjects, edited values)
    /// reading [`WITHHELD`]: for readers that use only kinds, times, channels and codes (a
    /// cadence's history, attribution). The DynamoDB adapter opens no sealed value for it, so a
    /// new function instance asks the key service nothing for entries other instances sealed.
    async fn list_outline(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<TimelineEntry>, StoreError>;
}

/// What [`TimelineStore::list_outline`] gives for free text it leaves closed.
pub const WITHHELD: &str = "[withheld]";

/// `entry` with the free text at `crypto::fields::TIMELINE` reading [`WITHHELD`] (what an
/// outline holds; for adapters that keep entries open).
pub fn outline(entry: &TimelineEntry) -> Result<TimelineEntry, StoreError> {
    let mut doc = serde_json::to_value(entry).map_err(|e| StoreError::Invalid(format!("cannot encode an entry: {e}")))?;
    crate::crypto::json::withhold_paths(&mut doc, crate::crypto::fields::TIMELINE, WITHHELD);
    serde_json::from_value(doc).map_err(|e| StoreError::Invalid(format!("cannot decode an entry: {e}")))
}
