//! The instant acknowledgement: one text per lead, within seconds, only with consent.
//!
//! Exactly once, even when the queue delivers a message twice or two copies run at once: a
//! once-only marker is claimed (conditional write) before sending and its outcome recorded
//! after. A copy that finds the marker held backs off and is retried by the queue; a copy that
//! finds it done only finishes the bookkeeping an earlier copy may have left.

use super::messaging::{send_sms_to_lead, Delivery, MessagingError};
use super::Services;
use crate::domain::business_hours::CallbackPromise;
use crate::domain::timeline::SkipReason;
use crate::domain::urgency::UrgencyTier;
use crate::domain::{Actor, ContactChannel, Lead, LeadEvent, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{Claim, Consumer, MessagePurpose, SendError, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

/// The once-only marker's action name.
pub const ACTION: &str = "acknowledgement";

/// Longer than the acknowledge function's timeout: a claim this old belongs to a dead copy.
const CLAIM_LEASE_SECONDS: i64 = 60;

/// What the acknowledgement step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOutcome {
    Sent {
        provider_message_id: String,
    },
    AlreadyDone,
    Skipped(SkipReason),
    Rejected,
    /// The sender's throughput is taken (or the provider throttled): the event went back to the
    /// queue to be tried again at this time; nothing was sent or recorded.
    Paced {
        until: DateTime<Utc>,
    },
}

/// Why the step must be retried (or, after retries, dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error("another copy of this message is acknowledging the lead")]
    Busy,
    #[error("lead {0} does not exist")]
    LeadMissing(LeadId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the SMS provider is unavailable: {0}")]
    Provider(String),
    #[error("the event could not be handed back to the queue: {0}")]
    Queue(#[from] crate::ports::QueueError),
}

/// What the marker records, so a later copy can finish the bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
enum Recorded {
    Sent {
        provider_message_id: String,
        at: DateTime<Utc>,
        text: String,
        /// Email when the phone could not take texts; SMS otherwise.
        #[serde(default = "sms")]
        channel: ContactChannel,
        /// Why the text was not sent, when the acknowledgement fell back to email.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sms_refused: Option<SkipReason>,
    },
    Skipped {
        reason: SkipReason,
        at: DateTime<Utc>,
    },
    Rejected {
        error: String,
        at: DateTime<Utc>,
    },
}

fn sms() -> ContactChannel {
    ContactChannel::Sms
}

/// Acknowledges the lead an event is about.
pub async fn acknowledge(services: &Services, event: &LeadEvent) -> Result<AckOutcome, AckError> {
    let lead = services.leads.get(event.lead_id).await?.ok_or(AckError::LeadMissing(event.lead_id))?;
    if lead.acknowledged_at.is_some() {
        return Ok(AckOutcome::AlreadyDone);
    }
    let now = services.clock.now();
    match services.once.claim(lead.id, ACTION, now, Duration::seconds(CLAIM_LEASE_SECONDS)).await? {
        Claim::Held => return Err(AckError::Busy),
        Claim::Done { outcome } => {
            let recorded: Recorded = serde_json::from_str(&outcome).map_err(|e| StoreError::Invalid(e.to_string()))?;
            record(services, lead, &recorded).await?;
            return Ok(AckOutcome::AlreadyDone);
        }
        Claim::Acquired => {}
    }

    let text = render(services, &lead, now);
    let recorded = match send_sms_to_lead(services, &lead, MessagePurpose::Acknowledgement, text.clone()).await {
        Ok(Delivery::Sent(sent)) => Recorded::Sent {
            provider_message_id: sent.provider_message_id,
            at: services.clock.now(),
            text,
            channel: ContactChannel::Sms,
            sms_refused: None,
        },
        Ok(Delivery::Paced { until, reason }) => {
            // Nothing went out: give the claim back and hand the event back to the queue for
            // the time the pacer named (the queue keeps it; this invocation does not wait).
            release(services, lead.id).await;
            services.queue.publish_later(Consumer::Acknowledge, event, until - now).await?;
            info!(lead_id = %lead.id, until = %until, reason = reason.as_str(), "acknowledgement paced");
            return Ok(AckOutcome::Paced { until });
        }
        // No text can go (no number, a landline, a country texts do not go to, no SMS consent,
        // the number opted out): answer by email when the person gave an address and agreed to
        // email (the email gate decides), else record the skip.
        Ok(Delivery::Blocked(reason)) if email_instead(reason) => {
            let subject = format!("{}: we received your inquiry", services.config.organization.name);
            let body = super::compose::email_text_from_sms(&text);
            match super::email::send_email_to_lead(
                services,
                &lead,
                crate::ports::EmailPurpose::Acknowledgement,
                subject,
                body.clone(),
                None,
            )
            .await
            {
                Ok(Delivery::Sent(sent)) => Recorded::Sent {
                    provider_message_id: sent.provider_message_id,
                    at: services.clock.now(),
                    text: body,
                    channel: ContactChannel::Email,
                    sms_refused: Some(reason),
                },
                _ => Recorded::Skipped { reason, at: now },
            }
        }
        Ok(Delivery::Blocked(reason)) => Recorded::Skipped { reason, at: now },
        Err(MessagingError::Send(SendError::Rejected(e))) => Recorded::Rejected { error: e, at: now },
        Err(e) => {
            // Nothing went out: give the claim back so the queue's retry can send.
            release(services, lead.id).await;
            return Err(match e {
                MessagingError::Store(s) => AckError::Store(s),
                MessagingError::Send(s) => AckError::Provider(s.to_string()),
            });
        }
    };
    let outcome = serde_json::to_string(&recorded).expect("a marker outcome serializes");
    services.once.finish(lead.id, ACTION, &outcome, services.clock.now()).await?;
    // Counted by the copy that ran the step, once per lead (a later copy that finds the marker
    // done only finishes the bookkeeping).
    let counted = match &recorded {
        Recorded::Sent { channel, .. } => super::metrics::Acknowledgement::Sent(*channel),
        Recorded::Skipped { reason, .. } => super::metrics::Acknowledgement::Skipped(*reason),
        Recorded::Rejected { .. } => super::metrics::Acknowledgement::Failed(ContactChannel::Sms),
    };
    super::metrics::acknowledgement(services, &lead, counted);
    let result = match &recorded {
        Recorded::Sent { provider_message_id, .. } => AckOutcome::Sent { provider_message_id: provider_message_id.clone() },
        Recorded::Skipped { reason, .. } => AckOutcome::Skipped(*reason),
        Recorded::Rejected { .. } => AckOutcome::Rejected,
    };
    record(services, lead, &recorded).await?;
    Ok(result)
}

/// Gives the claim back after nothing was sent, so a retry may send.
async fn release(services: &Services, lead_id: LeadId) {
    if let Err(abandon) = services.once.abandon(lead_id, ACTION).await {
        warn!(error = %abandon, "could not release the acknowledgement claim; the retry waits for its lease");
    }
}

/// Why a text could not go that an email may replace: the person has no textable number, or
/// texts are not allowed to it, but may have agreed to email. Test records and closed leads get
/// nothing on any channel.
fn email_instead(reason: SkipReason) -> bool {
    matches!(
        reason,
        SkipReason::NoPhone
            | SkipReason::NotMobile
            | SkipReason::CountryNotAllowed
            | SkipReason::NoConsent
            | SkipReason::ConsentRevoked
            | SkipReason::OptedOut
    )
}

/// The acknowledgement text for `lead` at `now`: the service line's template, the person's
/// first name only when it passes screening and fits the segment budget (`app::compose`), and a
/// promise the line keeps at that hour (`promise`).
pub fn render(services: &Services, lead: &Lead, now: DateTime<Utc>) -> String {
    let config = &services.config;
    let line = config.service_line(&lead.context.service_line);
    let promise = promise(services, lead, now).phrase();
    let template = match line {
        Some(l) => &l.acknowledgement_sms,
        // A lead whose service line was removed from the configuration still gets an answer.
        None => &config.service_lines.values().next().expect("configuration has a service line").acknowledgement_sms,
    };
    let values = super::compose::person_values(services, lead);
    super::compose::sms_within_budget(services, &values, |first_name| {
        template.render(|name| match name {
            "first_name" => first_name.map(str::to_string),
            "org_name" => Some(config.organization.name.clone()),
            "callback_promise" => Some(promise.clone()),
            "service_line_name" => line.map(|l| l.name.clone()),
            _ => None,
        })
    })
}

/// What the acknowledgement promises. A line that answers around the clock (`[sla]
/// around_the_clock`), or any crisis, is called back within its response target at any hour,
/// so at 03:00 it promises that target ("within 2 minutes"), not the next opening; other lines
/// promise the practice's response time while open and the next opening when closed.
pub fn promise(services: &Services, lead: &Lead, now: DateTime<Utc>) -> CallbackPromise {
    let config = &services.config;
    let hours = &config.business_hours;
    let tier = super::score::urgency(services, lead).tier;
    let policy = &config.sla.policy;
    if policy.runs_around_the_clock(&lead.context.service_line, tier) && (tier == UrgencyTier::Crisis || !hours.is_open(now)) {
        let seconds = policy.response_seconds(lead.source.channel, tier);
        return CallbackPromise::WithinMinutes(seconds.div_ceil(60).max(1));
    }
    hours.callback_promise(now)
}

/// Writes the lead's acknowledgement time and the timeline entry; both are idempotent, so a
/// later copy can repeat them safely.
async fn record(services: &Services, mut lead: Lead, recorded: &Recorded) -> Result<(), StoreError> {
    let (at, kind) = match recorded {
        Recorded::Sent { provider_message_id, at, text, channel, .. } => (
            *at,
            TimelineKind::AcknowledgementSent { channel: *channel, provider_message_id: provider_message_id.clone(), text: text.clone() },
        ),
        Recorded::Skipped { reason, at } => (*at, TimelineKind::AcknowledgementSkipped { reason: *reason }),
        Recorded::Rejected { error, at } => {
            (*at, TimelineKind::AcknowledgementFailed { channel: ContactChannel::Sms, error: error.clone() })
        }
    };
    let seed = format!("{}:{ACTION}", lead.id);
    if let Recorded::Sent { sms_refused: Some(reason), at, .. } = recorded {
        // The refused text, on the timeline before the email that replaced it.
        let refused = TimelineKind::MessageNotSent { channel: ContactChannel::Sms, purpose: ACTION.into(), reason: *reason };
        let entry = TimelineEntry::derived(lead.id, *at, &format!("{seed}:sms_refused"), Actor::System("acknowledge".into()), refused);
        super::audit::append_system(services, "acknowledge", &entry).await?;
    }
    let entry = TimelineEntry::derived(lead.id, at, &seed, Actor::System("acknowledge".into()), kind);
    services.timeline.append(&entry).await?;
    // What the step read and wrote, once per lead (the audit id derives from the entry's).
    super::audit::system_step(services, "acknowledge", &entry).await?;
    if let Recorded::Sent { at, .. } = recorded {
        for attempt in 0.. {
            if lead.acknowledged_at.is_some() {
                break;
            }
            if attempt == 5 {
                // Busy lead: the queue retries the message, and the marker makes it a no-op
                // apart from this bookkeeping.
                return Err(StoreError::Conflict);
            }
            lead.acknowledged_at = Some(*at);
            lead.updated_at = *at;
            lead.version += 1;
            match services.leads.save(&lead).await {
                Ok(()) => {
                    info!(lead_id = %lead.id, speed_to_lead_ms = (*at - lead.created_at).num_milliseconds(), "acknowledgement sent");
                    break;
                }
                Err(StoreError::Conflict) => {
                    lead = services.leads.get(lead.id).await?.ok_or_else(|| StoreError::Invalid("lead vanished".into()))?;
                }
                Err(e) => return Err(e),
            }
        }
        // Speed to lead for the reports. The id derives from the lead, so a copy that
        // finishes the bookkeeping publishes the same event again, which the analytics consumer
        // absorbs. A failed publish fails the message: the retry finds the work done and
        // publishes again.
        let event = crate::domain::LeadEvent {
            id: crate::domain::EventId::derived(*at, format!("{}:acknowledged", lead.id).as_bytes()),
            kind: crate::domain::LeadEventKind::Acknowledged,
            lead_id: lead.id,
            occurred_at: *at,
        };
        services.queue.publish(&event).await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
    }
    Ok(())
}
