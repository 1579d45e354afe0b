//! Verified webhook events, stored before anything else happens, and the links from a
//! provider's ids (a scheduler's appointment, a payment customer) to the lead they belong to.

use super::error::StoreError;
use crate::domain::inbound::{InboundEvent, Provider};
use crate::domain::LeadId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// What `record` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// First time this provider event id is seen: it is stored now.
    New,
    /// Seen before. `processed`: whether the worker finished it (if not, enqueue it again).
    Duplicate { processed: bool },
}

/// A stored event and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInbound {
    pub event: InboundEvent,
    /// The worker's outcome once processed (`matched:<lead>`, `created:<lead>`, `unmatched`, ...).
    pub outcome: Option<String>,
}

/// An id in a provider's system that names a lead (`appointment:<id>`, `stripe_customer:<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderKey(String);

impl ProviderKey {
    pub fn new(provider: Provider, kind: &str, id: &str) -> Self {
        ProviderKey(format!("{}#{kind}#{id}", provider.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Stored webhook events (kept 90 days) and provider-id links. Both hold personal data (a
/// reply's text, a caller's number, a provider id that names the person): each event is tied to
/// the leads it concerned ([`InboundStore::attach`]) and each link to its lead, so the person's
/// export and erasure (`ports::person_data`) reach them from the person's leads. An event that
/// concerned no lead names nobody leadflow knows and expires with the 90 days.
#[async_trait]
pub trait InboundStore: Send + Sync {
    /// Stores `event` unless its (provider, event id) is already stored; atomic, so two
    /// concurrent deliveries of one event store it once.
    async fn record(&self, event: &InboundEvent) -> Result<Recorded, StoreError>;

    /// Reads a stored event.
    async fn get_inbound(&self, provider: Provider, event_id: &str) -> Result<Option<StoredInbound>, StoreError>;

    /// Marks an event handled, with its outcome.
    async fn mark_processed(&self, provider: Provider, event_id: &str, outcome: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Ties a stored event to a lead it concerned (idempotent).
    async fn attach(&self, provider: Provider, event_id: &str, lead_id: LeadId) -> Result<(), StoreError>;

    /// Links a provider id to a lead (the latest link wins).
    async fn link(&self, key: &ProviderKey, lead_id: LeadId) -> Result<(), StoreError>;

    /// The lead a provider id is linked to.
    async fn linked(&self, key: &ProviderKey) -> Result<Option<LeadId>, StoreError>;
}
