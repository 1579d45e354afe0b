//! Property tests over the webhook parsers and signature checks: thousands of generated bodies,
//! headers and parameters. Nothing panics; a forged or damaged signature never passes; a parser
//! error names a field, never what was sent; every body, validly signed and sent through the real
//! handler, gets one of the documented answers; and a stored event's sealed fields open again
//! exactly as written. Bounded (cases below), so CI runs it every time.

use chrono::{DateTime, TimeZone, Utc};
use lambda_http::Body;
use leadflow::config::{Config, SourceSettings};
use leadflow::domain::inbound::{InboundEvent, InboundKind, Provider, SourceEvent};
use leadflow::domain::touchpoint::TouchpointKind;
use leadflow::domain::{Region, SourceChannel};
use leadflow::ports::ManualClock;
use leadflow::webhooks::payloads;
use leadflow::webhooks::signature::{callrail_sign, timestamped_sign, twilio_sign, verify_callrail, verify_timestamped, verify_twilio};
use leadflow::webhooks::sns::SnsMessage;
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::fuzz;
use leadflow_tests::webhooks::{context, post, BASE_URL, CALLRAIL_KEY, CHAT_SECRET, STRIPE_SECRET, TWILIO_TOKEN};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 15, 30, 0).unwrap()
}

fn chat() -> SourceSettings {
    SourceSettings { id: "chat_widget".into(), channel: SourceChannel::Chat }
}

/// Strings of the input long enough that finding one in an error means it was echoed.
fn echoed(error: &str, sent: &[String]) -> Option<String> {
    sent.iter().filter(|v| v.chars().count() >= 8 && !error.is_empty()).find(|v| error.contains(v.as_str())).cloned()
}

fn strings_of(body: &[u8]) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| {
                out.push(k.clone());
                walk(x, out)
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        walk(&v, &mut out);
    }
    out
}

/// An SNS envelope around `message` (well formed or not), as `/webhooks/sns/*` receive.
fn sns_envelope() -> impl Strategy<Value = Vec<u8>> {
    (fuzz::nasty_text(), fuzz::json_value(), prop::sample::select(vec!["Notification", "SubscriptionConfirmation", "Other"])).prop_map(
        |(id, message, kind)| {
            serde_json::json!({
                "Type": kind, "MessageId": id, "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                "Message": message.to_string(), "Timestamp": "2026-03-03T15:30:00.000Z", "SignatureVersion": "1",
                "Signature": "AAAA", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem",
            })
            .to_string()
            .into_bytes()
        },
    )
}

/// Form parameters as Twilio posts them: the known names with odd values, and odd names.
fn twilio_params() -> impl Strategy<Value = Vec<(String, String)>> {
    let name =
        prop_oneof![prop::sample::select(vec!["MessageSid", "SmsSid", "From", "To", "Body"]).prop_map(str::to_string), fuzz::field_name(),];
    prop::collection::vec((name, fuzz::nasty_text()), 0..10)
}

proptest! {
    #![proptest_config(fuzz::config(2_000))]

    #[test]
    fn json_parsers_never_panic_and_never_echo(body in fuzz::body_bytes()) {
        let sent = strings_of(&body);
        let results = [
            payloads::call_completed(&body, Region::US, now()).map(|_| ()),
            payloads::appointment(&body, Region::US, now()).map(|_| ()),
            payloads::stripe(&body, Region::US, now()).map(|_| ()),
            payloads::source(&chat(), &body, now()).map(|_| ()),
        ];
        for e in results.into_iter().filter_map(Result::err) {
            let text = e.to_string();
            prop_assert!(echoed(&text, &sent).is_none(), "{text:?} repeats the input");
        }
    }

    #[test]
    fn provider_shaped_json_never_panics(v in fuzz::json_value(), kind in prop::sample::select(vec![
        "checkout.session.completed", "payment_intent.succeeded", "invitee.created", "invitee.canceled", "invitee_no_show.created",
    ])) {
        // Known event types with generated objects reach the deeper branches of each parser.
        let stripe = serde_json::json!({"id": "evt_1", "type": kind, "created": 1772551800, "data": {"object": v}});
        let _ = payloads::stripe(stripe.to_string().as_bytes(), Region::US, now());
        let appointment = serde_json::json!({"id": "a-1", "event": kind, "payload": v});
        let _ = payloads::appointment(appointment.to_string().as_bytes(), Region::US, now());
        let source = serde_json::json!({"event_id": "e-1", "type": "inquiry", "fields": v});
        let _ = payloads::source(&chat(), source.to_string().as_bytes(), now());
    }

    #[test]
    fn twilio_parameters_never_panic(params in twilio_params()) {
        if let Err(e) = payloads::twilio_sms(&params, Region::US, now()) {
            let sent: Vec<String> = params.iter().map(|(_, v)| v.clone()).collect();
            prop_assert!(echoed(&e.to_string(), &sent).is_none());
        }
    }

    #[test]
    fn sns_envelopes_never_panic(body in prop_oneof![sns_envelope(), fuzz::body_bytes()]) {
        if let Ok(m) = SnsMessage::parse(&body) {
            let _ = m.string_to_sign();
            let _ = payloads::sns_sms(&m, Region::US, now());
            let _ = payloads::ses_event(&m, now());
        }
    }

    #[test]
    fn forged_signatures_never_pass(
        body in fuzz::body_bytes(),
        header in prop_oneof![fuzz::header_value(), fuzz::nasty_text(), "t=[0-9]{10},v1=[0-9a-f]{64}"],
        params in twilio_params(),
    ) {
        let url = format!("{BASE_URL}/webhooks/twilio/sms");
        prop_assert!(verify_twilio(&url, &params, Some(&header), Some(TWILIO_TOKEN)).is_err());
        prop_assert!(verify_callrail(Some(&header), &body, Some(CALLRAIL_KEY)).is_err());
        prop_assert!(verify_timestamped(Some(&header), &body, Some(STRIPE_SECRET), now()).is_err());
        // A good signature over other bytes, or under another secret, fails too.
        let good = timestamped_sign(&body, STRIPE_SECRET, now().timestamp());
        prop_assert!(verify_timestamped(Some(&good), &body, Some(STRIPE_SECRET), now()).is_ok());
        let mut other = body.clone();
        other.push(b' ');
        prop_assert!(verify_timestamped(Some(&good), &other, Some(STRIPE_SECRET), now()).is_err());
        prop_assert!(verify_timestamped(Some(&good), &body, Some("another-secret"), now()).is_err());
        let sig = twilio_sign(&url, &params, TWILIO_TOKEN);
        prop_assert!(verify_twilio(&url, &params, Some(&sig), Some(TWILIO_TOKEN)).is_ok());
        prop_assert!(verify_callrail(Some(&callrail_sign(&body, "another-key")), &body, Some(CALLRAIL_KEY)).is_err());
    }
}

fn system() -> &'static EmbeddedSystem {
    static SYSTEM: OnceLock<EmbeddedSystem> = OnceLock::new();
    SYSTEM.get_or_init(|| {
        EmbeddedSystem::new(Config::embedded_default().unwrap(), Arc::new(ManualClock::new(now()))).with_webhooks(context())
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

/// A generated body, validly signed for one of the routes (so the parser behind the check runs).
fn signed_request(route: usize, body: &[u8], params: &[(String, String)]) -> lambda_http::Request {
    let text = String::from_utf8_lossy(body).to_string();
    let t = now().timestamp();
    match route {
        0 => {
            let form = serde_urlencoded::to_string(params).unwrap_or_default();
            let sig = twilio_sign(&format!("{BASE_URL}/webhooks/twilio/sms"), params, TWILIO_TOKEN);
            post("/webhooks/twilio/sms", "application/x-www-form-urlencoded", &form, &[("x-twilio-signature", sig)])
        }
        1 => post("/webhooks/calls", "application/json", &text, &[("signature", callrail_sign(text.as_bytes(), CALLRAIL_KEY))]),
        2 => post(
            "/webhooks/payments",
            "application/json",
            &text,
            &[("stripe-signature", timestamped_sign(text.as_bytes(), STRIPE_SECRET, t))],
        ),
        3 => post(
            "/webhooks/appointments",
            "application/json",
            &text,
            &[("calendly-webhook-signature", timestamped_sign(text.as_bytes(), leadflow_tests::webhooks::APPOINTMENTS_SECRET, t))],
        ),
        4 => post(
            "/webhooks/sources/chat_widget",
            "application/json",
            &text,
            &[("x-leadflow-signature", timestamped_sign(text.as_bytes(), CHAT_SECRET, t))],
        ),
        // SNS with a body nobody signed: refused before the parser.
        _ => post(if route == 5 { "/webhooks/sns/sms" } else { "/webhooks/sns/email" }, "text/plain", &text, &[]),
    }
}

proptest! {
    #![proptest_config(fuzz::config(1_000))]

    #[test]
    fn the_handler_answers_every_signed_body_with_a_documented_status(
        route in 0usize..7,
        body in prop_oneof![fuzz::body_bytes(), sns_envelope()],
        params in twilio_params(),
    ) {
        let sent = strings_of(&body).into_iter().chain(params.iter().map(|(_, v)| v.clone())).collect::<Vec<_>>();
        let resp = runtime().block_on(leadflow::handlers::webhooks::handle(&system().services, signed_request(route, &body, &params)));
        let status = resp.status().as_u16();
        prop_assert!([200, 400, 401, 404, 413].contains(&status), "status {status}");
        if status >= 400 {
            let Body::Text(text) = resp.body() else { return Err(TestCaseError::fail("error bodies are JSON text")) };
            let v: serde_json::Value = serde_json::from_str(text).map_err(|_| TestCaseError::fail("error bodies are JSON"))?;
            prop_assert!(v["error"].is_string());
            prop_assert!(echoed(text, &sent).is_none(), "{text} repeats the input");
        }
        if route >= 5 {
            prop_assert_eq!(status, 401, "an unsigned SNS body is refused");
        }
    }

    /// Whatever a source reports, the stored event (its free text sealed by the DynamoDB
    /// adapter's sealing) opens to exactly what was written.
    #[test]
    fn sealed_webhook_events_open_to_what_was_stored(
        fields in prop::collection::btree_map("[a-z_]{1,12}", fuzz::nasty_text(), 0..8),
        body in fuzz::nasty_text(),
    ) {
        use leadflow::crypto::json::{open_all, seal_paths};
        static SEALER: OnceLock<leadflow::crypto::Sealer> = OnceLock::new();
        let sealer = SEALER.get_or_init(|| leadflow::crypto::Sealer::new(Arc::new(leadflow::adapters::memory::LocalKeys::random())));
        let source = SourceEvent {
            source: "chat_widget".into(), channel: SourceChannel::Chat, touchpoint: TouchpointKind::Chat, lead_id: None, fields, page: None,
        };
        let sms = leadflow::domain::inbound::InboundSms { from: leadflow_tests::leads::phone("201-555-0100"), to: None, body };
        for kind in [InboundKind::Source(source), InboundKind::Sms(sms)] {
            let event = InboundEvent { provider: Provider::Source, event_id: "e-1".into(), occurred_at: now(), received_at: now(), kind };
            let original = serde_json::to_value(&event).unwrap();
            let mut doc = original.clone();
            runtime().block_on(seal_paths(sealer, &mut doc, leadflow::crypto::fields::INBOUND, "inbound:x")).unwrap();
            runtime().block_on(open_all(sealer, &mut doc, "inbound:x")).unwrap();
            prop_assert_eq!(&doc, &original);
            prop_assert_eq!(serde_json::from_value::<InboundEvent>(doc).unwrap(), event);
        }
    }
}
