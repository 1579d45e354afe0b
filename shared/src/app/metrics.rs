//! Recording the business metrics (`ports::metrics`) from the use cases: the time is the
//! services' clock, and a lead's service line is its dimension only when the configuration
//! names it (`other` otherwise), so dimension values stay a small closed set.

use super::Services;
use crate::domain::timeline::SkipReason;
use crate::domain::{ContactChannel, Lead};
use crate::ports::{MessagePurpose, MetricRecord};
use chrono::{DateTime, Utc};

/// The service-line dimension of `lead`.
pub fn service_line(services: &Services, lead: &Lead) -> String {
    let id = &lead.context.service_line;
    if services.config.service_line(id).is_some() {
        id.to_string()
    } else {
        "other".to_string()
    }
}

/// Capture to `first_contact_at`, the lead's first human contact attempt (the record's time).
pub fn speed_to_lead(services: &Services, lead: &Lead, first_contact_at: DateTime<Utc>) {
    let seconds = (first_contact_at - lead.created_at).num_milliseconds().max(0) as f64 / 1000.0;
    services.metrics.record(&MetricRecord::speed_to_lead(first_contact_at, lead.id, &service_line(services, lead), seconds));
}

/// The acknowledgement step's outcome.
pub enum Acknowledgement {
    Sent(ContactChannel),
    Failed(ContactChannel),
    Skipped(SkipReason),
}

pub fn acknowledgement(services: &Services, lead: &Lead, outcome: Acknowledgement) {
    let now = services.clock.now();
    let record = match outcome {
        Acknowledgement::Sent(channel) => MetricRecord::acknowledgement_sent(now, lead.id, channel),
        Acknowledgement::Failed(channel) => MetricRecord::acknowledgement_failed(now, lead.id, channel),
        Acknowledgement::Skipped(reason) => MetricRecord::acknowledgement_skipped(now, lead.id, reason),
    };
    services.metrics.record(&record);
}

/// The lead's first-contact deadline passed unanswered.
pub fn sla_breach(services: &Services, lead: &Lead) {
    services.metrics.record(&MetricRecord::sla_breach(services.clock.now(), lead.id, &service_line(services, lead)));
}

/// The member on call was paged about the lead.
pub fn crisis_page(services: &Services, lead: &Lead) {
    services.metrics.record(&MetricRecord::crisis_page(services.clock.now(), lead.id, &service_line(services, lead)));
}

/// The provider accepted a text.
pub fn text_sent(services: &Services, lead_id: Option<crate::domain::LeadId>, purpose: MessagePurpose) {
    services.metrics.record(&MetricRecord::text_sent(services.clock.now(), lead_id, purpose));
}
