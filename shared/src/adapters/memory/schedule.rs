//! The embedded due-item store: items, minute-bucket index entries and cursors behind one lock,
//! with the same rules as the DynamoDB adapter (checked by the shared contract suite).

use crate::ports::schedule::{bucket_name, minute_of, DueClaim, DueItem, DueStore};
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone)]
struct Stored {
    due_at: DateTime<Utc>,
    bucket: String,
    payload: String,
    claimed_until: Option<DateTime<Utc>>,
    attempts: u32,
}

/// One minute bucket's index entries: (due time, key).
type Bucket = BTreeSet<(DateTime<Utc>, String)>;

#[derive(Default)]
struct State {
    items: HashMap<(String, String), Stored>,
    /// (kind, bucket) -> (due_at, key).
    index: BTreeMap<(String, String), Bucket>,
    cursors: HashMap<String, DateTime<Utc>>,
}

/// The embedded due-item store. Cloning shares it.
#[derive(Clone, Default)]
pub struct MemoryDueStore {
    state: Arc<Mutex<State>>,
}

impl MemoryDueStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn check_kind(kind: &str) -> Result<(), StoreError> {
    if crate::ports::schedule::valid_kind(kind) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("bad due-item kind {kind:?}")))
    }
}

impl State {
    fn unindex(&mut self, kind: &str, key: &str, s: &Stored) {
        if let Some(b) = self.index.get_mut(&(kind.to_string(), s.bucket.clone())) {
            b.remove(&(s.due_at, key.to_string()));
        }
    }

    fn put(&mut self, item: &DueItem, now: DateTime<Utc>) {
        let k = (item.kind.clone(), item.key.clone());
        if let Some(old) = self.items.remove(&k) {
            self.unindex(&item.kind, &item.key, &old);
        }
        let bucket = bucket_name(minute_of(item.due_at.max(now)));
        self.index.entry((item.kind.clone(), bucket.clone())).or_default().insert((item.due_at, item.key.clone()));
        self.items.insert(k, Stored { due_at: item.due_at, bucket, payload: item.payload.clone(), claimed_until: None, attempts: 0 });
    }
}

#[async_trait]
impl DueStore for MemoryDueStore {
    async fn schedule(&self, item: &DueItem, now: DateTime<Utc>) -> Result<(), StoreError> {
        check_kind(&item.kind)?;
        self.lock().put(item, now);
        Ok(())
    }

    async fn get(&self, kind: &str, key: &str) -> Result<Option<DueItem>, StoreError> {
        Ok(self.lock().items.get(&(kind.to_string(), key.to_string())).map(|s| DueItem {
            kind: kind.to_string(),
            key: key.to_string(),
            due_at: s.due_at,
            payload: s.payload.clone(),
            attempts: s.attempts,
        }))
    }

    async fn cancel(&self, kind: &str, key: &str) -> Result<bool, StoreError> {
        let mut s = self.lock();
        match s.items.remove(&(kind.to_string(), key.to_string())) {
            Some(old) => {
                s.unindex(kind, key, &old);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn bucket(&self, kind: &str, minute: DateTime<Utc>, upto: DateTime<Utc>, limit: usize) -> Result<Vec<DueItem>, StoreError> {
        let s = self.lock();
        let Some(entries) = s.index.get(&(kind.to_string(), bucket_name(minute))) else { return Ok(Vec::new()) };
        Ok(entries
            .iter()
            .take_while(|(due, _)| *due <= upto)
            .take(limit)
            .map(|(due, key)| DueItem { kind: kind.to_string(), key: key.clone(), due_at: *due, payload: String::new(), attempts: 0 })
            .collect())
    }

    async fn claim(&self, entry: &DueItem, now: DateTime<Utc>, lease: Duration) -> Result<DueClaim, StoreError> {
        let mut s = self.lock();
        let Some(item) = s.items.get_mut(&(entry.kind.clone(), entry.key.clone())) else { return Ok(DueClaim::Stale) };
        if item.due_at != entry.due_at {
            return Ok(DueClaim::Stale);
        }
        if item.claimed_until.is_some_and(|u| u > now) {
            return Ok(DueClaim::Busy);
        }
        item.claimed_until = Some(now + lease);
        item.attempts += 1;
        Ok(DueClaim::Claimed(DueItem {
            kind: entry.kind.clone(),
            key: entry.key.clone(),
            due_at: item.due_at,
            payload: item.payload.clone(),
            attempts: item.attempts,
        }))
    }

    async fn complete(&self, claimed: &DueItem) -> Result<(), StoreError> {
        let mut s = self.lock();
        let k = (claimed.kind.clone(), claimed.key.clone());
        if let Some(item) = s.items.get(&k).cloned() {
            if item.due_at == claimed.due_at {
                s.items.remove(&k);
                s.unindex(&claimed.kind, &claimed.key, &item);
            }
        }
        Ok(())
    }

    async fn chain(&self, claimed: &DueItem, next: &DueItem, now: DateTime<Utc>) -> Result<bool, StoreError> {
        check_kind(&next.kind)?;
        let mut s = self.lock();
        let holds = s
            .items
            .get(&(claimed.kind.clone(), claimed.key.clone()))
            .is_some_and(|i| i.due_at == claimed.due_at && i.claimed_until.is_some());
        if !holds {
            return Ok(false);
        }
        s.put(next, now);
        Ok(true)
    }

    async fn release(&self, claimed: &DueItem) -> Result<(), StoreError> {
        let mut s = self.lock();
        if let Some(i) = s.items.get_mut(&(claimed.kind.clone(), claimed.key.clone())) {
            if i.due_at == claimed.due_at {
                i.claimed_until = None;
            }
        }
        Ok(())
    }

    async fn drop_entry(&self, entry: &DueItem, minute: DateTime<Utc>) -> Result<(), StoreError> {
        let mut s = self.lock();
        let bucket = bucket_name(minute);
        let live = s.items.get(&(entry.kind.clone(), entry.key.clone())).is_some_and(|i| i.due_at == entry.due_at && i.bucket == bucket);
        if !live {
            if let Some(set) = s.index.get_mut(&(entry.kind.clone(), bucket)) {
                set.remove(&(entry.due_at, entry.key.clone()));
            }
        }
        Ok(())
    }

    async fn cursor(&self, kind: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.lock().cursors.get(kind).copied())
    }

    async fn advance_cursor(&self, kind: &str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let current = s.cursors.get(kind).copied();
        if current != from || current.is_some_and(|c| c >= to) {
            return Ok(false);
        }
        s.cursors.insert(kind.to_string(), to);
        Ok(true)
    }
}
