//! The consent gate for email. Every automated email to a person goes through
//! [`send_email_to_lead`]: email consent present and not revoked, the address not suppressed
//! (hard bounce, complaint, unsubscribe), the lead still open. A blocked email is reported with
//! its reason, never silently dropped.

use super::messaging::{Delivery, MessagingError};
use super::Services;
use crate::domain::timeline::SkipReason;
use crate::domain::{ContactChannel, Email, Lead};
use crate::ports::{EmailPurpose, OutboundEmail, StoreError};

/// Whether an email may go to this lead now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailGate {
    Allowed(Email),
    Blocked(SkipReason),
}

/// Checks everything that must hold before emailing `lead`.
pub async fn email_gate(services: &Services, lead: &Lead) -> Result<EmailGate, StoreError> {
    if let Some(reason) = super::messaging::never_messaged(lead) {
        return Ok(EmailGate::Blocked(reason));
    }
    let Some(email) = lead.contact.email.clone() else {
        return Ok(EmailGate::Blocked(SkipReason::NoEmail));
    };
    match lead.consent.get(ContactChannel::Email) {
        None => return Ok(EmailGate::Blocked(SkipReason::NoConsent)),
        Some(c) if !c.granted => return Ok(EmailGate::Blocked(SkipReason::NoConsent)),
        Some(c) if c.revoked_at.is_some() => return Ok(EmailGate::Blocked(SkipReason::ConsentRevoked)),
        Some(_) => {}
    }
    if services.suppressions.is_suppressed(ContactChannel::Email, email.as_str()).await? {
        return Ok(EmailGate::Blocked(SkipReason::OptedOut));
    }
    Ok(EmailGate::Allowed(email))
}

/// Sends an email to the lead if the gate allows it.
pub async fn send_email_to_lead(
    services: &Services,
    lead: &Lead,
    purpose: EmailPurpose,
    subject: String,
    text: String,
    html: Option<String>,
) -> Result<Delivery, MessagingError> {
    match email_gate(services, lead).await? {
        EmailGate::Blocked(reason) => Ok(Delivery::Blocked(reason)),
        EmailGate::Allowed(to) => {
            let sent = services.email.send(&OutboundEmail { lead_id: Some(lead.id), to, subject, text, html, purpose }).await?;
            Ok(Delivery::Sent(sent))
        }
    }
}
