//! Anonymous visits in memory: per visitor, in id (time) order; expiry is checked on read, as
//! DynamoDB's TTL deletes lazily and its reads filter too.

use crate::domain::source::VisitorId;
use crate::domain::EventId;
use crate::ports::{StoreError, VisitEvent, VisitStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// One visitor's events by id, each with when it expires.
type Events = BTreeMap<EventId, (VisitEvent, DateTime<Utc>)>;

/// The embedded visit store. Cloning shares the data.
#[derive(Clone, Default)]
pub struct MemoryVisitStore {
    visitors: Arc<Mutex<HashMap<VisitorId, Events>>>,
}

impl MemoryVisitStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl VisitStore for MemoryVisitStore {
    async fn record(&self, event: &VisitEvent, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut v = self.visitors.lock().unwrap_or_else(|e| e.into_inner());
        v.entry(event.visitor.clone()).or_default().insert(event.id, (event.clone(), expires_at));
        Ok(())
    }

    async fn events(&self, visitor: &VisitorId, now: DateTime<Utc>, limit: usize) -> Result<Vec<VisitEvent>, StoreError> {
        let v = self.visitors.lock().unwrap_or_else(|e| e.into_inner());
        Ok(v.get(visitor)
            .map(|events| events.values().filter(|(_, expires)| *expires > now).take(limit).map(|(e, _)| e.clone()).collect())
            .unwrap_or_default())
    }
}
