//! Person rights: find everything held about a person, export it, erase it.
//!
//! A person is found from one of their leads: every lead that shares a phone number or email
//! address with it (and, transitively, with those) is theirs.

use super::Services;
use crate::domain::{AuditEntry, ContactChannel, Email, Lead, LeadId, Phone, TimelineEntry};
use crate::ports::timeline::all_pages;
use crate::ports::{HeldRecord, PersonKeys, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Most leads one person is followed to (a shared front-desk number must not pull in everyone).
pub const MAX_LEADS: usize = 100;

/// A person and their leads.
#[derive(Debug, Clone)]
pub struct Person {
    pub keys: PersonKeys,
    pub leads: Vec<Lead>,
}

/// The person whose lead is `lead_id`, or `None` if no such lead exists.
pub async fn resolve(services: &Services, lead_id: LeadId) -> Result<Option<Person>, StoreError> {
    let Some(first) = services.leads.get(lead_id).await? else { return Ok(None) };
    let mut leads: BTreeMap<LeadId, Lead> = BTreeMap::from([(first.id, first)]);
    let mut phones: BTreeSet<Phone> = BTreeSet::new();
    let mut emails: BTreeSet<Email> = BTreeSet::new();
    let mut pending: Vec<LeadId> = vec![lead_id];
    while let Some(id) = pending.pop() {
        let Some(lead) = leads.get(&id).cloned() else { continue };
        let mut found = Vec::new();
        if let Some(p) = lead.contact.phone.clone() {
            if phones.insert(p.clone()) {
                found.extend(services.leads.find_by_phone(&p).await?);
            }
        }
        if let Some(e) = lead.contact.email.clone() {
            if emails.insert(e.clone()) {
                found.extend(services.leads.find_by_email(&e).await?);
            }
        }
        for other in found {
            if leads.len() >= MAX_LEADS || leads.contains_key(&other) {
                continue;
            }
            if let Some(l) = services.leads.get(other).await? {
                leads.insert(other, l);
                pending.push(other);
            }
        }
    }
    let keys = PersonKeys {
        lead_ids: leads.keys().copied().collect(),
        phones: phones.into_iter().collect(),
        emails: emails.into_iter().collect(),
    };
    Ok(Some(Person { keys, leads: leads.into_values().collect() }))
}

/// Whether an address is on the opt-out list, as exported.
#[derive(Debug, Clone, Serialize)]
pub struct SuppressionStatus {
    pub channel: ContactChannel,
    pub address: String,
    pub suppressed: bool,
}

/// Everything held about a person (`GET /people/{id}/export`).
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    pub generated_at: DateTime<Utc>,
    pub lead_ids: Vec<LeadId>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    /// Each lead in full: contact, context (the concern opened), source, consents with their
    /// evidence, status and timings.
    pub leads: Vec<Lead>,
    pub timelines: BTreeMap<LeadId, Vec<TimelineEntry>>,
    pub suppressions: Vec<SuppressionStatus>,
    /// Records other stores hold (once-only markers, sent messages, ...).
    pub held: Vec<HeldRecord>,
    /// The audit trail about the person's leads.
    pub audit: Vec<AuditEntry>,
}

/// Gathers the export.
pub async fn export(services: &Services, person: &Person) -> Result<Export, StoreError> {
    let mut timelines = BTreeMap::new();
    let mut audit = Vec::new();
    for id in &person.keys.lead_ids {
        timelines.insert(*id, all_pages(|after| services.timeline.list(*id, after, 200)).await?);
        audit.extend(all_pages(|after| services.audit.by_lead(*id, after, 200)).await?);
    }
    let mut suppressions = Vec::new();
    for p in &person.keys.phones {
        for ch in [ContactChannel::Sms, ContactChannel::Call] {
            let suppressed = services.suppressions.is_suppressed(ch, p.as_e164()).await?;
            suppressions.push(SuppressionStatus { channel: ch, address: p.as_e164().to_string(), suppressed });
        }
    }
    for e in &person.keys.emails {
        let suppressed = services.suppressions.is_suppressed(ContactChannel::Email, e.as_str()).await?;
        suppressions.push(SuppressionStatus { channel: ContactChannel::Email, address: e.as_str().to_string(), suppressed });
    }
    let mut held = Vec::new();
    for store in &services.person_data {
        held.extend(store.export(&person.keys).await?);
    }
    Ok(Export {
        generated_at: services.clock.now(),
        lead_ids: person.keys.lead_ids.clone(),
        phones: person.keys.phones.clone(),
        emails: person.keys.emails.clone(),
        leads: person.leads.clone(),
        timelines,
        suppressions,
        held,
        audit,
    })
}

/// What an erasure changed, per store.
#[derive(Debug, Clone, Serialize)]
pub struct ErasureReport {
    pub erased_at: DateTime<Utc>,
    pub lead_ids: Vec<LeadId>,
    pub stores: Vec<StoreReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreReport {
    pub store: &'static str,
    pub records_changed: usize,
}

/// Erases the person from every store that holds personal data. Repeating it is safe.
pub async fn erase(services: &Services, person: &Person) -> Result<ErasureReport, StoreError> {
    let at = services.clock.now();
    let mut stores = Vec::new();
    for store in &services.person_data {
        let records_changed = store.erase(&person.keys, at).await?;
        stores.push(StoreReport { store: store.name(), records_changed });
    }
    Ok(ErasureReport { erased_at: at, lead_ids: person.keys.lead_ids.clone(), stores })
}
