//! Webhooks end to end on the embedded adapters: the HTTP handler verifies and stores, the
//! worker (run through the embedded queue, as Lambda's SQS trigger would) does the work.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lambda_http::Body;
use leadflow::app::messaging::{send_keyword_reply, send_sms_to_lead, Delivery};
use leadflow::app::Services;
use leadflow::config::Config;
use leadflow::domain::inbound::Provider;
use leadflow::domain::timeline::SkipReason;
use leadflow::domain::{ContactChannel, Lead, LeadEvent, LeadEventKind, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use leadflow::handlers;
use leadflow::ports::{Consumer, EventQueue, ManualClock, MessagePurpose, QueueError};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::webhooks::*;
use std::sync::{Arc, Mutex};

/// Records every published lead event, then passes it on.
struct Recorder {
    inner: Arc<dyn EventQueue>,
    events: Mutex<Vec<LeadEvent>>,
}

#[async_trait::async_trait]
impl EventQueue for Recorder {
    async fn publish(&self, event: &LeadEvent) -> Result<(), QueueError> {
        self.events.lock().unwrap().push(event.clone());
        self.inner.publish(event).await
    }

    /// The outbox relay sends consumer by consumer: an event is recorded once, at its first.
    async fn send(&self, consumer: leadflow::ports::Consumer, event: &LeadEvent) -> Result<(), QueueError> {
        if leadflow::ports::Consumer::of(event.kind).first() == Some(&consumer) {
            self.events.lock().unwrap().push(event.clone());
        }
        self.inner.send(consumer, event).await
    }

    async fn publish_later(
        &self,
        consumer: leadflow::ports::Consumer,
        event: &LeadEvent,
        delay: chrono::Duration,
    ) -> Result<(), QueueError> {
        self.inner.publish_later(consumer, event, delay).await
    }
}

struct World {
    system: EmbeddedSystem,
    clock: Arc<ManualClock>,
    recorder: Arc<Recorder>,
}

/// Tuesday 2026-03-03 10:30 in New York: open.
fn open_hours() -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(open_hours()));
    // Many texts in one second of the manual clock (replies to several keywords): a high rate.
    let mut config = Config::embedded_default().unwrap();
    config.messaging.pacing.parts_per_second = 1000;
    let mut system = EmbeddedSystem::new(config, clock.clone()).with_webhooks(context());
    let recorder = Arc::new(Recorder { inner: system.services.queue.clone(), events: Mutex::default() });
    system.services.queue = recorder.clone();
    World { system, clock, recorder }
}

impl World {
    fn services(&self) -> &Services {
        &self.system.services
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now_utc()
    }

    async fn hit(&self, req: lambda_http::Request) -> (u16, String) {
        let resp = handlers::webhooks::handle(self.services(), req).await;
        let body = match resp.body() {
            Body::Text(t) => t.clone(),
            _ => String::new(),
        };
        (resp.status().as_u16(), body)
    }

    /// Sends a webhook and runs the worker (and any consumer) to completion.
    async fn deliver(&self, req: lambda_http::Request) -> u16 {
        let (status, body) = self.hit(req).await;
        self.system.drain_queues().await;
        assert!(status == 200 || status >= 400, "{status} {body}");
        status
    }

    /// A web-form lead, acknowledged.
    async fn lead(&self, phone: &str, email: &str, consent_sms: bool) -> Lead {
        let body = serde_json::json!({
            "first_name": "Ann", "last_name": "Lee", "phone": phone, "email": email, "service_line": "med_spa",
            "consent_sms": consent_sms, "consent_email": true
        });
        let req = post("/leads", "application/json", &body.to_string(), &[]);
        let resp = handlers::intake::handle(self.services(), req).await;
        assert_eq!(resp.status(), 202);
        let Body::Text(t) = resp.body() else { panic!() };
        let id: LeadId = leadflow_tests::leads::lead_of(&self.system.store, &serde_json::from_str::<serde_json::Value>(t).unwrap());
        self.system.drain_queues().await;
        self.get(id).await
    }

    async fn get(&self, id: LeadId) -> Lead {
        self.services().leads.get(id).await.unwrap().unwrap()
    }

    async fn timeline(&self, id: LeadId) -> Vec<TimelineEntry> {
        self.services().timeline.list(id, None, 1000).await.unwrap().items
    }

    async fn kinds(&self, id: LeadId) -> Vec<String> {
        self.timeline(id).await.iter().map(|e| serde_json::to_value(e).unwrap()["type"].as_str().unwrap().to_string()).collect()
    }

    fn sms_to(&self, e164: &str) -> Vec<leadflow::adapters::memory::OutboxEntry> {
        self.system.outbox.entries().into_iter().filter(|e| e.channel == "sms" && e.recipient == e164).collect()
    }

    fn published(&self, kind: LeadEventKind) -> Vec<LeadEvent> {
        self.recorder.events.lock().unwrap().iter().filter(|e| e.kind == kind).cloned().collect()
    }

    /// Whether the event is stored (a generic source's ids are kept under the source's name).
    async fn stored(&self, provider: Provider, id: &str) -> bool {
        let id = if provider == Provider::Source { format!("chat_widget:{id}") } else { id.to_string() };
        self.services().inbound.get_inbound(provider, &id).await.unwrap().is_some()
    }

    /// The signed payment reference a payment link would carry (Stripe's `client_reference_id`).
    fn payment_reference(&self, lead: LeadId) -> String {
        leadflow::app::references::reference(self.services(), leadflow::app::references::PAYMENT, lead).unwrap()
    }
}

trait NowUtc {
    fn now_utc(&self) -> DateTime<Utc>;
}

impl NowUtc for ManualClock {
    fn now_utc(&self) -> DateTime<Utc> {
        leadflow::ports::Clock::now(self)
    }
}

fn tamper(req: lambda_http::Request, from: &str, to: &str) -> lambda_http::Request {
    let (parts, body) = req.into_parts();
    let Body::Text(t) = body else { panic!() };
    http::Request::from_parts(parts, Body::Text(t.replace(from, to)))
}

fn without_header(mut req: lambda_http::Request, name: &str) -> lambda_http::Request {
    req.headers_mut().remove(name);
    req
}

// ---------------------------------------------------------------------------------------------
// Signature verification: valid, tampered body, wrong secret, replayed timestamp, missing header
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn twilio_only_the_valid_signature_is_accepted_and_refusals_store_nothing() {
    let w = world();
    let valid = twilio_sms("SM0001", "+12015550150", "Hello");
    let tampered = tamper(twilio_sms("SM0002", "+12015550150", "Hello"), "SM0002", "SM0003");
    let form = twilio_form("SM0004", "+12015550150", "Hello");
    let wrong = post(
        "/webhooks/twilio/sms",
        "application/x-www-form-urlencoded",
        &serde_urlencoded::to_string(&form).unwrap(),
        &[("x-twilio-signature", leadflow::webhooks::signature::twilio_sign(&format!("{BASE_URL}/webhooks/twilio/sms"), &form, "wrong"))],
    );
    let missing = without_header(twilio_sms("SM0005", "+12015550150", "Hello"), "x-twilio-signature");
    assert_eq!(w.hit(tampered).await.0, 401);
    assert_eq!(w.hit(wrong).await.0, 401);
    assert_eq!(w.hit(missing).await.0, 401);
    let (status, body) = w.hit(valid).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Response>"), "{body}");
    assert!(w.stored(Provider::Twilio, "SM0001").await);
    for id in ["SM0002", "SM0003", "SM0004", "SM0005"] {
        assert!(!w.stored(Provider::Twilio, id).await, "{id}");
    }
    assert_eq!(w.system.queue.depth(Consumer::Webhooks), 1);
}

#[tokio::test]
async fn timestamped_webhooks_refuse_tampering_wrong_secrets_replays_and_missing_headers() {
    let w = world();
    let now = w.now();
    let cases: [(&str, &str, &str, Provider); 3] = [
        ("/webhooks/payments", "stripe-signature", STRIPE_SECRET, Provider::Stripe),
        ("/webhooks/appointments", "calendly-webhook-signature", APPOINTMENTS_SECRET, Provider::Appointments),
        ("/webhooks/sources/chat_widget", "x-leadflow-signature", CHAT_SECRET, Provider::Source),
    ];
    for (path, header, secret, provider) in cases {
        let body = |id: &str| match provider {
            Provider::Stripe => {
                serde_json::json!({"id": id, "type": "customer.created", "created": now.timestamp(), "data": {"object": {}}})
            }
            Provider::Appointments => appointment_body(id, "invitee.created", &format!("apt-{id}"), "a@example.com", "+12015550151"),
            _ => serde_json::json!({"event_id": id, "type": "page_view", "page": "https://clinic.example/pricing"}),
        };
        let t = now.timestamp();
        let valid = timestamped(path, header, secret, &body("ok-1"), t);
        let tampered = tamper(timestamped(path, header, secret, &body("bad-2"), t), "bad-2", "bad-3");
        let wrong = timestamped(path, header, "not-the-secret", &body("bad-4"), t);
        let replayed = timestamped(path, header, secret, &body("bad-5"), t - 301);
        let missing = without_header(timestamped(path, header, secret, &body("bad-6"), t), header);
        for (name, req) in [("tampered", tampered), ("wrong secret", wrong), ("replayed", replayed), ("missing header", missing)] {
            let (status, answer) = w.hit(req).await;
            assert_eq!(status, 401, "{path} {name}: {answer}");
            assert!(answer.contains("invalid_signature"), "{answer}");
        }
        assert_eq!(w.hit(valid).await.0, 200, "{path}");
        assert!(w.stored(provider, "ok-1").await, "{path}");
        for id in ["bad-2", "bad-3", "bad-4", "bad-5", "bad-6"] {
            assert!(!w.stored(provider, id).await, "{path} {id}");
        }
    }
    assert_eq!(w.system.queue.depth(Consumer::Webhooks), 3);
}

#[tokio::test]
async fn callrail_and_sns_refuse_what_they_cannot_verify() {
    let w = world();
    let body = call_body("CAL-ok", "+12015550152", true, 60);
    assert_eq!(w.hit(call(&body)).await.0, 200);
    assert_eq!(w.hit(tamper(call(&call_body("CAL-2", "+12015550152", true, 60)), "CAL-2", "CAL-3")).await.0, 401);
    let text = call_body("CAL-4", "+12015550152", true, 60).to_string();
    let wrong = post(
        "/webhooks/calls",
        "application/json",
        &text,
        &[("signature", leadflow::webhooks::signature::callrail_sign(text.as_bytes(), "x"))],
    );
    assert_eq!(w.hit(wrong).await.0, 401);
    assert_eq!(w.hit(without_header(call(&call_body("CAL-5", "+12015550152", true, 60)), "signature")).await.0, 401);
    assert!(w.stored(Provider::Calls, "CAL-ok").await);
    for id in ["CAL-2", "CAL-3", "CAL-4", "CAL-5"] {
        assert!(!w.stored(Provider::Calls, id).await);
    }

    // SNS: a valid delivery, a message changed after signing, an unknown topic, a certificate
    // off SNS's hosts, and no signature at all.
    let now = w.now();
    assert_eq!(w.hit(sns_sms("sns-ok", "+12015550153", "hi", now)).await.0, 200);
    assert_eq!(w.hit(tamper(sns_sms("sns-2", "+12015550153", "hi", now), "in-sns-2", "in-sns-3")).await.0, 401);
    let mut other_topic = sns_notification("arn:aws:sns:us-east-1:999999999999:attacker", "sns-4", "{}", now);
    other_topic.topic_arn = "arn:aws:sns:us-east-1:999999999999:attacker".into();
    assert_eq!(w.hit(post("/webhooks/sns/sms", "text/plain", &serde_json::to_string(&other_topic).unwrap(), &[])).await.0, 401);
    let mut evil_cert = sns_notification(SMS_TOPIC, "sns-5", "{}", now);
    evil_cert.signing_cert_url = "https://evil.example/cert.pem".into();
    assert_eq!(w.hit(post("/webhooks/sns/sms", "text/plain", &serde_json::to_string(&evil_cert).unwrap(), &[])).await.0, 401);
    let mut unsigned = sns_notification(SMS_TOPIC, "sns-6", "{}", now);
    unsigned.signature = String::new();
    assert_eq!(w.hit(post("/webhooks/sns/sms", "text/plain", &serde_json::to_string(&unsigned).unwrap(), &[])).await.0, 401);
    assert!(w.stored(Provider::SnsSms, "in-sns-ok").await);
    for id in ["in-sns-2", "in-sns-3", "sns-4", "sns-5", "sns-6"] {
        assert!(!w.stored(Provider::SnsSms, id).await, "{id}");
    }
}

#[tokio::test]
async fn an_sns_subscription_is_confirmed_only_when_signed() {
    let w = world();
    let sns = Arc::new(leadflow::adapters::memory::StaticSnsHttps::new(Some(TEST_CERT.as_bytes().to_vec())));
    let mut ctx = context();
    ctx.sns = sns.clone();
    let mut w2 = w;
    w2.system = w2.system.with_webhooks(ctx);
    let mut m = sns_notification(SMS_TOPIC, "sub-1", "You have chosen to subscribe...", w2.now());
    m.kind = "SubscriptionConfirmation".into();
    m.token = Some("token-1".into());
    m.subscribe_url = Some("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=token-1".into());
    leadflow::webhooks::sns::sign(&mut m, TEST_KEY).unwrap();
    let mut forged = m.clone();
    forged.subscribe_url = Some("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=other".into());
    assert_eq!(w2.hit(post("/webhooks/sns/email", "text/plain", &serde_json::to_string(&forged).unwrap(), &[])).await.0, 401);
    assert_eq!(w2.hit(post("/webhooks/sns/email", "text/plain", &serde_json::to_string(&m).unwrap(), &[])).await.0, 200);
    assert_eq!(sns.confirmed(), vec![m.subscribe_url.unwrap()]);
}

// ---------------------------------------------------------------------------------------------
// Inbound texts: STOP family, HELP, START, replies
// ---------------------------------------------------------------------------------------------

const STOP_VARIANTS: &[&str] = &[
    "STOP",
    "stop",
    " Stop. ",
    "STOPALL",
    "stopall!",
    "UNSUBSCRIBE",
    "Unsubscribe",
    "END",
    "end.",
    "QUIT",
    "quit!!",
    "REVOKE",
    "revoke",
    "OPTOUT",
    "OptOut",
    "CANCEL",
    "cancel",
    "OPT OUT",
    "opt out",
    "Opt-Out!",
];

#[tokio::test]
async fn every_stop_keyword_revokes_consent_at_once_and_confirms_exactly_once() {
    for (i, word) in STOP_VARIANTS.iter().enumerate() {
        let w = world();
        let phone = format!("+1201555{:04}", 200 + i);
        let lead = w.lead(&phone, &format!("p{i}@example.com"), true).await;
        assert_eq!(w.sms_to(&phone).len(), 1, "the acknowledgement");
        // Twilio for half of them, End User Messaging via SNS for the other half.
        let req =
            if i % 2 == 0 { twilio_sms(&format!("SMstop{i}"), &phone, word) } else { sns_sms(&format!("stop{i}"), &phone, word, w.now()) };
        assert_eq!(w.deliver(req).await, 200, "{word:?}");
        let after = w.get(lead.id).await;
        let consent = after.consent.sms.clone().unwrap();
        assert!(consent.revoked_at.is_some() && !consent.is_active(), "{word:?}");
        assert_eq!(after.status, LeadStatus::OptedOut, "{word:?}");
        assert!(w.services().suppressions.is_suppressed(ContactChannel::Sms, &phone).await.unwrap(), "{word:?}");
        let texts = w.sms_to(&phone);
        assert_eq!(texts.len(), 2, "{word:?}: {texts:?}");
        assert_eq!(texts[1].purpose, "opt_out_confirmation");
        assert!(texts[1].text.contains("unsubscribed"), "{}", texts[1].text);
        assert_eq!(w.published(LeadEventKind::OptedOut).len(), 1, "{word:?}");
        let kinds = w.kinds(lead.id).await;
        for k in ["message_received", "consent_revoked", "status_changed", "message_sent"] {
            assert!(kinds.contains(&k.to_string()), "{word:?}: {kinds:?}");
        }
    }
}

#[tokio::test]
async fn after_stop_no_sms_of_any_kind_goes_out() {
    let w = world();
    let phone = "+12015550160";
    let lead = w.lead(phone, "stop@example.com", true).await;
    let stop = twilio_sms("SMs1", phone, "STOP");
    assert_eq!(w.deliver(stop).await, 200);
    assert_eq!(w.sms_to(phone).len(), 2);
    let lead = w.get(lead.id).await;
    // Every purpose through the gate, and the keyword-reply path for a re-subscription, is blocked.
    for purpose in [MessagePurpose::Acknowledgement, MessagePurpose::ResubscribeConfirmation, MessagePurpose::OptOutConfirmation] {
        let d = send_sms_to_lead(w.services(), &lead, purpose, "anything".into()).await.unwrap();
        assert!(matches!(d, Delivery::Blocked(SkipReason::ConsentRevoked | SkipReason::OptedOut)), "{d:?}");
    }
    let d = send_keyword_reply(
        w.services(),
        lead.contact.phone.as_ref().unwrap(),
        Some(lead.id),
        MessagePurpose::ResubscribeConfirmation,
        "x".into(),
    )
    .await
    .unwrap();
    assert_eq!(d, Delivery::Blocked(SkipReason::OptedOut));
    // The same STOP redelivered, a new inquiry, and an ordinary reply: still no text.
    assert_eq!(w.deliver(twilio_sms("SMs1", phone, "STOP")).await, 200);
    w.lead(phone, "stop@example.com", true).await;
    assert_eq!(w.deliver(twilio_sms("SMs2", phone, "ok thanks")).await, 200);
    assert_eq!(w.sms_to(phone).len(), 2, "{:?}", w.sms_to(phone));
}

#[tokio::test]
async fn help_is_answered_even_after_an_opt_out() {
    let w = world();
    let phone = "+12015550161";
    w.lead(phone, "help@example.com", true).await;
    assert_eq!(w.deliver(twilio_sms("SMh0", phone, "STOP")).await, 200);
    assert_eq!(w.deliver(twilio_sms("SMh1", phone, "help")).await, 200);
    let texts = w.sms_to(phone);
    let help = texts.last().unwrap();
    assert_eq!(help.purpose, "help_reply");
    assert!(help.text.contains("Harbor Health patient messages"), "{}", help.text);
    assert!(help.text.contains("(201) 555-0100"), "{}", help.text);
    assert!(help.text.contains("Msg & data rates may apply"), "{}", help.text);
    // The same HELP delivered again is answered once.
    assert_eq!(w.deliver(twilio_sms("SMh1", phone, "help")).await, 200);
    assert_eq!(w.sms_to(phone).len(), texts.len());
}

#[tokio::test]
async fn start_re_subscribes_with_a_keyword_consent_record() {
    let w = world();
    let phone = "+12015550162";
    let lead = w.lead(phone, "start@example.com", true).await;
    assert_eq!(w.deliver(twilio_sms("SMa0", phone, "STOP")).await, 200);
    w.clock.advance(Duration::minutes(5));
    assert_eq!(w.deliver(twilio_sms("SMa1", phone, "Start")).await, 200);
    let after = w.get(lead.id).await;
    let consent = after.consent.sms.unwrap();
    assert!(consent.is_active());
    assert_eq!(consent.evidence.captured_via, "keyword");
    assert!(!w.services().suppressions.is_suppressed(ContactChannel::Sms, phone).await.unwrap());
    assert_eq!(after.status, LeadStatus::Contacted);
    let texts = w.sms_to(phone);
    assert_eq!(texts.last().unwrap().purpose, "resubscribe_confirmation");
    // Texts flow again through the normal gate.
    let d = send_sms_to_lead(w.services(), &w.get(lead.id).await, MessagePurpose::Acknowledgement, "hi".into()).await.unwrap();
    assert!(matches!(d, Delivery::Sent(_)), "{d:?}");
}

#[tokio::test]
async fn a_corrected_number_is_texted_only_after_the_person_confirms_it() {
    use leadflow::app::conversation::{send, Refusal, StaffMessage};
    use leadflow::domain::text::FreeText;
    let w = world();
    let (old, new) = ("+12015550163", "+12015550164");
    let lead = w.lead(old, "fix@example.com", true).await;
    let text = |t: &str| StaffMessage {
        channel: ContactChannel::Sms,
        subject: None,
        text: FreeText::parse(t, 1000).unwrap(),
        override_quiet_hours: None,
    };
    // A staff member corrects the number: the text consent was given for the old one.
    let edits = [("phone".to_string(), "(201) 555-0164".to_string())].into_iter().collect();
    let edited = leadflow::app::leads::edit_details(w.services(), lead.id, &edits, "maria").await.unwrap();
    assert!(edited.fields.contains(&"consent"), "{:?}", edited.fields);
    let after = w.get(lead.id).await;
    let sms = after.consent.sms.clone().unwrap();
    assert!(!sms.is_active() && sms.revoked_via.as_deref() == Some("contact_changed"), "{sms:?}");
    assert_eq!(sms.text_version, lead.consent.sms.as_ref().unwrap().text_version, "the decision stays on record");
    assert!(after.consent.email.as_ref().unwrap().is_active(), "the e-mail address did not change");
    assert!(w.timeline(lead.id).await.iter().any(|e| matches!(&e.kind,
        TimelineKind::ConsentRevoked { channel: ContactChannel::Sms, via } if via == "contact_changed")));
    // Neither staff nor automation may text the new number yet.
    let refused = send(w.services(), lead.id, text("Hi Ann, is this your number now?"), "maria", None).await.unwrap();
    assert!(matches!(refused, Err(Refusal::Gate { .. })), "{refused:?}");
    assert!(w.sms_to(new).is_empty());
    // The person confirms from the new number: texts may go there again.
    w.clock.advance(Duration::minutes(5));
    assert_eq!(w.deliver(twilio_sms("SMfix1", new, "START")).await, 200);
    assert!(w.get(lead.id).await.consent.sms.unwrap().is_active());
    let sent = send(w.services(), lead.id, text("Thanks Ann, when can we call you?"), "maria", None).await.unwrap();
    assert!(sent.is_ok(), "{sent:?}");
    assert!(w.sms_to(new).iter().any(|e| e.purpose == "staff"));
}

/// The other way the person confirms a corrected number: a new inquiry from it, with its
/// consent, recorded on the same lead. A "no" in a public submission still changes nothing.
#[tokio::test]
async fn a_corrected_number_is_confirmed_by_a_new_inquiry_with_its_consent() {
    let w = world();
    let (old, new) = ("+12015550165", "+12015550166");
    let lead = w.lead(old, "again@example.com", true).await;
    let edits = [("phone".to_string(), "(201) 555-0166".to_string())].into_iter().collect();
    leadflow::app::leads::edit_details(w.services(), lead.id, &edits, "maria").await.unwrap();
    assert!(!w.get(lead.id).await.consent.sms.unwrap().is_active(), "set aside");
    // A submission from the new number without consent: still set aside.
    let refused = w.lead(new, "again@example.com", false).await;
    assert_eq!(refused.id, lead.id, "recorded on the same lead");
    assert!(!refused.consent.sms.as_ref().unwrap().is_active());
    // With consent: the new number may be texted.
    w.clock.advance(Duration::minutes(5));
    let confirmed = w.lead(new, "again@example.com", true).await;
    assert_eq!(confirmed.id, lead.id);
    let sms = confirmed.consent.sms.unwrap();
    assert!(sms.is_active() && sms.revoked_via.is_none(), "{sms:?}");
    // A person who texted STOP is not re-subscribed by a public submission: the lead keeps the
    // refusal and the number stays suppressed, whatever lead the submission lands on.
    assert_eq!(w.deliver(twilio_sms("SMagain1", new, "STOP")).await, 200);
    w.clock.advance(Duration::minutes(5));
    w.lead(new, "again@example.com", true).await;
    assert!(!w.get(lead.id).await.consent.sms.unwrap().is_active());
    assert!(w.services().suppressions.is_suppressed(ContactChannel::Sms, new).await.unwrap());
}

#[tokio::test]
async fn a_reply_is_a_touchpoint_that_stops_cadences_and_alerts_the_assignee() {
    let w = world();
    let phone = "+12015550163";
    let lead = w.lead(phone, "reply@example.com", true).await;
    leadflow::app::matching::update_lead(w.services(), lead.id, |l| {
        l.assignment = Some(leadflow_tests::leads::assignment("u-7"));
        true
    })
    .await
    .unwrap();
    assert_eq!(w.deliver(twilio_sms("SMr1", phone, "Yes Tuesday works for me")).await, 200);
    let after = w.get(lead.id).await;
    assert_eq!(after.status, LeadStatus::Contacted);
    assert_eq!(w.published(LeadEventKind::Replied).len(), 1);
    assert_eq!(w.published(LeadEventKind::StatusChanged).len(), 1);
    let alerts: Vec<_> = w.system.outbox.entries().into_iter().filter(|e| e.channel == "alert").collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].recipient, "u-7");
    assert_eq!(alerts[0].text, "lead.replied");
    let received = w.timeline(lead.id).await.into_iter().find_map(|e| match e.kind {
        TimelineKind::MessageReceived { text, .. } => text,
        _ => None,
    });
    assert_eq!(received.unwrap().as_str(), "Yes Tuesday works for me");
    // Redelivered: nothing new.
    let before = (w.timeline(lead.id).await.len(), w.system.outbox.len(), w.recorder.events.lock().unwrap().len());
    assert_eq!(w.deliver(twilio_sms("SMr1", phone, "Yes Tuesday works for me")).await, 200);
    assert_eq!(before, (w.timeline(lead.id).await.len(), w.system.outbox.len(), w.recorder.events.lock().unwrap().len()));
}

// ---------------------------------------------------------------------------------------------
// Payments, appointments, calls, email, sources
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_payment_converts_with_its_minor_unit_amount_once() {
    let w = world();
    let lead = w.lead("+12015550164", "pay@example.com", false).await;
    let event = checkout_completed("evt_1", &w.payment_reference(lead.id), 129_900, "usd", w.now());
    assert_eq!(w.deliver(stripe(&event, w.now())).await, 200);
    let after = w.get(lead.id).await;
    assert_eq!(after.status, LeadStatus::Converted);
    assert!(after.converted_at.is_some());
    let usd = leadflow::domain::money::Currency::usd();
    assert_eq!(after.revenue(&usd).minor, 129_900);
    // The same event again, and the payment intent of the same checkout: counted once.
    let version = after.version;
    let timeline_len = w.timeline(lead.id).await.len();
    assert_eq!(w.deliver(stripe(&event, w.now())).await, 200);
    let intent = serde_json::json!({
        "id": "evt_2", "type": "payment_intent.succeeded", "created": w.now().timestamp(),
        "data": {"object": {"id": "pi_evt_1", "amount_received": 129_900, "currency": "usd", "customer": "cus_test_1", "metadata": {"lead_id": lead.id.to_string()}}}
    });
    assert_eq!(w.deliver(stripe(&intent, w.now())).await, 200);
    let again = w.get(lead.id).await;
    assert_eq!(again.version, version);
    assert_eq!(again.revenue(&usd).minor, 129_900);
    assert_eq!(w.timeline(lead.id).await.len(), timeline_len);
    // Delivery is at least once: a repeated cause may announce again, always under the same id.
    let ids: std::collections::BTreeSet<_> = w.published(LeadEventKind::StatusChanged).iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn zero_decimal_currencies_keep_their_amount() {
    let w = world();
    let lead = w.lead("+12015550165", "yen@example.com", false).await;
    let event = checkout_completed("evt_jpy", &w.payment_reference(lead.id), 5000, "jpy", w.now());
    assert_eq!(w.deliver(stripe(&event, w.now())).await, 200);
    let after = w.get(lead.id).await;
    assert_eq!(after.payments[0].amount.minor, 5000);
    assert_eq!(after.payments[0].amount.currency.code(), "JPY");
    assert_eq!(after.payments[0].amount.currency.exponent(), 0);
}

#[tokio::test]
async fn a_no_show_moves_the_status_and_triggers_the_configured_re_engagement() {
    let w = world();
    let lead = w.lead("+12015550166", "noshow@example.com", true).await;
    let booked = appointment_body("apt-evt-1", "invitee.created", "apt-42", "noshow@example.com", "+12015550166");
    assert_eq!(w.deliver(appointment(&booked, w.now())).await, 200);
    assert_eq!(w.get(lead.id).await.status, LeadStatus::Booked);
    // The no-show names only the appointment: the link made at booking finds the lead.
    let mut no_show = appointment_body("apt-evt-2", "invitee_no_show.created", "apt-42", "", "");
    no_show["payload"]["invitee"] = serde_json::json!({});
    assert_eq!(w.deliver(appointment(&no_show, w.now())).await, 200);
    let after = w.get(lead.id).await;
    assert_eq!(after.status, LeadStatus::NoShow);
    let reengagement = w.timeline(lead.id).await.into_iter().find_map(|e| match e.kind {
        TimelineKind::ReengagementTriggered { action, trigger } => Some((action, trigger)),
        _ => None,
    });
    assert_eq!(reengagement, Some(("rebook_outreach".to_string(), "appointment.no_show".to_string())));
    let changes = w.published(LeadEventKind::StatusChanged);
    assert_eq!(changes.len(), 2, "booked, then no-show");
    // The event's id is the timeline entry holding from/to.
    let entry = w.timeline(lead.id).await.into_iter().find(|e| e.id == changes[1].id).unwrap();
    assert!(matches!(entry.kind, TimelineKind::StatusChanged { from: LeadStatus::Booked, to: LeadStatus::NoShow, .. }));
    // Rebooking resumes.
    let rebooked = appointment_body("apt-evt-3", "invitee.created", "apt-43", "noshow@example.com", "+12015550166");
    assert_eq!(w.deliver(appointment(&rebooked, w.now())).await, 200);
    assert_eq!(w.get(lead.id).await.status, LeadStatus::Booked);
}

#[tokio::test]
async fn a_booking_from_an_unknown_person_creates_a_lead_through_intake() {
    let w = world();
    let booked = appointment_body("apt-evt-9", "invitee.created", "apt-9", "new@example.com", "+12015550167");
    assert_eq!(w.deliver(appointment(&booked, w.now())).await, 200);
    let ids = w.services().leads.find_by_email(&leadflow::domain::Email::parse("new@example.com").unwrap()).await.unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(w.get(ids[0]).await.status, LeadStatus::Booked);
    // Redelivered: still one lead.
    assert_eq!(w.deliver(appointment(&booked, w.now())).await, 200);
    assert_eq!(w.system.store.lead_count(), 1);
}

#[tokio::test]
async fn calls_match_by_number_or_create_a_phone_call_lead() {
    let w = world();
    let known = w.lead("+12015550168", "call@example.com", false).await;
    assert_eq!(w.deliver(call(&call_body("CAL-1", "(201) 555-0168", true, 245))).await, 200);
    let after = w.get(known.id).await;
    assert_eq!(after.status, LeadStatus::Contacted);
    let logged = w.timeline(known.id).await.into_iter().find_map(|e| match e.kind {
        TimelineKind::CallLogged { answered, duration_seconds, recording_url, .. } => Some((answered, duration_seconds, recording_url)),
        _ => None,
    });
    assert_eq!(logged, Some((true, 245, Some("https://app.callrail.com/calls/CAL123/recording".to_string()))));
    // An unknown caller who hung up: a new lead from a phone call, and the team is alerted.
    assert_eq!(w.deliver(call(&call_body("CAL-2", "+12015550169", false, 0))).await, 200);
    let ids = w.services().leads.find_by_phone(&leadflow::domain::Phone::parse("+12015550169", Default::default()).unwrap()).await.unwrap();
    let created = w.get(ids[0]).await;
    assert_eq!(created.source.channel, leadflow::domain::SourceChannel::PhoneCall);
    assert!(w.system.outbox.entries().iter().any(|e| e.channel == "alert" && e.text == "call.missed"));
    assert!(w.sms_to("+12015550169").is_empty(), "no consent, no acknowledgement text");
}

#[tokio::test]
async fn a_hard_bounce_or_complaint_marks_the_email_invalid_or_unsubscribed() {
    let w = world();
    let lead = w.lead("+12015550170", "bounce@example.com", false).await;
    assert!(w.get(lead.id).await.consent.allows(ContactChannel::Email));
    let bounce = serde_json::json!({
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": [{"emailAddress": "bounce@example.com"}], "timestamp": "2026-03-03T15:40:00.000Z"},
        "mail": {"timestamp": "2026-03-03T15:39:58.000Z", "messageId": "0100018e-test-1", "destination": ["bounce@example.com"]}
    });
    assert_eq!(w.deliver(ses_event("ses-1", bounce, w.now())).await, 200);
    assert!(w.services().suppressions.is_suppressed(ContactChannel::Email, "bounce@example.com").await.unwrap());
    assert!(!w.get(lead.id).await.consent.allows(ContactChannel::Email));
    let other = w.lead("+12015550171", "spam@example.com", false).await;
    let complaint = serde_json::json!({
        "eventType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "spam@example.com"}], "complaintFeedbackType": "abuse"},
        "mail": {"timestamp": "2026-03-03T15:39:58.000Z", "messageId": "0100018e-test-2", "destination": ["spam@example.com"]}
    });
    assert_eq!(w.deliver(ses_event("ses-2", complaint, w.now())).await, 200);
    assert!(w.services().suppressions.is_suppressed(ContactChannel::Email, "spam@example.com").await.unwrap());
    assert_eq!(w.get(other.id).await.consent.email.unwrap().revoked_via.as_deref(), Some("complaint"));
    // An open is a touchpoint.
    let open = serde_json::json!({"eventType": "Open", "open": {"timestamp": "2026-03-03T16:00:00.000Z"},
        "mail": {"timestamp": "2026-03-03T15:39:58.000Z", "messageId": "0100018e-test-3", "destination": ["spam@example.com"]}});
    assert_eq!(w.deliver(ses_event("ses-3", open, w.now())).await, 200);
    assert!(w.kinds(other.id).await.contains(&"touchpoint_recorded".to_string()));
    assert_eq!(w.published(LeadEventKind::TouchpointAdded).len(), 1, "an open asks for a new score");
}

#[tokio::test]
async fn a_source_inquiry_goes_through_intake_and_page_views_are_touchpoints() {
    let w = world();
    let inquiry = serde_json::json!({
        "event_id": "chat-1", "type": "chat", "occurred_at": "2026-03-03T15:31:00Z",
        "fields": {"first_name": "Bo", "phone": "+12015550172", "consent_sms": true, "service_line": "wound_care"}
    });
    assert_eq!(w.deliver(chat_source(&inquiry, w.now())).await, 200);
    let ids = w.services().leads.find_by_phone(&leadflow::domain::Phone::parse("+12015550172", Default::default()).unwrap()).await.unwrap();
    let lead = w.get(ids[0]).await;
    assert_eq!(lead.source.channel, leadflow::domain::SourceChannel::Chat);
    assert_eq!(w.sms_to("+12015550172").len(), 1, "the acknowledgement, as for a web form");
    let view = serde_json::json!({"event_id": "pv-1", "type": "page_view", "lead_id": lead.id.to_string(), "page": "https://clinic.example/pricing"});
    assert_eq!(w.deliver(chat_source(&view, w.now())).await, 200);
    let tp = w.timeline(lead.id).await.into_iter().find_map(|e| match e.kind {
        TimelineKind::TouchpointRecorded { touchpoint, .. } => Some(touchpoint),
        _ => None,
    });
    assert_eq!(tp.unwrap().page.unwrap().as_str(), "https://clinic.example/pricing");
}

#[tokio::test]
async fn an_unknown_source_is_not_found_and_stores_nothing() {
    let w = world();
    let body = serde_json::json!({"event_id": "x-1", "type": "chat"});
    let req = timestamped("/webhooks/sources/nobody", "x-leadflow-signature", CHAT_SECRET, &body, w.now().timestamp());
    assert_eq!(w.hit(req).await.0, 404);
    assert!(!w.stored(Provider::Source, "x-1").await);
}

// ---------------------------------------------------------------------------------------------
// The sample events in events/ are what the providers send, correctly signed.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_sample_webhook_event_verifies_and_is_handled() {
    let w = world();
    // The samples were signed at 2026-03-03T15:30:00Z, with the test secrets; their SNS
    // messages with the test key. Twilio's URL is https://<host header>: no base URL is set.
    w.clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 15, 30, 30).unwrap());
    let mut ctx = context();
    ctx.public_base_url = String::new();
    let mut w = w;
    w.system = w.system.with_webhooks(ctx);
    w.lead("+12015550123", "ann.lee@example.com", true).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut samples: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("webhook-") && !p.ends_with("webhook-worker-sqs.json"))
        .collect();
    samples.sort();
    assert_eq!(samples.len(), 8, "{samples:?}");
    for path in samples {
        let req = lambda_http::request::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let (status, body) = w.hit(req).await;
        assert_eq!(status, 200, "{}: {body}", path.display());
        w.system.drain_queues().await;
    }
    assert_eq!(w.system.queue.dead_letters(Consumer::Webhooks).len(), 0);
    // The worker sample names the Twilio sample's event: handled (already) without failure.
    let sqs: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_str(&std::fs::read_to_string(dir.join("webhook-worker-sqs.json")).unwrap()).unwrap();
    assert!(handlers::webhook_worker::handle(w.services(), sqs).await.batch_item_failures.is_empty());
}
