//! Once-only markers for side effects that must happen exactly once per lead (the instant
//! acknowledgement, a follow-up step): claim before acting, record the outcome after.

use super::error::StoreError;
use crate::domain::LeadId;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This caller may act; it must `finish` or `abandon`.
    Acquired,
    /// The action already happened; its recorded outcome.
    Done { outcome: String },
    /// Another caller holds the claim and its lease has not run out.
    Held,
}

/// Markers, one per (lead, action name).
#[async_trait]
pub trait OnceStore: Send + Sync {
    /// Claims the action. A claim whose lease ran out (its holder died) can be taken over.
    async fn claim(&self, lead_id: LeadId, action: &str, now: DateTime<Utc>, lease: Duration) -> Result<Claim, StoreError>;

    /// Records that the action happened and how.
    async fn finish(&self, lead_id: LeadId, action: &str, outcome: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Drops an unfinished claim after a failure, so a retry may act.
    async fn abandon(&self, lead_id: LeadId, action: &str) -> Result<(), StoreError>;
}
