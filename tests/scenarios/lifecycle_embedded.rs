//! `app::lifecycle::transition`, the one way to change a status: validation, optimistic
//! concurrency, the timeline entry with its cause, and the `lead.status_changed` event.

use chrono::{TimeZone, Utc};
use leadflow::app::lifecycle::{transition, TransitionError, TransitionOutcome};
use leadflow::config::Config;
use leadflow::domain::lifecycle::{Cause, LifecycleError};
use leadflow::domain::{Actor, Lead, LeadStatus, TimelineKind};
use leadflow::ports::{LeadStore, ManualClock};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::leads::sample_lead;
use std::sync::Arc;

async fn system_with(lead: &Lead) -> EmbeddedSystem {
    system_and_clock(lead).await.0
}

async fn system_and_clock(lead: &Lead) -> (EmbeddedSystem, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 3, 15, 30, 0).unwrap()));
    let system = EmbeddedSystem::new(Config::embedded_default().unwrap(), clock.clone());
    system.store.create_or_match(lead, &Default::default()).await.unwrap();
    (system, clock)
}

fn user() -> Cause {
    Cause::new(Actor::User("u-1".into()), "user")
}

#[tokio::test]
async fn the_main_path_is_walked_with_one_entry_per_step() {
    let lead = sample_lead(Some("201-555-0401"), None);
    let (s, clock) = system_and_clock(&lead).await;
    for to in [LeadStatus::Contacted, LeadStatus::Qualified, LeadStatus::Booked, LeadStatus::Showed, LeadStatus::Converted] {
        clock.advance(chrono::Duration::minutes(1));
        let out = transition(&s.services, lead.id, to, user()).await.unwrap();
        assert!(matches!(out, TransitionOutcome::Changed { to: t, .. } if t == to), "{out:?}");
    }
    let stored = s.services.leads.get(lead.id).await.unwrap().unwrap();
    assert_eq!(stored.status, LeadStatus::Converted);
    assert!(stored.converted_at.is_some());
    let entries = s.services.timeline.list(lead.id, None, 50).await.unwrap().items;
    let moves: Vec<(LeadStatus, LeadStatus)> = entries
        .iter()
        .filter_map(|e| match &e.kind {
            TimelineKind::StatusChanged { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect();
    assert_eq!(moves.len(), 5);
    assert_eq!(moves[0], (LeadStatus::New, LeadStatus::Contacted));
    assert_eq!(moves[4], (LeadStatus::Showed, LeadStatus::Converted));
    assert!(entries.iter().all(|e| e.actor == Actor::User("u-1".into())));
}

#[tokio::test]
async fn an_invalid_transition_is_refused_and_changes_nothing() {
    let lead = sample_lead(Some("201-555-0402"), None);
    let s = system_with(&lead).await;
    let err = transition(&s.services, lead.id, LeadStatus::NoShow, user()).await.unwrap_err();
    assert!(matches!(err, TransitionError::Invalid(LifecycleError::NotAllowed { from: LeadStatus::New, to: LeadStatus::NoShow })), "{err}");
    assert_eq!(err.to_string(), "a lead cannot move from new to no_show");
    let err = transition(&s.services, lead.id, LeadStatus::Disqualified, user()).await.unwrap_err();
    assert!(matches!(err, TransitionError::Invalid(LifecycleError::ReasonRequired)));
    let err = transition(&s.services, lead.id, LeadStatus::Disqualified, user().with_reason("vibes")).await.unwrap_err();
    assert!(matches!(err, TransitionError::Invalid(LifecycleError::UnknownReason)));
    assert_eq!(s.services.leads.get(lead.id).await.unwrap().unwrap(), lead);
    assert!(s.services.timeline.list(lead.id, None, 10).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn a_disqualification_keeps_its_reason_and_only_a_user_reopens_it() {
    let lead = sample_lead(Some("201-555-0403"), None);
    let s = system_with(&lead).await;
    transition(&s.services, lead.id, LeadStatus::Disqualified, user().with_reason("out_of_service_area")).await.unwrap();
    let stored = s.services.leads.get(lead.id).await.unwrap().unwrap();
    assert_eq!(stored.disqualification_reason.as_deref(), Some("out_of_service_area"));
    let by_lead = transition(&s.services, lead.id, LeadStatus::Contacted, Cause::new(Actor::Lead, "sms.reply")).await;
    assert!(matches!(by_lead, Err(TransitionError::Invalid(LifecycleError::ReopenNotAllowed { .. }))));
    transition(&s.services, lead.id, LeadStatus::Contacted, user()).await.unwrap();
    let stored = s.services.leads.get(lead.id).await.unwrap().unwrap();
    assert_eq!(stored.status, LeadStatus::Contacted);
    assert_eq!(stored.disqualification_reason, None);
    assert_eq!(stored.previous_status, Some(LeadStatus::Disqualified));
}

#[tokio::test]
async fn concurrent_transitions_retry_and_both_land_in_order() {
    let lead = sample_lead(Some("201-555-0404"), None);
    let s = system_with(&lead).await;
    // Ten writers race to move the same lead to contacted: one changes it, the rest find it done.
    let results = futures::future::join_all((0..10).map(|_| transition(&s.services, lead.id, LeadStatus::Contacted, user()))).await;
    let changed = results.iter().filter(|r| matches!(r, Ok(TransitionOutcome::Changed { .. }))).count();
    assert_eq!(changed, 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok()));
}

#[tokio::test]
async fn a_seeded_cause_applies_once_and_completes_its_bookkeeping_when_repeated() {
    let lead = sample_lead(Some("201-555-0405"), None);
    let s = system_with(&lead).await;
    let cause = Cause::new(Actor::Integration("calendly".into()), "appointment.booked").with_seed("evt-1");
    let first = transition(&s.services, lead.id, LeadStatus::Booked, cause.clone()).await.unwrap();
    let TransitionOutcome::Changed { entry, .. } = first else { panic!("{first:?}") };
    let again = transition(&s.services, lead.id, LeadStatus::Booked, cause).await.unwrap();
    assert_eq!(again, TransitionOutcome::AlreadyApplied { entry });
    assert_eq!(s.services.timeline.list(lead.id, None, 10).await.unwrap().items.len(), 1);
    assert_eq!(s.services.leads.get(lead.id).await.unwrap().unwrap().version, 2);
}
