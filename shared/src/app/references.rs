//! The references leadflow hands out in links and to outside tools, all signed link tokens
//! (`crypto::link_token`): a booking link's `utm_content` (the scheduler sends it back with the
//! booking), a payment's `client_reference_id` (Stripe sends it back with the payment), the
//! confirmation link of a held contact point. A webhook acts on the lead a value names only when
//! the value is a valid token of its purpose: a raw lead id typed into a URL by a visitor names
//! nothing, and the event is matched by phone and email instead.

use super::Services;
use crate::crypto::{LinkTokenError, Purpose};
use crate::domain::LeadId;
use chrono::Duration;

/// A booking link's reference (Calendly's `utm_content`).
pub const BOOKING: Purpose = Purpose("booking");
/// A payment's reference (Stripe's `client_reference_id`).
pub const PAYMENT: Purpose = Purpose("payment");

/// How long a booking or payment reference stays valid: a cadence runs for months.
const REFERENCE_DAYS: i64 = 180;

/// A signed reference to `lead` for `purpose`, valid for 180 days.
pub fn reference(services: &Services, purpose: Purpose, lead: LeadId) -> Result<String, LinkTokenError> {
    services.links.sign(purpose, &lead.to_string(), services.clock.now() + Duration::days(REFERENCE_DAYS))
}

/// The lead a reference names, when it is a valid token of `purpose`; `None` for anything else
/// (a raw id, a forged or expired token: the caller falls back to phone and email).
pub fn lead_of(services: &Services, purpose: Purpose, value: &str) -> Option<LeadId> {
    match services.links.verify(purpose, value, services.clock.now()) {
        Ok(subject) => subject.parse().ok(),
        Err(e) => {
            tracing::info!(purpose = purpose.0, reason = %e, "a reference that is not a valid token: the lead is matched by its contact points");
            None
        }
    }
}

/// `link` with this lead's booking reference as `utm_content`, so the scheduler's booking event
/// names the lead; the plain link when no signing key is configured.
pub fn booking_link(services: &Services, link: &str, lead: LeadId) -> String {
    match reference(services, BOOKING, lead) {
        Ok(token) => {
            let sep = if link.contains('?') { '&' } else { '?' };
            format!("{link}{sep}utm_content={token}")
        }
        Err(e) => {
            tracing::warn!(error = %e, "booking link sent without a reference: bookings are matched by contact points");
            link.to_string()
        }
    }
}
