//! Data hygiene at intake, on the embedded system: honeypot and too-fast submissions are refused with
//! nothing stored or sent, rate limits answer 429 with Retry-After, test records are marked,
//! never messaged and cleaned up, landlines get no text (and an email acknowledgement instead),
//! disposable email domains are flagged on the lead.

use aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use chrono::{Duration, TimeZone, Utc};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use leadflow::app::hygiene::{test_records, Window};
use leadflow::config::{Config, DEFAULT_CONFIG};
use leadflow::ports::{Clock, ManualClock};
use leadflow::wiring::embedded::EmbeddedSystem;
use std::sync::Arc;

/// The shipped configuration with the fill time on and the rate limits lowered.
fn config() -> Config {
    let text = DEFAULT_CONFIG
        .replace("min_fill_seconds = 0", "min_fill_seconds = 3")
        .replace(
            "per_ip = { limit = 20, window_seconds = 3600 }\nper_network = { limit = 60, window_seconds = 3600 }\nper_phone = { limit = 5, window_seconds = 86400 }",
            "per_ip = { limit = 3, window_seconds = 3600 }\nper_phone = { limit = 2, window_seconds = 3600 }",
        )
        .replace("emails = []\nphones = []", "emails = [\"qa@harborhealth.example\"]\nphones = []");
    assert!(text.contains("per_ip = { limit = 3"), "the test lowers the limits");
    Config::from_toml(&text, "test").unwrap()
}

fn system() -> (EmbeddedSystem, Arc<ManualClock>) {
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let clock = Arc::new(ManualClock::new(open));
    (EmbeddedSystem::new(config(), clock.clone()), clock)
}

fn post(body: &str, ip: &str) -> lambda_http::Request {
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.http.source_ip = Some(ip.into());
    http::Request::post("/leads")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::Text(body.to_string()))
        .unwrap()
        .with_request_context(RequestContext::ApiGatewayV2(ctx))
}

/// The signed start token of a form shown at `at` (what `GET /forms/{id}/start` hands out).
fn token(services: &leadflow::app::Services, at: chrono::DateTime<Utc>) -> String {
    leadflow::app::webform::start_token(&services.links, "inquiry", at, 24).unwrap()
}

/// A form as a person sends it: the honeypot empty, shown ten seconds ago.
fn form(s: &EmbeddedSystem, extra: &str) -> String {
    let started = token(&s.services, s.services.clock.now() - Duration::seconds(10));
    format!("first_name=Ann&service_line=med_spa&consent_sms=true&website=&form_start={started}&{extra}")
}

async fn submit(s: &EmbeddedSystem, body: &str, ip: &str) -> (u16, Option<String>, serde_json::Value) {
    let resp = leadflow::handlers::intake::handle(&s.services, post(body, ip)).await;
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let json = match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        _ => serde_json::Value::Null,
    };
    (resp.status().as_u16(), retry, json)
}

fn sms_count(s: &EmbeddedSystem) -> usize {
    s.outbox.entries().iter().filter(|e| e.channel == "sms").count()
}

#[tokio::test]
async fn honeypot_and_fast_submissions_are_refused_with_no_lead_stored_and_no_sms_sent() {
    let (s, _) = system();
    let honeypot = form(&s, "phone=201-555-0181").replace("website=&", "website=http%3A%2F%2Fcheap.example&");
    let (status, _, body) = submit(&s, &honeypot, "198.51.100.1").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "submission_rejected");
    assert_eq!(body["fields"][0]["field"], "website");
    assert_eq!(body["fields"][0]["code"], "honeypot_filled");

    let fresh = token(&s.services, s.services.clock.now() - Duration::milliseconds(800));
    let fast = format!("first_name=Ann&service_line=med_spa&consent_sms=true&phone=201-555-0182&form_start={fresh}");
    let (status, _, body) = submit(&s, &fast, "198.51.100.1").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "form_start");
    assert_eq!(body["fields"][0]["code"], "submitted_too_fast");

    // A start time the page made up (the old epoch-milliseconds field) is not a token.
    let forged =
        format!("first_name=Ann&service_line=med_spa&phone=201-555-0185&form_start={}", s.services.clock.now().timestamp_millis() - 60_000);
    let (status, _, body) = submit(&s, &forged, "198.51.100.1").await;
    assert_eq!((status, body["fields"][0]["code"].as_str()), (422, Some("form_start_invalid")));

    let missing = "first_name=Ann&service_line=med_spa&phone=201-555-0183";
    let (status, _, body) = submit(&s, missing, "198.51.100.1").await;
    assert_eq!((status, body["fields"][0]["code"].as_str()), (422, Some("form_start_missing")));

    s.drain_queues().await;
    assert_eq!(s.store.lead_count(), 0, "nothing stored");
    assert_eq!(sms_count(&s), 0, "nothing sent");

    // The same person filling the form at a human pace gets through.
    let (status, _, body) = submit(&s, &form(&s, "phone=201-555-0184"), "198.51.100.1").await;
    assert_eq!(status, 202, "{body}");
    s.drain_queues().await;
    assert_eq!(sms_count(&s), 1);
}

#[tokio::test]
async fn rate_limits_per_phone_and_per_ip_answer_429_with_retry_after() {
    let (s, clock) = system();
    // Per phone: 2 an hour, whatever the address.
    for ip in ["203.0.113.1", "203.0.113.2"] {
        assert_eq!(submit(&s, &form(&s, "phone=201-555-0191"), ip).await.0, 202);
    }
    let (status, retry, body) = submit(&s, &form(&s, "phone=201-555-0191"), "203.0.113.3").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(body["fields"][0]["field"], "phone");
    let retry: i64 = retry.expect("Retry-After").parse().unwrap();
    assert!(retry > 0 && retry <= 3600, "{retry}");

    // Per IP: 3 an hour, whatever the number (the refused post above counted for 203.0.113.3).
    for phone in ["201-555-0192", "201-555-0193"] {
        assert_eq!(submit(&s, &form(&s, &format!("phone={phone}")), "203.0.113.3").await.0, 202);
    }
    let (status, retry, body) = submit(&s, &form(&s, "phone=201-555-0194"), "203.0.113.3").await;
    assert_eq!((status, body["fields"][0]["field"].as_str()), (429, Some("ip")));
    assert!(retry.is_some());

    // A new window lets them in again.
    clock.advance(Duration::hours(1));
    assert_eq!(submit(&s, &form(&s, "phone=201-555-0194"), "203.0.113.3").await.0, 202);
}

#[tokio::test]
async fn test_records_are_marked_never_messaged_and_deleted_after_the_configured_days() {
    let (s, clock) = system();
    let (status, _, body) =
        submit(&s, &form(&s, "phone=201-555-0171&email=QA%40harborhealth.example&consent_email=true"), "192.0.2.9").await;
    assert_eq!(status, 202, "{body}");
    let id: leadflow::domain::LeadId = leadflow_tests::leads::lead_of(&s.store, &body);
    let real = submit(&s, &form(&s, "phone=201-555-0172"), "192.0.2.10").await.2;
    let real_id: leadflow::domain::LeadId = leadflow_tests::leads::lead_of(&s.store, &real);
    s.drain_queues().await;
    let lead = s.services.leads.get(id).await.unwrap().unwrap();
    assert!(lead.test, "a configured test email marks the lead");
    assert_eq!(serde_json::to_value(&lead).unwrap()["test"], true, "reports filter on `test`");
    assert!(!s.services.leads.get(real_id).await.unwrap().unwrap().test);
    assert_eq!(sms_count(&s), 1, "only the real lead is texted");
    assert!(s.outbox.entries().iter().all(|e| e.lead_id != Some(id)), "nothing at all to the test lead");
    let timeline = s.services.timeline.list(id, None, 500).await.unwrap().items;
    assert!(timeline.iter().any(|e| serde_json::to_value(e).unwrap()["reason"] == "test_record"), "the skip is on the timeline");

    // Not yet: 7 days is the configured age.
    let window = |c: &ManualClock| Window { from: None, to: c.now() };
    clock.advance(Duration::days(6));
    assert_eq!(test_records::run(&s.services, window(&clock)).await.unwrap().changed, 0);
    clock.advance(Duration::days(2));
    let report = test_records::run(&s.services, window(&clock)).await.unwrap();
    assert_eq!((report.changed, report.lead_ids.clone()), (1, vec![id]));
    assert!(s.services.leads.get(id).await.unwrap().is_none(), "the test lead is gone");
    assert!(s.services.timeline.list(id, None, 500).await.unwrap().items.is_empty());
    assert!(s.services.leads.get(real_id).await.unwrap().is_some(), "real leads stay");
    assert_eq!(test_records::run(&s.services, window(&clock)).await.unwrap().changed, 0, "idempotent");
}

#[tokio::test]
async fn a_landline_gets_no_sms_and_the_acknowledgement_falls_back_to_email() {
    let (s, _) = system();
    // A London landline (the metadata tells fixed lines apart outside NANP).
    let body = form(&s, "phone=%2B44%2020%207946%200000&email=ann%40harborhealth.org&consent_email=true");
    let (status, _, reply) = submit(&s, &body, "192.0.2.20").await;
    assert_eq!(status, 202, "{reply}");
    let id: leadflow::domain::LeadId = leadflow_tests::leads::lead_of(&s.store, &reply);
    s.drain_queues().await;
    assert_eq!(sms_count(&s), 0, "no text to a landline");
    let emails: Vec<_> = s.outbox.entries().into_iter().filter(|e| e.channel == "email").collect();
    assert_eq!(emails.len(), 1, "the acknowledgement went by email");
    let lead = s.services.leads.get(id).await.unwrap().unwrap();
    assert!(lead.acknowledged_at.is_some());
    let json = serde_json::to_value(&lead).unwrap();
    assert_eq!(json["contact_flags"], serde_json::json!([{"field": "phone", "code": "landline"}]));
    let timeline: Vec<serde_json::Value> =
        s.services.timeline.list(id, None, 500).await.unwrap().items.iter().map(|e| serde_json::to_value(e).unwrap()).collect();
    assert!(
        timeline.iter().any(|e| e["type"] == "message_not_sent" && e["reason"] == "not_mobile" && e["channel"] == "sms"),
        "{timeline:?}"
    );
    assert!(timeline.iter().any(|e| e["type"] == "acknowledgement_sent" && e["channel"] == "email"));

    // A toll-free number without an email: no text, the skip recorded.
    let (_, _, reply) = submit(&s, &form(&s, "phone=800-555-0142"), "192.0.2.21").await;
    let id: leadflow::domain::LeadId = leadflow_tests::leads::lead_of(&s.store, &reply);
    s.drain_queues().await;
    assert_eq!(sms_count(&s), 0);
    let timeline = s.services.timeline.list(id, None, 500).await.unwrap().items;
    assert!(timeline.iter().any(|e| serde_json::to_value(e).unwrap()["reason"] == "not_mobile"));
    let lead = s.services.leads.get(id).await.unwrap().unwrap();
    assert_eq!(lead.contact_flags[0].code, leadflow::domain::contact_check::FlagCode::TollFree);
}

#[tokio::test]
async fn a_disposable_email_is_flagged_and_kept() {
    let (s, _) = system();
    let (status, _, reply) = submit(&s, &form(&s, "email=someone%40mailinator.com"), "192.0.2.30").await;
    assert_eq!(status, 202, "{reply}");
    let id: leadflow::domain::LeadId = leadflow_tests::leads::lead_of(&s.store, &reply);
    let lead = s.services.leads.get(id).await.unwrap().unwrap();
    assert_eq!(lead.contact.email.as_ref().unwrap().as_str(), "someone@mailinator.com", "the value is kept");
    // GET /leads/{id} answers the lead as stored: the flags are in it.
    let json = serde_json::to_value(&lead).unwrap();
    assert_eq!(json["contact_flags"], serde_json::json!([{"field": "email", "code": "disposable_domain"}]));
}

/// The same refusals on the AWS adapters (moto): the counter is DynamoDB's, nothing is stored
/// for a refused submission and moto's SNS records no text.
#[tokio::test]
async fn on_dynamodb_refusals_store_nothing_and_the_limit_answers_429() {
    use leadflow_tests::aws::MotoAws;
    let aws = MotoAws::connect().await;
    let store = Arc::new(aws.fresh_store().await);
    let queues = aws.fresh_queues(std::time::Duration::from_secs(30)).await;
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let base = aws.services(store.clone(), &queues, Arc::new(ManualClock::new(open))).await;
    let services = leadflow::app::Services { config: Arc::new(config()), ..base };
    let phone = leadflow_tests::leads::unique_phone();
    let started = token(&services, open - Duration::seconds(10));
    let body = |extra: &str| {
        format!(
            "first_name=Ann&service_line=med_spa&consent_sms=true&form_start={started}&phone={}{extra}",
            phone.as_e164().replace('+', "%2B")
        )
    };
    let call = |b: String, ip: &'static str| {
        let services = services.clone();
        async move { leadflow::handlers::intake::handle(&services, post(&b, ip)).await }
    };
    let bot = call(body("&website=x"), "198.51.100.40").await;
    assert_eq!(bot.status(), 422);
    assert!(services.leads.find_by_phone(&phone).await.unwrap().is_empty(), "nothing stored");
    assert_eq!(call(body(""), "198.51.100.41").await.status(), 202);
    assert_eq!(call(body(""), "198.51.100.42").await.status(), 202);
    let limited = call(body(""), "198.51.100.43").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().get("retry-after").is_some());
    assert_eq!(services.leads.find_by_phone(&phone).await.unwrap().len(), 1, "one lead, the repeat joined it");
    assert!(aws.sms_sent_to(phone.as_e164()).await.is_empty(), "intake itself never texts");
}

/// With `mx_check`, a domain DNS says has no mail exchanger is flagged; an unknown answer sets
/// nothing (the port's embedded adapter answers from a fixed table).
#[tokio::test]
async fn the_optional_mx_check_flags_a_domain_without_mail_exchanger() {
    let (system, _) = system();
    let text = DEFAULT_CONFIG.replace("mx_check = false", "mx_check = true");
    let answers = [("nomail-clinic.org".to_string(), false), ("harborhealth.org".to_string(), true)];
    let services = leadflow::app::Services {
        config: Arc::new(Config::from_toml(&text, "test").unwrap()),
        mail_domains: Arc::new(leadflow::adapters::memory::StaticMailDomains::new(answers)),
        ..system.services.clone()
    };
    let s = EmbeddedSystem { services, ..system };
    let mut flags = Vec::new();
    for address in ["ann%40nomail-clinic.org", "bea%40harborhealth.org", "cy%40unknown-dns.org"] {
        let (status, _, reply) = submit(&s, &format!("first_name=Ann&service_line=med_spa&email={address}"), "192.0.2.50").await;
        assert_eq!(status, 202, "{reply}");
        let id: leadflow::domain::LeadId = leadflow_tests::leads::lead_of(&s.store, &reply);
        flags.push(serde_json::to_value(s.services.leads.get(id).await.unwrap().unwrap()).unwrap()["contact_flags"].clone());
    }
    assert_eq!(flags[0], serde_json::json!([{"field": "email", "code": "no_mail_exchanger"}]));
    assert_eq!(flags[1], serde_json::Value::Null, "a domain with MX has no flag");
    assert_eq!(flags[2], serde_json::Value::Null, "an unknown answer sets nothing");
}
