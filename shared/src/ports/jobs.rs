//! The queue of webhook work: the webhook stores a verified event and enqueues its id here; the
//! webhook worker does the heavy part. Separate from the lead event fan-out: a job is not yet
//! about a known lead (matching it is part of the work).

use super::queue::QueueError;
use crate::domain::inbound::InboundJob;
use async_trait::async_trait;

/// Enqueues jobs for the webhook worker (`Consumer::Webhooks`).
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: &InboundJob) -> Result<(), QueueError>;

    /// Enqueues `job` to be delivered after `delay` (capped at 15 minutes): a job whose reply
    /// must wait for the sender's pacing goes back to the queue.
    async fn enqueue_later(&self, job: &InboundJob, delay: chrono::Duration) -> Result<(), QueueError>;
}
