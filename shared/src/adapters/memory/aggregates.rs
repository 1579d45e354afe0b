//! The embedded aggregate store: counter rows in an ordered map (range reads per family,
//! dimension and day), ledgers kept as the same JSON the DynamoDB adapter stores, under one
//! lock so each update is atomic.

use crate::domain::analytics::contribution::Counters;
use crate::domain::analytics::source_audit::SourceFlag;
use crate::domain::analytics::spend::SpendEntry;
use crate::domain::analytics::{Contribution, Dimension, Family, RowDelta, RowKey};
use crate::domain::LeadId;
use crate::ports::aggregates::{AggregateStore, Ledger, MAX_ROWS_PER_UPDATE};
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
struct State {
    rows: BTreeMap<(Family, Dimension, NaiveDate, String), Counters>,
    ledgers: HashMap<LeadId, (u64, String)>,
    spend: BTreeMap<(NaiveDate, String, String), SpendEntry>,
    deliveries: HashSet<String>,
    source_flags: BTreeMap<String, SourceFlag>,
}

/// The embedded aggregates. Cloning shares them.
#[derive(Clone, Default)]
pub struct MemoryAggregates {
    state: Arc<Mutex<State>>,
}

impl MemoryAggregates {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of counter rows held (for tests and the bench).
    pub fn row_count(&self) -> usize {
        self.lock().rows.len()
    }
}

#[async_trait]
impl AggregateStore for MemoryAggregates {
    async fn ledger(&self, lead_id: LeadId) -> Result<Option<Ledger>, StoreError> {
        let Some((version, json)) = self.lock().ledgers.get(&lead_id).cloned() else { return Ok(None) };
        let contribution = serde_json::from_str(&json).map_err(|e| StoreError::Invalid(format!("cannot decode a ledger: {e}")))?;
        Ok(Some(Ledger { version, contribution }))
    }

    async fn apply(&self, lead_id: LeadId, expected: Option<u64>, next: &Contribution, delta: &RowDelta) -> Result<bool, StoreError> {
        if delta.len() > MAX_ROWS_PER_UPDATE {
            return Err(StoreError::Invalid(format!("an update may touch at most {MAX_ROWS_PER_UPDATE} rows, not {}", delta.len())));
        }
        let json = serde_json::to_string(next).map_err(|e| StoreError::Invalid(format!("cannot encode a ledger: {e}")))?;
        let mut s = self.lock();
        let current = s.ledgers.get(&lead_id).map(|(v, _)| *v);
        if current != expected {
            return Ok(false);
        }
        for (key, counters) in delta {
            let row = s.rows.entry((key.family, key.dimension, key.day, key.value.clone())).or_default();
            for (name, v) in counters {
                *row.entry(name.clone()).or_default() += v;
            }
        }
        s.ledgers.insert(lead_id, (expected.map_or(1, |v| v + 1), json));
        Ok(true)
    }

    async fn rows(
        &self,
        family: Family,
        dimension: Dimension,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(RowKey, Counters)>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let s = self.lock();
        let range = (family, dimension, from, String::new())..(family, dimension, to.succ_opt().unwrap_or(to), String::new());
        Ok(s.rows
            .range(range)
            .map(|((f, d, day, value), c)| (RowKey { family: *f, dimension: *d, day: *day, value: value.clone() }, c.clone()))
            .collect())
    }

    async fn put_spend(&self, entry: &SpendEntry) -> Result<(), StoreError> {
        self.lock().spend.insert((entry.month, entry.source.clone(), entry.campaign.clone()), entry.clone());
        Ok(())
    }

    async fn spend(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<SpendEntry>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let s = self.lock();
        Ok(s.spend.range((from, String::new(), String::new())..=(to, "\u{10FFFF}".into(), String::new())).map(|(_, e)| e.clone()).collect())
    }

    async fn claim_delivery(&self, key: &str, _at: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.lock().deliveries.insert(key.to_string()))
    }

    async fn release_delivery(&self, key: &str) -> Result<(), StoreError> {
        self.lock().deliveries.remove(key);
        Ok(())
    }

    async fn put_source_flag(&self, flag: &SourceFlag) -> Result<(), StoreError> {
        self.lock().source_flags.insert(flag.lead_id.to_string(), flag.clone());
        Ok(())
    }

    async fn clear_source_flag(&self, lead_id: LeadId) -> Result<(), StoreError> {
        self.lock().source_flags.remove(&lead_id.to_string());
        Ok(())
    }

    async fn source_flags(&self, after: Option<LeadId>, limit: usize) -> Result<(Vec<SourceFlag>, Option<LeadId>), StoreError> {
        let s = self.lock();
        let after = after.map(|a| a.to_string());
        let mut page: Vec<SourceFlag> = match &after {
            Some(a) => s.source_flags.range::<String, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)),
            None => s.source_flags.range::<String, _>(..),
        }
        .take(limit.max(1) + 1)
        .map(|(_, f)| f.clone())
        .collect();
        let more = page.len() > limit.max(1);
        page.truncate(limit.max(1));
        let next = if more { page.last().map(|f| f.lead_id) } else { None };
        Ok((page, next))
    }
}
