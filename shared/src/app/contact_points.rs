//! Held contact points (see `domain::inquiry`): a phone number or email address a later
//! inquiry gave that the lead did not hold. Nothing is sent to one until it is confirmed, and
//! it is confirmed only by someone the lead already trusts:
//!
//! * a team member, through the staff API (`confirm` with [`ConfirmedBy::Staff`]);
//! * the person, following the signed link sent to the email address the lead already holds
//!   (`request_confirmations`, then `confirm_link` from the link's page).
//!
//! The link goes to the lead's own address, never to the new one: proving control of a new
//! address proves nothing about whose lead it is, and a stranger who knows someone's phone
//! number would otherwise confirm their own address onto that person's lead.

use super::messaging::{Delivery, MessagingError};
use super::Services;
use crate::crypto::Purpose;
use crate::domain::inquiry::{Confirmation, ConfirmedBy, PointKind};
use crate::domain::lead::ConfirmError;
use crate::domain::{Actor, ContactChannel, EventId, LeadEvent, LeadEventKind, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{Claim, EmailPurpose, QueueError, StoreError};
use chrono::Duration;
use tracing::info;

/// A confirmation link's purpose.
pub const CONFIRM: Purpose = Purpose("confirm-contact");

/// How long a confirmation link works.
const LINK_DAYS: i64 = 7;

/// The path of the confirmation page (public: the token is the authorization).
pub const CONFIRM_PATH: &str = "/links/confirm";

/// One held point: the lead, the inquiry that brought it, which kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointRef {
    pub lead: LeadId,
    pub inquiry: EventId,
    pub kind: PointKind,
}

impl PointRef {
    /// The link token's subject: ids and the kind only.
    fn subject(&self) -> String {
        format!("{}.{}.{}", self.lead, self.inquiry, self.kind.as_str())
    }

    fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split('.');
        let (lead, inquiry, kind) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, PointKind::parse(parts.next()?)?);
        parts.next().is_none().then_some(PointRef { lead, inquiry, kind })
    }
}

/// Why a point was not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum PointError {
    #[error("no such lead")]
    NoLead,
    #[error(transparent)]
    Refused(#[from] ConfirmError),
    #[error("the link is not valid")]
    BadLink,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

fn by_label(by: &ConfirmedBy) -> &'static str {
    match by {
        ConfirmedBy::Staff(_) => "staff",
        ConfirmedBy::Link => "link",
        ConfirmedBy::Reply(_) => "reply",
    }
}

/// Confirms a held point: it becomes the lead's (with the consent given for it on that
/// inquiry), on the timeline, and the lead is scored again (`lead.updated`). `Ok(false)` when
/// it was confirmed already. The staff API calls this with [`ConfirmedBy::Staff`].
pub async fn confirm(services: &Services, point: PointRef, by: ConfirmedBy) -> Result<bool, PointError> {
    let now = services.clock.now();
    let confirmation = Confirmation { at: now, by: by.clone() };
    let mut confirmed = None;
    for _ in 0..5 {
        let Some(mut lead) = services.leads.get(point.lead).await? else { return Err(PointError::NoLead) };
        if !lead.confirm_point(point.inquiry, point.kind, confirmation.clone())? {
            confirmed = Some(false);
            break;
        }
        lead.version += 1;
        match services.leads.save(&lead).await {
            Ok(()) => {
                confirmed = Some(true);
                break;
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let Some(changed) = confirmed else { return Err(StoreError::Conflict.into()) };
    if !changed {
        return Ok(false);
    }
    let actor = match &by {
        ConfirmedBy::Staff(user) => Actor::User(user.clone()),
        ConfirmedBy::Link | ConfirmedBy::Reply(_) => Actor::Lead,
    };
    let kind = TimelineKind::ContactPointConfirmed { inquiry: point.inquiry, point: point.kind, by: by_label(&by).to_string() };
    let seed = format!("{}:confirmed", point.subject());
    let entry = TimelineEntry::derived(point.lead, now, &seed, actor, kind);
    super::audit::append_system(services, "contact-points", &entry).await?;
    let event =
        LeadEvent { id: EventId::derived(now, seed.as_bytes()), kind: LeadEventKind::Updated, lead_id: point.lead, occurred_at: now };
    services.queue.publish(&event).await?;
    info!(lead_id = %point.lead, point = point.kind.as_str(), by = by_label(&by), "held contact point confirmed");
    Ok(true)
}

/// The confirmation link of a held point (`{public base URL}/links/confirm?token=…`).
pub fn confirmation_link(services: &Services, point: PointRef) -> Result<String, crate::crypto::LinkTokenError> {
    let token = services.links.sign(CONFIRM, &point.subject(), services.clock.now() + Duration::days(LINK_DAYS))?;
    Ok(format!("{}{CONFIRM_PATH}?token={token}", services.webhooks.public_base_url.trim_end_matches('/')))
}

/// The point a confirmation link's token names, if the token is valid.
pub fn point_of_token(services: &Services, token: &str) -> Option<PointRef> {
    services.links.verify(CONFIRM, token, services.clock.now()).ok().and_then(|s| PointRef::parse(&s))
}

/// Confirms the point a link names (the person followed it).
pub async fn confirm_link(services: &Services, token: &str) -> Result<bool, PointError> {
    let point = point_of_token(services, token).ok_or(PointError::BadLink)?;
    confirm(services, point, ConfirmedBy::Link).await
}

/// Sends, once per held point, the confirmation link to the email address the lead already
/// holds, through the email consent gate (consent, opt-out, open lead). Points on a lead with
/// no usable address wait for a team member. Returns how many links went out.
pub async fn request_confirmations(services: &Services, lead_id: LeadId) -> Result<usize, PointError> {
    let Some(lead) = services.leads.get(lead_id).await? else { return Ok(0) };
    let points: Vec<PointRef> = lead
        .open_inquiries()
        .flat_map(|i| i.held.iter().filter(|p| p.confirmed.is_none()).map(move |p| PointRef { lead: lead.id, inquiry: i.id, kind: p.kind }))
        .collect();
    let now = services.clock.now();
    let mut sent = 0;
    for point in points {
        let action = format!("confirm-request:{}:{}", point.inquiry, point.kind.as_str());
        match services.once.claim(lead.id, &action, now, Duration::seconds(60)).await? {
            Claim::Acquired => {}
            Claim::Done { .. } | Claim::Held => continue,
        }
        let Ok(link) = confirmation_link(services, point) else {
            services.once.finish(lead.id, &action, "no_signing_key", now).await?;
            continue;
        };
        let what = match point.kind {
            PointKind::Phone => "a phone number",
            PointKind::Email => "an email address",
        };
        let org = &services.config.organization.name;
        let subject = format!("{org}: please confirm a change to your inquiry");
        let text = format!(
            "Someone sent {org} a new inquiry with your details and {what} we do not have for you yet. If that was you, confirm it here: {link}\nIf it was not you, ignore this message: nothing changes."
        );
        let outcome = match super::email::send_email_to_lead(services, &lead, EmailPurpose::ContactConfirmation, subject, text, None).await
        {
            Ok(Delivery::Sent(m)) => {
                let kind = TimelineKind::MessageSent {
                    channel: ContactChannel::Email,
                    purpose: EmailPurpose::ContactConfirmation.as_str().into(),
                    provider_message_id: m.provider_message_id,
                    text: format!("confirmation link for {what}"),
                };
                let entry = TimelineEntry::derived(lead.id, now, &action, Actor::System("contact-points".into()), kind);
                super::audit::append_system(services, "contact-points", &entry).await?;
                sent += 1;
                "sent"
            }
            Ok(Delivery::Blocked(reason)) => reason.as_str(),
            // Not now (the sender's pacing): the next request for confirmations tries again.
            Ok(Delivery::Paced { .. }) => {
                services.once.abandon(lead.id, &action).await?;
                continue;
            }
            Err(MessagingError::Store(e)) => {
                services.once.abandon(lead.id, &action).await?;
                return Err(e.into());
            }
            Err(MessagingError::Send(e)) => {
                services.once.abandon(lead.id, &action).await?;
                return Err(StoreError::Unavailable(e.to_string()).into());
            }
        };
        services.once.finish(lead.id, &action, outcome, now).await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_reference_round_trips_through_its_subject() {
        let p = PointRef { lead: LeadId::random(), inquiry: EventId::new_at(chrono::Utc::now()), kind: PointKind::Email };
        assert_eq!(PointRef::parse(&p.subject()), Some(p));
        assert_eq!(PointRef::parse("x.y.email"), None);
        assert_eq!(PointRef::parse(&format!("{}.extra", p.subject())), None);
    }
}
