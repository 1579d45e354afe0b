//! Signed webhook requests as each provider sends them, with test secrets, and an SNS signing
//! key whose certificate the test SNS host serves (`tests/fixtures/`).

use chrono::{DateTime, Utc};
use lambda_http::Body;
use leadflow::adapters::memory::StaticSnsHttps;
use leadflow::app::webhook_context::WebhookContext;
use leadflow::webhooks::signature::{callrail_sign, timestamped_sign, twilio_sign};
use leadflow::webhooks::sns::{sign, SnsMessage};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const BASE_URL: &str = "https://api.leadflow.test";
pub const TWILIO_TOKEN: &str = "twilio-test-token";
pub const CALLRAIL_KEY: &str = "callrail-test-key";
pub const APPOINTMENTS_SECRET: &str = "appointments-test-secret";
pub const STRIPE_SECRET: &str = "whsec_test_secret";
pub const CHAT_SECRET: &str = "chat-widget-test-secret";
pub const FACEBOOK_SECRET: &str = "facebook-dm-test-secret";
pub const SMS_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:leadflow-inbound-sms";
pub const SES_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:leadflow-ses-events";
pub const CERT_URL: &str = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem";

pub const TEST_KEY: &str = include_str!("../fixtures/sns-test-key.pem");
pub const TEST_CERT: &str = include_str!("../fixtures/sns-test-cert.pem");

/// The test secrets by name.
pub fn secrets() -> BTreeMap<String, String> {
    [
        ("twilio_auth_token", TWILIO_TOKEN),
        ("callrail_signing_key", CALLRAIL_KEY),
        ("appointments_signing_secret", APPOINTMENTS_SECRET),
        ("stripe_webhook_secret", STRIPE_SECRET),
        ("source_chat_widget", CHAT_SECRET),
        ("source_facebook_dm", FACEBOOK_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Webhook settings with the test secrets, topics and certificate.
pub fn context() -> WebhookContext {
    WebhookContext::with_secrets(
        secrets(),
        BASE_URL,
        vec![SMS_TOPIC.into(), SES_TOPIC.into()],
        Arc::new(StaticSnsHttps::new(Some(TEST_CERT.as_bytes().to_vec()))),
    )
}

/// A POST as API Gateway hands it to the function.
pub fn post(path: &str, content_type: &str, body: &str, headers: &[(&str, String)]) -> lambda_http::Request {
    let mut req = http::Request::post(path).header("content-type", content_type);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.body(Body::Text(body.to_string())).unwrap()
}

/// Twilio's inbound SMS form.
pub fn twilio_form(sid: &str, from: &str, text: &str) -> Vec<(String, String)> {
    [
        ("ToCountry", "US"),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", text),
        ("To", "+12015550100"),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", "ACtest00000000000000000000000000"),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A signed Twilio inbound SMS.
pub fn twilio_sms(sid: &str, from: &str, text: &str) -> lambda_http::Request {
    let form = twilio_form(sid, from, text);
    let body = serde_urlencoded::to_string(&form).unwrap();
    let sig = twilio_sign(&format!("{BASE_URL}/webhooks/twilio/sms"), &form, TWILIO_TOKEN);
    post("/webhooks/twilio/sms", "application/x-www-form-urlencoded", &body, &[("x-twilio-signature", sig)])
}

/// An SNS notification on `topic` carrying `message`, signed with the test key.
pub fn sns_notification(topic: &str, message_id: &str, message: &str, at: DateTime<Utc>) -> SnsMessage {
    let mut m = SnsMessage {
        kind: "Notification".into(),
        message_id: message_id.into(),
        token: None,
        topic_arn: topic.into(),
        subject: None,
        message: message.into(),
        timestamp: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        signature_version: "1".into(),
        signature: String::new(),
        signing_cert_url: CERT_URL.into(),
        subscribe_url: None,
    };
    sign(&mut m, TEST_KEY).unwrap();
    m
}

/// An End User Messaging inbound SMS through SNS.
pub fn sns_sms(message_id: &str, from: &str, text: &str, at: DateTime<Utc>) -> lambda_http::Request {
    let inner = serde_json::json!({
        "originationNumber": from, "destinationNumber": "+12015550100", "messageKeyword": "KEYWORD_123456789012",
        "messageBody": text, "inboundMessageId": format!("in-{message_id}"), "previousPublishedMessageId": "prev-1"
    });
    let m = sns_notification(SMS_TOPIC, message_id, &inner.to_string(), at);
    post(
        "/webhooks/sns/sms",
        "text/plain; charset=UTF-8",
        &serde_json::to_string(&m).unwrap(),
        &[("x-amz-sns-message-type", "Notification".into())],
    )
}

/// An SES event through SNS.
pub fn ses_event(message_id: &str, event: serde_json::Value, at: DateTime<Utc>) -> lambda_http::Request {
    let m = sns_notification(SES_TOPIC, message_id, &event.to_string(), at);
    post("/webhooks/sns/email", "text/plain; charset=UTF-8", &serde_json::to_string(&m).unwrap(), &[])
}

/// A `t=..,v1=..` signed JSON post (Stripe, appointments, sources).
pub fn timestamped(path: &str, header: &str, secret: &str, body: &serde_json::Value, t: i64) -> lambda_http::Request {
    let text = body.to_string();
    post(path, "application/json", &text, &[(header, timestamped_sign(text.as_bytes(), secret, t))])
}

pub fn stripe(body: &serde_json::Value, at: DateTime<Utc>) -> lambda_http::Request {
    timestamped("/webhooks/payments", "stripe-signature", STRIPE_SECRET, body, at.timestamp())
}

pub fn appointment(body: &serde_json::Value, at: DateTime<Utc>) -> lambda_http::Request {
    timestamped("/webhooks/appointments", "calendly-webhook-signature", APPOINTMENTS_SECRET, body, at.timestamp())
}

pub fn chat_source(body: &serde_json::Value, at: DateTime<Utc>) -> lambda_http::Request {
    timestamped("/webhooks/sources/chat_widget", "x-leadflow-signature", CHAT_SECRET, body, at.timestamp())
}

pub fn facebook_source(body: &serde_json::Value, at: DateTime<Utc>) -> lambda_http::Request {
    timestamped("/webhooks/sources/facebook_dm", "x-leadflow-signature", FACEBOOK_SECRET, body, at.timestamp())
}

/// A signed CallRail-style call.
pub fn call(body: &serde_json::Value) -> lambda_http::Request {
    let text = body.to_string();
    post("/webhooks/calls", "application/json", &text, &[("signature", callrail_sign(text.as_bytes(), CALLRAIL_KEY))])
}

/// A CallRail-style call-completed payload.
pub fn call_body(id: &str, caller: &str, answered: bool, duration: u32) -> serde_json::Value {
    serde_json::json!({
        "resource_id": id, "customer_phone_number": caller, "answered": answered, "duration": duration.to_string(),
        "direction": "inbound", "start_time": "2026-03-03T15:40:00Z", "source": "Google Ads",
        "recording": "https://app.callrail.com/calls/CAL123/recording", "tracking_phone_number": "+12015550188"
    })
}

/// A Stripe checkout.session.completed.
pub fn checkout_completed(event_id: &str, lead_id: &str, amount: i64, currency: &str, at: DateTime<Utc>) -> serde_json::Value {
    serde_json::json!({
        "id": event_id, "object": "event", "type": "checkout.session.completed", "created": at.timestamp(), "livemode": false,
        "data": {"object": {
            "id": format!("cs_test_{event_id}"), "object": "checkout.session", "amount_total": amount, "currency": currency,
            "client_reference_id": lead_id, "customer": "cus_test_1", "payment_intent": format!("pi_{event_id}"),
            "payment_status": "paid", "customer_details": {"email": "ann@example.com"}
        }}
    })
}

/// A Calendly-like appointment event.
pub fn appointment_body(id: &str, event: &str, appointment: &str, email: &str, phone: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "event": event, "created_at": "2026-03-03T16:00:00Z",
        "payload": {
            "appointment_id": appointment, "start_time": "2026-03-10T14:00:00Z",
            "invitee": {"name": "Ann Lee", "email": email, "phone": phone}, "rescheduled": false
        }
    })
}
