//! Team state that changes at runtime: who is away (set through the API, no redeploy) and the
//! round-robin counters routing draws from.

use super::error::StoreError;
use crate::domain::routing::{Availability, MemberId};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// Availability records and round-robin counters.
#[async_trait]
pub trait TeamStore: Send + Sync {
    /// Draws the next ticket (0, 1, 2, ...) of a round-robin pool. Atomic in the store: however
    /// many invocations draw at once, each gets a different ticket, so no two of them pick the
    /// same slot, and the counter survives cold starts.
    async fn next_ticket(&self, pool: &str) -> Result<u64, StoreError>;

    /// Records a member's availability.
    async fn set_availability(&self, member: &MemberId, availability: &Availability) -> Result<(), StoreError>;

    /// Every recorded availability (one query).
    async fn availability(&self) -> Result<BTreeMap<MemberId, Availability>, StoreError>;
}
