//! Cadence behaviour on the embedded adapters beyond the shared scenarios: switching cadence
//! when the tier changes, a team member's pause and resume, the franchise nurture's milestones,
//! and the scheduler's cost when nothing is due (counted queries, never timings).

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use leadflow::app::cadence::{pause, resume, CadenceError};
use leadflow::app::leads::reach_milestone;
use leadflow::config::Config;
use leadflow::domain::cadence::EnrollmentState;
use leadflow::domain::franchise::Milestone;
use leadflow::domain::task::TaskStatus;
use leadflow::domain::{EventId, LeadEvent, LeadEventKind};
use leadflow::ports::schedule::{DueClaim, DueItem, DueStore};
use leadflow::ports::{ManualClock, StoreError};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::cadence::{Kind, World};
use leadflow_tests::leads::unique_phone;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn ny(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap().with_timezone(&Utc)
}

async fn world(at: DateTime<Utc>) -> World {
    World::new(Kind::Embedded, Config::embedded_default().unwrap(), at).await
}

#[tokio::test]
async fn a_lead_turning_into_a_crisis_switches_to_the_crisis_cadence() {
    let start = ny(3, 10, 30);
    let w = world(start).await;
    let phone = unique_phone().as_e164().to_string();
    let id = w
        .capture(&[
            ("first_name", "Sam"),
            ("phone", &phone),
            ("service_line", "addiction_treatment"),
            ("concern", "looking for a program"),
            ("consent_sms", "true"),
            ("state", "NJ"),
        ])
        .await;
    let e = w.services.cadence.enrollment(id).await.unwrap().unwrap();
    assert_eq!((e.cadence.as_str(), e.generation), ("recovery", 1));
    w.fast_forward(&[id], start + Duration::minutes(6)).await;
    assert_eq!(w.services.cadence.tasks_of_lead(id).await.unwrap().len(), 1, "the 5-minute call task");

    // Staff update the concern: a crisis. The lead is scored again and its cadence switches.
    let mut lead = w.lead(id).await;
    lead.context.concern = Some(leadflow::domain::text::FreeText::parse("I relapsed last night", 2000).unwrap());
    lead.version += 1;
    w.services.leads.save(&lead).await.unwrap();
    let now = w.now();
    w.services
        .queue
        .publish(&LeadEvent { id: EventId::new_at(now), kind: LeadEventKind::Updated, lead_id: id, occurred_at: now })
        .await
        .unwrap();
    w.drain().await;

    let e = w.services.cadence.enrollment(id).await.unwrap().unwrap();
    assert_eq!((e.cadence.as_str(), e.generation, e.state), ("recovery-crisis", 2, EnrollmentState::Active));
    let enrolled = w.entries(id, "cadence_enrolled").await;
    assert_eq!(enrolled.len(), 2);
    assert_eq!((enrolled[1]["previous"].as_str(), enrolled[1]["reason"].as_str()), (Some("recovery"), Some("scored")));
    let tasks = w.services.cadence.tasks_of_lead(id).await.unwrap();
    assert_eq!(tasks[0].status, TaskStatus::Cancelled, "the old cadence's task is cancelled");
    // Steps already past in the new cadence are not replayed in a burst: the next one is the 15-minute call.
    assert_eq!(e.next_step, 1);
    w.fast_forward(&[id], start + Duration::minutes(16)).await;
    let attempts = w.attempts(id).await;
    assert_eq!(attempts.last().unwrap().0, "call-15m", "{attempts:?}");
}

#[tokio::test]
async fn a_team_member_pauses_and_resumes_a_cadence() {
    let start = ny(3, 10, 30);
    let w = world(start).await;
    let phone = unique_phone().as_e164().to_string();
    let id = w
        .capture(&[
            ("first_name", "Ann"),
            ("phone", &phone),
            ("email", "ann.pause@example.com"),
            ("service_line", "med_spa"),
            ("consent_email", "true"),
            ("state", "NJ"),
        ])
        .await;
    w.fast_forward(&[id], start + Duration::minutes(5)).await;
    let paused = pause(&w.services, id, "maria").await.unwrap();
    assert_eq!(paused.state, EnrollmentState::Paused);
    assert!(w.services.due.get("cadence", &id.to_string()).await.unwrap().is_none());
    assert!(matches!(pause(&w.services, id, "maria").await, Ok(e) if e.state == EnrollmentState::Paused), "pausing twice is harmless");
    // Nothing runs while paused.
    w.fast_forward(&[id], start + Duration::hours(3)).await;
    assert_eq!(w.attempts(id).await.len(), 1);
    assert_eq!(w.services.cadence.tasks_of_lead(id).await.unwrap()[0].status, TaskStatus::Cancelled);
    // Resumed: the next step (the 1-hour email, now late) runs at once; then the plan goes on.
    let resumed = resume(&w.services, id, "maria").await.unwrap();
    assert_eq!((resumed.state, resumed.next_step, resumed.generation), (EnrollmentState::Active, 1, 2));
    w.fast_forward(&[id], start + Duration::hours(5)).await;
    let names: Vec<String> = w.attempts(id).await.into_iter().map(|a| a.0).collect();
    assert_eq!(names, ["call-2m", "email-1h", "call-4h"]);
    assert_eq!(w.entries(id, "cadence_paused").await.len(), 1);
    assert_eq!(w.entries(id, "cadence_resumed").await[0]["by"], "maria");
    assert!(matches!(resume(&w.services, id, "maria").await, Ok(e) if e.state == EnrollmentState::Active));
    let other = leadflow::domain::LeadId::random();
    assert!(matches!(pause(&w.services, other, "maria").await, Err(CadenceError::NotEnrolled)));
}

#[tokio::test]
async fn franchise_nurture_skips_the_milestones_already_reached() {
    let start = ny(3, 10, 30);
    let w = world(start).await;
    let phone = unique_phone().as_e164().to_string();
    let id = w
        .capture(&[
            ("first_name", "Lee"),
            ("phone", &phone),
            ("email", "lee.franchise@example.com"),
            ("service_line", "franchise"),
            ("consent_email", "true"),
            ("liquid_capital", "200000"),
            ("state", "NJ"),
        ])
        .await;
    assert_eq!(w.services.cadence.enrollment(id).await.unwrap().unwrap().cadence, "franchise-nurture");
    w.fast_forward(&[id], start + Duration::hours(1)).await;
    reach_milestone(&w.services, id, Milestone::DiscoveryCall, None, "dev").await.unwrap();
    w.fast_forward(&[id], start + Duration::weeks(17)).await;
    let attempts = w.attempts(id).await;
    let of = |name: &str| attempts.iter().find(|a| a.0 == name).map(|a| a.1.clone());
    assert_eq!(of("discovery-call").as_deref(), Some("task_created"));
    assert_eq!(of("discovery-call-retry").as_deref(), Some("skipped"), "{attempts:?}");
    assert_eq!(of("send-fdd").as_deref(), Some("task_created"));
    assert_eq!(of("overview-email").as_deref(), Some("sent"));
    assert_eq!(of("nurture-ended").as_deref(), Some("notified"));
    // The discovery call task closed as done when its wait ended with the milestone reached.
    let first = &w.services.cadence.tasks_of_lead(id).await.unwrap()[0];
    assert_eq!((first.status, first.closed_by.as_deref()), (TaskStatus::Done, Some("milestone")));
    assert!(attempts.iter().all(|a| a.2 <= start + Duration::weeks(16) + Duration::days(3)), "weeks to months: {attempts:?}");
}

/// Counts the scheduler's key-range queries and claims.
struct Counting {
    inner: leadflow::adapters::memory::MemoryDueStore,
    buckets: AtomicUsize,
    claims: AtomicUsize,
}

#[async_trait]
impl DueStore for Counting {
    async fn schedule(&self, item: &DueItem, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.inner.schedule(item, now).await
    }
    async fn get(&self, kind: &str, key: &str) -> Result<Option<DueItem>, StoreError> {
        self.inner.get(kind, key).await
    }
    async fn cancel(&self, kind: &str, key: &str) -> Result<bool, StoreError> {
        self.inner.cancel(kind, key).await
    }
    async fn bucket(&self, kind: &str, minute: DateTime<Utc>, upto: DateTime<Utc>, limit: usize) -> Result<Vec<DueItem>, StoreError> {
        self.buckets.fetch_add(1, Ordering::SeqCst);
        self.inner.bucket(kind, minute, upto, limit).await
    }
    async fn claim(&self, entry: &DueItem, now: DateTime<Utc>, lease: Duration) -> Result<DueClaim, StoreError> {
        self.claims.fetch_add(1, Ordering::SeqCst);
        self.inner.claim(entry, now, lease).await
    }
    async fn complete(&self, claimed: &DueItem) -> Result<(), StoreError> {
        self.inner.complete(claimed).await
    }
    async fn chain(&self, claimed: &DueItem, next: &DueItem, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.inner.chain(claimed, next, now).await
    }
    async fn release(&self, claimed: &DueItem) -> Result<(), StoreError> {
        self.inner.release(claimed).await
    }
    async fn drop_entry(&self, entry: &DueItem, minute: DateTime<Utc>) -> Result<(), StoreError> {
        self.inner.drop_entry(entry, minute).await
    }
    async fn cursor(&self, kind: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.cursor(kind).await
    }
    async fn advance_cursor(&self, kind: &str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> Result<bool, StoreError> {
        self.inner.advance_cursor(kind, from, to).await
    }
}

/// Queries made by a follow-up tick with nothing due, with `leads` leads enrolled (their next
/// steps spread over the coming week).
async fn quiet_tick_queries(leads: usize) -> (usize, usize) {
    let start = ny(3, 10, 30);
    let clock = Arc::new(ManualClock::new(start));
    let mut system = EmbeddedSystem::new(Config::embedded_default().unwrap(), clock.clone());
    let counting = Arc::new(Counting { inner: Default::default(), buckets: AtomicUsize::new(0), claims: AtomicUsize::new(0) });
    system.services.due = counting.clone();
    for i in 0..leads {
        let due = start + Duration::minutes(10) + Duration::seconds((i as i64 * 37) % (7 * 86_400));
        let item = DueItem::new("cadence", leadflow::domain::LeadId::random().to_string(), due, r#"{"generation":1,"step":0}"#);
        system.services.due.schedule(&item, start).await.unwrap();
    }
    // Steady state: the function ran a minute ago.
    leadflow::app::timed_work::tick(&system.services).await.unwrap();
    clock.set(start + Duration::minutes(1));
    leadflow::app::timed_work::tick(&system.services).await.unwrap();
    counting.buckets.store(0, Ordering::SeqCst);
    counting.claims.store(0, Ordering::SeqCst);
    clock.set(start + Duration::minutes(2));
    let report = leadflow::app::timed_work::tick(&system.services).await.unwrap();
    assert_eq!(report.handled, 0);
    assert_eq!(report.buckets_read, counting.buckets.load(Ordering::SeqCst));
    (counting.buckets.load(Ordering::SeqCst), counting.claims.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_tick_with_nothing_due_makes_a_few_key_range_queries_whatever_the_number_of_leads() {
    let few = quiet_tick_queries(10).await;
    let many = quiet_tick_queries(20_000).await;
    assert_eq!(few, many, "the same queries for 10 and 20,000 enrolled leads");
    // Two kinds run each tick (appointment reminders and cadence steps): two or three minute
    // buckets each.
    assert!(many.0 <= 6, "{} bucket queries", many.0);
    assert_eq!(many.1, 0, "nothing claimed");
}

#[tokio::test]
async fn the_scheduled_event_fixture_drives_the_followup_handler() {
    let raw = include_str!("../../events/followup-schedule.json");
    let event: aws_lambda_events::eventbridge::EventBridgeEvent = serde_json::from_str(raw).unwrap();
    let start = ny(3, 10, 30);
    let w = world(start).await;
    let phone = unique_phone().as_e164().to_string();
    let id = w.capture(&[("phone", &phone), ("service_line", "med_spa"), ("state", "NJ")]).await;
    w.clock.set(start + Duration::minutes(2));
    let report = leadflow::handlers::followup::handle(&w.services, event).await.unwrap();
    assert_eq!(report.handled, 1);
    assert_eq!(w.attempts(id).await[0].0, "call-2m");
}

/// The team's own test submissions (`[test_records]`) are never enrolled: no message
/// and no call task for anyone.
#[tokio::test]
async fn a_test_record_is_never_enrolled() {
    let start = ny(3, 10, 30);
    let w = world(start).await;
    let phone = unique_phone().as_e164().to_string();
    let id = w
        .capture(&[
            ("first_name", "Tess"),
            ("phone", &phone),
            ("email", "tess@leadflow.test"),
            ("service_line", "med_spa"),
            ("consent_sms", "true"),
            ("consent_email", "true"),
            ("state", "NJ"),
        ])
        .await;
    assert!(w.lead(id).await.test, "the configured test domain marks it");
    w.fast_forward(&[id], start + Duration::days(2)).await;
    assert!(w.services.cadence.enrollment(id).await.unwrap().is_none());
    assert!(w.services.cadence.tasks_of_lead(id).await.unwrap().is_empty());
}
