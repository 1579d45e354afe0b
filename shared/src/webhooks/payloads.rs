//! Each provider's payload, read into an [`InboundEvent`] after its signature was verified.
//! Only what leadflow acts on is kept; a payload without the fields it needs is refused with
//! the field named.

use super::sns::SnsMessage;
use crate::config::SourceSettings;
use crate::domain::inbound::{
    AppointmentEvent, AppointmentEventKind, CallCompleted, EmailEngagement, EmailEventKind, InboundEvent, InboundKind, InboundSms,
    PaymentSucceeded, Provider, SourceEvent,
};
use crate::domain::money::{Currency, Money};
use crate::domain::touchpoint::TouchpointKind;
use crate::domain::{Email, LeadId, Phone, Region};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// A verified payload that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct PayloadError {
    pub field: &'static str,
    pub problem: &'static str,
}

fn bad(field: &'static str, problem: &'static str) -> PayloadError {
    PayloadError { field, problem }
}

fn event(provider: Provider, event_id: String, occurred_at: Option<DateTime<Utc>>, now: DateTime<Utc>, kind: InboundKind) -> InboundEvent {
    InboundEvent { provider, event_id, occurred_at: occurred_at.unwrap_or(now), received_at: now, kind }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn time_at(v: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    match v.pointer(pointer)? {
        Value::String(s) => DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc()),
        Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        _ => None,
    }
}

fn phone_at(v: &Value, pointer: &str, region: Region) -> Option<Phone> {
    str_at(v, pointer).and_then(|p| Phone::parse(p, region).ok())
}

fn email_at(v: &Value, pointer: &str) -> Option<Email> {
    str_at(v, pointer).and_then(|e| Email::parse(e).ok())
}

/// A label as a provider sent it, at most 200 characters.
fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

fn lead_id_at(v: &Value, pointer: &str) -> Option<LeadId> {
    str_at(v, pointer).and_then(|s| s.parse().ok())
}

fn json(body: &[u8]) -> Result<Value, PayloadError> {
    serde_json::from_slice(body).map_err(|_| bad("body", "is not JSON"))
}

/// An event id from the provider: bounded and printable, so it can key a record.
fn event_id(raw: Option<&str>, field: &'static str) -> Result<String, PayloadError> {
    let id = raw.ok_or(bad(field, "is required"))?;
    if id.len() > 200 || !id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad(field, "is not a usable id"));
    }
    Ok(id.to_string())
}

/// A Twilio inbound SMS (form-encoded parameters).
pub fn twilio_sms(params: &[(String, String)], region: Region, now: DateTime<Utc>) -> Result<InboundEvent, PayloadError> {
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let id = event_id(get("MessageSid").or_else(|| get("SmsSid")), "MessageSid")?;
    let from = Phone::parse(get("From").ok_or(bad("From", "is required"))?, region).map_err(|_| bad("From", "is not a phone number"))?;
    let body = get("Body").unwrap_or("").to_string();
    Ok(event(Provider::Twilio, id, None, now, InboundKind::Sms(InboundSms { from, to: get("To").map(str::to_string), body })))
}

/// An End User Messaging two-way SMS delivered by SNS.
pub fn sns_sms(message: &SnsMessage, region: Region, now: DateTime<Utc>) -> Result<InboundEvent, PayloadError> {
    let v: Value = serde_json::from_str(&message.message).map_err(|_| bad("Message", "is not an inbound SMS"))?;
    let id = event_id(str_at(&v, "/inboundMessageId").or(Some(message.message_id.as_str())), "inboundMessageId")?;
    let from = phone_at(&v, "/originationNumber", region).ok_or(bad("originationNumber", "is not a phone number"))?;
    let body = v.pointer("/messageBody").and_then(Value::as_str).unwrap_or("").to_string();
    let sms = InboundSms { from, to: str_at(&v, "/destinationNumber").map(str::to_string), body };
    let occurred = DateTime::parse_from_rfc3339(&message.timestamp).ok().map(|t| t.to_utc());
    Ok(event(Provider::SnsSms, id, occurred, now, InboundKind::Sms(sms)))
}

/// An SES event (event publishing `eventType`, or a notification's `notificationType`).
pub fn ses_event(message: &SnsMessage, now: DateTime<Utc>) -> Result<InboundEvent, PayloadError> {
    let v: Value = serde_json::from_str(&message.message).map_err(|_| bad("Message", "is not an SES event"))?;
    let kind_name = str_at(&v, "/eventType").or_else(|| str_at(&v, "/notificationType")).ok_or(bad("eventType", "is required"))?;
    let message_id = str_at(&v, "/mail/messageId").ok_or(bad("mail.messageId", "is required"))?.to_string();
    let list = |pointer: &str, key: Option<&str>| -> Vec<Email> {
        v.pointer(pointer)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| match key {
                        Some(k) => r.get(k).and_then(Value::as_str),
                        None => r.as_str(),
                    })
                    .filter_map(|e| Email::parse(e).ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (kind, recipients, link) = match kind_name {
        "Delivery" => (EmailEventKind::Delivery, list("/mail/destination", None), None),
        "Bounce" => {
            let kind =
                if str_at(&v, "/bounce/bounceType") == Some("Permanent") { EmailEventKind::HardBounce } else { EmailEventKind::SoftBounce };
            (kind, list("/bounce/bouncedRecipients", Some("emailAddress")), None)
        }
        "Complaint" => (EmailEventKind::Complaint, list("/complaint/complainedRecipients", Some("emailAddress")), None),
        "Open" => (EmailEventKind::Open, list("/mail/destination", None), None),
        "Click" => (EmailEventKind::Click, list("/mail/destination", None), str_at(&v, "/click/link").map(str::to_string)),
        other => {
            return Ok(event(
                Provider::SesEvents,
                message.message_id.clone(),
                None,
                now,
                InboundKind::Ignored { what: format!("ses {other}") },
            ))
        }
    };
    let occurred = time_at(&v, "/mail/timestamp");
    let engagement = EmailEngagement { kind, message_id, recipients, link };
    Ok(event(Provider::SesEvents, event_id(Some(&message.message_id), "MessageId")?, occurred, now, InboundKind::Email(engagement)))
}

/// A CallRail-style call-completed payload.
pub fn call_completed(body: &[u8], region: Region, now: DateTime<Utc>) -> Result<InboundEvent, PayloadError> {
    let v = json(body)?;
    let id = event_id(str_at(&v, "/resource_id").or_else(|| str_at(&v, "/id")), "resource_id")?;
    let caller = phone_at(&v, "/customer_phone_number", region)
        .or_else(|| phone_at(&v, "/caller_number", region))
        .ok_or(bad("customer_phone_number", "is not a phone number"))?;
    let answered = v.pointer("/answered").and_then(Value::as_bool).ok_or(bad("answered", "must be true or false"))?;
    let duration_seconds = match v.pointer("/duration") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        None | Some(Value::Null) => Some(0),
        _ => None,
    }
    .and_then(|d| u32::try_from(d).ok())
    .ok_or(bad("duration", "must be a number of seconds"))?;
    let recording_url =
        str_at(&v, "/recording").or_else(|| str_at(&v, "/recording_player")).filter(|u| u.starts_with("https://")).map(str::to_string);
    let started_at = time_at(&v, "/start_time");
    let call = CallCompleted {
        caller,
        answered,
        duration_seconds,
        recording_url,
        started_at,
        tracking_source: str_at(&v, "/source").or_else(|| str_at(&v, "/utm_source")).map(short),
        caller_name: str_at(&v, "/customer_name").map(short),
        caller_state: str_at(&v, "/customer_state").map(short),
        keywords: str_at(&v, "/keywords").or_else(|| str_at(&v, "/utm_term")).map(short),
        campaign: str_at(&v, "/campaign").or_else(|| str_at(&v, "/utm_campaign")).map(short),
        medium: str_at(&v, "/medium").or_else(|| str_at(&v, "/utm_medium")).map(short),
        landing_page: str_at(&v, "/landing_page_url")
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(|u| u.chars().take(1000).collect()),
        gclid: str_at(&v, "/gclid").map(short),
    };
    Ok(event(Provider::Calls, id, started_at, now, InboundKind::Call(call)))
}

/// A Calendly-like appointment event.
pub fn appointment(body: &[u8], region: Region, now: DateTime<Utc>) -> Result<InboundEvent, PayloadError> {
    let v = json(body)?;
    let name = str_at(&v, "/event").ok_or(bad("event", "is required"))?;
    let rescheduled = v.pointer("/payload/rescheduled").and_then(Value::as_bool).unwrap_or(false);
    let kind = match name {
        "invitee.created" | "booked" => AppointmentEventKind::Booked,
        "invitee.rescheduled" | "rescheduled" => AppointmentEventKind::Rescheduled,
        "invitee.canceled" | "canceled" if rescheduled => AppointmentEventKind::Rescheduled,
        "invitee.canceled" | "canceled" => AppointmentEventKind::Canceled,
        "invitee_no_show.created" | "invitee.no_show" | "no_show" => AppointmentEventKind::NoShow,
        "invitee.showed" | "showed" => AppointmentEventKind::Showed,
        _ => return Err(bad("event", "is not an appointment event leadflow knows")),
    };
    let appointment_id =
        event_id(str_at(&v, "/payload/appointment_id").or_else(|| str_at(&v, "/payload/scheduled_event/uri")), "payload.appointment_id")?;
    let id = event_id(str_at(&v, "/id"), "id")?;
    let occurred = time_at(&v, "/created_at");
    let appointment = AppointmentEvent {
        kind,
        appointment_id,
        starts_at: time_at(&v, "/payload/start_time").or_else(|| time_at(&v, "/payload/scheduled_event/start_time")),
        lead_id: lead_id_at(&v, "/payload/lead_id"),
        reference: str_at(&v, "/payload/tracking/utm_content").map(|r| r.chars().take(500).collect()),
        email: email_at(&v, "/payload/invitee/email").or_else(|| email_at(&v, "/payload/email")),
        phone: phone_at(&v, "/payload/invitee/phone", region).or_else(|| phone_at(&v, "/payload/text_reminder_number", region)),
        name: str_at(&v, "/payload/invitee/name").or_else(|| str_at(&v, "/payload/name")).map(|n| n.chars().take(200).collect()),
    };
    Ok(event(Provider::Appointments, id, occurred, now, InboundKind::Appointment(appointment)))
}

/// A Stripe event: `checkout.session.completed` (when paid) and `payment_intent.succeeded`
/// convert; other types are recorded and ignored.
pub fn stripe(body: &[u8], region: Region, now: DateTime<Utc>) -> Result<InboundEvent, PayloadError> {
    let v = json(body)?;
    let id = event_id(str_at(&v, "/id"), "id")?;
    let kind = str_at(&v, "/type").ok_or(bad("type", "is required"))?;
    let occurred = time_at(&v, "/created");
    let o = v.pointer("/data/object").ok_or(bad("data.object", "is required"))?;
    let (payment_id, amount_field, email, phone) = match kind {
        "checkout.session.completed" => {
            if str_at(o, "/payment_status") != Some("paid") {
                return Ok(event(Provider::Stripe, id, occurred, now, InboundKind::Ignored { what: "checkout session not paid".into() }));
            }
            // The session's payment intent names the same payment as payment_intent.succeeded:
            // both events count it once.
            let pid = str_at(o, "/payment_intent").or_else(|| str_at(o, "/id")).ok_or(bad("data.object.id", "is required"))?;
            (pid, "/amount_total", email_at(o, "/customer_details/email"), phone_at(o, "/customer_details/phone", region))
        }
        "payment_intent.succeeded" => {
            let pid = str_at(o, "/id").ok_or(bad("data.object.id", "is required"))?;
            (pid, "/amount_received", email_at(o, "/receipt_email"), None)
        }
        other => return Ok(event(Provider::Stripe, id, occurred, now, InboundKind::Ignored { what: format!("stripe {other}") })),
    };
    // Stripe amounts are integers in the currency's smallest unit: never parsed as floats.
    let minor =
        o.pointer(amount_field).and_then(Value::as_i64).filter(|m| *m >= 0).ok_or(bad("amount", "must be a non-negative integer"))?;
    let currency =
        Currency::try_from(str_at(o, "/currency").unwrap_or("").to_string()).map_err(|_| bad("currency", "is not a currency code"))?;
    let payment = PaymentSucceeded {
        payment_id: event_id(Some(payment_id), "data.object.id")?,
        amount: Money { minor, currency },
        customer_id: str_at(o, "/customer").map(str::to_string),
        lead_id: lead_id_at(o, "/metadata/lead_id"),
        reference: str_at(o, "/client_reference_id").map(|r| r.chars().take(500).collect()),
        email,
        phone,
    };
    Ok(event(Provider::Stripe, id, occurred, now, InboundKind::Payment(payment)))
}

/// A generic source's event. Its id is the source's own, under the configured source's name:
/// two sources that happen to use the same event id are two events.
pub fn source(settings: &SourceSettings, body: &[u8], now: DateTime<Utc>) -> Result<InboundEvent, PayloadError> {
    let v = json(body)?;
    let raw = event_id(str_at(&v, "/event_id"), "event_id")?;
    let id = event_id(Some(&format!("{}:{raw}", settings.id)), "event_id")?;
    let touchpoint = match str_at(&v, "/type").unwrap_or("inquiry") {
        "inquiry" | "form_submission" => TouchpointKind::for_inquiry(settings.channel),
        "chat" => TouchpointKind::Chat,
        "social_message" => TouchpointKind::SocialMessage,
        "event_registration" => TouchpointKind::EventRegistration,
        "page_view" => TouchpointKind::PageView,
        "download" => TouchpointKind::Download,
        "ad_click" => TouchpointKind::AdClick,
        _ => return Err(bad("type", "must be inquiry, chat, social_message, event_registration, page_view, download or ad_click")),
    };
    let mut fields = BTreeMap::new();
    if let Some(map) = v.pointer("/fields").and_then(Value::as_object) {
        for (k, value) in map {
            // Form field names only: they go through intake, and nothing else may become a key of
            // the stored event (a `$`-key would read as a sealed value).
            if k.is_empty() || k.len() > 64 || !k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(bad("fields", "names must be form field names (lower-case letters, digits and _)"));
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Null => continue,
                _ => return Err(bad("fields", "values must be text, numbers or true/false")),
            };
            fields.insert(k.clone(), text);
        }
    }
    let source = SourceEvent {
        source: settings.id.clone(),
        channel: settings.channel,
        touchpoint,
        lead_id: lead_id_at(&v, "/lead_id"),
        fields,
        page: str_at(&v, "/page").map(|p| p.chars().take(1000).collect()),
    };
    Ok(event(Provider::Source, id, time_at(&v, "/occurred_at"), now, InboundKind::Source(source)))
}
