//! The set of ports a handler works with, built once per process (Lambda init or the local
//! runner) and shared by every invocation.

use crate::app::webhook_context::WebhookContext;
use crate::config::Config;
use crate::ports::{
    AuditLog, Clock, EventQueue, IdempotencyStore, InboundStore, JobQueue, LeadListing, LeadStore, OnceStore, PersonDataStore, SmsSender,
    SuppressionStore, TeamAlerts, TimelineStore,
};
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
    /// Email (only through the consent gate in `app::email` for leads).
    pub email: Arc<dyn crate::ports::EmailSender>,
    /// Due items (the SLA ladder; reusable for other timed work).
    pub due: Arc<dyn crate::ports::DueStore>,
    /// Availability and round-robin counters.
    pub team: Arc<dyn crate::ports::TeamStore>,
    /// Notifications to team members.
    pub notifier: Arc<dyn crate::ports::Notifier>,
    /// Listing leads through the status/assignee/service-line/facility indexes.
    pub listing: Arc<dyn LeadListing>,
    /// Verified webhook events and provider-id links.
    pub inbound: Arc<dyn InboundStore>,
    /// The webhook worker's queue.
    pub jobs: Arc<dyn JobQueue>,
    /// Alerts to the team.
    pub alerts: Arc<dyn TeamAlerts>,
    /// Webhook secrets and settings.
    pub webhooks: Arc<WebhookContext>,
    /// The append-only audit trail (`app::audit`).
    pub audit: Arc<dyn AuditLog>,
    /// Every store that holds personal data: person export and erasure reach each of them.
    pub person_data: Vec<Arc<dyn PersonDataStore>>,
    /// Blocking keys, the change index, merges with their before-images, the review queue.
    pub dedupe: Arc<dyn crate::ports::DedupeStore>,
    /// Follow-up cadence enrollments and team members' tasks.
    pub cadence: Arc<dyn crate::ports::CadenceStore>,
    /// Per-IP and per-phone intake counters.
    pub rate: Arc<dyn crate::ports::RateCounter>,
    /// Test-record index, lead deletion, personal-data expiry.
    pub hygiene: Arc<dyn crate::ports::RecordHygiene>,
    /// The optional MX check.
    pub mail_domains: Arc<dyn crate::ports::MailDomains>,
    /// Report aggregates, lead ledgers, marketing spend.
    pub aggregates: Arc<dyn crate::ports::AggregateStore>,
    /// Signs and verifies the tokens in links and references handed to people and tools.
    pub links: Arc<crate::crypto::LinkSigner>,
    /// The sender's throughput slots per origination identity (`app::pacing`).
    pub pacer: Arc<dyn crate::ports::SendPacer>,
    /// The site snippet's anonymous page views and key events, until their visitor inquires.
    pub visits: Arc<dyn crate::ports::VisitStore>,
    /// Business metrics (speed to lead, acknowledgements, SLA breaches, crisis pages, texts).
    pub metrics: Arc<dyn crate::ports::Metrics>,
}

impl Services {
    /// The same services, knowing the API's public address (`https://host`): an HTTP function
    /// deployed without a configured `PublicBaseUrl` learns it from the request, for the links it
    /// sends (a team notice's link to the console).
    pub fn with_public_base_url(&self, url: &str) -> Services {
        let mut webhooks = (*self.webhooks).clone();
        webhooks.public_base_url = url.trim_end_matches('/').to_string();
        Services { webhooks: std::sync::Arc::new(webhooks), ..self.clone() }
    }
}
