//! Lead records, with dedupe on normalized phone and email at capture.

use super::error::StoreError;
use crate::domain::{Email, Lead, LeadId, Phone};
use async_trait::async_trait;

/// What `create_or_match` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureOutcome {
    /// The lead was stored as new.
    Created,
    /// An open lead already holds the phone or email; nothing was stored.
    Matched(LeadId),
}

/// Lead records.
#[async_trait]
pub trait LeadStore: Send + Sync {
    /// Stores `lead` unless an open lead already holds its phone or (then) its email, atomically:
    /// two concurrent captures of the same person never both create. A lead whose id is already
    /// stored (an earlier attempt of the same request) counts as `Created`.
    async fn create_or_match(&self, lead: &Lead) -> Result<CaptureOutcome, StoreError>;

    /// Reads a lead (strongly consistent).
    async fn get(&self, id: LeadId) -> Result<Option<Lead>, StoreError>;

    /// Writes a changed lead. `lead.version` must be one more than the stored version, otherwise
    /// nothing is written and `Conflict` is returned.
    async fn save(&self, lead: &Lead) -> Result<(), StoreError>;

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
