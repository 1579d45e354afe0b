//! Business metrics on the embedded adapters: what a capture, its acknowledgement and the first
//! contact attempt record (speed to lead once per lead), acknowledgements skipped with their
//! reason, an SLA breach once per missed deadline, a crisis page, and dimensions that carry no
//! personal data.

use chrono::Duration;
use leadflow::app::contacts::{record, ContactRequest};
use leadflow::domain::contact_attempt::{ContactAttempt, ContactOutcome};
use leadflow::domain::ContactChannel;
use leadflow::ports::metrics::{Metric, MetricRecord};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::response::{inquire, ny, system_at};

const WEB_LEAD: &[(&str, &str)] =
    &[("first_name", "Ann"), ("phone", "201-555-0123"), ("service_line", "med_spa"), ("state", "NJ"), ("consent_sms", "true")];

fn of(s: &EmbeddedSystem, metric: Metric) -> Vec<MetricRecord> {
    s.metrics.of(metric)
}

/// No dimension value holds anything the person gave.
fn assert_no_personal_data(s: &EmbeddedSystem, given: &[&str]) {
    for r in s.metrics.records() {
        for value in given {
            assert!(!r.dimension.contains(value), "{:?} carries {value:?}", r);
        }
    }
}

async fn contact(s: &EmbeddedSystem, id: leadflow::domain::LeadId) {
    let attempt = ContactAttempt { channel: ContactChannel::Call, outcome: ContactOutcome::Voicemail, note: None };
    record(&s.services, ContactRequest { lead_id: id, attempt, by: "agent-7".into(), idempotency_key: None }).await.unwrap();
}

#[tokio::test]
async fn capture_acknowledgement_and_first_contact_record_the_acknowledgement_the_text_and_speed_to_lead() {
    let (s, clock) = system_at(ny(3, 10, 30));
    let id = inquire(&s, WEB_LEAD).await;
    let sent = of(&s, Metric::AcknowledgementsSent);
    assert_eq!(sent.len(), 1, "{:?}", s.metrics.records());
    assert_eq!((sent[0].dimension.as_str(), sent[0].lead_id, sent[0].value), ("sms", Some(id), 1.0));
    assert_eq!(sent[0].at, ny(3, 10, 30), "time from the services' clock");
    assert!(of(&s, Metric::AcknowledgementsSkipped).is_empty() && of(&s, Metric::AcknowledgementsFailed).is_empty());
    assert_eq!(s.metrics.sum_where(Metric::TextsSent, "acknowledgement"), 1.0);
    assert!(of(&s, Metric::SpeedToLead).is_empty(), "no human contact yet");

    // The first contact attempt 95 seconds after capture; a second one adds nothing.
    clock.set(ny(3, 10, 30) + Duration::seconds(95));
    contact(&s, id).await;
    clock.set(ny(3, 10, 40));
    contact(&s, id).await;
    let speed = of(&s, Metric::SpeedToLead);
    assert_eq!(speed.len(), 1, "once per lead");
    assert_eq!((speed[0].value, speed[0].dimension.as_str(), speed[0].lead_id), (95.0, "med_spa", Some(id)));
    assert_eq!(speed[0].at, ny(3, 10, 30) + Duration::seconds(95));
    // The acknowledgement is not counted again when its event is redelivered.
    s.drain_queues().await;
    assert_eq!(of(&s, Metric::AcknowledgementsSent).len(), 1);
    assert_no_personal_data(&s, &["Ann", "201", "555"]);
}

#[tokio::test]
async fn an_acknowledgement_that_cannot_go_is_counted_as_skipped_with_its_reason() {
    let (s, _) = system_at(ny(3, 10, 30));
    inquire(&s, &[("first_name", "Bo"), ("phone", "201-555-0124"), ("service_line", "med_spa"), ("state", "NJ")]).await;
    let skipped = of(&s, Metric::AcknowledgementsSkipped);
    assert_eq!(skipped.iter().map(|r| r.dimension.as_str()).collect::<Vec<_>>(), ["no_consent"]);
    assert!(of(&s, Metric::AcknowledgementsSent).is_empty());
    assert_eq!(s.metrics.sum(Metric::TextsSent), 0.0);
}

#[tokio::test]
async fn a_missed_first_contact_deadline_is_one_sla_breach_whatever_the_ladder_does_next() {
    let (s, clock) = system_at(ny(3, 10, 30));
    let id = inquire(&s, WEB_LEAD).await;
    clock.set(ny(3, 10, 31));
    s.tick().await.unwrap();
    assert!(of(&s, Metric::SlaBreaches).is_empty(), "not due yet");
    // Due at 2 minutes; the backup's and the manager's steps follow.
    for minute in [32, 33, 34, 39, 45] {
        clock.set(ny(3, 10, minute));
        s.tick().await.unwrap();
    }
    let breaches = of(&s, Metric::SlaBreaches);
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!((breaches[0].dimension.as_str(), breaches[0].lead_id, breaches[0].at), ("med_spa", Some(id), ny(3, 10, 32)));
    assert!(of(&s, Metric::CrisisPages).is_empty());
}

#[tokio::test]
async fn a_crisis_lead_at_night_records_one_crisis_page() {
    // Tuesday 02:00: sam carries the on-call phone.
    let (s, _) = system_at(ny(3, 2, 0));
    let id = inquire(
        &s,
        &[("phone", "201-555-0177"), ("service_line", "addiction_treatment"), ("concern", "I relapsed tonight and I am scared")],
    )
    .await;
    let pages = of(&s, Metric::CrisisPages);
    assert_eq!(pages.len(), 1);
    assert_eq!((pages[0].dimension.as_str(), pages[0].lead_id), ("addiction_treatment", Some(id)));
    s.tick().await.unwrap();
    assert_eq!(of(&s, Metric::CrisisPages).len(), 1, "paged once");
    assert_no_personal_data(&s, &["relapse", "scared", "201", "0177"]);
}
