//! Person rights on the embedded adapters: the store (leads, claims, indexes, timelines,
//! markers, webhook events and provider-id links) and the outboxes of "sent" messages.

use super::outbox::MemoryOutbox;
use super::store::{IdemState, MemoryStore, OnceState};
use crate::domain::erasure::{anonymize_inbound_event, anonymize_lead, anonymize_outcome, anonymize_timeline_entry};
use crate::ports::{HeldRecord, PersonDataStore, PersonKeys, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

impl MemoryStore {
    /// Every stored value as text (leads, timelines, markers, claims, index keys, idempotency
    /// records, suppression keys, webhook events, provider-id links), for tests that prove a
    /// value is held nowhere.
    pub fn dump_text(&self) -> String {
        let s = self.lock();
        let mut out = String::new();
        for l in s.leads.values() {
            out.push_str(&json(l).to_string());
        }
        for tl in s.timelines.values() {
            for e in tl.values() {
                out.push_str(&json(e).to_string());
            }
        }
        for ((lead, action), state) in &s.once {
            out.push_str(&format!("{lead}{action}"));
            if let OnceState::Done { outcome } = state {
                out.push_str(outcome);
            }
        }
        for k in s.phone_claims.keys().chain(s.email_claims.keys()).chain(s.by_phone.keys()).chain(s.by_email.keys()) {
            out.push_str(k);
        }
        for (k, r) in &s.idempotency {
            out.push_str(k);
            out.push_str(&r.fingerprint);
            if let IdemState::Completed { body, .. } = &r.state {
                out.push_str(body);
            }
        }
        for ((_, digest), (reason, _)) in &s.suppressions {
            out.push_str(digest);
            out.push_str(reason);
        }
        for stored in s.inbound.values() {
            out.push_str(&json(&stored.event).to_string());
            out.push_str(stored.outcome.as_deref().unwrap_or_default());
        }
        for (k, lead) in &s.links {
            out.push_str(&format!("{k}{lead}"));
        }
        for k in s.listing.keys() {
            out.push_str(k);
        }
        out
    }
}

#[async_trait]
impl PersonDataStore for MemoryStore {
    fn name(&self) -> &'static str {
        "embedded store"
    }

    async fn export(&self, person: &PersonKeys) -> Result<Vec<HeldRecord>, StoreError> {
        let s = self.lock();
        let mut out = Vec::new();
        for id in &person.lead_ids {
            for ((lead, action), state) in s.once.iter().filter(|((l, _), _)| l == id) {
                if let OnceState::Done { outcome } = state {
                    let data = serde_json::json!({ "action": action, "outcome": serde_json::from_str::<serde_json::Value>(outcome).unwrap_or_else(|_| outcome.clone().into()) });
                    out.push(HeldRecord { kind: "once_marker".into(), lead_id: Some(*lead), data });
                }
            }
            for key in s.attached.get(id).into_iter().flatten() {
                if let Some(stored) = s.inbound.get(key) {
                    let data = serde_json::json!({ "event": stored.event, "outcome": stored.outcome });
                    out.push(HeldRecord { kind: "webhook_event".into(), lead_id: Some(*id), data });
                }
            }
            for (link, _) in s.links.iter().filter(|(_, l)| *l == id) {
                out.push(HeldRecord { kind: "provider_link".into(), lead_id: Some(*id), data: serde_json::json!({ "provider_id": link }) });
            }
        }
        Ok(out)
    }

    async fn erase(&self, person: &PersonKeys, at: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut s = self.lock();
        let mut changed = 0;
        for id in &person.lead_ids {
            if let Some(lead) = s.leads.get(id).cloned() {
                if lead.erased_at.is_none() || lead.contact != Default::default() {
                    let anon = anonymize_lead(&lead, at);
                    s.unindex(&lead);
                    // Still listed (by status, service line...), no longer by phone or email.
                    s.index(&anon);
                    s.leads.insert(*id, anon);
                    changed += 1;
                }
            }
            if let Some(tl) = s.timelines.get_mut(id) {
                for e in tl.values_mut() {
                    let anon = anonymize_timeline_entry(e);
                    if anon != *e {
                        *e = anon;
                        changed += 1;
                    }
                }
            }
            for ((lead, _), state) in s.once.iter_mut() {
                if lead == id {
                    if let OnceState::Done { outcome } = state {
                        let anon = anonymize_outcome(outcome);
                        if anon != *outcome {
                            *outcome = anon;
                            changed += 1;
                        }
                    }
                }
            }
        }
        // Webhook events about the person keep only their ids; links to their leads go.
        for id in &person.lead_ids {
            let keys: Vec<_> = s.attached.get(id).into_iter().flatten().cloned().collect();
            for key in keys {
                if let Some(stored) = s.inbound.get_mut(&key) {
                    let anon = anonymize_inbound_event(&stored.event);
                    if anon != stored.event {
                        stored.event = anon;
                        changed += 1;
                    }
                }
            }
        }
        let before = s.links.len();
        s.links.retain(|_, lead| !person.lead_ids.contains(lead));
        changed += before - s.links.len();
        // Claims and index keys are the addresses themselves.
        let ids = &person.lead_ids;
        // A claim's key is the address and a service line: the person's claims of every line go.
        let of_address = |k: &str, address: &str| k.strip_prefix(address).is_some_and(|rest| rest.starts_with('#'));
        for p in &person.phones {
            let before = s.phone_claims.len();
            s.phone_claims.retain(|k, h| !(of_address(k, p.as_e164()) && ids.contains(h)));
            changed += before - s.phone_claims.len();
            if s.by_phone.get(p.as_e164()).is_some_and(|set| set.is_empty()) {
                s.by_phone.remove(p.as_e164());
            }
        }
        for e in &person.emails {
            let before = s.email_claims.len();
            s.email_claims.retain(|k, h| !(of_address(k, e.as_str()) && ids.contains(h)));
            changed += before - s.email_claims.len();
            if s.by_email.get(e.as_str()).is_some_and(|set| set.is_empty()) {
                s.by_email.remove(e.as_str());
            }
        }
        Ok(changed)
    }
}

#[async_trait]
impl PersonDataStore for MemoryOutbox {
    fn name(&self) -> &'static str {
        "outbox"
    }

    async fn export(&self, person: &PersonKeys) -> Result<Vec<HeldRecord>, StoreError> {
        Ok(self
            .entries()
            .into_iter()
            .filter(|e| self.concerns(e, person))
            .map(|e| HeldRecord { kind: "outbox_message".into(), lead_id: e.lead_id, data: json(&e) })
            .collect())
    }

    async fn erase(&self, person: &PersonKeys, _at: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self.remove_where(|e| self.concerns(e, person)))
    }
}
