//! Anonymous visits: the page views and key events the site snippet reports for a visitor id
//! (only after the site's visitor accepted analytics). They hold no form value and no address;
//! they expire unless the visitor inquires, when they join the lead's timeline.

use super::error::StoreError;
use crate::domain::source::VisitorId;
use crate::domain::text::Label;
use crate::domain::{EventId, TouchpointKind};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One beacon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitEvent {
    pub visitor: VisitorId,
    /// Time-ordered (its time is `at`).
    pub id: EventId,
    pub at: DateTime<Utc>,
    pub kind: TouchpointKind,
    /// The page's path, only when the configuration lists it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Label>,
    /// The configured key event it reported (`guide_download`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

/// Where beacons wait for their visitor to inquire.
#[async_trait]
pub trait VisitStore: Send + Sync {
    /// Keeps `event` until `expires_at`.
    async fn record(&self, event: &VisitEvent, expires_at: DateTime<Utc>) -> Result<(), StoreError>;

    /// The visitor's events not yet expired at `now`, oldest first, at most `limit`.
    async fn events(&self, visitor: &VisitorId, now: DateTime<Utc>, limit: usize) -> Result<Vec<VisitEvent>, StoreError>;
}
