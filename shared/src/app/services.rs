//! The set of ports a handler works with, built once per process (Lambda init or the local
//! runner) and shared by every invocation.

use crate::config::Config;
use crate::ports::{Clock, EventQueue, IdempotencyStore, LeadStore, OnceStore, SmsSender, SuppressionStore, TimelineStore};
use std::sync::Arc;

/// Everything a use case may touch.
#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub leads: Arc<dyn LeadStore>,
    pub timeline: Arc<dyn TimelineStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub once: Arc<dyn OnceStore>,
    pub suppressions: Arc<dyn SuppressionStore>,
    pub queue: Arc<dyn EventQueue>,
    pub sms: Arc<dyn SmsSender>,
    /// Due items (the SLA ladder; reusable for other timed work).
    pub due: Arc<dyn crate::ports::DueStore>,
    /// Availability and round-robin counters.
    pub team: Arc<dyn crate::ports::TeamStore>,
    /// Notifications to team members.
    pub notifier: Arc<dyn crate::ports::Notifier>,
}
