//! The lead event queue. Events fan out to the consumers that need them; each consumer has its
//! own queue (and dead-letter queue), so a slow or failing consumer never holds up another.

use crate::domain::string_enum::string_enum;
use crate::domain::{LeadEvent, LeadEventKind};
use async_trait::async_trait;

string_enum! {
    /// A function that consumes lead events.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Consumer {
        /// Sends the instant acknowledgement.
        Acknowledge => "acknowledge",
        /// Scores the lead, assigns it, starts its response-time clock.
        Score => "score",
        /// Handles verified webhook events (inbound texts, calls, email events, appointments,
        /// payments, source events). Its messages are `InboundJob`s, not lead events.
        Webhooks => "webhooks",
        /// Keeps the report aggregates up to date: every change to a lead.
        Analytics => "analytics",
        /// Follow-up cadences: enrolls, switches and stops them, closes call tasks.
        Cadence => "cadence",
    }
}

impl Consumer {
    /// Consumers of an event kind. Every change to a lead also goes to the analytics consumer,
    /// which brings the lead's share of the report counters up to date.
    pub fn of(kind: LeadEventKind) -> &'static [Consumer] {
        match kind {
            // Cadences enroll at capture the leads no scoring model covers (the others on
            // `lead.scored`, with their band). Every change to a lead also goes to the analytics
            // consumer (report aggregates).
            LeadEventKind::Captured => &[Consumer::Acknowledge, Consumer::Score, Consumer::Cadence, Consumer::Analytics],
            LeadEventKind::InquiryRepeated => &[Consumer::Acknowledge, Consumer::Score, Consumer::Analytics],
            LeadEventKind::TouchpointAdded | LeadEventKind::Updated => &[Consumer::Score, Consumer::Analytics],
            // Enrollment and switching, call task outcomes, stop rules.
            LeadEventKind::Scored
            | LeadEventKind::ContactRecorded
            | LeadEventKind::StatusChanged
            | LeadEventKind::Replied
            | LeadEventKind::OptedOut => &[Consumer::Cadence, Consumer::Analytics],
            LeadEventKind::Acknowledged | LeadEventKind::PaymentReceived => &[Consumer::Analytics],
            // A merge or an unmerge: only the report counters follow (scoring again would change
            // the records and make the merge impossible to undo).
            LeadEventKind::Merged => &[Consumer::Analytics],
        }
    }
}

/// Publishing failed; nothing guarantees any consumer got the event.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is unavailable: {0}")]
    Unavailable(String),
    #[error("no queue is configured for consumer {0}")]
    NotConfigured(&'static str),
}

/// The longest delay a queue message can carry (SQS: 15 minutes).
pub const MAX_DELAY_SECONDS: i64 = 900;

/// Publishes lead events to every consumer of their kind.
#[async_trait]
pub trait EventQueue: Send + Sync {
    /// Sends `event` to every consumer of its kind.
    async fn publish(&self, event: &LeadEvent) -> Result<(), QueueError> {
        for consumer in Consumer::of(event.kind) {
            self.send(*consumer, event).await?;
        }
        Ok(())
    }

    /// Sends `event` to one consumer's queue (the outbox relay delivers consumer by consumer).
    async fn send(&self, consumer: Consumer, event: &LeadEvent) -> Result<(), QueueError>;

    /// Puts `event` back on one consumer's queue, to be delivered after `delay` (capped at
    /// [`MAX_DELAY_SECONDS`]): a consumer that must wait (the sender's pacing) hands its work
    /// back to the queue instead of holding it in memory, so nothing is lost if it stops.
    async fn publish_later(&self, consumer: Consumer, event: &LeadEvent, delay: chrono::Duration) -> Result<(), QueueError>;
}

/// A delay in whole seconds within what a queue accepts (at least one second).
pub fn delay_seconds(delay: chrono::Duration) -> i32 {
    delay.num_seconds().clamp(1, MAX_DELAY_SECONDS) as i32
}
