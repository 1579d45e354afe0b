//! The lead event queue. Events fan out to the consumers that need them; each consumer has its
//! own queue (and dead-letter queue), so a slow or failing consumer never holds up another.

use crate::domain::{LeadEvent, LeadEventKind};
use async_trait::async_trait;

/// A function that consumes lead events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Consumer {
    /// Sends the instant acknowledgement.
    Acknowledge,
    /// Scores the lead, assigns it, starts its response-time clock.
    Score,
    /// Handles verified webhook events (inbound texts, calls, email events, appointments,
    /// payments, source events). Its messages are `InboundJob`s, not lead events.
    Webhooks,
    /// Follow-up cadences: enrolls, switches and stops them, closes call tasks (issue 4).
    Cadence,
}

impl Consumer {
    pub const ALL: [Consumer; 4] = [Consumer::Acknowledge, Consumer::Score, Consumer::Webhooks, Consumer::Cadence];

    pub fn as_str(self) -> &'static str {
        match self {
            Consumer::Acknowledge => "acknowledge",
            Consumer::Score => "score",
            Consumer::Webhooks => "webhooks",
            Consumer::Cadence => "cadence",
        }
    }

    /// Consumers of an event kind. Kinds nobody consumes yet publish nowhere.
    pub fn of(kind: LeadEventKind) -> &'static [Consumer] {
        match kind {
            // Cadences enroll at capture the leads no scoring model covers (the others on
            // `lead.scored`, with their band).
            LeadEventKind::Captured => &[Consumer::Acknowledge, Consumer::Score, Consumer::Cadence],
            LeadEventKind::InquiryRepeated => &[Consumer::Acknowledge, Consumer::Score],
            LeadEventKind::TouchpointAdded | LeadEventKind::Updated => &[Consumer::Score],
            // Enrollment and switching, call task outcomes, stop rules.
            LeadEventKind::Scored
            | LeadEventKind::ContactRecorded
            | LeadEventKind::StatusChanged
            | LeadEventKind::Replied
            | LeadEventKind::OptedOut => &[Consumer::Cadence],
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

/// Publishes lead events to every consumer of their kind.
#[async_trait]
pub trait EventQueue: Send + Sync {
    async fn publish(&self, event: &LeadEvent) -> Result<(), QueueError>;
}
