//! The embedded team store: availability records and round-robin counters.

use crate::domain::routing::{Availability, MemberId};
use crate::ports::{StoreError, TeamStore};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    tickets: HashMap<String, u64>,
    availability: BTreeMap<MemberId, Availability>,
}

/// The embedded team store. Cloning shares it.
#[derive(Clone, Default)]
pub struct MemoryTeamStore {
    state: Arc<Mutex<State>>,
}

impl MemoryTeamStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl TeamStore for MemoryTeamStore {
    async fn next_ticket(&self, pool: &str) -> Result<u64, StoreError> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let n = s.tickets.entry(pool.to_string()).or_insert(0);
        let ticket = *n;
        *n += 1;
        Ok(ticket)
    }

    async fn set_availability(&self, member: &MemberId, availability: &Availability) -> Result<(), StoreError> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).availability.insert(member.clone(), availability.clone());
        Ok(())
    }

    async fn availability(&self) -> Result<BTreeMap<MemberId, Availability>, StoreError> {
        Ok(self.state.lock().unwrap_or_else(|p| p.into_inner()).availability.clone())
    }
}
