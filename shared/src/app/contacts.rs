//! Recording a human contact attempt (`POST /leads/{id}/contacts`): the attempt goes on the
//! timeline, the first one sets `first_contact_at` (first-response time is measured to it),
//! every one answers the inquiries that came before it (`last_contact_at`), the SLA ladder is
//! cancelled, a new lead becomes contacted, and `lead.contact_recorded` is published for the
//! lifecycle and the follow-up cadences.
//!
//! Retry-safe with an `Idempotency-Key`: the timeline entry and the event take ids derived from
//! it, and the other steps are idempotent, so a retry after a failure finishes the work.

use super::score::SLA_KIND;
use super::Services;
use crate::domain::contact_attempt::ContactAttempt;
use crate::domain::{Actor, EventId, Lead, LeadEvent, LeadEventKind, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use crate::ports::{QueueError, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::info;

/// A contact attempt to record.
#[derive(Debug, Clone)]
pub struct ContactRequest {
    pub lead_id: LeadId,
    pub attempt: ContactAttempt,
    /// The caller's user id.
    pub by: String,
    pub idempotency_key: Option<String>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecorded {
    pub lead_id: LeadId,
    pub entry_id: EventId,
    pub first_contact: bool,
    pub first_contact_at: DateTime<Utc>,
    pub status: LeadStatus,
}

/// Why it was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("no such lead")]
    NotFound,
    #[error(transparent)]
    Key(#[from] super::idempotent::KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The status change a first contact makes: a new lead becomes contacted. Kept in this one
/// function so the lifecycle engine (validated transitions) can replace it.
pub fn mark_contacted(lead: &mut Lead) -> bool {
    if lead.status == LeadStatus::New {
        lead.status = LeadStatus::Contacted;
        return true;
    }
    false
}

/// The route's name in idempotency keys.
const ROUTE: &str = "POST /leads/{id}/contacts";

/// Records one attempt; with an `Idempotency-Key`, once (a retry replays the first answer,
/// `true` in the second place).
pub async fn record(services: &Services, req: ContactRequest) -> Result<(ContactRecorded, bool), ContactError> {
    use super::idempotent::{begin, finish, Keyed};
    match begin(services, ROUTE, req.lead_id, &req.by, req.idempotency_key.as_deref(), &req.attempt).await? {
        None => record_at(services, &req, services.clock.now(), None).await.map(|r| (r, false)),
        Some(Keyed::Replay(answer)) => Ok((answer, true)),
        Some(Keyed::Fresh { at, seed, scoped }) => {
            let result = record_at(services, &req, at, Some(&seed)).await;
            finish(services, &scoped, &result).await?;
            result.map(|r| (r, false))
        }
    }
}

async fn record_at(
    services: &Services,
    req: &ContactRequest,
    now: DateTime<Utc>,
    key_seed: Option<&str>,
) -> Result<ContactRecorded, ContactError> {
    let mut lead = services.leads.get(req.lead_id).await?.ok_or(ContactError::NotFound)?;
    let seed = |part: &str| key_seed.map(|k| format!("{}:{k}:{part}", req.lead_id));
    let first = lead.first_contact_at.is_none();
    let kind = TimelineKind::ContactAttempted {
        channel: req.attempt.channel,
        outcome: req.attempt.outcome,
        note: req.attempt.note.clone(),
        first,
    };
    let entry = match seed("contact") {
        Some(s) => TimelineEntry::derived(lead.id, now, &s, Actor::User(req.by.clone()), kind),
        None => TimelineEntry::new(lead.id, now, Actor::User(req.by.clone()), kind),
    };
    services.timeline.append(&entry).await?;

    // First contact time and status, with optimistic concurrency.
    let mut stored_first = false;
    for attempt in 0..5 {
        if attempt > 0 {
            lead = services.leads.get(req.lead_id).await?.ok_or(ContactError::NotFound)?;
        }
        let mut changed = false;
        let takes_first = lead.first_contact_at.is_none();
        if takes_first {
            lead.first_contact_at = Some(now);
            changed = true;
        }
        // Every attempt answers the inquiries that came before it (their response clocks stop).
        if lead.last_contact_at.is_none_or(|at| at < now) {
            lead.last_contact_at = Some(now);
            changed = true;
        }
        changed |= mark_contacted(&mut lead);
        if !changed {
            break;
        }
        lead.updated_at = now;
        lead.version += 1;
        match services.leads.save(&lead).await {
            Ok(()) => {
                stored_first = takes_first;
                break;
            }
            Err(StoreError::Conflict) if attempt < 4 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    if stored_first {
        // Speed to lead, once per lead: by the attempt that stored the first contact.
        super::metrics::speed_to_lead(services, &lead, now);
    }
    let cancelled = services.due.cancel(SLA_KIND, &lead.id.to_string()).await?;
    let event = LeadEvent {
        id: match seed("event") {
            Some(s) => EventId::derived(now, s.as_bytes()),
            None => EventId::new_at(now),
        },
        kind: LeadEventKind::ContactRecorded,
        lead_id: lead.id,
        occurred_at: now,
    };
    services.queue.publish(&event).await?;
    let first_contact_at = lead.first_contact_at.unwrap_or(now);
    let speed_ms = (first_contact_at - lead.created_at).num_milliseconds();
    info!(lead_id = %lead.id, outcome = req.attempt.outcome.as_str(), first, ladder_cancelled = cancelled, first_response_ms = speed_ms, "contact attempt recorded");
    Ok(ContactRecorded { lead_id: lead.id, entry_id: entry.id, first_contact: first, first_contact_at, status: lead.status })
}
