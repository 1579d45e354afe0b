//! Lead records, with dedupe on normalized phone and email at capture.

use super::error::StoreError;
use crate::domain::{Email, Lead, LeadEvent, LeadId, Phone, TimelineEntry};
use async_trait::async_trait;

/// What is written in the same atomic write as a lead: timeline entries (how the timeline shows
/// the change) and the events that announce it. The events are the transactional outbox: each
/// is stored as an outbox record with the lead, and the relay (`app::relay`) delivers it to every
/// consumer of its kind, so a lead that is stored is always processed, whatever fails after the
/// write.
#[derive(Debug, Clone, Default)]
pub struct Alongside {
    pub entries: Vec<TimelineEntry>,
    pub events: Vec<LeadEvent>,
}

/// What `create_or_match` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureOutcome {
    /// The lead was stored as new.
    Created,
    /// An open lead of the same service line already holds the phone or email; nothing was
    /// stored.
    Matched(LeadId),
}

/// Lead records.
#[async_trait]
pub trait LeadStore: Send + Sync {
    /// Stores `lead` with `alongside` unless an open lead of its service line already holds its
    /// phone or (then) its email, atomically: two concurrent captures of the same person never
    /// both create, and the lead, its entries and its outbox records are stored together or not
    /// at all. A lead whose id is already stored (an earlier attempt of the same request) counts
    /// as `Created` (and nothing is written again). The person's leads of other service lines,
    /// and closed ones, do not match.
    async fn create_or_match(&self, lead: &Lead, alongside: &Alongside) -> Result<CaptureOutcome, StoreError>;

    /// Reads a lead (strongly consistent).
    async fn get(&self, id: LeadId) -> Result<Option<Lead>, StoreError>;

    /// Writes a changed lead. `lead.version` must be one more than the stored version, otherwise
    /// nothing is written and `Conflict` is returned.
    async fn save(&self, lead: &Lead) -> Result<(), StoreError> {
        self.save_alongside(lead, &Alongside::default()).await
    }

    /// [`save`](Self::save), with `alongside` written in the same atomic write.
    async fn save_alongside(&self, lead: &Lead, alongside: &Alongside) -> Result<(), StoreError>;

    /// Leads (open or closed) with this phone, newest first, through an index.
    async fn find_by_phone(&self, phone: &Phone) -> Result<Vec<LeadId>, StoreError>;

    /// Leads (open or closed) with this email, newest first, through an index.
    async fn find_by_email(&self, email: &Email) -> Result<Vec<LeadId>, StoreError>;

    /// Leads with a name word starting with `prefix` (folded, at most
    /// [`MAX_PREFIX`](crate::domain::search::MAX_PREFIX) characters: see
    /// [`index_prefixes`](crate::domain::search::index_prefixes)), at most `limit`, through the
    /// name index (never a scan). A hint, not an answer: an entry may name a record merged into
    /// another or renamed since, so callers read each lead and check it.
    async fn find_by_name(&self, prefix: &str, limit: usize) -> Result<Vec<LeadId>, StoreError>;
}
