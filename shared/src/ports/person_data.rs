//! Person rights across every store that holds a person's data: export it all, erase it all.
//! Each store that keeps personal data implements this port and is listed in
//! `Services::person_data`, so `GET /people/{id}/export` and `DELETE /people/{id}` reach it.
//! A new store of personal data (an email outbox, a webhook log) must join that list.

use super::error::StoreError;
use crate::domain::{Email, LeadId, Phone};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Everything that identifies one person: their leads and the addresses on them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonKeys {
    pub lead_ids: Vec<LeadId>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
}

/// One record a store holds about the person, as exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldRecord {
    /// What kind of record (`lead`, `timeline_entry`, `once_marker`, `outbox_message`, ...).
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<LeadId>,
    pub data: serde_json::Value,
}

/// A store that holds personal data.
#[async_trait]
pub trait PersonDataStore: Send + Sync {
    /// The store's name in export and erasure reports.
    fn name(&self) -> &'static str;

    /// Every record held about the person.
    async fn export(&self, person: &PersonKeys) -> Result<Vec<HeldRecord>, StoreError>;

    /// Removes or irreversibly anonymizes every personal value held about the person; returns
    /// how many records changed. Safe to repeat.
    async fn erase(&self, person: &PersonKeys, at: DateTime<Utc>) -> Result<usize, StoreError>;
}
