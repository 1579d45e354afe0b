//! Events from outside systems (phone system, SMS provider, email platform, scheduler, payment
//! processor, chat widgets), normalized at the webhook into one shape. The webhook stores this
//! (ids and the minimal fields needed to act) and the queue carries only its provider and id.

use super::email::Email;
use super::ids::LeadId;
use super::money::Money;
use super::phone::Phone;
use super::redact::redacted_debug;
use super::source::SourceChannel;
use super::touchpoint::TouchpointKind;
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum! {
    /// Which integration an event came through.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Provider {
        /// Twilio Programmable Messaging (inbound SMS, form-encoded).
        Twilio => "twilio",
        /// AWS End User Messaging SMS two-way messages, delivered by SNS.
        SnsSms => "sns_sms",
        /// Amazon SES event notifications, delivered by SNS.
        SesEvents => "ses_events",
        /// A CallRail-style phone system (call completed).
        Calls => "calls",
        /// A Calendly-like scheduler.
        Appointments => "appointments",
        /// Stripe.
        Stripe => "stripe",
        /// A configured generic source (chat widget, social DMs, event registrations).
        Source => "source",
    }
}

/// An inbound text message. Its body may name a health concern: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundSms {
    pub from: Phone,
    /// The practice's number it was sent to (E.164), when the provider says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub body: String,
}
redacted_debug!(InboundSms);

/// A completed call from the phone system (`Debug` redacted: it names the caller).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCompleted {
    pub caller: Phone,
    pub answered: bool,
    pub duration_seconds: u32,
    /// A link to the recording, kept as a reference only (never fetched or copied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// The tracking number's source label (the ad or listing the caller dialed from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_source: Option<String>,
    /// The caller's name as the phone system has it (caller ID): kept on a new lead, and on a
    /// known lead that has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_name: Option<String>,
    /// The caller's state (two or three letters), by the phone system's lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_state: Option<String>,
    /// The search keywords that led to the call, and the campaign and medium of the tracking
    /// number: attribution credits the call to them, not to "phone".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gclid: Option<String>,
}

redacted_debug!(CallCompleted);

string_enum! {
    /// An email engagement event.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum EmailEventKind {
        Delivery => "delivery",
        /// A permanent bounce: the address does not exist.
        HardBounce => "hard_bounce",
        /// A temporary bounce (mailbox full, greylisting): nothing changes.
        SoftBounce => "soft_bounce",
        /// The person marked the message as spam.
        Complaint => "complaint",
        Open => "open",
        Click => "click",
    }
}

/// What happened to an email the practice sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailEngagement {
    pub kind: EmailEventKind,
    /// SES's message id of the email concerned.
    pub message_id: String,
    pub recipients: Vec<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

string_enum! {
    /// A scheduler's appointment event.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum AppointmentEventKind {
        Booked => "booked",
        Rescheduled => "rescheduled",
        Canceled => "canceled",
        NoShow => "no_show",
        Showed => "showed",
    }
}

/// An appointment event (`Debug` redacted: it carries a name and contact details).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentEvent {
    pub kind: AppointmentEventKind,
    pub appointment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// A lead id the practice's own integration set on the booking (server side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<LeadId>,
    /// The booking link's `utm_content`: a visitor can set it, so it names a lead only when it is
    /// a valid signed booking reference (`app::references`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    /// The invitee's name as the scheduler has it (used only to create a lead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
redacted_debug!(AppointmentEvent);

/// A successful payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSucceeded {
    /// The payment's id; a checkout session and its payment intent name the same payment.
    pub payment_id: String,
    pub amount: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// `metadata.lead_id`, set by the practice's own server when it created the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<LeadId>,
    /// `client_reference_id`: a visitor can set it on a payment link, so it names a lead only when
    /// it is a valid signed payment reference (`app::references`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
}

/// What a generic source reported (`Debug` redacted: its fields are a person's details).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEvent {
    /// The configured source's id (`chat_widget`, `facebook_dm`, ...).
    pub source: String,
    pub channel: SourceChannel,
    pub touchpoint: TouchpointKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<LeadId>,
    /// Intake fields (contact, context, consent), validated by intake when the event is handled.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}
redacted_debug!(SourceEvent);

/// The normalized content of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboundKind {
    Sms(InboundSms),
    Call(CallCompleted),
    Email(EmailEngagement),
    Appointment(AppointmentEvent),
    Payment(PaymentSucceeded),
    Source(SourceEvent),
    /// Verified and recorded, but nothing to act on (a Stripe event type leadflow ignores, an
    /// SNS subscription confirmation).
    Ignored {
        what: String,
    },
}

/// One verified event from outside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundEvent {
    pub provider: Provider,
    /// The provider's own id for the event (Twilio MessageSid, SNS MessageId, CallRail call id,
    /// Stripe event id, ...): the key of idempotency.
    pub event_id: String,
    /// When it happened, per the provider (or when it arrived).
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub kind: InboundKind,
}

/// A queue message asking the worker to handle one stored event. Ids only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundJob {
    pub provider: Provider,
    pub event_id: String,
}

impl InboundJob {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a job serializes")
    }

    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }
}
