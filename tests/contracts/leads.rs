//! The `LeadStore` contract, held against the embedded store and DynamoDB (on moto).

use chrono::Duration;
use leadflow::adapters::aws::DynamoStore;
use leadflow::adapters::memory::MemoryStore;
use leadflow::domain::LeadStatus;
use leadflow::ports::{CaptureOutcome, InboxQueue, LeadListing, LeadStore, StoreError};
use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use leadflow_tests::leads::{base_time, email, next_version, phone, rich_lead, sample_lead, sample_lead_at};
use std::sync::Arc;

async fn memory_store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new())
}

async fn dynamo_store() -> Arc<DynamoStore> {
    Arc::new(MotoAws::connect().await.fresh_store().await)
}

contract_suite!(
    [memory => memory_store, dynamodb => dynamo_store]
    [
        a_created_lead_reads_back_exactly,
        an_open_lead_absorbs_a_capture_with_its_phone,
        an_open_lead_absorbs_a_capture_with_its_email,
        the_phone_match_wins_over_the_email_match,
        a_closed_lead_does_not_absorb_and_a_new_lead_takes_its_claims,
        concurrent_captures_of_one_person_create_one_lead,
        a_retried_capture_counts_as_created_without_duplicating,
        a_retried_capture_after_the_lead_closed_is_still_created,
        a_save_from_a_stale_version_conflicts,
        a_save_moves_the_phone_and_email_indexes,
        lookups_list_every_lead_newest_first,
        names_are_found_by_any_word_start_whatever_the_case_or_accents,
        a_renamed_lead_is_found_by_its_new_name,
        the_work_queue_lists_open_leads_most_urgent_first,
        a_managers_queue_keeps_their_facilities_only,
    ]
);

async fn a_created_lead_reads_back_exactly<S: LeadStore + ?Sized>(store: Arc<S>) {
    // GIVEN a lead with every optional part filled in
    let lead = rich_lead();
    // WHEN it is stored
    assert_eq!(store.create_or_match(&lead, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    // THEN it reads back unchanged, and an unknown id reads as nothing
    assert_eq!(store.get(lead.id).await.unwrap(), Some(lead));
    assert_eq!(store.get(sample_lead(Some("2015550100"), None).id).await.unwrap(), None);
}

async fn an_open_lead_absorbs_a_capture_with_its_phone<S: LeadStore + ?Sized>(store: Arc<S>) {
    let first = sample_lead(Some("201-555-0101"), Some("ann@example.com"));
    assert_eq!(store.create_or_match(&first, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    // The same number typed differently, with another email.
    let second = sample_lead(Some("+1 (201) 555-0101"), Some("other@example.com"));
    assert_eq!(store.create_or_match(&second, &Default::default()).await.unwrap(), CaptureOutcome::Matched(first.id));
    assert_eq!(store.get(second.id).await.unwrap(), None, "a matched capture stores nothing");
    assert_eq!(store.find_by_phone(&phone("2015550101")).await.unwrap(), vec![first.id]);
}

async fn an_open_lead_absorbs_a_capture_with_its_email<S: LeadStore + ?Sized>(store: Arc<S>) {
    let first = sample_lead(Some("201-555-0102"), Some("ann@example.com"));
    assert_eq!(store.create_or_match(&first, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    let other_phone = sample_lead(Some("201-555-0103"), Some("ANN@example.com"));
    assert_eq!(store.create_or_match(&other_phone, &Default::default()).await.unwrap(), CaptureOutcome::Matched(first.id));
    let email_only = sample_lead(None, Some("ann@example.com"));
    assert_eq!(store.create_or_match(&email_only, &Default::default()).await.unwrap(), CaptureOutcome::Matched(first.id));
    assert_eq!(store.find_by_email(&email("ann@example.com")).await.unwrap(), vec![first.id]);
}

async fn the_phone_match_wins_over_the_email_match<S: LeadStore + ?Sized>(store: Arc<S>) {
    let by_phone = sample_lead(Some("201-555-0104"), Some("first@example.com"));
    let by_email = sample_lead(Some("201-555-0105"), Some("second@example.com"));
    store.create_or_match(&by_phone, &Default::default()).await.unwrap();
    store.create_or_match(&by_email, &Default::default()).await.unwrap();
    let both = sample_lead(Some("201-555-0104"), Some("second@example.com"));
    assert_eq!(store.create_or_match(&both, &Default::default()).await.unwrap(), CaptureOutcome::Matched(by_phone.id));
}

async fn a_closed_lead_does_not_absorb_and_a_new_lead_takes_its_claims<S: LeadStore + ?Sized>(store: Arc<S>) {
    // GIVEN a lead that converted
    let old = sample_lead(Some("201-555-0106"), Some("ann@example.com"));
    store.create_or_match(&old, &Default::default()).await.unwrap();
    store.save(&next_version(&old, |l| l.status = LeadStatus::Converted)).await.unwrap();
    // WHEN the same person inquires again
    let new = sample_lead_at(Some("201-555-0106"), Some("ann@example.com"), base_time() + Duration::days(30));
    // THEN a new lead is created, and it now holds the phone and the email
    assert_eq!(store.create_or_match(&new, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    let by_phone = sample_lead(Some("201-555-0106"), None);
    assert_eq!(store.create_or_match(&by_phone, &Default::default()).await.unwrap(), CaptureOutcome::Matched(new.id));
    let by_email = sample_lead(None, Some("ann@example.com"));
    assert_eq!(store.create_or_match(&by_email, &Default::default()).await.unwrap(), CaptureOutcome::Matched(new.id));
    assert_eq!(store.find_by_phone(&phone("2015550106")).await.unwrap(), vec![new.id, old.id]);
}

/// The captures race for real on both adapters. DynamoDB isolates the claim transactions, so
/// one wins and the others are cancelled and resolve to `Matched`; moto's own server would let
/// overlapping transactions both pass their checks, so the tests run moto one request at a time
/// (tests/support/moto_server.py) and which capture wins depends on arrival order only.
async fn concurrent_captures_of_one_person_create_one_lead<S: LeadStore + ?Sized + 'static>(store: Arc<S>) {
    // GIVEN ten captures of the same person arriving at once (a double-clicked form, retries)
    let leads: Vec<_> = (0..10).map(|_| sample_lead(Some("201-555-0107"), Some("ann@example.com"))).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for lead in leads.clone() {
        let store = Arc::clone(&store);
        tasks.spawn(async move { (lead.id, store.create_or_match(&lead, &Default::default()).await.unwrap()) });
    }
    let outcomes = tasks.join_all().await;
    // THEN exactly one created a lead and every other matched it
    let created: Vec<_> = outcomes.iter().filter(|(_, o)| *o == CaptureOutcome::Created).map(|(id, _)| *id).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    let winner = created[0];
    assert!(outcomes.iter().all(|(id, o)| *id == winner || *o == CaptureOutcome::Matched(winner)), "{outcomes:?}");
    assert_eq!(store.find_by_phone(&phone("2015550107")).await.unwrap(), vec![winner]);
    assert_eq!(store.find_by_email(&email("ann@example.com")).await.unwrap(), vec![winner]);
}

async fn a_retried_capture_counts_as_created_without_duplicating<S: LeadStore + ?Sized>(store: Arc<S>) {
    let lead = sample_lead(Some("201-555-0108"), Some("ann@example.com"));
    assert_eq!(store.create_or_match(&lead, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    assert_eq!(store.create_or_match(&lead, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    assert_eq!(store.find_by_phone(&phone("2015550108")).await.unwrap(), vec![lead.id]);
    assert_eq!(store.find_by_email(&email("ann@example.com")).await.unwrap(), vec![lead.id]);
    assert_eq!(store.get(lead.id).await.unwrap(), Some(lead));
}

async fn a_retried_capture_after_the_lead_closed_is_still_created<S: LeadStore + ?Sized>(store: Arc<S>) {
    // GIVEN a lead that closed, and a newer lead of the same person
    let first = sample_lead(Some("201-555-0109"), None);
    store.create_or_match(&first, &Default::default()).await.unwrap();
    store.save(&next_version(&first, |l| l.status = LeadStatus::Disqualified)).await.unwrap();
    let newer = sample_lead_at(Some("201-555-0109"), None, base_time() + Duration::hours(1));
    assert_eq!(store.create_or_match(&newer, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    // WHEN the first capture's request is retried (same lead id)
    // THEN it is the lead already stored, not a match
    assert_eq!(store.create_or_match(&first, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    assert_eq!(store.get(first.id).await.unwrap().unwrap().status, LeadStatus::Disqualified);
}

async fn a_save_from_a_stale_version_conflicts<S: LeadStore + ?Sized>(store: Arc<S>) {
    let v1 = sample_lead(Some("201-555-0110"), None);
    store.create_or_match(&v1, &Default::default()).await.unwrap();
    let v2 = next_version(&v1, |l| l.status = LeadStatus::Contacted);
    store.save(&v2).await.unwrap();
    // A writer that read v1 too.
    let stale = next_version(&v1, |l| l.status = LeadStatus::Booked);
    assert!(matches!(store.save(&stale).await, Err(StoreError::Conflict)));
    let skipping = next_version(&next_version(&v2, |_| {}), |_| {});
    assert!(matches!(store.save(&skipping).await, Err(StoreError::Conflict)));
    let unknown = next_version(&sample_lead(Some("201-555-0111"), None), |_| {});
    assert!(matches!(store.save(&unknown).await, Err(StoreError::Conflict)));
    assert_eq!(store.get(v1.id).await.unwrap(), Some(v2));
}

async fn a_save_moves_the_phone_and_email_indexes<S: LeadStore + ?Sized>(store: Arc<S>) {
    let lead = sample_lead(Some("201-555-0112"), None);
    store.create_or_match(&lead, &Default::default()).await.unwrap();
    let moved = next_version(&lead, |l| {
        l.contact.phone = Some(phone("201-555-0113"));
        l.contact.email = Some(email("ann@example.com"));
    });
    store.save(&moved).await.unwrap();
    assert_eq!(store.find_by_phone(&phone("2015550112")).await.unwrap(), vec![]);
    assert_eq!(store.find_by_phone(&phone("2015550113")).await.unwrap(), vec![lead.id]);
    assert_eq!(store.find_by_email(&email("ann@example.com")).await.unwrap(), vec![lead.id]);
    // The new phone and email now lead to this lead at capture.
    let by_new_phone = sample_lead(Some("201-555-0113"), None);
    assert_eq!(store.create_or_match(&by_new_phone, &Default::default()).await.unwrap(), CaptureOutcome::Matched(lead.id));
    let by_new_email = sample_lead(None, Some("ann@example.com"));
    assert_eq!(store.create_or_match(&by_new_email, &Default::default()).await.unwrap(), CaptureOutcome::Matched(lead.id));
}

async fn lookups_list_every_lead_newest_first<S: LeadStore + ?Sized>(store: Arc<S>) {
    // GIVEN three leads of one person over time, each closed before the next inquiry
    let mut ids = Vec::new();
    for day in 0..3 {
        let lead = sample_lead_at(Some("201-555-0114"), Some("ann@example.com"), base_time() + Duration::days(day));
        assert_eq!(store.create_or_match(&lead, &Default::default()).await.unwrap(), CaptureOutcome::Created);
        store.save(&next_version(&lead, |l| l.status = LeadStatus::Unresponsive)).await.unwrap();
        ids.push(lead.id);
    }
    // AND someone else's lead
    store.create_or_match(&sample_lead(Some("201-555-0115"), Some("bob@example.com")), &Default::default()).await.unwrap();
    // THEN both lookups give the three, newest first
    ids.reverse();
    assert_eq!(store.find_by_phone(&phone("2015550114")).await.unwrap(), ids);
    assert_eq!(store.find_by_email(&email("ann@example.com")).await.unwrap(), ids);
    assert_eq!(store.find_by_phone(&phone("2015550116")).await.unwrap(), vec![]);
}

fn named(first: &str, last: &str, phone_number: &str) -> leadflow::domain::Lead {
    let mut lead = sample_lead(Some(phone_number), None);
    lead.contact.first_name = Some(leadflow::domain::text::PersonName::parse(first).unwrap());
    lead.contact.last_name = Some(leadflow::domain::text::PersonName::parse(last).unwrap());
    lead
}

async fn names_are_found_by_any_word_start_whatever_the_case_or_accents<S: LeadStore + ?Sized>(store: Arc<S>) {
    // GIVEN two people whose names share a start, and a third
    let jose = named("José", "Núñez-García", "201-555-0131");
    let josefina = named("Josefina", "Ortiz", "201-555-0132");
    let ann = named("Ann", "Lee", "201-555-0133");
    for l in [&jose, &josefina, &ann] {
        store.create_or_match(l, &Default::default()).await.unwrap();
    }
    let found = |prefix: &'static str| {
        let store = store.clone();
        async move {
            let mut ids = store.find_by_name(prefix, 50).await.unwrap();
            ids.sort();
            ids
        }
    };
    let mut both = vec![jose.id, josefina.id];
    both.sort();
    // THEN folded prefixes of two to eight letters find them, and nothing else does
    assert_eq!(found("jo").await, both);
    assert_eq!(found("jose").await, both);
    assert_eq!(found("josefin").await, vec![josefina.id]);
    assert_eq!(found("nunez").await, vec![jose.id]);
    assert_eq!(found("garc").await, vec![jose.id], "each part of a double name");
    assert_eq!(found("le").await, vec![ann.id]);
    assert!(found("zz").await.is_empty());
    assert!(store.find_by_name("jo", 1).await.unwrap().len() == 1, "at most the limit");
}

async fn a_renamed_lead_is_found_by_its_new_name<S: LeadStore + ?Sized>(store: Arc<S>) {
    let lead = named("Maria", "Lopez", "201-555-0134");
    store.create_or_match(&lead, &Default::default()).await.unwrap();
    let renamed = next_version(&lead, |l| l.contact.last_name = Some(leadflow::domain::text::PersonName::parse("Alvarez").unwrap()));
    store.save(&renamed).await.unwrap();
    assert_eq!(store.find_by_name("alvarez", 10).await.unwrap(), vec![lead.id]);
    assert_eq!(store.find_by_name("mari", 10).await.unwrap(), vec![lead.id]);
    assert!(store.find_by_name("lopez", 10).await.unwrap().is_empty(), "the old name is no longer indexed");
    // A status change leaves the names where they are.
    store.save(&next_version(&renamed, |l| l.status = LeadStatus::Contacted)).await.unwrap();
    assert_eq!(store.find_by_name("alvarez", 10).await.unwrap(), vec![lead.id]);
}

fn scored(
    mut lead: leadflow::domain::Lead,
    tier: leadflow::domain::urgency::UrgencyTier,
    due_minutes: Option<i64>,
) -> leadflow::domain::Lead {
    let urgency: leadflow::domain::urgency::UrgencyAssessment =
        serde_json::from_value(serde_json::json!({"tier": tier, "matches": [], "negated": []})).unwrap();
    lead.score = Some(leadflow::domain::scoring::LeadScore {
        model: "m".into(),
        model_version: 1,
        score: 50,
        band: leadflow::domain::scoring::ScoreBand::Warm,
        urgency,
        contributions: Vec::new(),
        scored_at: base_time(),
    });
    lead.first_contact_due_at = due_minutes.map(|m| base_time() + Duration::minutes(m));
    lead.assignment = Some(leadflow_tests::leads::assignment("maria"));
    lead
}

async fn the_work_queue_lists_open_leads_most_urgent_first<S: LeadStore + LeadListing + ?Sized>(store: Arc<S>) {
    use leadflow::domain::urgency::UrgencyTier::{Crisis, Routine, Urgent};
    // GIVEN maria's leads: routine due in 5 and 30 minutes, one already contacted, an urgent
    // one due in an hour, a crisis, a closed one, and someone else's
    let routine_late = scored(sample_lead(Some("201-555-0141"), None), Routine, Some(30));
    let routine_soon = scored(sample_lead(Some("201-555-0142"), None), Routine, Some(5));
    let mut contacted = scored(sample_lead(Some("201-555-0143"), None), Routine, Some(1));
    contacted.first_contact_at = Some(base_time());
    let urgent = scored(sample_lead(Some("201-555-0144"), None), Urgent, Some(60));
    let crisis = scored(sample_lead(Some("201-555-0145"), None), Crisis, Some(3));
    let closed = scored(sample_lead(Some("201-555-0146"), None), Crisis, Some(1));
    let mut others = scored(sample_lead(Some("201-555-0147"), None), Crisis, Some(1));
    others.assignment = Some(leadflow_tests::leads::assignment("sam"));
    for l in [&routine_late, &routine_soon, &contacted, &urgent, &crisis, &closed, &others] {
        store.create_or_match(l, &Default::default()).await.unwrap();
    }
    store.save(&next_version(&closed, |l| l.status = LeadStatus::Disqualified)).await.unwrap();
    // THEN her queue is crisis, urgent, then the routine ones by deadline, the contacted one last
    let maria = InboxQueue::Member("maria".into());
    let ids: Vec<_> = store.inbox(&maria, None, 10).await.unwrap().iter().map(|l| l.id).collect();
    assert_eq!(ids, vec![crisis.id, urgent.id, routine_soon.id, routine_late.id, contacted.id]);
    assert_eq!(store.inbox(&maria, None, 2).await.unwrap().len(), 2);
    // AND a lead given to someone else leaves her queue for theirs
    store.save(&next_version(&urgent, |l| l.assignment = Some(leadflow_tests::leads::assignment("sam")))).await.unwrap();
    let ids: Vec<_> = store.inbox(&maria, None, 10).await.unwrap().iter().map(|l| l.id).collect();
    assert!(!ids.contains(&urgent.id));
    let sams: Vec<_> = store.inbox(&InboxQueue::Member("sam".into()), None, 10).await.unwrap().iter().map(|l| l.id).collect();
    assert_eq!(sams, vec![others.id, urgent.id]);
    assert!(store.inbox(&InboxQueue::Unassigned, None, 10).await.unwrap().is_empty());
}

async fn a_managers_queue_keeps_their_facilities_only<S: LeadStore + LeadListing + ?Sized>(store: Arc<S>) {
    let mut hoboken = sample_lead(Some("201-555-0151"), None);
    hoboken.context.preferred_facility = Some(leadflow::domain::text::Label::parse("Hoboken", 100).unwrap());
    let mut newark = sample_lead(Some("201-555-0152"), None);
    newark.context.preferred_facility = Some(leadflow::domain::text::Label::parse("Newark", 100).unwrap());
    let nowhere = sample_lead(Some("201-555-0153"), None);
    for l in [&hoboken, &newark, &nowhere] {
        store.create_or_match(l, &Default::default()).await.unwrap();
    }
    let mine = vec!["hoboken".to_string()];
    let ids: Vec<_> = store.inbox(&InboxQueue::Unassigned, Some(&mine), 10).await.unwrap().iter().map(|l| l.id).collect();
    assert_eq!(ids, vec![hoboken.id]);
    assert_eq!(store.inbox(&InboxQueue::Unassigned, None, 10).await.unwrap().len(), 3);
    assert!(store.inbox(&InboxQueue::Unassigned, Some(&[]), 10).await.unwrap().is_empty());
}
