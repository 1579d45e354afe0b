//! A staff member writing to the person from the lead's page: one thread with what the person
//! sent (`message_received`), what leadflow sent automatically and what staff wrote.
//!
//! A staff message goes through the same gates as the automated ones: the consent gate of its
//! channel (`app::messaging::sms_gate` / `app::email::email_gate`, then the senders that check
//! it again) and the person's quiet hours (`ContactRules::next_allowed`, the check cadence steps
//! use; the daily cap of *automated* messages does not apply to a person writing). Outside the
//! allowed hours it is refused with the time it may go, unless the staff member overrides with
//! a reason (a person who asked to be texted now): the override and its reason are recorded.
//! Consent and opt-out are never overridden.

use super::email::{email_gate, send_email_to_lead, EmailGate};
use super::leads::{once_per_key, OnceError};
use super::messaging::{send_sms_to_lead, sms_gate, Delivery, MessagingError, SmsGate};
use super::Services;
use crate::domain::cadence::rules::Check;
use crate::domain::cadence::Allowed;
use crate::domain::text::FreeText;
use crate::domain::timeline::SkipReason;
use crate::domain::{Actor, ContactChannel, EventId, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{EmailPurpose, MessagePurpose, SendError, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest staff message (a text is split by the carrier beyond 160 characters).
pub const MAX_TEXT_CHARS: usize = 1000;

/// What a staff member wants to send.
#[derive(Debug, Clone)]
pub struct StaffMessage {
    /// `Sms` or `Email`.
    pub channel: ContactChannel,
    /// E-mail only (a default names the organization).
    pub subject: Option<String>,
    pub text: FreeText,
    /// Send outside the person's allowed hours, for this reason.
    pub override_quiet_hours: Option<FreeText>,
}

/// Why a message was not sent: said to the staff member, nothing recorded on the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// The consent gate said no (no consent, revoked, opted out, no number, not a mobile...).
    Gate { gate: SkipReason },
    /// Outside the person's allowed hours, in their time zone.
    QuietHours { allowed_from: DateTime<Utc>, time_zone: String },
    /// The provider refused it for good (an unreachable number).
    Rejected { error: String },
    /// The sender is at its throughput limit or the provider is throttling: nothing was sent;
    /// the staff member may try again from `retry_at`.
    Busy { retry_at: DateTime<Utc>, cause: String },
}

impl Refusal {
    /// A sentence for the staff member.
    pub fn message(&self) -> String {
        match self {
            Refusal::Gate { gate } => format!("not sent: {}", gate.as_str().replace('_', " ")),
            Refusal::QuietHours { allowed_from, time_zone } => {
                let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
                format!(
                    "not sent: outside the person's allowed hours; it may go from {} ({time_zone}), or send with an override and its reason",
                    allowed_from.with_timezone(&tz).format("%a %b %-d, %-I:%M %p")
                )
            }
            Refusal::Rejected { .. } => "not sent: the provider refused the message".into(),
            Refusal::Busy { .. } => "not sent: the texting number is at its sending limit; try again in a few seconds".into(),
        }
    }
}

/// A message sent and recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub entry_id: EventId,
    pub channel: ContactChannel,
    pub provider_message_id: String,
}

/// The outcome a once-per-key marker keeps (ids and the refusal only, never the text).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum Outcome {
    Sent(Sent),
    Refused(Refusal),
}

/// Why sending failed (worth a retry with the same key).
#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error("no such lead")]
    NotFound,
    #[error("a request with the same key is still running")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the message could not be handed to the provider: {0}")]
    Send(String),
}

/// Sends a staff message to the lead's person if every gate allows it, once per idempotency
/// `key`, and records it on the timeline.
pub async fn send(
    services: &Services,
    lead_id: LeadId,
    message: StaffMessage,
    by: &str,
    key: Option<&str>,
) -> Result<Result<Sent, Refusal>, ConversationError> {
    let outcome = once_per_key(services, lead_id, "staff-message", key, || async {
        let o = attempt(services, lead_id, &message, by).await.map_err(|e| OnceError::Step(e.to_string()))?;
        Ok(serde_json::to_string(&o).expect("an outcome serializes"))
    })
    .await;
    match outcome {
        Ok(json) => match serde_json::from_str::<Outcome>(&json) {
            Ok(Outcome::Sent(s)) => Ok(Ok(s)),
            Ok(Outcome::Refused(r)) => Ok(Err(r)),
            Err(_) => Err(ConversationError::Send("an unreadable earlier outcome".into())),
        },
        Err(OnceError::Busy) => Err(ConversationError::Busy),
        Err(OnceError::Store(e)) => Err(e.into()),
        Err(OnceError::Step(e)) if e == "no such lead" => Err(ConversationError::NotFound),
        Err(OnceError::Step(e)) => Err(ConversationError::Send(e)),
    }
}

async fn attempt(services: &Services, lead_id: LeadId, m: &StaffMessage, by: &str) -> Result<Outcome, ConversationError> {
    let lead = services.leads.get(lead_id).await?.ok_or(ConversationError::NotFound)?;
    // The consent gate first: a message that may never go says so whatever the hour.
    let blocked = match m.channel {
        ContactChannel::Email => match email_gate(services, &lead).await? {
            EmailGate::Blocked(r) => Some(r),
            EmailGate::Allowed(_) => None,
        },
        _ => match sms_gate(services, &lead).await? {
            SmsGate::Blocked(r) => Some(r),
            SmsGate::Allowed(_) => None,
        },
    };
    if let Some(gate) = blocked {
        return Ok(Outcome::Refused(Refusal::Gate { gate }));
    }
    let now = services.clock.now();
    let zone = crate::domain::geo::zone_of(&lead, services.config.organization.time_zone);
    // Quiet hours only: the person's preferred times and the cap are for automated messages.
    let check = Check { zone, sent: &[], is_message: false, preferred: None };
    if let Allowed::At(at, _) = services.config.followup.book.rules.next_allowed(now, check) {
        if m.override_quiet_hours.is_none() {
            return Ok(Outcome::Refused(Refusal::QuietHours { allowed_from: at, time_zone: zone.zone.name().to_string() }));
        }
    }
    let overridden =
        m.override_quiet_hours.is_some() && !matches!(services.config.followup.book.rules.next_allowed(now, check), Allowed::Now);
    let text = m.text.as_str().to_string();
    let subject = m.subject.clone().filter(|s| !s.trim().is_empty());
    let delivery = match m.channel {
        ContactChannel::Email => {
            let subject = subject.clone().unwrap_or_else(|| format!("A message from {}", services.config.organization.name));
            send_email_to_lead(services, &lead, EmailPurpose::Staff, subject, text.clone(), None).await
        }
        _ => send_sms_to_lead(services, &lead, MessagePurpose::Staff, text.clone()).await,
    };
    let sent = match delivery {
        Ok(Delivery::Sent(s)) => s,
        Ok(Delivery::Blocked(gate)) => return Ok(Outcome::Refused(Refusal::Gate { gate })),
        Ok(Delivery::Paced { until, reason }) => {
            return Ok(Outcome::Refused(Refusal::Busy { retry_at: until, cause: reason.as_str().to_string() }))
        }
        Err(MessagingError::Send(SendError::Rejected(error))) => return Ok(Outcome::Refused(Refusal::Rejected { error })),
        Err(MessagingError::Send(e)) => return Err(ConversationError::Send(e.to_string())),
        Err(MessagingError::Store(e)) => return Err(e.into()),
    };
    let channel = if m.channel == ContactChannel::Email { ContactChannel::Email } else { ContactChannel::Sms };
    let kind = TimelineKind::StaffMessageSent {
        channel,
        provider_message_id: sent.provider_message_id.clone(),
        subject: if channel == ContactChannel::Email { subject } else { None },
        text,
        quiet_hours_override: overridden,
        note: if overridden { m.override_quiet_hours.clone() } else { None },
    };
    let entry = TimelineEntry::new(lead.id, now, Actor::User(by.to_string()), kind);
    services.timeline.append(&entry).await?;
    Ok(Outcome::Sent(Sent { entry_id: entry.id, channel, provider_message_id: sent.provider_message_id }))
}
