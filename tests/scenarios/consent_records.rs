//! Consent records: the exact disclosure version and the SHA-256 of its text, the checkbox
//! state, the time, IP, user agent and page are stored with the lead; a lead without consent for
//! a channel is stored but never messaged on it; an unknown consent version is refused.

use chrono::{TimeZone, Utc};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use leadflow::config::Config;
use leadflow::domain::LeadId;
use leadflow::ports::ManualClock;
use leadflow::wiring::embedded::EmbeddedSystem;
use sha2::{Digest, Sha256};
use std::sync::Arc;

fn system() -> EmbeddedSystem {
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    EmbeddedSystem::new(Config::embedded_default().unwrap(), Arc::new(ManualClock::new(open)))
}

fn post(body: &str) -> lambda_http::Request {
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.http.source_ip = Some("198.51.100.23".into());
    http::Request::post("/leads")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("user-agent", "Mozilla/5.0 (ConsentTest)")
        .body(Body::Text(body.to_string()))
        .unwrap()
        .with_request_context(RequestContext::ApiGatewayV2(ctx))
}

async fn submit(s: &EmbeddedSystem, body: &str) -> (u16, serde_json::Value) {
    let resp = leadflow::handlers::intake::handle(&s.services, post(body)).await;
    let Body::Text(t) = resp.body() else { return (resp.status().as_u16(), serde_json::Value::Null) };
    (resp.status().as_u16(), serde_json::from_str(t).unwrap())
}

#[tokio::test]
async fn the_consent_record_proves_what_was_shown_when_and_where() {
    let s = system();
    let page = "https%3A%2F%2Fwww.harborhealth.example%2Fspa";
    let (status, receipt) = submit(
        &s,
        &format!("phone=201-555-0161&service_line=med_spa&consent_sms=on&consent_email=false&consent_version=2026-01&landing_page={page}"),
    )
    .await;
    assert_eq!(status, 202);
    let id: LeadId = leadflow_tests::leads::lead_of(&s.store, &receipt);
    let lead = s.services.leads.get(id).await.unwrap().unwrap();
    let config = Config::embedded_default().unwrap();
    let text = &config.consent_texts.iter().find(|t| t.version == "2026-01").unwrap().text;
    let sms = lead.consent.sms.clone().unwrap();
    assert!(sms.granted);
    assert_eq!(sms.text_version, "2026-01");
    assert_eq!(sms.text_sha256, hex::encode(Sha256::digest(text.as_bytes())), "the hash of the exact text shown");
    assert_eq!(sms.at, s.services.clock.now());
    assert_eq!(sms.evidence.ip.as_deref(), Some("198.51.100.23"));
    assert_eq!(sms.evidence.user_agent.as_ref().map(|u| u.as_str()), Some("Mozilla/5.0 (ConsentTest)"));
    assert_eq!(sms.evidence.page.as_ref().map(|p| p.as_str()), Some("https://www.harborhealth.example/spa"));
    assert_eq!(sms.evidence.captured_via, "web_form");
    // An explicit "no" is kept as such: the checkbox state, not just its absence.
    let email = lead.consent.email.clone().unwrap();
    assert!(!email.granted);
    assert!(lead.consent.call.is_none());
}

#[tokio::test]
async fn without_sms_consent_the_lead_is_stored_and_never_texted() {
    let s = system();
    for body in [
        "phone=201-555-0162&service_line=med_spa",
        "phone=201-555-0163&service_line=med_spa&consent_sms=false&consent_email=on&email=c%40example.com",
    ] {
        let (status, receipt) = submit(&s, body).await;
        assert_eq!(status, 202);
        let id: LeadId = leadflow_tests::leads::lead_of(&s.store, &receipt);
        assert!(s.services.leads.get(id).await.unwrap().is_some(), "the lead is stored");
    }
    s.drain_queues().await;
    assert!(s.outbox.entries().iter().all(|e| e.channel != "sms"), "no text without SMS consent");
    // The second agreed to email: its acknowledgement went by email instead.
    let mail: Vec<_> = s.outbox.entries().into_iter().filter(|e| e.channel == "email").collect();
    assert_eq!((mail.len(), mail[0].recipient.as_str()), (1, "c@example.com"));
    assert_eq!(s.store.lead_count(), 2);
    // Each step is recorded as a processing step: the first lead's skip; the second's refused
    // text and its email.
    let trail = s.audit.all();
    let acknowledge = leadflow::domain::AuditActor::system("acknowledge");
    assert_eq!(trail.iter().filter(|e| e.action == leadflow::domain::AuditAction::Process && e.actor == acknowledge).count(), 3);
}

#[tokio::test]
async fn an_unknown_consent_version_is_refused_with_the_field_named() {
    let s = system();
    let (status, body) = submit(&s, "phone=201-555-0164&service_line=med_spa&consent_sms=on&consent_version=1999-01").await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"][0]["field"], "consent_version");
    assert!(!body.to_string().contains("1999-01"));
    assert_eq!(s.store.lead_count(), 0);
}
