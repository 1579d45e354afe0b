//! The outbox relay: delivers every event the store's outbox recorded with a lead write (see
//! `ports::outbox`) to the queue of each consumer of its kind, and arms the watch that raises
//! the alarm if the inquiry is not acknowledged and triaged in time.
//!
//! Why an outbox record in the lead's own transaction, relayed from DynamoDB Streams: the write
//! that stores an inquiry is then the only thing the public request has to get right. A fan-out
//! from the request (a publish per consumer after the write) can fail half-way with the lead
//! stored; an SNS or EventBridge publish instead of several SQS sends is still a second call that
//! can fail after the first succeeded. With the event stored atomically with the lead, and the
//! stream delivering every stored record to the relay (retried, bisected on error, sent to an
//! on-failure queue with an alarm after its retries), a lead that is stored reaches every
//! consumer, and the request can answer as soon as the write is done. The stream carries keys
//! only (`KEYS_ONLY`), and the record's key is the event: no personal data leaves the table.
//!
//! Delivery is at least once: a record may be relayed again after a failure (or a crash after
//! some sends), and every consumer treats a repeated event as done.

use super::Services;
use crate::domain::{LeadEvent, LeadEventKind};
use crate::ports::{Consumer, QueueError, StoreError};
use tracing::info;

/// Why a record was not (fully) delivered: the stream retries it.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The consumers' queues every relayed kind needs (the relay function checks them at init).
pub fn required_consumers() -> Vec<Consumer> {
    let mut out: Vec<Consumer> = RELAYED.iter().flat_map(|k| Consumer::of(*k).iter().copied()).collect();
    out.sort();
    out.dedup();
    out
}

/// The kinds written to the outbox (by intake).
pub const RELAYED: [LeadEventKind; 2] = [LeadEventKind::Captured, LeadEventKind::InquiryRepeated];

/// Delivers one outbox event: the watch first (so a delivery that keeps failing still raises
/// the waiting alarm), then a send to each of its consumers' queues.
pub async fn deliver(services: &Services, event: &LeadEvent) -> Result<(), RelayError> {
    if RELAYED.contains(&event.kind) {
        super::watch::arm(services, event).await?;
    }
    for consumer in Consumer::of(event.kind) {
        services.queue.send(*consumer, event).await?;
    }
    info!(lead_id = %event.lead_id, event_id = %event.id, event_type = event.kind.as_str(), "outbox event relayed");
    Ok(())
}
