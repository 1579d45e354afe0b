//! The embedded pacer: the same counters as the DynamoDB items, in a map behind a lock.

use crate::domain::pacing::{Lane, LaneCounts};
use crate::ports::{Backlog, SendPacer, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    /// (identity, window) -> (parts taken, refusals per lane).
    windows: HashMap<(String, i64), (u32, LaneCounts)>,
    backlog: HashMap<String, Backlog>,
    /// (identity, minute) -> throttles.
    throttles: HashMap<(String, i64), u32>,
}

/// In-process pacing counters. Cloning shares them.
#[derive(Clone, Default)]
pub struct MemoryPacer {
    state: Arc<Mutex<State>>,
}

impl MemoryPacer {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl SendPacer for MemoryPacer {
    async fn take(&self, identity: &str, window: i64, parts: u32, ceiling: u32) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let w = s.windows.entry((identity.to_string(), window)).or_default();
        if w.0 + parts > ceiling {
            return Ok(false);
        }
        w.0 += parts;
        Ok(true)
    }

    async fn refuse(&self, identity: &str, window: i64, lane: Lane) -> Result<LaneCounts, StoreError> {
        let mut s = self.lock();
        let w = s.windows.entry((identity.to_string(), window)).or_default();
        w.1[lane.rank()] += 1;
        Ok(w.1)
    }

    async fn backlog(&self, identity: &str) -> Result<Backlog, StoreError> {
        Ok(self.lock().backlog.get(identity).copied().unwrap_or_default())
    }

    async fn mark_backlog(&self, identity: &str, lane: Lane, until: DateTime<Utc>) -> Result<(), StoreError> {
        let mut s = self.lock();
        let b = s.backlog.entry(identity.to_string()).or_default();
        b.lanes[lane.rank()] = b.lanes[lane.rank()].max(until.timestamp());
        Ok(())
    }

    async fn cool(&self, identity: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        let mut s = self.lock();
        let b = s.backlog.entry(identity.to_string()).or_default();
        b.cool_until = b.cool_until.max(until.timestamp());
        Ok(())
    }

    async fn count_throttle(&self, identity: &str, at: DateTime<Utc>) -> Result<u32, StoreError> {
        let mut s = self.lock();
        let n = s.throttles.entry((identity.to_string(), at.timestamp().div_euclid(60))).or_default();
        *n += 1;
        Ok(*n)
    }
}
