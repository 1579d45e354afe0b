//! Scoring and routing end to end on the embedded adapters (intake -> queue -> score consumer),
//! and on moto's DynamoDB for concurrent assignment.

use chrono::Duration;
use leadflow::app::assign::choose;
use leadflow::app::team::set_availability;
use leadflow::domain::touchpoint::{Touchpoint, TouchpointKind};
use leadflow::domain::urgency::UrgencyTier;
use leadflow::domain::{LeadEvent, LeadEventKind, SourceChannel};
use leadflow_tests::response::{entries_of, inquire, kinds, lead, notice_list, notices, ny, system_at};
use std::collections::BTreeMap;

const SPA: &[(&str, &str)] = &[
    ("first_name", "Ann"),
    ("phone", "201-555-0123"),
    ("service_line", "med_spa"),
    ("insurance_status", "insured"),
    ("state", "NJ"),
    ("postal_code", "07030"),
    ("concern", "laser hair removal, allergic reaction last time"),
];

#[tokio::test]
async fn a_captured_lead_is_scored_with_its_explanation_and_assigned() {
    let (s, _) = system_at(ny(3, 10, 30));
    let id = inquire(&s, SPA).await;
    let l = lead(&s, id).await;
    let score = l.score.expect("scored");
    assert_eq!((score.model.as_str(), score.model_version), ("patient-standard", 1));
    let signals: Vec<(&str, i32)> = score.contributions.iter().map(|c| (c.signal.as_str(), c.points)).collect();
    assert_eq!(signals, [("inside_service_area", 10), ("insurance_accepted", 10), ("form", 15), ("urgent", 15)]);
    assert_eq!(score.score, 50);
    assert_eq!(score.urgency.tier, UrgencyTier::Urgent);
    // Routed to a med spa specialist at the Hoboken facility, with the rule and the reason.
    let a = l.assignment.expect("assigned");
    assert!(["maria", "li"].contains(&a.member.as_str()), "{a:?}");
    assert_eq!(a.rule, "specialists-at-the-facility");
    assert_eq!(l.first_contact_due_at, Some(ny(3, 10, 32)), "web form: 2 minutes");
    let k = kinds(&s, id).await;
    for want in ["lead_captured", "score_changed", "assigned", "team_notified"] {
        assert!(k.contains(&want.to_string()), "{want} in {k:?}");
    }
    // The assignee is told: the lead's code, line, tier and score, nothing about the person.
    let n = notices(&s);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].recipient, format!("member:{}", a.member));
    assert_eq!(n[0].lead_id, Some(id));
    for secret in ["Ann", "201", "555", "laser", "allergic"] {
        assert!(!n[0].text.contains(secret), "{secret} leaked into {}", n[0].text);
    }
    assert!(n[0].text.contains("urgent") && n[0].text.contains("score 50") && n[0].text.contains(&id.to_string()), "{}", n[0].text);
}

#[tokio::test]
async fn new_touchpoints_score_the_lead_again_and_the_history_shows_each_score() {
    let (s, clock) = system_at(ny(3, 10, 30));
    let id = inquire(&s, SPA).await;
    clock.advance(Duration::minutes(1));
    for (kind, page) in [(TouchpointKind::PageView, Some("/pricing")), (TouchpointKind::AppointmentRequest, None)] {
        let tp = Touchpoint {
            at: clock_now(&s),
            kind,
            channel: SourceChannel::WebForm,
            detail: Default::default(),
            page: page.map(|p| p.to_string().try_into().unwrap()),
        };
        leadflow::app::touchpoints::record(&s.services, id, tp, true, "u-web", None).await.unwrap();
    }
    s.drain_queues().await;
    let score = lead(&s, id).await.score.unwrap();
    assert_eq!(score.score, 50 + 5 + 25, "pricing page +5, appointment request +30 capped at 40 with the form");
    let changes = entries_of(&s, id, "score_changed").await;
    assert!(changes.len() >= 2, "{changes:?}");
    assert_eq!(changes.last().unwrap()["to"], 80);
    assert_eq!(changes.last().unwrap()["model_version"], 1);
    // Still one assignment: scoring again does not reassign.
    assert_eq!(entries_of(&s, id, "assigned").await.len(), 1);
}

fn clock_now(s: &leadflow::wiring::embedded::EmbeddedSystem) -> chrono::DateTime<chrono::Utc> {
    s.services.clock.now()
}

#[tokio::test]
async fn a_redelivered_event_assigns_and_notifies_once() {
    let (s, _) = system_at(ny(3, 10, 30));
    let id = inquire(&s, SPA).await;
    let event = LeadEvent {
        id: leadflow::domain::EventId::new_at(clock_now(&s)),
        kind: LeadEventKind::Captured,
        lead_id: id,
        occurred_at: clock_now(&s),
    };
    for _ in 0..3 {
        leadflow::app::score::score(&s.services, &event).await.unwrap();
    }
    assert_eq!(entries_of(&s, id, "assigned").await.len(), 1);
    assert_eq!(notices(&s).len(), 1);
}

#[tokio::test]
async fn negated_urgency_does_not_raise_the_tier() {
    let (s, _) = system_at(ny(3, 10, 30));
    let wound = |concern: &'static str, phone: &'static str| vec![("phone", phone), ("service_line", "wound_care"), ("concern", concern)];
    let calm = inquire(&s, &wound("Not urgent, no bleeding, no sign of infection. Routine check.", "201-555-0131")).await;
    let worse = inquire(&s, &wound("It is bleeding again and looks infected", "201-555-0132")).await;
    let emergency = inquire(&s, &wound("EMERGENCY!!! can't stop the bleeding", "201-555-0133")).await;
    let tier = |l: leadflow::domain::Lead| l.score.unwrap().urgency.tier;
    assert_eq!(tier(lead(&s, calm).await), UrgencyTier::Routine);
    assert_eq!(tier(lead(&s, worse).await), UrgencyTier::Urgent);
    assert_eq!(tier(lead(&s, emergency).await), UrgencyTier::Crisis);
    let calm = lead(&s, calm).await.score.unwrap();
    assert_eq!(calm.urgency.negated, ["bleeding", "infection"]);
}

#[tokio::test]
async fn a_lead_that_turns_into_a_crisis_moves_to_the_on_call_counselor() {
    let (s, _) = system_at(ny(3, 10, 30));
    let id =
        inquire(&s, &[("phone", "201-555-0141"), ("service_line", "addiction_treatment"), ("concern", "looking for outpatient options")])
            .await;
    let first = lead(&s, id).await.assignment.unwrap();
    assert_eq!(first.rule, "recovery-team");
    // Staff update the lead with what the person said on the phone (an edit publishes lead.updated).
    let mut l = lead(&s, id).await;
    l.context.concern = Some(leadflow::domain::text::FreeText::parse("says he relapsed last night", 2000).unwrap());
    l.version += 1;
    s.services.leads.save(&l).await.unwrap();
    let updated = LeadEvent {
        id: leadflow::domain::EventId::new_at(clock_now(&s)),
        kind: LeadEventKind::Updated,
        lead_id: id,
        occurred_at: clock_now(&s),
    };
    s.services.queue.publish(&updated).await.unwrap();
    s.drain_queues().await;
    let a = lead(&s, id).await.assignment.unwrap();
    assert_eq!((a.rule.as_str(), a.member.as_str(), a.on_call), ("crisis-to-on-call", "sam", true), "Tuesday: sam is on call");
    let assigned = entries_of(&s, id, "assigned").await;
    assert_eq!(assigned.len(), 2);
    let moved = assigned.iter().find(|e| e["rule"] == "crisis-to-on-call").expect("the crisis reassignment");
    assert_eq!(moved["previous"], first.member.as_str());
    assert!(notice_list(&s).contains(&("crisis_page".to_string(), "member:sam".to_string())), "{:?}", notice_list(&s));
}

#[tokio::test]
async fn members_marked_away_at_runtime_are_skipped() {
    let (s, _) = system_at(ny(3, 10, 30));
    set_availability(&s.services, "maria", true, None, "manager-1").await.unwrap();
    for i in 0..4 {
        let phone = format!("201-555-015{i}");
        let id = inquire(&s, &[("phone", phone.as_str()), ("service_line", "med_spa"), ("state", "NJ")]).await;
        let a = lead(&s, id).await.assignment.unwrap();
        assert_eq!(a.member.as_str(), "li");
        assert!(a.skipped.iter().any(|k| k.member.as_str() == "maria"), "{a:?}");
    }
    set_availability(&s.services, "maria", false, None, "manager-1").await.unwrap();
    let mut got = Vec::new();
    for i in 0..2 {
        let phone = format!("201-555-016{i}");
        let id = inquire(&s, &[("phone", phone.as_str()), ("service_line", "med_spa"), ("state", "NJ")]).await;
        got.push(lead(&s, id).await.assignment.unwrap().member.to_string());
    }
    got.sort();
    assert_eq!(got, ["li", "maria"]);
}

#[tokio::test]
async fn round_robin_over_1000_assignments_is_fair() {
    let (s, _) = system_at(ny(3, 10, 30));
    let id = inquire(&s, SPA).await;
    let l = lead(&s, id).await;
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for _ in 0..1000 {
        let a = choose(&s.services, &l, UrgencyTier::Routine, None, ny(3, 10, 30)).await.unwrap().unwrap();
        *counts.entry(a.member.to_string()).or_default() += 1;
    }
    assert_eq!(counts.keys().collect::<Vec<_>>(), ["li", "maria"]);
    let (min, max) = (counts.values().min().unwrap(), counts.values().max().unwrap());
    assert!(max - min <= 1, "{counts:?}");
}

mod on_moto {
    use super::*;
    use leadflow::app::Services;
    use leadflow::ports::ManualClock;
    use leadflow_tests::aws::MotoAws;
    use leadflow_tests::leads::{sample_lead_at, unique_phone};
    use std::sync::Arc;

    async fn services() -> (Services, leadflow::adapters::memory::MemoryOutbox) {
        let aws = MotoAws::connect().await;
        let store = Arc::new(aws.fresh_store().await);
        let clock = Arc::new(ManualClock::new(ny(3, 10, 30)));
        let team_outbox = leadflow::adapters::memory::MemoryOutbox::new(clock.clone());
        let queue = leadflow::adapters::memory::MemoryQueue::new(Default::default());
        let queues = aws.fresh_queues(std::time::Duration::from_secs(30)).await;
        let base = aws.services(store, &queues, clock).await;
        let services = Services {
            queue: Arc::new(queue.clone()),
            sms: Arc::new(team_outbox.clone()),
            email: Arc::new(team_outbox.clone()),
            notifier: Arc::new(team_outbox.clone()),
            jobs: Arc::new(queue),
            alerts: Arc::new(team_outbox.clone()),
            ..base
        };
        (services, team_outbox)
    }

    async fn new_lead(s: &Services) -> leadflow::domain::LeadId {
        let l = sample_lead_at(Some(unique_phone().as_e164()), None, ny(3, 10, 30));
        s.leads.create_or_match(&l, &Default::default()).await.unwrap();
        l.id
    }

    fn captured(id: leadflow::domain::LeadId) -> LeadEvent {
        LeadEvent {
            id: leadflow::domain::EventId::new_at(ny(3, 10, 30)),
            kind: LeadEventKind::Captured,
            lead_id: id,
            occurred_at: ny(3, 10, 30),
        }
    }

    /// Forty score invocations at once, on DynamoDB: every lead assigned once, and the shared
    /// round-robin counter splits them evenly.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_score_invocations_split_leads_evenly_and_assign_each_once() {
        let (s, _) = services().await;
        let mut ids = Vec::new();
        for _ in 0..40 {
            ids.push(new_lead(&s).await);
        }
        let tasks: Vec<_> = ids
            .iter()
            .map(|id| {
                let (s, e) = (s.clone(), captured(*id));
                tokio::spawn(async move { leadflow::app::score::score(&s, &e).await.unwrap() })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for id in &ids {
            let l = s.leads.get(*id).await.unwrap().unwrap();
            *counts.entry(l.assignment.unwrap().member.to_string()).or_default() += 1;
        }
        assert_eq!(counts.values().sum::<u32>(), 40);
        let (min, max) = (counts.values().min().unwrap(), counts.values().max().unwrap());
        assert!(max - min <= 1, "{counts:?}");
    }

    /// Eight copies of one event scored at once: one assignment, one notice.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn racing_copies_of_one_event_never_double_assign() {
        let (s, outbox) = services().await;
        let id = new_lead(&s).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (s, e) = (s.clone(), captured(id));
                tokio::spawn(async move { leadflow::app::score::score(&s, &e).await })
            })
            .collect();
        let mut failed = 0;
        for t in tasks {
            // A copy that finds the notice claimed by another asks for a retry (the queue would).
            if t.await.unwrap().is_err() {
                failed += 1;
            }
        }
        for _ in 0..failed {
            leadflow::app::score::score(&s, &captured(id)).await.unwrap();
        }
        let page = s.timeline.list(id, None, 100).await.unwrap();
        let assigned = page.items.iter().filter(|e| matches!(e.kind, leadflow::domain::TimelineKind::Assigned { .. })).count();
        assert_eq!(assigned, 1);
        assert_eq!(outbox.entries().iter().filter(|e| e.channel == "team_sms").count(), 1);
    }
}
