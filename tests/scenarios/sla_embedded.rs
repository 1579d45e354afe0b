//! Response-time SLAs with a moved clock, on the embedded adapters: the ladder's timing and
//! order, a contact attempt stopping it, crisis pages at night, and night leads waiting for the
//! opening.

use chrono::Duration;
use leadflow::app::contacts::{record, ContactRequest};
use leadflow::domain::contact_attempt::{ContactAttempt, ContactOutcome};
use leadflow::domain::{ContactChannel, LeadStatus};
use leadflow_tests::response::{entries_of, inquire, lead, notice_list, notices, ny, system_at};

fn overdue(s: &leadflow::wiring::embedded::EmbeddedSystem) -> Vec<String> {
    notice_list(s).into_iter().filter(|(p, _)| p == "overdue").map(|(_, r)| r).collect()
}

const WEB_LEAD: &[(&str, &str)] = &[("first_name", "Ann"), ("phone", "201-555-0123"), ("service_line", "med_spa"), ("state", "NJ")];

#[tokio::test]
async fn an_unanswered_web_lead_escalates_at_2_minutes_to_the_assignee_then_up_the_ladder() {
    let (s, clock) = system_at(ny(3, 10, 30));
    let id = inquire(&s, WEB_LEAD).await;
    let assignee = lead(&s, id).await.assignment.unwrap().member.to_string();
    let backup = if assignee == "maria" { "li" } else { "maria" };
    assert_eq!(notice_list(&s), [("assigned".to_string(), format!("member:{assignee}"))]);

    let at = |secs: i64| ny(3, 10, 30) + Duration::seconds(secs);
    let mut expected: Vec<String> = Vec::new();
    for (secs, newly) in [
        (60, None),
        (119, None),
        (120, Some(assignee.clone())),
        (180, None),
        (239, None),
        (240, Some(backup.to_string())),
        (480, None),
        (539, None),
        (540, Some("dana".to_string())),
        (1800, None),
        (7200, None),
    ] {
        clock.set(at(secs));
        s.tick().await.unwrap();
        if let Some(m) = newly {
            expected.push(format!("member:{m}"));
        }
        assert_eq!(overdue(&s), expected, "at +{secs}s");
    }
    let steps: Vec<(u64, String)> = entries_of(&s, id, "escalated")
        .await
        .iter()
        .map(|e| (e["level"].as_u64().unwrap(), e["target"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(steps, [(0, "assignee".to_string()), (1, "backup".to_string()), (2, "manager".to_string())]);
    // The texts name the code and how long past the deadline, never the person.
    let last = notices(&s).pop().unwrap();
    assert!(last.text.contains("7 min overdue") && !last.text.contains("Ann"), "{}", last.text);
}

#[tokio::test]
async fn a_contact_attempt_stops_the_ladder() {
    let (s, clock) = system_at(ny(3, 10, 30));
    let id = inquire(&s, WEB_LEAD).await;
    clock.set(ny(3, 10, 32));
    s.tick().await.unwrap();
    assert_eq!(overdue(&s).len(), 1);
    clock.set(ny(3, 10, 33));
    let attempt = ContactAttempt { channel: ContactChannel::Call, outcome: ContactOutcome::Voicemail, note: None };
    let done = record(&s.services, ContactRequest { lead_id: id, attempt, by: "agent-7".into(), idempotency_key: None }).await.unwrap().0;
    assert!(done.first_contact);
    assert_eq!(done.first_contact_at, ny(3, 10, 33));
    assert_eq!(done.status, LeadStatus::Contacted);
    for minute in [34, 35, 40, 50] {
        clock.set(ny(3, 10, minute));
        s.tick().await.unwrap();
    }
    assert_eq!(overdue(&s).len(), 1, "no step after the contact attempt");
    let l = lead(&s, id).await;
    assert_eq!(l.first_contact_at, Some(ny(3, 10, 33)));
    assert!(s.services.due.get("sla", &id.to_string()).await.unwrap().is_none());
    let attempts = entries_of(&s, id, "contact_attempted").await;
    assert_eq!((attempts[0]["outcome"].as_str(), attempts[0]["first"].as_bool()), (Some("voicemail"), Some(true)));
    assert_eq!(attempts[0]["actor"]["id"], "agent-7");
}

#[tokio::test]
async fn a_crisis_lead_at_2_am_pages_the_on_call_counselor_at_once() {
    // Tuesday 02:00: sam carries the on-call phone (Monday to Wednesday).
    let (s, clock) = system_at(ny(3, 2, 0));
    let id = inquire(
        &s,
        &[("phone", "201-555-0177"), ("service_line", "addiction_treatment"), ("concern", "I relapsed tonight and I am scared")],
    )
    .await;
    // Paged before any tick: the score consumer did it on capture.
    let pages = notices(&s);
    assert_eq!(pages.len(), 1);
    assert_eq!((pages[0].purpose.as_str(), pages[0].recipient.as_str()), ("crisis_page", "member:sam"));
    assert!(pages[0].text.contains("CRISIS") && !pages[0].text.contains("relapse"), "{}", pages[0].text);
    let a = lead(&s, id).await.assignment.unwrap();
    assert_eq!((a.rule.as_str(), a.on_call), ("crisis-to-on-call", true));
    // No contact within the deadline: the ladder runs at night too.
    clock.set(ny(3, 2, 2));
    s.tick().await.unwrap();
    assert_eq!(overdue(&s), ["member:sam"]);
    // Two minutes later the backup's turn: ria works weekdays 10:00-20:00 and is not on call
    // tonight, so she is not woken; the step passes on, and the member on call is told again.
    clock.set(ny(3, 2, 4));
    s.tick().await.unwrap();
    assert_eq!(overdue(&s), ["member:sam", "member:sam"], "nobody off shift is paged");
}

#[tokio::test]
async fn a_night_lead_for_a_day_service_is_assigned_at_opening_and_its_clock_starts_then() {
    let (s, clock) = system_at(ny(3, 2, 0));
    let id = inquire(&s, WEB_LEAD).await;
    let l = lead(&s, id).await;
    assert!(l.assignment.is_none());
    assert_eq!(l.first_contact_due_at, Some(ny(3, 8, 2)), "opening at 08:00 plus 2 minutes");
    assert_eq!(entries_of(&s, id, "assignment_pending").await.len(), 1);
    for (h, m) in [(2, 5), (5, 0), (7, 59)] {
        clock.set(ny(3, h, m));
        s.tick().await.unwrap();
    }
    assert!(notices(&s).is_empty(), "nobody is woken for a routine med spa lead");
    clock.set(ny(3, 8, 0));
    s.tick().await.unwrap();
    assert_eq!(notice_list(&s), [("assigned".to_string(), "member:maria".to_string())], "maria starts at 8, li at 9");
    clock.set(ny(3, 8, 2));
    s.tick().await.unwrap();
    assert_eq!(overdue(&s), ["member:maria"]);
}

#[tokio::test]
async fn an_away_backup_is_skipped_and_the_ladder_moves_on() {
    let (s, clock) = system_at(ny(3, 10, 30));
    let id = inquire(&s, WEB_LEAD).await;
    let assignee = lead(&s, id).await.assignment.unwrap().member.to_string();
    let backup = if assignee == "maria" { "li" } else { "maria" };
    leadflow::app::team::set_availability(&s.services, backup, true, None, "manager-1").await.unwrap();
    clock.set(ny(3, 10, 32));
    s.tick().await.unwrap();
    clock.set(ny(3, 10, 34));
    s.tick().await.unwrap();
    // The backup step found nobody available and passed straight to the manager.
    assert_eq!(overdue(&s), [format!("member:{assignee}"), "member:dana".to_string()]);
}

#[tokio::test]
async fn the_scheduled_event_fixture_drives_the_sla_handler() {
    let raw = include_str!("../../events/sla-schedule.json");
    let event: aws_lambda_events::eventbridge::EventBridgeEvent = serde_json::from_str(raw).unwrap();
    assert_eq!(event.detail_type, "Scheduled Event");
    let (s, clock) = system_at(ny(3, 10, 30));
    inquire(&s, WEB_LEAD).await;
    clock.set(ny(3, 10, 32));
    let report = leadflow::handlers::sla::handle(&s.services, event).await.unwrap();
    assert_eq!(report.handled, 1);
    assert_eq!(overdue(&s).len(), 1);
}
