//! The embedded audit trail: entries indexed by lead and by staff user, never changed once added.

use crate::domain::{AuditEntry, EventId, LeadId};
use crate::ports::{AuditLog, Page, StoreError};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    entries: HashMap<EventId, AuditEntry>,
    by_lead: HashMap<LeadId, BTreeMap<EventId, ()>>,
    by_actor: HashMap<String, BTreeMap<EventId, ()>>,
}

/// The embedded audit log. Cloning shares it.
#[derive(Clone, Default)]
pub struct MemoryAuditLog {
    state: Arc<Mutex<State>>,
}

impl MemoryAuditLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every entry, oldest first (tests and the local runner).
    pub fn all(&self) -> Vec<AuditEntry> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<AuditEntry> = s.entries.values().cloned().collect();
        v.sort_by_key(|e| e.id);
        v
    }
}

fn page(s: &State, index: Option<&BTreeMap<EventId, ()>>, after: Option<EventId>, limit: usize) -> Page<AuditEntry> {
    let Some(index) = index else { return Page { items: Vec::new(), next: None } };
    let ids: Vec<EventId> = match after {
        Some(a) => index.range((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)).map(|(id, _)| *id).take(limit + 1).collect(),
        None => index.keys().copied().take(limit + 1).collect(),
    };
    let items: Vec<AuditEntry> = ids.iter().filter_map(|id| s.entries.get(id).cloned()).collect();
    Page::from_overfetch(items, limit, |e| e.id)
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn append(&self, entry: &AuditEntry) -> Result<bool, StoreError> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.entries.contains_key(&entry.id) {
            return Ok(false);
        }
        s.entries.insert(entry.id, entry.clone());
        if let Some(lead) = entry.lead_id {
            s.by_lead.entry(lead).or_default().insert(entry.id, ());
        }
        if let Some(key) = entry.actor.trail_key() {
            s.by_actor.entry(key).or_default().insert(entry.id, ());
        }
        Ok(true)
    }

    async fn by_lead(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<AuditEntry>, StoreError> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Ok(page(&s, s.by_lead.get(&lead_id), after, limit))
    }

    async fn by_actor(&self, actor_key: &str, after: Option<EventId>, limit: usize) -> Result<Page<AuditEntry>, StoreError> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Ok(page(&s, s.by_actor.get(actor_key), after, limit))
    }
}
