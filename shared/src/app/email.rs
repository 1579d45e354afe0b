//! The consent gate for email. Every automated email to a person goes through
//! [`send_email_to_lead`]: email consent present and not revoked, the address not suppressed
//! (hard bounce, complaint, unsubscribe), the lead still open, no host nobody configured and no
//! SMS keyword instructions in it. It leaves with the CAN-SPAM footer (a visible unsubscribe
//! link and the sender's postal address) and RFC 8058 one-click unsubscribe headers
//! (`app::unsubscribe`). A blocked email is reported with its reason, never silently dropped.

use super::messaging::{Delivery, MessagingError};
use super::Services;
use crate::domain::timeline::SkipReason;
use crate::domain::{ContactChannel, Email, Lead};
use crate::ports::{EmailPurpose, OutboundEmail, SendError, StoreError};

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
            if let Some(reason) = super::compose::content_refusal(services, &format!("{subject}\n{text}"), false) {
                return Ok(Delivery::Blocked(reason));
            }
            if super::compose::has_sms_wording(&text) {
                return Ok(Delivery::Blocked(SkipReason::SmsWordingInEmail));
            }
            // No automated email without a working opt-out: a deployment without a link key or
            // a public URL refuses (and the caller records the failure) rather than send one.
            let (footer, headers) = super::unsubscribe::footer_and_headers(services, lead, services.clock.now())
                .map_err(|e| SendError::Rejected(format!("no unsubscribe link: {e}")))?;
            let text = format!("{text}{footer}");
            let email = OutboundEmail { lead_id: Some(lead.id), to, subject, text, html, purpose, headers };
            let sent = services.email.send(&email).await?;
            Ok(Delivery::Sent(sent))
        }
    }
}
