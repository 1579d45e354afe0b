//! One in-memory store behind every store port, guarded by a single lock so each operation is
//! atomic (as a DynamoDB conditional write or transaction is).

use crate::domain::inbound::{InboundEvent, Provider};
use crate::domain::{ContactChannel, Email, EventId, Lead, LeadEvent, LeadId, Phone, TimelineEntry};
use crate::ports::idempotency::Begin;
use crate::ports::inbound::{ProviderKey, Recorded, StoredInbound};
use crate::ports::lead_listing::{
    inbox_partition, inbox_sort_key, index_partitions, index_sort_key, InboxQueue, LeadFilter, LeadPage, ListCursor,
};
use crate::ports::lead_store::CaptureOutcome;
use crate::ports::once::Claim;
use crate::ports::suppression::address_digest;
use crate::ports::timeline::Page;
use crate::ports::{Alongside, IdempotencyStore, LeadStore, OnceStore, StoreError, SuppressionStore, TimelineStore};
use crate::ports::{InboundStore, LeadListing};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone)]
pub(super) enum IdemState {
    Pending { first_seen: DateTime<Utc>, locked_until: DateTime<Utc> },
    Completed { status: u16, body: String },
}

#[derive(Debug, Clone)]
pub(super) struct IdemRecord {
    pub(super) fingerprint: String,
    pub(super) state: IdemState,
    pub(super) expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(super) enum OnceState {
    Claimed { until: DateTime<Utc> },
    Done { outcome: String },
}

#[derive(Default)]
pub(super) struct State {
    pub(super) leads: HashMap<LeadId, Lead>,
    /// Unique claims: `{normalized phone or email}#{service line}` -> the lead that holds it
    /// (one open lead per person per service line).
    pub(super) phone_claims: HashMap<String, LeadId>,
    pub(super) email_claims: HashMap<String, LeadId>,
    /// Secondary indexes (like the GSIs): every lead per phone/email, in creation order.
    pub(super) by_phone: HashMap<String, BTreeSet<(DateTime<Utc>, LeadId)>>,
    pub(super) by_email: HashMap<String, BTreeSet<(DateTime<Utc>, LeadId)>>,
    pub(super) timelines: HashMap<LeadId, BTreeMap<EventId, TimelineEntry>>,
    pub(super) idempotency: HashMap<String, IdemRecord>,
    pub(super) once: HashMap<(LeadId, String), OnceState>,
    pub(super) suppressions: HashMap<(ContactChannel, String), (String, DateTime<Utc>)>,
    /// The listing indexes (like the GSIs): partition -> sort keys (`{created}#{id}`).
    pub(super) listing: HashMap<String, BTreeSet<String>>,
    /// The work queues (like the inbox GSI): partition -> `inbox_sort_key`s.
    pub(super) inbox: HashMap<String, BTreeSet<String>>,
    /// The name index: folded prefix -> leads.
    pub(super) names: HashMap<String, BTreeSet<LeadId>>,
    pub(super) inbound: HashMap<(Provider, String), StoredInbound>,
    pub(super) links: HashMap<String, LeadId>,
    /// The events each lead was concerned by (`InboundStore::attach`), as the DynamoDB adapter
    /// keeps them in the lead's partition.
    pub(super) attached: HashMap<LeadId, BTreeSet<(Provider, String)>>,
    /// Blocking keys, the change index, merges and the review queue.
    pub(super) dedupe: super::dedupe::DedupeState,
    /// Data hygiene: the test-record index, archived leads' stubs, and when each
    /// archived lead's personal data expires (what DynamoDB's TTL does in AWS).
    pub(super) test_index: BTreeSet<(DateTime<Utc>, LeadId)>,
    pub(super) stubs: HashMap<LeadId, Lead>,
    pub(super) expiring: HashMap<LeadId, DateTime<Utc>>,
    /// The outbox records written with leads, in write order (the embedded change stream the
    /// relay reads, like a DynamoDB stream of the outbox items).
    pub(super) outbox: Vec<LeadEvent>,
}

/// The embedded store. Cloning shares the data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// Woken whenever an outbox record is written.
    outbox_written: Arc<tokio::sync::Notify>,
}

/// A claim's key: the address and the service line (`+12015550123#med_spa`).
pub(super) fn claim_key(address: &str, line: &crate::domain::ServiceLineId) -> String {
    format!("{address}#{line}")
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied write (each operation
        // mutates only after its checks), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of leads held (for tests and the local runner's status).
    pub fn lead_count(&self) -> usize {
        self.lock().leads.len()
    }

    /// Outbox records from position `from` on, at most `max`, with their positions.
    pub fn outbox_records(&self, from: usize, max: usize) -> Vec<(usize, LeadEvent)> {
        self.lock().outbox.iter().enumerate().skip(from).take(max).map(|(i, e)| (i, e.clone())).collect()
    }

    /// Waits until an outbox record is written or `timeout` passes.
    pub async fn outbox_wait(&self, timeout: std::time::Duration) {
        let _ = tokio::time::timeout(timeout, self.outbox_written.notified()).await;
    }

    /// The lead holding the inquiry with receipt `receipt` (the local runner's dev route; a
    /// linear search, as a dev aid only).
    pub fn lead_of_receipt(&self, receipt: EventId) -> Option<LeadId> {
        self.lock().leads.values().find(|l| l.inquiry(receipt).is_some()).map(|l| l.id)
    }

    /// Writes `alongside` with a lead (inside the caller's lock): entries once each, events as
    /// outbox records.
    fn write_alongside(&self, s: &mut State, alongside: &Alongside) {
        for e in &alongside.entries {
            s.timelines.entry(e.lead_id).or_default().entry(e.id).or_insert_with(|| e.clone());
        }
        if !alongside.events.is_empty() {
            s.outbox.extend(alongside.events.iter().cloned());
            self.outbox_written.notify_waiters();
            self.outbox_written.notify_one();
        }
    }
}

impl State {
    fn open_holder(&self, claims: &HashMap<String, LeadId>, key: &str) -> Option<LeadId> {
        let id = claims.get(key)?;
        self.leads.get(id).filter(|l| l.status.is_open()).map(|l| l.id)
    }

    pub(super) fn index(&mut self, lead: &Lead) {
        self.dedupe.changed.insert((lead.updated_at, lead.id));
        super::dedupe::index_blocking_keys(self, lead);
        for partition in index_partitions(lead).into_iter().flatten() {
            self.listing.entry(partition).or_default().insert(index_sort_key(lead));
        }
        if let Some(partition) = inbox_partition(lead) {
            self.inbox.entry(partition).or_default().insert(inbox_sort_key(lead));
        }
        for prefix in crate::domain::search::index_prefixes(&lead.contact) {
            self.names.entry(prefix).or_default().insert(lead.id);
        }
        if let Some(p) = &lead.contact.phone {
            self.by_phone.entry(p.as_e164().to_string()).or_default().insert((lead.created_at, lead.id));
        }
        if let Some(e) = &lead.contact.email {
            self.by_email.entry(e.as_str().to_string()).or_default().insert((lead.created_at, lead.id));
        }
    }

    pub(super) fn unindex(&mut self, lead: &Lead) {
        self.dedupe.changed.remove(&(lead.updated_at, lead.id));
        for partition in index_partitions(lead).into_iter().flatten() {
            if let Some(set) = self.listing.get_mut(&partition) {
                set.remove(&index_sort_key(lead));
            }
        }
        if let Some(partition) = inbox_partition(lead) {
            if let Some(set) = self.inbox.get_mut(&partition) {
                set.remove(&inbox_sort_key(lead));
            }
        }
        for prefix in crate::domain::search::index_prefixes(&lead.contact) {
            if let Some(set) = self.names.get_mut(&prefix) {
                set.remove(&lead.id);
            }
        }
        if let Some(p) = &lead.contact.phone {
            if let Some(s) = self.by_phone.get_mut(p.as_e164()) {
                s.remove(&(lead.created_at, lead.id));
            }
        }
        if let Some(e) = &lead.contact.email {
            if let Some(s) = self.by_email.get_mut(e.as_str()) {
                s.remove(&(lead.created_at, lead.id));
            }
        }
    }

    /// Points the unique claims at `lead` where no open lead holds them.
    fn claim_keys(&mut self, lead: &Lead) {
        let line = &lead.context.service_line;
        if let Some(p) = &lead.contact.phone {
            let k = claim_key(p.as_e164(), line);
            if self.open_holder(&self.phone_claims, &k).is_none_or(|h| h == lead.id) {
                self.phone_claims.insert(k, lead.id);
            }
        }
        if let Some(e) = &lead.contact.email {
            let k = claim_key(e.as_str(), line);
            if self.open_holder(&self.email_claims, &k).is_none_or(|h| h == lead.id) {
                self.email_claims.insert(k, lead.id);
            }
        }
    }
}

fn newest_first(ids: Option<&BTreeSet<(DateTime<Utc>, LeadId)>>) -> Vec<LeadId> {
    ids.map(|s| s.iter().rev().map(|(_, id)| *id).collect()).unwrap_or_default()
}

#[async_trait]
impl LeadStore for MemoryStore {
    async fn create_or_match(&self, lead: &Lead, alongside: &Alongside) -> Result<CaptureOutcome, StoreError> {
        let mut s = self.lock();
        if s.leads.contains_key(&lead.id) {
            // An earlier attempt of the same request stored it (with what came alongside).
            return Ok(CaptureOutcome::Created);
        }
        let line = &lead.context.service_line;
        if let Some(p) = &lead.contact.phone {
            if let Some(id) = s.open_holder(&s.phone_claims, &claim_key(p.as_e164(), line)) {
                return Ok(CaptureOutcome::Matched(id));
            }
        }
        if let Some(e) = &lead.contact.email {
            if let Some(id) = s.open_holder(&s.email_claims, &claim_key(e.as_str(), line)) {
                return Ok(CaptureOutcome::Matched(id));
            }
        }
        s.claim_keys(lead);
        s.index(lead);
        s.leads.insert(lead.id, lead.clone());
        self.write_alongside(&mut s, alongside);
        Ok(CaptureOutcome::Created)
    }

    async fn get(&self, id: LeadId) -> Result<Option<Lead>, StoreError> {
        Ok(self.lock().leads.get(&id).cloned())
    }

    async fn save_alongside(&self, lead: &Lead, alongside: &Alongside) -> Result<(), StoreError> {
        let mut s = self.lock();
        let Some(old) = s.leads.get(&lead.id).cloned() else {
            return Err(StoreError::Conflict);
        };
        if old.version + 1 != lead.version {
            return Err(StoreError::Conflict);
        }
        s.unindex(&old);
        s.index(lead);
        s.leads.insert(lead.id, lead.clone());
        s.claim_keys(lead);
        self.write_alongside(&mut s, alongside);
        Ok(())
    }

    async fn find_by_phone(&self, phone: &Phone) -> Result<Vec<LeadId>, StoreError> {
        Ok(newest_first(self.lock().by_phone.get(phone.as_e164())))
    }

    async fn find_by_email(&self, email: &Email) -> Result<Vec<LeadId>, StoreError> {
        Ok(newest_first(self.lock().by_email.get(email.as_str())))
    }

    async fn find_by_name(&self, prefix: &str, limit: usize) -> Result<Vec<LeadId>, StoreError> {
        Ok(self.lock().names.get(prefix).map(|ids| ids.iter().take(limit).copied().collect()).unwrap_or_default())
    }
}

#[async_trait]
impl TimelineStore for MemoryStore {
    async fn append(&self, entry: &TimelineEntry) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let tl = s.timelines.entry(entry.lead_id).or_default();
        if tl.contains_key(&entry.id) {
            return Ok(false);
        }
        tl.insert(entry.id, entry.clone());
        Ok(true)
    }

    async fn list(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<TimelineEntry>, StoreError> {
        let s = self.lock();
        let Some(tl) = s.timelines.get(&lead_id) else {
            return Ok(Page { items: Vec::new(), next: None });
        };
        let range: Box<dyn Iterator<Item = &TimelineEntry>> = match after {
            Some(a) => Box::new(tl.range((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)).map(|(_, e)| e)),
            None => Box::new(tl.values()),
        };
        let items: Vec<TimelineEntry> = range.take(limit + 1).cloned().collect();
        Ok(Page::from_overfetch(items, limit, |e| e.id))
    }

    async fn list_outline(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<TimelineEntry>, StoreError> {
        let page = self.list(lead_id, after, limit).await?;
        Ok(Page { items: page.items.iter().map(crate::ports::timeline::outline).collect::<Result<_, _>>()?, next: page.next })
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn begin(&self, key: &str, fingerprint: &str, now: DateTime<Utc>, lease: Duration) -> Result<Begin, StoreError> {
        let mut s = self.lock();
        let fresh = IdemRecord {
            fingerprint: fingerprint.to_string(),
            state: IdemState::Pending { first_seen: now, locked_until: now + lease },
            expires_at: now + Duration::hours(24),
        };
        let Some(rec) = s.idempotency.get_mut(key).filter(|r| r.expires_at > now) else {
            s.idempotency.insert(key.to_string(), fresh);
            return Ok(Begin::Started { first_seen: now });
        };
        if rec.fingerprint != fingerprint {
            return Ok(Begin::Mismatch);
        }
        match &mut rec.state {
            IdemState::Completed { status, body } => Ok(Begin::Completed { status: *status, body: body.clone() }),
            IdemState::Pending { locked_until, .. } if *locked_until > now => Ok(Begin::InProgress),
            IdemState::Pending { first_seen, locked_until } => {
                *locked_until = now + lease;
                Ok(Begin::Started { first_seen: *first_seen })
            }
        }
    }

    async fn complete(&self, key: &str, status: u16, body: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut s = self.lock();
        let rec = s.idempotency.get_mut(key).ok_or(StoreError::Conflict)?;
        rec.state = IdemState::Completed { status, body: body.to_string() };
        rec.expires_at = now + Duration::hours(24);
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let mut s = self.lock();
        if let Some(IdemState::Pending { locked_until, .. }) = s.idempotency.get_mut(key).map(|r| &mut r.state) {
            *locked_until = DateTime::<Utc>::MIN_UTC;
        }
        Ok(())
    }
}

#[async_trait]
impl OnceStore for MemoryStore {
    async fn claim(&self, lead_id: LeadId, action: &str, now: DateTime<Utc>, lease: Duration) -> Result<Claim, StoreError> {
        let mut s = self.lock();
        let key = (lead_id, action.to_string());
        match s.once.get(&key) {
            Some(OnceState::Done { outcome }) => Ok(Claim::Done { outcome: outcome.clone() }),
            Some(OnceState::Claimed { until }) if *until > now => Ok(Claim::Held),
            _ => {
                s.once.insert(key, OnceState::Claimed { until: now + lease });
                Ok(Claim::Acquired)
            }
        }
    }

    async fn finish(&self, lead_id: LeadId, action: &str, outcome: &str, _now: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().once.insert((lead_id, action.to_string()), OnceState::Done { outcome: outcome.to_string() });
        Ok(())
    }

    async fn abandon(&self, lead_id: LeadId, action: &str) -> Result<(), StoreError> {
        let mut s = self.lock();
        let key = (lead_id, action.to_string());
        if matches!(s.once.get(&key), Some(OnceState::Claimed { .. })) {
            s.once.remove(&key);
        }
        Ok(())
    }
}

#[async_trait]
impl SuppressionStore for MemoryStore {
    async fn is_suppressed(&self, channel: ContactChannel, address: &str) -> Result<bool, StoreError> {
        Ok(self.lock().suppressions.contains_key(&(channel, address_digest(address))))
    }

    async fn suppress(&self, channel: ContactChannel, address: &str, reason: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().suppressions.insert((channel, address_digest(address)), (reason.to_string(), at));
        Ok(())
    }

    async fn lift(&self, channel: ContactChannel, address: &str) -> Result<(), StoreError> {
        self.lock().suppressions.remove(&(channel, address_digest(address)));
        Ok(())
    }
}

#[async_trait]
impl LeadListing for MemoryStore {
    async fn list_leads(&self, filter: &LeadFilter, cursor: Option<&ListCursor>, limit: usize) -> Result<LeadPage, StoreError> {
        let s = self.lock();
        let Some(set) = s.listing.get(&filter.partition()) else {
            return Ok(LeadPage { items: Vec::new(), next: None });
        };
        let before = cursor.and_then(ListCursor::sort_key);
        let keys: Vec<&String> = match &before {
            Some(b) => set.range::<String, _>(..b.clone()).rev().take(limit + 1).collect(),
            None => set.iter().rev().take(limit + 1).collect(),
        };
        let more = keys.len() > limit;
        let keys = &keys[..keys.len().min(limit)];
        let mut items = Vec::new();
        for k in keys {
            let id: LeadId =
                k.rsplit('#').next().and_then(|i| i.parse().ok()).ok_or_else(|| StoreError::Invalid("bad index key".into()))?;
            if let Some(lead) = s.leads.get(&id) {
                items.push(lead.clone());
            }
        }
        let next = if more { keys.last().map(|k| ListCursor::from_sort_key(k)) } else { None };
        Ok(LeadPage { items, next })
    }

    async fn inbox(&self, queue: &InboxQueue, facilities: Option<&[String]>, limit: usize) -> Result<Vec<Lead>, StoreError> {
        let s = self.lock();
        let Some(set) = s.inbox.get(&queue.partition()) else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for k in set {
            if out.len() >= limit {
                break;
            }
            let id: LeadId =
                k.rsplit('#').next().and_then(|i| i.parse().ok()).ok_or_else(|| StoreError::Invalid("bad inbox key".into()))?;
            let Some(lead) = s.leads.get(&id) else { continue };
            if facilities.is_some_and(|f| !lead.facility().is_some_and(|mine| f.contains(&mine))) {
                continue;
            }
            out.push(lead.clone());
        }
        Ok(out)
    }
}

#[async_trait]
impl InboundStore for MemoryStore {
    async fn record(&self, event: &InboundEvent) -> Result<Recorded, StoreError> {
        let mut s = self.lock();
        let key = (event.provider, event.event_id.clone());
        if let Some(existing) = s.inbound.get(&key) {
            return Ok(Recorded::Duplicate { processed: existing.outcome.is_some() });
        }
        s.inbound.insert(key, StoredInbound { event: event.clone(), outcome: None });
        Ok(Recorded::New)
    }

    async fn get_inbound(&self, provider: Provider, event_id: &str) -> Result<Option<StoredInbound>, StoreError> {
        Ok(self.lock().inbound.get(&(provider, event_id.to_string())).cloned())
    }

    async fn mark_processed(&self, provider: Provider, event_id: &str, outcome: &str, _at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut s = self.lock();
        let stored =
            s.inbound.get_mut(&(provider, event_id.to_string())).ok_or_else(|| StoreError::Invalid("no such inbound event".into()))?;
        stored.outcome = Some(outcome.to_string());
        Ok(())
    }

    async fn attach(&self, provider: Provider, event_id: &str, lead_id: LeadId) -> Result<(), StoreError> {
        self.lock().attached.entry(lead_id).or_default().insert((provider, event_id.to_string()));
        Ok(())
    }

    async fn link(&self, key: &ProviderKey, lead_id: LeadId) -> Result<(), StoreError> {
        self.lock().links.insert(key.as_str().to_string(), lead_id);
        Ok(())
    }

    async fn linked(&self, key: &ProviderKey) -> Result<Option<LeadId>, StoreError> {
        Ok(self.lock().links.get(key.as_str()).copied())
    }
}
