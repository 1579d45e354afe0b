//! The consent gate. Every text to a person goes through [`send_sms_to_lead`] (automated steps,
//! and staff-written messages alike), which checks channel consent, revocation, line type, the
//! destination country and the opt-out list, then the finished text itself (no host nobody
//! configured, within the segment budget: `app::compose`), then takes a slot of the sender's
//! throughput in the lead's priority lane (`app::pacing`). A blocked message is reported with
//! its reason, a paced one with the time to try again; nothing is silently dropped.

use super::pacing::PacedSend;
use super::Services;
use crate::domain::pacing::Lane;
use crate::domain::timeline::SkipReason;
use crate::domain::urgency::UrgencyTier;
use crate::domain::{ContactChannel, Lead, Phone};
use crate::ports::{MessagePurpose, OutboundSms, SendError, SentMessage, StoreError};

/// Whether a text may go to this lead now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsGate {
    Allowed(Phone),
    Blocked(SkipReason),
}

/// Checks everything that must hold before texting `lead`.
pub async fn sms_gate(services: &Services, lead: &Lead) -> Result<SmsGate, StoreError> {
    if let Some(reason) = never_messaged(lead) {
        return Ok(SmsGate::Blocked(reason));
    }
    let Some(phone) = lead.contact.phone.clone() else {
        return Ok(SmsGate::Blocked(SkipReason::NoPhone));
    };
    match lead.consent.get(ContactChannel::Sms) {
        None => return Ok(SmsGate::Blocked(SkipReason::NoConsent)),
        Some(c) if !c.granted => return Ok(SmsGate::Blocked(SkipReason::NoConsent)),
        Some(c) if c.revoked_at.is_some() => return Ok(SmsGate::Blocked(SkipReason::ConsentRevoked)),
        Some(_) => {}
    }
    if !phone.line_type().can_receive_sms() {
        return Ok(SmsGate::Blocked(SkipReason::NotMobile));
    }
    if !destination_allowed(services, &phone) {
        return Ok(SmsGate::Blocked(SkipReason::CountryNotAllowed));
    }
    if services.suppressions.is_suppressed(ContactChannel::Sms, phone.as_e164()).await? {
        return Ok(SmsGate::Blocked(SkipReason::OptedOut));
    }
    Ok(SmsGate::Allowed(phone))
}

/// Whether texts may go to this number's country or region (`[messaging] sms_countries`): SMS
/// pumping sends forms full of premium and foreign numbers the sender pays to text.
pub fn destination_allowed(services: &Services, phone: &Phone) -> bool {
    phone.region_code().is_some_and(|r| services.config.messaging.sms_countries.contains(&r))
}

/// Leads that get no automated message on any channel: test submissions, and leads
/// archived as unresponsive or erased (closed leads get nothing more).
pub fn never_messaged(lead: &Lead) -> Option<SkipReason> {
    if lead.test {
        Some(SkipReason::TestRecord)
    } else if lead.archived_at.is_some() || lead.erased_at.is_some() || lead.status == crate::domain::LeadStatus::Unresponsive {
        Some(SkipReason::LeadClosed)
    } else {
        None
    }
}

/// What happened to a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent(SentMessage),
    Blocked(SkipReason),
    /// Allowed, but not now: the sender's throughput, a provider throttle or the spend
    /// breaker. The caller keeps the message and tries again at `until` (`app::pacing`).
    Paced {
        until: chrono::DateTime<chrono::Utc>,
        reason: crate::domain::pacing::WaitReason,
    },
}

/// Whether the person is in crisis: scored so, or their own words say so now (the
/// acknowledgement runs before scoring).
pub fn is_crisis(services: &Services, lead: &Lead) -> bool {
    lead.score.as_ref().is_some_and(|s| s.urgency.tier == UrgencyTier::Crisis)
        || super::score::urgency(services, lead).tier == UrgencyTier::Crisis
}

/// The lane of a text to `lead`: anything to a person in crisis goes first, then
/// acknowledgements, then reminders, then follow-ups.
pub fn lane_for(services: &Services, lead: &Lead, purpose: MessagePurpose) -> Lane {
    match purpose {
        _ if is_crisis(services, lead) => Lane::Crisis,
        MessagePurpose::FollowUp => Lane::FollowUp,
        MessagePurpose::Reminder => Lane::Reminder,
        _ => Lane::Acknowledgement,
    }
}

fn paced(p: PacedSend) -> Delivery {
    match p {
        PacedSend::Sent(sent) => Delivery::Sent(sent),
        PacedSend::Wait { until, reason } => Delivery::Paced { until, reason },
    }
}

/// Why a text could not be attempted or was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl MessagingError {
    pub fn is_retryable(&self) -> bool {
        match self {
            MessagingError::Store(e) => e.is_retryable(),
            MessagingError::Send(SendError::Retryable(_) | SendError::Throttled(_)) => true,
            MessagingError::Send(SendError::Rejected(_)) => false,
        }
    }
}

/// Sends `body` to the lead's phone if the gate allows it.
pub async fn send_sms_to_lead(services: &Services, lead: &Lead, purpose: MessagePurpose, body: String) -> Result<Delivery, MessagingError> {
    match sms_gate(services, lead).await? {
        SmsGate::Blocked(reason) => Ok(Delivery::Blocked(reason)),
        SmsGate::Allowed(to) => {
            if let Some(reason) = super::compose::content_refusal(services, &body, true) {
                return Ok(Delivery::Blocked(reason));
            }
            let lane = lane_for(services, lead, purpose);
            let sms = OutboundSms { lead_id: Some(lead.id), to, body, purpose };
            Ok(paced(super::pacing::send(services, &sms, lane).await?))
        }
    }
}

/// Sends a reply to a keyword (STOP, START, HELP) to the number that sent it, lead or no lead.
///
/// This is the documented exception to the consent gate, and the only one:
/// * [`MessagePurpose::OptOutConfirmation`] goes to a number that has just opted out (the
///   opt-out list would block it): the single message allowed after an opt-out. Callers send it
///   once per opt-out request (a once-only marker per provider event).
/// * [`MessagePurpose::HelpReply`] answers the person's own HELP, even when they opted out.
/// * [`MessagePurpose::ResubscribeConfirmation`] goes out only if the number is not on the
///   opt-out list (START has just lifted it).
///
/// Any other purpose is refused here: everything else goes through [`send_sms_to_lead`].
pub async fn send_keyword_reply(
    services: &Services,
    to: &Phone,
    lead_id: Option<crate::domain::LeadId>,
    purpose: MessagePurpose,
    body: String,
) -> Result<Delivery, MessagingError> {
    if !to.line_type().can_receive_sms() {
        return Ok(Delivery::Blocked(SkipReason::NotMobile));
    }
    if !destination_allowed(services, to) {
        return Ok(Delivery::Blocked(SkipReason::CountryNotAllowed));
    }
    if let Some(reason) = super::compose::content_refusal(services, &body, false) {
        return Ok(Delivery::Blocked(reason));
    }
    match purpose {
        MessagePurpose::OptOutConfirmation | MessagePurpose::HelpReply => {}
        MessagePurpose::ResubscribeConfirmation => {
            if services.suppressions.is_suppressed(ContactChannel::Sms, to.as_e164()).await? {
                return Ok(Delivery::Blocked(SkipReason::OptedOut));
            }
        }
        MessagePurpose::Acknowledgement | MessagePurpose::FollowUp | MessagePurpose::Staff | MessagePurpose::Reminder => {
            return Ok(Delivery::Blocked(SkipReason::NoConsent))
        }
    }
    let sms = OutboundSms { lead_id, to: to.clone(), body, purpose };
    Ok(paced(super::pacing::send(services, &sms, Lane::Acknowledgement).await?))
}
