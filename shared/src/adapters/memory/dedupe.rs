//! Duplicates on the embedded store: the blocking-key index, the change index (kept by
//! `State::index`), merges with before-images, and the review queue. Every operation runs under
//! the store's one lock, so a merge is as atomic as the DynamoDB transaction.

use super::store::{MemoryStore, State};
use crate::domain::erasure::anonymize_timeline_entry;
use crate::domain::{EventId, Lead, LeadId, TimelineEntry};
use crate::ports::dedupe::{MatchIndex, MergeStore, MergeSummary, MergeWrite, PairKey, ReviewItem, ReviewQueue};
use crate::ports::{HeldRecord, PersonDataStore, PersonKeys, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// What a merge changed, to put back.
#[derive(Debug, Clone)]
pub(super) struct BeforeImage {
    survivor: Lead,
    absorbed: Lead,
    /// Claims moved from the absorbed record to the survivor: (is phone, key).
    claims: Vec<(bool, String)>,
    /// Timeline entries the merge added.
    entries: Vec<(LeadId, EventId)>,
    /// The versions the merge wrote: unmerge only restores records nobody changed since.
    after: (u64, u64),
}

#[derive(Debug, Clone)]
pub(super) struct MergeRecord {
    summary: MergeSummary,
    before: Option<BeforeImage>,
}

#[derive(Default)]
pub(super) struct DedupeState {
    /// The change index: (updated_at, lead) for every stored lead.
    pub(super) changed: BTreeSet<(DateTime<Utc>, LeadId)>,
    keys: HashMap<String, BTreeSet<LeadId>>,
    lead_keys: HashMap<LeadId, Vec<String>>,
    merges: BTreeMap<(LeadId, EventId), MergeRecord>,
    reviews: BTreeMap<PairKey, ReviewItem>,
    distinct: HashSet<PairKey>,
    watermarks: HashMap<String, DateTime<Utc>>,
}

/// Keeps a lead's blocking keys current on every write (a tombstone or an erased lead has none).
pub(super) fn index_blocking_keys(s: &mut State, lead: &Lead) {
    let keys = if lead.merged_into.is_none() && lead.erased_at.is_none() {
        crate::domain::matching::blocking_keys(&crate::domain::matching::PersonFacts::of_lead(lead))
    } else {
        Vec::new()
    };
    replace_keys(&mut s.dedupe, lead.id, &keys);
}

/// Makes `keys` the lead's keys; returns how many index entries changed.
fn replace_keys(d: &mut DedupeState, lead: LeadId, keys: &[String]) -> usize {
    let old = d.lead_keys.remove(&lead).unwrap_or_default();
    let mut writes = 0;
    for k in old.iter().filter(|k| !keys.contains(k)) {
        if let Some(set) = d.keys.get_mut(k) {
            set.remove(&lead);
            if set.is_empty() {
                d.keys.remove(k);
            }
        }
        writes += 1;
    }
    for k in keys.iter().filter(|k| !old.contains(k)) {
        d.keys.entry(k.clone()).or_default().insert(lead);
        writes += 1;
    }
    if !keys.is_empty() {
        d.lead_keys.insert(lead, keys.to_vec());
    }
    writes
}

fn put_lead(s: &mut State, lead: &Lead) {
    if let Some(old) = s.leads.get(&lead.id).cloned() {
        s.unindex(&old);
    }
    s.index(lead);
    s.leads.insert(lead.id, lead.clone());
}

fn stored_version(s: &State, id: LeadId) -> Option<u64> {
    s.leads.get(&id).map(|l| l.version)
}

#[async_trait]
impl MergeStore for MemoryStore {
    async fn merge(&self, w: &MergeWrite) -> Result<(), StoreError> {
        let mut s = self.lock();
        let (sid, aid) = (w.survivor.id, w.tombstone.id);
        if stored_version(&s, sid) != Some(w.survivor.version - 1) || stored_version(&s, aid) != Some(w.tombstone.version - 1) {
            return Err(StoreError::Conflict);
        }
        if s.dedupe.merges.contains_key(&(sid, w.id)) {
            return Err(StoreError::Conflict);
        }
        let survivor_before = s.leads[&sid].clone();
        let absorbed_before = s.leads[&aid].clone();
        let mut claims = Vec::new();
        for (k, holder) in s.phone_claims.iter_mut() {
            if *holder == aid {
                *holder = sid;
                claims.push((true, k.clone()));
            }
        }
        for (k, holder) in s.email_claims.iter_mut() {
            if *holder == aid {
                *holder = sid;
                claims.push((false, k.clone()));
            }
        }
        put_lead(&mut s, &w.survivor);
        put_lead(&mut s, &w.tombstone);
        let mut entries = Vec::new();
        for e in &w.entries {
            let tl = s.timelines.entry(e.lead_id).or_default();
            if let std::collections::btree_map::Entry::Vacant(slot) = tl.entry(e.id) {
                slot.insert(e.clone());
                entries.push((e.lead_id, e.id));
            }
        }
        let summary = MergeSummary { id: w.id, survivor: sid, absorbed: aid, at: w.at, by: w.by.clone(), undone_at: None };
        let before = BeforeImage {
            survivor: survivor_before,
            absorbed: absorbed_before,
            claims,
            entries,
            after: (w.survivor.version, w.tombstone.version),
        };
        s.dedupe.merges.insert((sid, w.id), MergeRecord { summary, before: Some(before) });
        Ok(())
    }

    async fn unmerge(&self, survivor: LeadId, id: EventId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let Some(record) = s.dedupe.merges.get(&(survivor, id)).cloned() else { return Ok(false) };
        let Some(before) = record.before else { return Ok(false) };
        let aid = record.summary.absorbed;
        if stored_version(&s, survivor) != Some(before.after.0) || stored_version(&s, aid) != Some(before.after.1) {
            return Err(StoreError::Conflict);
        }
        for (phone, k) in &before.claims {
            let map = if *phone { &s.phone_claims } else { &s.email_claims };
            if map.get(k).is_some_and(|h| *h != survivor) {
                return Err(StoreError::Conflict);
            }
        }
        for (phone, k) in &before.claims {
            let map = if *phone { &mut s.phone_claims } else { &mut s.email_claims };
            map.insert(k.clone(), aid);
        }
        for (lead, entry) in &before.entries {
            if let Some(tl) = s.timelines.get_mut(lead) {
                tl.remove(entry);
            }
        }
        put_lead(&mut s, &before.survivor);
        put_lead(&mut s, &before.absorbed);
        let rec = s.dedupe.merges.get_mut(&(survivor, id)).expect("read above");
        rec.summary.undone_at = Some(at);
        rec.before = None;
        Ok(true)
    }

    async fn merges_into(&self, survivor: LeadId) -> Result<Vec<MergeSummary>, StoreError> {
        let s = self.lock();
        Ok(s.dedupe
            .merges
            .range((survivor, EventId::from_ulid(ulid::Ulid::nil()))..)
            .take_while(|((l, _), _)| *l == survivor)
            .map(|(_, r)| r.summary.clone())
            .collect())
    }
}

#[async_trait]
impl ReviewQueue for MemoryStore {
    async fn put_review(&self, item: &ReviewItem) -> Result<bool, StoreError> {
        let mut s = self.lock();
        if s.dedupe.reviews.contains_key(&item.pair) {
            return Ok(false);
        }
        s.dedupe.reviews.insert(item.pair, item.clone());
        Ok(true)
    }

    async fn reviews(&self, after: Option<PairKey>, limit: usize) -> Result<(Vec<ReviewItem>, Option<PairKey>), StoreError> {
        let s = self.lock();
        let iter: Box<dyn Iterator<Item = &ReviewItem>> = match after {
            Some(a) => Box::new(s.dedupe.reviews.range((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)).map(|(_, v)| v)),
            None => Box::new(s.dedupe.reviews.values()),
        };
        let mut items: Vec<ReviewItem> = iter.take(limit + 1).cloned().collect();
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|i| i.pair)
        } else {
            None
        };
        Ok((items, next))
    }

    async fn review(&self, pair: PairKey) -> Result<Option<ReviewItem>, StoreError> {
        Ok(self.lock().dedupe.reviews.get(&pair).cloned())
    }

    async fn close_review(&self, pair: PairKey) -> Result<(), StoreError> {
        self.lock().dedupe.reviews.remove(&pair);
        Ok(())
    }

    async fn mark_distinct(&self, pair: PairKey, _at: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().dedupe.distinct.insert(pair);
        Ok(())
    }

    async fn is_distinct(&self, pair: PairKey) -> Result<bool, StoreError> {
        Ok(self.lock().dedupe.distinct.contains(&pair))
    }
}

#[async_trait]
impl MatchIndex for MemoryStore {
    async fn index_keys(&self, lead: LeadId, keys: &[String]) -> Result<usize, StoreError> {
        Ok(replace_keys(&mut self.lock().dedupe, lead, keys))
    }

    async fn key_members(&self, key: &str, limit: usize) -> Result<Vec<LeadId>, StoreError> {
        Ok(self.lock().dedupe.keys.get(key).map(|s| s.iter().take(limit + 1).copied().collect()).unwrap_or_default())
    }

    async fn changed_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(DateTime<Utc>, LeadId)>, StoreError> {
        let s = self.lock();
        let from = (after, LeadId::from_ulid(ulid::Ulid::from_bytes([0xff; 16])));
        Ok(s.dedupe
            .changed
            .range((std::ops::Bound::Excluded(from), std::ops::Bound::Unbounded))
            .take_while(|(t, _)| *t <= until)
            .take(limit)
            .copied()
            .collect())
    }

    async fn leads(&self, ids: &[LeadId]) -> Result<Vec<Lead>, StoreError> {
        let s = self.lock();
        Ok(ids.iter().filter_map(|id| s.leads.get(id).cloned()).collect())
    }

    async fn watermark(&self, job: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.lock().dedupe.watermarks.get(job).copied())
    }

    async fn set_watermark(&self, job: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().dedupe.watermarks.insert(job.to_string(), at);
        Ok(())
    }
}

/// Person rights over what duplicate handling keeps on the embedded store: the before-images of
/// merges (personal data: exported, and dropped on erasure, which makes those merges final), the
/// copies a merge made, and the blocking keys (derived from names and addresses).
#[derive(Clone)]
pub struct MemoryDedupeRecords(pub MemoryStore);

#[async_trait]
impl PersonDataStore for MemoryDedupeRecords {
    fn name(&self) -> &'static str {
        "merges"
    }

    async fn export(&self, person: &PersonKeys) -> Result<Vec<HeldRecord>, StoreError> {
        let s = self.0.lock();
        let mut out = Vec::new();
        for ((survivor, _), rec) in &s.dedupe.merges {
            let involved = person.lead_ids.contains(survivor) || person.lead_ids.contains(&rec.summary.absorbed);
            if let (true, Some(b)) = (involved, &rec.before) {
                let data = serde_json::json!({"merge": rec.summary, "survivor_before": b.survivor, "absorbed_before": b.absorbed});
                out.push(HeldRecord { kind: "merge_before_image".into(), lead_id: Some(*survivor), data });
            }
        }
        Ok(out)
    }

    async fn erase(&self, person: &PersonKeys, _at: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut s = self.0.lock();
        let mut changed = 0;
        let mut copies: Vec<(LeadId, EventId)> = Vec::new();
        for ((survivor, _), rec) in s.dedupe.merges.iter_mut() {
            if person.lead_ids.contains(survivor) || person.lead_ids.contains(&rec.summary.absorbed) {
                if let Some(b) = rec.before.take() {
                    copies.extend(b.entries);
                    changed += 1;
                }
            }
        }
        // The copies on the survivor's timeline are the person's too.
        for (lead, entry) in copies {
            if let Some(e) = s.timelines.get_mut(&lead).and_then(|tl| tl.get_mut(&entry)) {
                let anon: TimelineEntry = anonymize_timeline_entry(e);
                *e = anon;
            }
        }
        for id in &person.lead_ids {
            if let Some(keys) = s.dedupe.lead_keys.remove(id) {
                for k in keys {
                    if let Some(set) = s.dedupe.keys.get_mut(&k) {
                        set.remove(id);
                    }
                }
                changed += 1;
            }
        }
        Ok(changed)
    }
}
