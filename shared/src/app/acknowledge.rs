//! The instant acknowledgement: one text per lead, within seconds, only with consent.
//!
//! Exactly once, even when the queue delivers a message twice or two copies run at once: a
//! once-only marker is claimed (conditional write) before sending and its outcome recorded
//! after. A copy that finds the marker held backs off and is retried by the queue; a copy that
//! finds it done only finishes the bookkeeping an earlier copy may have left.

use super::messaging::{send_sms_to_lead, Delivery, MessagingError};
use super::Services;
use crate::domain::timeline::SkipReason;
use crate::domain::{Actor, ContactChannel, Lead, LeadEvent, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{Claim, MessagePurpose, SendError, StoreError};
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
    Sent { provider_message_id: String },
    AlreadyDone,
    Skipped(SkipReason),
    Rejected,
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
}

/// What the marker records, so a later copy can finish the bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
enum Recorded {
    Sent {
        provider_message_id: String,
        at: DateTime<Utc>,
        text: String,
        /// Email when the phone could not take texts (issue 7); SMS otherwise.
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
        // A landline or toll-free number cannot take the text: answer by email when the person
        // gave an address and agreed to email (the email gate decides), else record the skip.
        Ok(Delivery::Blocked(SkipReason::NotMobile)) => {
            let subject = format!("{}: we received your inquiry", services.config.organization.name);
            match super::email::send_email_to_lead(
                services,
                &lead,
                crate::ports::EmailPurpose::Acknowledgement,
                subject,
                text.clone(),
                None,
            )
            .await
            {
                Ok(Delivery::Sent(sent)) => Recorded::Sent {
                    provider_message_id: sent.provider_message_id,
                    at: services.clock.now(),
                    text,
                    channel: ContactChannel::Email,
                    sms_refused: Some(SkipReason::NotMobile),
                },
                _ => Recorded::Skipped { reason: SkipReason::NotMobile, at: now },
            }
        }
        Ok(Delivery::Blocked(reason)) => Recorded::Skipped { reason, at: now },
        Err(MessagingError::Send(SendError::Rejected(e))) => Recorded::Rejected { error: e, at: now },
        Err(e) => {
            // Nothing went out: give the claim back so the queue's retry can send.
            if let Err(abandon) = services.once.abandon(lead.id, ACTION).await {
                warn!(error = %abandon, "could not release the acknowledgement claim; the retry waits for its lease");
            }
            return Err(match e {
                MessagingError::Store(s) => AckError::Store(s),
                MessagingError::Send(s) => AckError::Provider(s.to_string()),
            });
        }
    };
    let outcome = serde_json::to_string(&recorded).expect("a marker outcome serializes");
    services.once.finish(lead.id, ACTION, &outcome, services.clock.now()).await?;
    let result = match &recorded {
        Recorded::Sent { provider_message_id, .. } => AckOutcome::Sent { provider_message_id: provider_message_id.clone() },
        Recorded::Skipped { reason, .. } => AckOutcome::Skipped(*reason),
        Recorded::Rejected { .. } => AckOutcome::Rejected,
    };
    record(services, lead, &recorded).await?;
    Ok(result)
}

/// The acknowledgement text for `lead` at `now`.
pub fn render(services: &Services, lead: &Lead, now: DateTime<Utc>) -> String {
    let config = &services.config;
    let line = config.service_line(&lead.context.service_line);
    let promise = config.business_hours.callback_promise(now).phrase();
    let template = match line {
        Some(l) => &l.acknowledgement_sms,
        // A lead whose service line was removed from the configuration still gets an answer.
        None => &config.service_lines.values().next().expect("configuration has a service line").acknowledgement_sms,
    };
    template.render(|name| match name {
        "first_name" => lead.contact.first_name.as_ref().map(|n| n.as_str().to_string()),
        "org_name" => Some(config.organization.name.clone()),
        "callback_promise" => Some(promise.clone()),
        "service_line_name" => line.map(|l| l.name.clone()),
        _ => None,
    })
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
    }
    Ok(())
}
