//! Webhook events: accepted fast by the webhook (store, then enqueue), handled by the worker.
//!
//! Every step of the handling is idempotent by the provider's event id (timeline entries and
//! events with derived ids, transitions with a seed, once-only markers for messages and
//! alerts), so a redelivered job or webhook changes nothing the second time.

mod events;
mod reminder_reply;
mod sms;

use super::Services;
use crate::domain::inbound::{InboundEvent, InboundJob, InboundKind, Provider};
use crate::domain::{Actor, EventId, LeadEvent, LeadEventKind, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{QueueError, Recorded, StoreError};
use tracing::{info, Instrument};

/// What the webhook did with a verified event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Stored and queued.
    New,
    /// Seen before and already handled (or queued again if it was not yet handled).
    Duplicate,
}

/// The webhook's fast path: store the verified event once, queue it for the worker.
pub async fn accept(services: &Services, event: &InboundEvent) -> Result<Accepted, AcceptError> {
    let recorded = services.inbound.record(event).await?;
    let job = InboundJob { provider: event.provider, event_id: event.event_id.clone() };
    match recorded {
        Recorded::New => {
            services.jobs.enqueue(&job).await?;
            Ok(Accepted::New)
        }
        // Stored by an earlier delivery whose enqueue may have failed: queue it again (the
        // worker's steps are idempotent).
        Recorded::Duplicate { processed: false } => {
            services.jobs.enqueue(&job).await?;
            Ok(Accepted::Duplicate)
        }
        Recorded::Duplicate { processed: true } => Ok(Accepted::Duplicate),
    }
}

/// The fast path failed: the provider should retry.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Why handling failed (the job is retried, then dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("no stored event {0}")]
    Missing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("{0}")]
    Step(String),
    #[error("another copy is handling this event")]
    Busy,
    /// A reply waits for the sender's throughput (`app::pacing`): the job goes back to the queue
    /// for `until` and runs again then (every step before the reply is idempotent).
    #[error("the reply waits for the sender until {until}")]
    Paced { until: chrono::DateTime<chrono::Utc> },
}

/// Handles one job; returns the outcome recorded on the event.
pub async fn process(services: &Services, job: &InboundJob) -> Result<String, ProcessError> {
    let stored = services
        .inbound
        .get_inbound(job.provider, &job.event_id)
        .await?
        .ok_or_else(|| ProcessError::Missing(format!("{}:{}", job.provider.as_str(), job.event_id)))?;
    if let Some(outcome) = stored.outcome {
        return Ok(outcome);
    }
    let event = stored.event;
    let span = tracing::info_span!("webhook_job", provider = event.provider.as_str(), event_id = %event.event_id);
    let outcome = async {
        match &event.kind {
            InboundKind::Sms(sms) => sms::handle(services, &event, sms).await,
            InboundKind::Call(call) => events::call(services, &event, call).await,
            InboundKind::Email(email) => events::email(services, &event, email).await,
            InboundKind::Appointment(a) => events::appointment(services, &event, a).await,
            InboundKind::Payment(p) => events::payment(services, &event, p).await,
            InboundKind::Source(s) => events::source(services, &event, s).await,
            InboundKind::Ignored { what } => Ok(format!("ignored:{what}")),
        }
    }
    .instrument(span.clone())
    .await?;
    services.inbound.mark_processed(event.provider, &event.event_id, &outcome, services.clock.now()).await?;
    span.in_scope(|| info!(outcome = %outcome, "webhook event handled"));
    Ok(outcome)
}

/// A seed unique to this event and step.
pub(crate) fn seed(event: &InboundEvent, step: &str) -> String {
    format!("{}:{}:{step}", event.provider.as_str(), event.event_id)
}

/// The actor of an integration.
pub(crate) fn integration(provider: Provider) -> Actor {
    Actor::Integration(provider.as_str().to_string())
}

/// Appends a timeline entry derived from the event (once).
pub(crate) async fn record(
    services: &Services,
    lead_id: LeadId,
    event: &InboundEvent,
    step: &str,
    actor: Actor,
    kind: TimelineKind,
) -> Result<EventId, StoreError> {
    let entry = TimelineEntry::derived(lead_id, event.occurred_at, &format!("{lead_id}:{}", seed(event, step)), actor, kind);
    append(services, event, &entry).await?;
    Ok(entry.id)
}

/// Appends an entry the event caused, ties the event to the entry's lead (export and erasure of
/// the person reach the stored event from there) and records the step in the audit trail. All
/// three are idempotent by the entry's id.
pub(crate) async fn append(services: &Services, event: &InboundEvent, entry: &TimelineEntry) -> Result<(), StoreError> {
    services.timeline.append(entry).await?;
    services.inbound.attach(event.provider, &event.event_id, entry.lead_id).await?;
    super::audit::system_step(services, "webhook-worker", entry).await
}

/// Publishes a lead event derived from the event (consumers dedupe on its id).
pub(crate) async fn announce(services: &Services, lead_id: LeadId, event: &InboundEvent, kind: LeadEventKind) -> Result<(), QueueError> {
    let id = EventId::derived(event.occurred_at, format!("{lead_id}:{}:{}", seed(event, "event"), kind.as_str()).as_bytes());
    services.queue.publish(&LeadEvent { id, kind, lead_id, occurred_at: event.occurred_at }).await
}
