//! The whole pipeline with distinctive personal values, and a scan of everything it emits: every
//! log line at TRACE (through the production subscriber and its redacting writer), every error
//! body returned to a caller, every success body of a public route, and the audit trail. The run
//! covers intake and acknowledgement, scoring and routing, staff routes, and the webhooks: a
//! reply with free text, a STOP, a payment naming the person, and forged deliveries carrying
//! the values. None may hold a phone number, email, name, address or free text. The business
//! metrics are scanned too, as the EMF documents a function writes (`GET /local/metrics`).
//!
//! One test in this file: it installs the process-wide subscriber.

use chrono::{TimeZone, Utc};
use leadflow::domain::inbound::Provider;
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_tests::http::send;
use leadflow_tests::runner::wait_for_consumers;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// Everything written, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The distinctive values, and the forms they may take in output.
const FIRST: &str = "Zephyrine";
const LAST: &str = "Quillfeather";
const PHONE_DIGITS: &str = "2015550187";
const EMAIL: &str = "zephyrine.quill@example.net";
const CONCERN: &str = "persistent tinnitus after concert";
const CITY: &str = "Xanaduville";
const CARRIER: &str = "Aetherian Mutual";

fn forbidden() -> Vec<String> {
    vec![
        FIRST.into(),
        LAST.into(),
        PHONE_DIGITS.into(),
        format!("+1{PHONE_DIGITS}"),
        "555-0187".into(),
        "555 0187".into(),
        EMAIL.into(),
        "zephyrine.quill".into(),
        "tinnitus".into(),
        CITY.into(),
        CARRIER.into(),
    ]
}

async fn call(r: &Running, method: &str, path: &str, headers: &[(&str, &str)], body: String) -> (u16, String) {
    let reply = send(&r.base_url(), method, path, None, headers, body).await;
    (reply.status, reply.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_emitted_holds_personal_data() {
    let logs = Captured::default();
    let filter = tracing_subscriber::EnvFilter::new("trace");
    tracing::subscriber::set_global_default(leadflow::wiring::logging::subscriber(logs.clone(), true, filter)).unwrap();

    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    // The scheduled functions run when the test ticks (below), not on a wall-clock timer.
    let options = Options {
        port: 0,
        tick_every: None,
        dev_token_secret: Some("redaction-test-secret-0123456789".into()),
        secrets: leadflow_tests::webhooks::secrets(),
        ..Options::default()
    };
    let clock = Arc::new(ManualClock::new(open));
    let r = start(options, clock.clone()).await.unwrap();
    let form_ct = ("content-type", "application/x-www-form-urlencoded");
    let json_ct = ("content-type", "application/json");
    let form = format!(
        "first_name={FIRST}&last_name={LAST}&phone=%28201%29+555-0187&email={}&service_line=med_spa&concern={}&city={CITY}&insurance_carrier={}&consent_sms=on&consent_email=on",
        EMAIL.replace('@', "%40"),
        CONCERN.replace(' ', "+"),
        CARRIER.replace(' ', "+")
    );
    let mut emitted: Vec<String> = Vec::new();

    // The happy path: intake, acknowledgement, a repeat, an idempotent replay.
    let (status, body) = call(&r, "POST", "/leads", &[form_ct, ("idempotency-key", "k-redact-1")], form.clone()).await;
    assert_eq!(status, 202);
    emitted.push(body.clone());
    let id = leadflow_tests::leads::lead_of(&r.system.store, &serde_json::from_str::<serde_json::Value>(&body).unwrap()).to_string();
    wait_for_consumers(&r.system).await;
    assert!(!r.system.outbox.is_empty(), "the acknowledgement");
    emitted.push(call(&r, "POST", "/leads", &[form_ct, ("idempotency-key", "k-redact-1")], form.clone()).await.1);
    emitted.push(call(&r, "POST", "/leads", &[form_ct], form.clone()).await.1);

    // The follow-up cadence: a call task with its notice, the 1-hour email and the 24-hour text
    // (both greet the person by name), and the staff cadence routes; then back to the start.
    wait_for_consumers(&r.system).await;
    for minute in 1..=24 * 60 + 15 {
        clock.set(open + chrono::Duration::minutes(minute));
        // What the runner's ticker runs: the SLA checker and the follow-up function.
        let handled = r.system.tick().await.unwrap().handled + r.system.followup_tick().await.unwrap().handled;
        if handled > 0 {
            wait_for_consumers(&r.system).await;
        }
        if minute == 5 {
            // The 2-minute call goes unanswered, so the 1-hour "we tried to call you" email goes.
            let lead = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap();
            let by = lead.assignment.unwrap().member.to_string();
            let attempt = leadflow::domain::contact_attempt::ContactAttempt {
                channel: leadflow::domain::ContactChannel::Call,
                outcome: leadflow::domain::contact_attempt::ContactOutcome::NoAnswer,
                note: None,
            };
            let request = leadflow::app::contacts::ContactRequest { lead_id: lead.id, attempt, by, idempotency_key: None };
            leadflow::app::contacts::record(&r.system.services, request).await.unwrap();
            r.system.drain_queues().await;
        }
    }
    let followups: Vec<_> = r.system.outbox.entries().into_iter().filter(|e| e.purpose == "follow_up").collect();
    assert!(followups.iter().any(|e| e.channel == "email") && followups.iter().any(|e| e.channel == "sms"), "{followups:?}");
    assert!(followups.iter().any(|e| e.text.contains(FIRST)), "the cadence texts carried the name");
    let (_, staff) = call(&r, "POST", "/local/dev-token", &[], r#"{"user":"adm-1","role":"admin"}"#.into()).await;
    let staff = format!("Bearer {}", serde_json::from_str::<serde_json::Value>(&staff).unwrap()["token"].as_str().unwrap());
    let assignee = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap().assignment.unwrap().member;
    for (method, path) in [
        ("GET", format!("/tasks?member={assignee}")),
        ("GET", format!("/leads/{id}/tasks")),
        ("GET", format!("/leads/{id}/cadence")),
        ("POST", format!("/leads/{id}/cadence/pause")),
        ("POST", format!("/leads/{id}/cadence/resume")),
    ] {
        let (status, body) = call(&r, method, &path, &[("authorization", &staff)], String::new()).await;
        assert_eq!(status, 200, "{method} {path}: {body}");
        emitted.push(body);
    }
    clock.set(open);

    // Webhooks: a reply in the person's words, a STOP, a payment naming them; and forged
    // deliveries carrying the values (refused, and the refusals logged).
    let twilio_url = format!("{}/webhooks/twilio/sms", r.base_url());
    for (sid, text) in [("SMredact1", format!("the {CONCERN} is worse, {FIRST}")), ("SMredact2", "STOP".to_string())] {
        let params = leadflow_tests::webhooks::twilio_form(sid, "+12015550187", &text);
        let sig = leadflow::webhooks::signature::twilio_sign(&twilio_url, &params, leadflow_tests::webhooks::TWILIO_TOKEN);
        let (status, body) = call(
            &r,
            "POST",
            "/webhooks/twilio/sms",
            &[form_ct, ("x-twilio-signature", &sig)],
            serde_urlencoded::to_string(&params).unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        emitted.push(body);
        wait_for_consumers(&r.system).await;
    }
    let payment = serde_json::json!({
        "id": "evt_redact_1", "object": "event", "type": "checkout.session.completed", "created": open.timestamp(),
        "data": {"object": {
            "id": "cs_redact_1", "amount_total": 45000, "currency": "usd", "client_reference_id": id, "customer": "cus_redact_1",
            "payment_intent": "pi_redact_1", "payment_status": "paid",
            "customer_details": {"email": EMAIL, "phone": "+12015550187", "name": format!("{FIRST} {LAST}"), "address": {"city": CITY}}
        }}
    })
    .to_string();
    let sig =
        leadflow::webhooks::signature::timestamped_sign(payment.as_bytes(), leadflow_tests::webhooks::STRIPE_SECRET, open.timestamp());
    let (status, body) = call(&r, "POST", "/webhooks/payments", &[json_ct, ("stripe-signature", &sig)], payment.clone()).await;
    assert_eq!(status, 200, "{body}");
    emitted.push(body);
    wait_for_consumers(&r.system).await;
    for (path, headers) in [
        ("/webhooks/payments", vec![json_ct, ("stripe-signature", "t=1,v1=00")]),
        ("/webhooks/calls", vec![json_ct, ("signature", "Zm9yZ2Vk")]),
        ("/webhooks/sources/chat_widget", vec![json_ct]),
    ] {
        let (status, body) = call(&r, "POST", path, &headers, payment.clone()).await;
        assert_eq!(status, 401, "{path}: {body}");
        emitted.push(body);
    }
    // A signed body the parser refuses: its error names the field, not the value.
    let bad = format!(
        r#"{{"id":"evt_redact_2","type":"payment_intent.succeeded","data":{{"object":{{"id":"pi_2","amount_received":"{EMAIL}"}}}}}}"#
    );
    let sig = leadflow::webhooks::signature::timestamped_sign(bad.as_bytes(), leadflow_tests::webhooks::STRIPE_SECRET, open.timestamp());
    let (status, body) = call(&r, "POST", "/webhooks/payments", &[json_ct, ("stripe-signature", &sig)], bad).await;
    assert_eq!(status, 400, "{body}");
    emitted.push(body);
    for (provider, event) in [(Provider::Twilio, "SMredact2"), (Provider::Stripe, "evt_redact_1")] {
        let stored = r.system.services.inbound.get_inbound(provider, event).await.unwrap().unwrap();
        assert!(stored.outcome.is_some(), "{event} was handled by the worker");
    }
    assert!(r.system.outbox.entries().iter().any(|e| e.purpose == "opt_out_confirmation"), "the STOP ran");

    // Failure paths that log errors: a queue outage (the inquiry is stored, so 202; the relay
    // logs and retries) and a provider outage (retried). Nothing else is sending meanwhile, so
    // the failure is the relay's.
    wait_for_consumers(&r.system).await;
    r.system.queue.fail_next_publishes(1);
    let (status, body) = call(&r, "POST", "/leads", &[form_ct, ("idempotency-key", "k-redact-2")], form.replace("0187", "0188")).await;
    assert_eq!(status, 202);
    emitted.push(body);
    r.system.outbox.fail_next(1);
    emitted.push(call(&r, "POST", "/leads", &[form_ct, ("idempotency-key", "k-redact-2")], form.replace("0187", "0188")).await.1);
    // The failed send comes back after the queue's visibility timeout and goes out.
    wait_for_consumers(&r.system).await;
    // A careless log line (what a future change might add) is masked by the writer itself.
    tracing::warn!(phone = "+12015550187", note = %CONCERN, "probe: contact {EMAIL} at (201) 555-0187");

    // Bad input of every kind, carrying the values: the error bodies must not echo them.
    let bad_json = format!(
        r#"{{"first_name":"{FIRST}\u0007","phone":"{PHONE_DIGITS}99999","email":"{EMAIL}@@","concern":"{CONCERN}","{LAST}":"x","city":"<{CITY}>"}}"#
    );
    for (headers, body) in [
        (vec![json_ct], bad_json.clone()),
        (vec![json_ct], format!(r#"{{"first_name":"{FIRST}""#)),
        (vec![("content-type", "text/plain")], form.clone()),
        (vec![json_ct], format!(r#"{{"concern":"{}"}}"#, CONCERN.repeat(3000))),
        (vec![form_ct, ("idempotency-key", "k-redact-1")], form.replace(FIRST, "Other")),
        (vec![form_ct], format!("{form}&redirect_to=https%3A%2F%2F{EMAIL}")),
    ] {
        let (status, body) = call(&r, "POST", "/leads", &headers, body).await;
        assert!(status >= 400, "{status} {body}");
        emitted.push(body);
    }
    // Staff routes refusing and failing: their bodies too.
    emitted.push(call(&r, "GET", &format!("/people/{id}/export"), &[], String::new()).await.1);
    let (_, analyst) = call(&r, "POST", "/local/dev-token", &[], r#"{"user":"an-2","role":"analyst"}"#.into()).await;
    let analyst = serde_json::from_str::<serde_json::Value>(&analyst).unwrap()["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {analyst}");
    emitted.push(call(&r, "GET", &format!("/people/{id}/export"), &[("authorization", &bearer)], String::new()).await.1);
    emitted.push(call(&r, "GET", &format!("/audit/users/{EMAIL}"), &[("authorization", &bearer)], String::new()).await.1);
    // An administrator's export carries the data by design (it is the person's copy); only the
    // logs written meanwhile are scanned. Then the erasure.
    let (_, admin) = call(&r, "POST", "/local/dev-token", &[], r#"{"user":"adm-2","role":"admin"}"#.into()).await;
    let admin = serde_json::from_str::<serde_json::Value>(&admin).unwrap()["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {admin}");
    let (status, export) = call(&r, "GET", &format!("/people/{id}/export"), &[("authorization", &bearer)], String::new()).await;
    assert_eq!(status, 200);
    assert!(export.contains(FIRST), "the export itself holds the data");
    let (status, body) = call(&r, "DELETE", &format!("/people/{id}"), &[("authorization", &bearer)], String::new()).await;
    assert_eq!(status, 200);
    emitted.push(body);
    wait_for_consumers(&r.system).await;

    emitted.push(serde_json::to_string(&r.system.audit.all()).unwrap());
    let (status, metrics) = call(&r, "GET", "/local/metrics", &[], String::new()).await;
    assert_eq!(status, 200);
    assert!(metrics.contains("AcknowledgementsSent") && metrics.contains("TextsSent"), "metrics were recorded: {metrics}");
    emitted.push(metrics);
    let log_text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(
        log_text.contains("inquiry accepted") && log_text.contains(&id),
        "the logs were captured: {}",
        &log_text[..log_text.len().min(2000)]
    );
    assert!(log_text.contains("outbox event not delivered"), "error paths ran");
    assert!(
        log_text.contains(r#""phone":"<redacted>""#) && log_text.contains("probe: contact <redacted> at <redacted>"),
        "the redacting writer is in the production subscriber"
    );
    emitted.push(log_text);
    let all = emitted.join("\n");
    for value in forbidden() {
        let at = all.find(&value);
        assert!(at.is_none(), "{value:?} was emitted: …{}…", &all[at.unwrap().saturating_sub(300)..(at.unwrap() + 100).min(all.len())]);
    }
}
