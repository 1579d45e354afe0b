//! Embedded adapters of the data-hygiene ports: the record-hygiene operations on the
//! in-memory store (TTL emulated by `purge_expired`), an in-memory rate counter, and a fixed
//! table of mail domains for the optional MX check.

use super::store::{MemoryStore, State};
use crate::domain::{Lead, LeadId};
use crate::ports::{MailDomains, RateCounter, RecordHygiene, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

impl State {
    fn remove_lead(&mut self, id: LeadId) -> bool {
        let Some(lead) = self.leads.remove(&id) else {
            self.test_index.retain(|(_, l)| *l != id);
            return false;
        };
        self.unindex(&lead);
        self.timelines.remove(&id);
        self.once.retain(|(l, _), _| *l != id);
        self.attached.remove(&id);
        self.phone_claims.retain(|_, l| *l != id);
        self.email_claims.retain(|_, l| *l != id);
        self.links.retain(|_, l| *l != id);
        self.test_index.retain(|(_, l)| *l != id);
        self.expiring.remove(&id);
        true
    }
}

#[async_trait]
impl RecordHygiene for MemoryStore {
    async fn mark_test(&self, lead: &Lead) -> Result<(), StoreError> {
        self.lock().test_index.insert((lead.created_at, lead.id));
        Ok(())
    }

    async fn test_leads_before(&self, before: DateTime<Utc>, limit: usize) -> Result<Vec<LeadId>, StoreError> {
        Ok(self.lock().test_index.iter().take_while(|(at, _)| *at < before).take(limit).map(|(_, id)| *id).collect())
    }

    async fn delete_lead(&self, id: LeadId) -> Result<bool, StoreError> {
        Ok(self.lock().remove_lead(id))
    }

    async fn expire_personal_data(&self, lead: &Lead, stub: &Lead, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut s = self.lock();
        s.stubs.insert(lead.id, stub.clone());
        s.expiring.insert(lead.id, expires_at);
        Ok(())
    }

    async fn stub(&self, id: LeadId) -> Result<Option<Lead>, StoreError> {
        Ok(self.lock().stubs.get(&id).cloned())
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut s = self.lock();
        let due: Vec<LeadId> = s.expiring.iter().filter(|(_, at)| **at <= now).map(|(id, _)| *id).collect();
        let mut purged = 0;
        for id in due {
            // A lead re-opened since it was archived carries no expiry any more: it stays.
            let still_archived = s.leads.get(&id).is_none_or(|l| {
                l.status == crate::domain::LeadStatus::Unresponsive && l.personal_data_expires_at.is_some_and(|at| at <= now)
            });
            if still_archived && s.remove_lead(id) {
                purged += 1;
            }
            s.expiring.remove(&id);
        }
        Ok(purged)
    }
}

/// (counter key, window start) -> (hits, window end).
type Windows = HashMap<(String, i64), (u64, DateTime<Utc>)>;

/// Fixed-window counters in memory.
#[derive(Clone, Default)]
pub struct MemoryRateCounter {
    counts: Arc<Mutex<Windows>>,
}

impl MemoryRateCounter {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RateCounter for MemoryRateCounter {
    async fn hit(&self, key: &str, window_start: DateTime<Utc>, window_end: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        // Windows that ended are dropped, as their TTL drops them in DynamoDB.
        counts.retain(|_, (_, end)| *end > window_start);
        let entry = counts.entry((key.to_string(), window_start.timestamp())).or_insert((0, window_end));
        entry.0 += 1;
        Ok(entry.0)
    }
}

/// MX answers from a fixed table (the local runner and tests): unknown domains are `None`.
#[derive(Clone, Default)]
pub struct StaticMailDomains {
    answers: BTreeMap<String, bool>,
}

impl StaticMailDomains {
    pub fn new(answers: impl IntoIterator<Item = (String, bool)>) -> Self {
        StaticMailDomains { answers: answers.into_iter().collect() }
    }
}

#[async_trait]
impl MailDomains for StaticMailDomains {
    async fn has_mail_exchanger(&self, domain: &str) -> Option<bool> {
        self.answers.get(domain).copied()
    }
}
