//! E-mail opt-out: the link every automated email to a lead carries (visible in the footer and
//! as RFC 8058 one-click `List-Unsubscribe` / `List-Unsubscribe-Post` headers, which Gmail and
//! Yahoo require of bulk senders), and what following it does.
//!
//! The link names the lead only through a signed, expiring token (`crypto::link_token`, purpose
//! `unsubscribe`): nobody can silence another person's email by guessing ids. Following it
//! puts the lead's address on the email opt-out list (every lead holding it is then blocked by
//! the email gate), revokes email consent on those leads, records `consent_revoked` on their
//! timelines with the audit entry, and announces `lead.opted_out` (cadences stop where their
//! `stop_on` says). Texts are not touched: an email link silences email. Repeating it changes
//! nothing.

use super::Services;
use crate::crypto::{LinkTokenError, Purpose};
use crate::domain::{Actor, ContactChannel, EventId, Lead, LeadEvent, LeadEventKind, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{QueueError, StoreError};
use chrono::{DateTime, Duration, Utc};
use tracing::info;

/// The token purpose of unsubscribe links.
pub const PURPOSE: Purpose = Purpose("unsubscribe");

/// The path of the public unsubscribe route.
pub const PATH: &str = "/unsubscribe";

/// Why an unsubscribe link could not be made (a deployment without a link key or public URL).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no public base URL is configured (LEADFLOW_PUBLIC_BASE_URL)")]
    NoBaseUrl,
    #[error(transparent)]
    Token(#[from] LinkTokenError),
}

/// The unsubscribe link for `lead`, valid `[messaging.email] unsubscribe_link_days`.
pub fn link(services: &Services, lead_id: LeadId, now: DateTime<Utc>) -> Result<String, LinkError> {
    let base = services.webhooks.public_base_url.trim_end_matches('/');
    if base.is_empty() {
        return Err(LinkError::NoBaseUrl);
    }
    let days = i64::from(services.config.messaging.unsubscribe_link_days);
    let token = services.links.sign(PURPOSE, &lead_id.to_string(), now + Duration::days(days))?;
    Ok(format!("{base}{PATH}?t={token}"))
}

/// The footer every automated email to a lead ends with (CAN-SPAM: a working opt-out and the
/// sender's postal address), and the RFC 8058 headers.
pub fn footer_and_headers(services: &Services, lead: &Lead, now: DateTime<Utc>) -> Result<(String, Vec<(String, String)>), LinkError> {
    let link = link(services, lead.id, now)?;
    let org = &services.config.organization.name;
    let address = &services.config.messaging.postal_address;
    let mut footer = format!("\n\n--\nYou are receiving this email because you contacted {org}.\nUnsubscribe: {link}");
    if !address.is_empty() {
        footer.push_str(&format!("\n{org}, {address}"));
    }
    let headers = vec![
        ("List-Unsubscribe".to_string(), format!("<{link}>")),
        ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string()),
    ];
    Ok((footer, headers))
}

/// What following a link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsubscribed {
    /// The address is on the opt-out list now (or was already).
    Done { leads: usize },
    /// The link's lead has no email address (erased): nothing to do.
    NothingToDo,
}

/// Why a link was refused (one public answer for all: the link is not valid).
#[derive(Debug, thiserror::Error)]
pub enum UnsubscribeError {
    #[error("the link is not valid: {0}")]
    Invalid(LinkTokenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Follows the link with token `token`.
pub async fn unsubscribe(services: &Services, token: &str) -> Result<Unsubscribed, UnsubscribeError> {
    let now = services.clock.now();
    let subject = services.links.verify(PURPOSE, token, now).map_err(UnsubscribeError::Invalid)?;
    let lead_id: LeadId = subject.parse().map_err(|_| UnsubscribeError::Invalid(LinkTokenError::Malformed))?;
    let Some(lead) = services.leads.get(lead_id).await? else { return Ok(Unsubscribed::NothingToDo) };
    let Some(email) = lead.contact.email.clone() else { return Ok(Unsubscribed::NothingToDo) };
    services.suppressions.suppress(ContactChannel::Email, email.as_str(), "unsubscribe_link", now).await?;
    let leads = super::matching::all_by_email(services, &email).await?;
    for l in &leads {
        let mut revoked = false;
        super::matching::update_lead(services, l.id, |x| match x.consent.email.as_mut() {
            Some(c) if c.revoked_at.is_none() => {
                c.revoked_at = Some(now);
                c.revoked_via = Some("unsubscribe_link".into());
                revoked = true;
                true
            }
            _ => false,
        })
        .await?;
        if !revoked {
            continue;
        }
        // Ids derive from the lead and the day: following the link again the same day records
        // nothing new.
        let seed = format!("{}:unsubscribe:{}", l.id, now.date_naive());
        let kind = TimelineKind::ConsentRevoked { channel: ContactChannel::Email, via: "unsubscribe_link".into() };
        let entry = TimelineEntry::derived(l.id, now, &seed, Actor::Lead, kind);
        super::audit::append_system(services, "unsubscribe", &entry).await?;
        let event = LeadEvent {
            id: EventId::derived(now, format!("{seed}:event").as_bytes()),
            kind: LeadEventKind::OptedOut,
            lead_id: l.id,
            occurred_at: now,
        };
        services.queue.publish(&event).await?;
    }
    info!(lead_id = %lead_id, leads = leads.len(), "email unsubscribed");
    Ok(Unsubscribed::Done { leads: leads.len() })
}
