//! The acknowledge consumer on the embedded adapters: exactly one text per lead whatever the
//! queue does, partial batch failures, and the dead-letter path.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{TimeZone, Utc};
use leadflow::adapters::memory::QueueSettings;
use leadflow::app::intake::{capture, IntakeRequest};
use leadflow::config::Config;
use leadflow::domain::intake_form::RawSubmission;
use leadflow::domain::{LeadEvent, LeadEventKind, LeadId};
use leadflow::handlers;
use leadflow::ports::{Consumer, ManualClock};
use leadflow::wiring::embedded::EmbeddedSystem;
use std::sync::Arc;
use std::time::Duration;

fn system() -> EmbeddedSystem {
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let settings = QueueSettings { visibility_timeout: Duration::from_millis(20), max_receive_count: 3 };
    EmbeddedSystem::with_queue_settings(Config::embedded_default().unwrap(), Arc::new(ManualClock::new(open)), settings)
}

async fn capture_lead(s: &EmbeddedSystem, phone: &str, consent: bool) -> LeadId {
    let mut fields: std::collections::BTreeMap<String, String> = [("first_name", "Ann"), ("phone", phone), ("service_line", "med_spa")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if consent {
        fields.insert("consent_sms".into(), "true".into());
    }
    let submission = RawSubmission { fields, ip: None, user_agent: None };
    capture(&s.services, IntakeRequest { submission, idempotency_key: None }).await.unwrap().lead_id
}

fn record(id: &str, body: &str) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.into());
    m.body = Some(body.into());
    m
}

fn event(records: Vec<SqsMessage>) -> SqsEvent {
    let mut e = SqsEvent::default();
    e.records = records;
    e
}

fn captured(lead_id: LeadId) -> String {
    LeadEvent { id: leadflow::domain::EventId::new_at(Utc::now()), kind: LeadEventKind::Captured, lead_id, occurred_at: Utc::now() }
        .to_json()
}

#[tokio::test]
async fn a_message_delivered_twice_sends_one_text() {
    let s = system();
    let lead = capture_lead(&s, "201-555-0123", true).await;
    let batch = event(vec![record("m1", &captured(lead))]);
    let first = handlers::acknowledge::handle(&s.services, batch.clone()).await;
    let second = handlers::acknowledge::handle(&s.services, batch).await;
    assert!(first.batch_item_failures.is_empty() && second.batch_item_failures.is_empty());
    assert_eq!(s.outbox.len(), 1);
    // The whole queue path agrees: draining the event intake published adds nothing.
    s.drain_queues().await;
    assert_eq!(s.outbox.len(), 1);
}

#[tokio::test]
async fn two_copies_at_once_send_one_text_and_the_loser_is_retried_harmlessly() {
    let s = system();
    let lead = capture_lead(&s, "201-555-0124", true).await;
    let batch = event(vec![record("m1", &captured(lead))]);
    let copies = (0..8).map(|_| handlers::acknowledge::handle(&s.services, batch.clone()));
    let results = futures::future::join_all(copies).await;
    assert_eq!(s.outbox.len(), 1);
    // Copies that found the claim held asked for a retry; on retry they find the work done.
    let retried = results.iter().filter(|r| !r.batch_item_failures.is_empty()).count();
    for _ in 0..retried {
        assert!(handlers::acknowledge::handle(&s.services, batch.clone()).await.batch_item_failures.is_empty());
    }
    assert_eq!(s.outbox.len(), 1);
}

#[tokio::test]
async fn a_bad_message_fails_alone_in_its_batch() {
    let s = system();
    let a = capture_lead(&s, "201-555-0125", true).await;
    let b = capture_lead(&s, "201-555-0126", true).await;
    let batch = event(vec![record("good-1", &captured(a)), record("bad", "{not json"), record("good-2", &captured(b))]);
    let resp = handlers::acknowledge::handle(&s.services, batch).await;
    let failed: Vec<&str> = resp.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["bad"]);
    assert_eq!(s.outbox.len(), 2);
}

#[tokio::test]
async fn a_message_that_keeps_failing_lands_in_the_dead_letter_queue() {
    let s = system();
    s.queue.send_raw(Consumer::Acknowledge, "{not json");
    let unknown = LeadEvent {
        id: leadflow::domain::EventId::new_at(Utc::now()),
        kind: LeadEventKind::Captured,
        lead_id: LeadId::random(),
        occurred_at: Utc::now(),
    };
    s.queue.send_raw(Consumer::Acknowledge, &unknown.to_json());
    for _ in 0..10 {
        s.drain_queues().await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let dead = s.queue.dead_letters(Consumer::Acknowledge);
    assert_eq!(dead.len(), 2);
    assert!(dead.iter().all(|m| m.receive_count == 3));
    assert_eq!(s.queue.depth(Consumer::Acknowledge), 0);
}

#[tokio::test]
async fn a_provider_outage_is_retried_until_the_text_goes_out_once() {
    let s = system();
    s.outbox.fail_next(2);
    capture_lead(&s, "201-555-0127", true).await;
    for _ in 0..10 {
        s.drain_queues().await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(s.outbox.len(), 1);
    assert!(s.queue.dead_letters(Consumer::Acknowledge).is_empty());
}

#[tokio::test]
async fn no_consent_toll_free_and_opted_out_numbers_get_nothing_and_the_reason_is_recorded() {
    let s = system();
    let no_consent = capture_lead(&s, "201-555-0128", false).await;
    let toll_free = capture_lead(&s, "800-555-0100", true).await;
    let opted_out = capture_lead(&s, "201-555-0129", true).await;
    s.services.suppressions.suppress(leadflow::domain::ContactChannel::Sms, "+12015550129", "stop_keyword", Utc::now()).await.unwrap();
    s.drain_queues().await;
    assert!(s.outbox.is_empty());
    for (lead, reason) in [(no_consent, "no_consent"), (toll_free, "not_mobile"), (opted_out, "opted_out")] {
        let page = s.services.timeline.list(lead, None, 10).await.unwrap();
        let skipped: Vec<serde_json::Value> =
            page.items.iter().map(|e| serde_json::to_value(e).unwrap()).filter(|v| v["type"] == "acknowledgement_skipped").collect();
        assert_eq!(skipped.len(), 1, "{reason}");
        assert_eq!(skipped[0]["reason"], reason);
    }
}

#[tokio::test]
async fn two_events_for_one_lead_in_a_batch_are_handled_once_without_retry() {
    let s = system();
    let lead = capture_lead(&s, "201-555-0130", true).await;
    let repeated = LeadEvent {
        id: leadflow::domain::EventId::new_at(Utc::now()),
        kind: LeadEventKind::InquiryRepeated,
        lead_id: lead,
        occurred_at: Utc::now(),
    };
    let batch = event(vec![record("a", &captured(lead)), record("b", &repeated.to_json())]);
    let resp = handlers::acknowledge::handle(&s.services, batch).await;
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(s.outbox.len(), 1);
}
