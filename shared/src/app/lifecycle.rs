//! The one way to change a lead's status. Everything (team members, webhooks, cadences, hygiene
//! jobs) calls [`transition`]: it validates the move with the domain's state machine, saves with
//! optimistic concurrency (re-reading and re-validating on a conflict), records a
//! `status_changed` entry on the timeline with the cause, and publishes `lead.status_changed`
//! whose id is that entry's id.
//!
//! A cause with a seed (a provider event id) is applied once: its entry id derives from the
//! seed, the lead remembers its last transition, and a redelivery that finds the transition
//! already saved only finishes the timeline entry and the event.

use super::Services;
use crate::domain::lifecycle::{plan, Cause, LifecycleError, Plan};
use crate::domain::{Actor, EventId, Lead, LeadEvent, LeadEventKind, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use crate::ports::{QueueError, StoreError};
use tracing::info;

/// Rounds of read-validate-save before giving up on a busy lead.
const ATTEMPTS: usize = 5;

/// What a transition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionOutcome {
    Changed {
        from: LeadStatus,
        to: LeadStatus,
        entry: EventId,
    },
    /// The lead already had that status.
    Unchanged,
    /// The same cause was applied before (a redelivery); its bookkeeping is complete now.
    AlreadyApplied {
        entry: EventId,
    },
}

/// Why a transition did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("lead {0} does not exist")]
    LeadMissing(LeadId),
    #[error(transparent)]
    Invalid(#[from] LifecycleError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the status changed but the event could not be published: {0}")]
    Queue(#[from] QueueError),
}

impl TransitionError {
    /// Whether a retry may succeed (an invalid move never will).
    pub fn is_retryable(&self) -> bool {
        match self {
            TransitionError::Store(e) => e.is_retryable(),
            TransitionError::Queue(_) => true,
            TransitionError::LeadMissing(_) | TransitionError::Invalid(_) => false,
        }
    }
}

fn entry_id(lead_id: LeadId, to: LeadStatus, cause: &Cause, at: chrono::DateTime<chrono::Utc>) -> EventId {
    match &cause.seed {
        Some(seed) => EventId::derived(at, format!("{lead_id}:status:{}:{seed}", to.as_str()).as_bytes()),
        None => EventId::new_at(at),
    }
}

fn entry(
    lead_id: LeadId,
    id: EventId,
    at: chrono::DateTime<chrono::Utc>,
    from: LeadStatus,
    to: LeadStatus,
    cause: &Cause,
) -> TimelineEntry {
    TimelineEntry {
        id,
        lead_id,
        at,
        actor: cause.actor.clone(),
        kind: TimelineKind::StatusChanged {
            from,
            to,
            trigger: cause.trigger.clone(),
            reason: cause.reason.clone(),
            note: cause.note.clone(),
        },
    }
}

/// Moves `lead_id` to `to` for `cause`.
pub async fn transition(services: &Services, lead_id: LeadId, to: LeadStatus, cause: Cause) -> Result<TransitionOutcome, TransitionError> {
    let at = cause.at.unwrap_or_else(|| services.clock.now());
    let id = entry_id(lead_id, to, &cause, at);
    let reasons = &services.config.lifecycle.disqualification_reasons;
    for _ in 0..ATTEMPTS {
        let lead = services.leads.get(lead_id).await?.ok_or(TransitionError::LeadMissing(lead_id))?;
        if lead.last_transition == Some(id) && lead.status == to {
            let from = lead.previous_status.unwrap_or(to);
            finish(services, &lead, entry(lead_id, id, at, from, to, &cause)).await?;
            return Ok(TransitionOutcome::AlreadyApplied { entry: id });
        }
        match plan(lead.status, to, &cause, reasons)? {
            Plan::Unchanged => return Ok(TransitionOutcome::Unchanged),
            Plan::Move(_) => {}
        }
        let from = lead.status;
        let mut next = lead.clone();
        apply(&mut next, to, &cause, id, at, services.clock.now());
        match services.leads.save(&next).await {
            Ok(()) => {
                let span =
                    tracing::info_span!("transition", lead_id = %lead_id, from = from.as_str(), to = to.as_str(), trigger = %cause.trigger);
                let _enter = span.enter();
                finish(services, &next, entry(lead_id, id, at, from, to, &cause)).await?;
                info!("status changed");
                return Ok(TransitionOutcome::Changed { from, to, entry: id });
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// The lead after the move (not yet saved).
fn apply(
    lead: &mut Lead,
    to: LeadStatus,
    cause: &Cause,
    id: EventId,
    at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) {
    lead.previous_status = Some(lead.status);
    lead.status = to;
    lead.status_changed_at = Some(at);
    lead.last_transition = Some(id);
    match to {
        LeadStatus::Disqualified => lead.disqualification_reason = cause.reason.clone(),
        LeadStatus::Converted => lead.converted_at = Some(at),
        _ => {}
    }
    if to != LeadStatus::Disqualified {
        lead.disqualification_reason = None;
    }
    lead.updated_at = now;
    lead.version += 1;
}

/// Records the entry and announces it; both idempotent by the entry's id.
async fn finish(services: &Services, lead: &Lead, entry: TimelineEntry) -> Result<(), TransitionError> {
    services.timeline.append(&entry).await?;
    // A staff member's change is recorded by their route (with their role and address); what
    // leadflow or an integration changes is recorded here.
    let component = match &entry.actor {
        Actor::User(_) => None,
        Actor::System(c) => Some(c.clone()),
        Actor::Integration(p) => Some(format!("webhook:{p}")),
        Actor::Lead => Some("lead".to_string()),
    };
    if let Some(c) = component {
        super::audit::system_step(services, &c, &entry).await?;
    }
    let event = LeadEvent { id: entry.id, kind: LeadEventKind::StatusChanged, lead_id: lead.id, occurred_at: entry.at };
    services.queue.publish(&event).await?;
    Ok(())
}
