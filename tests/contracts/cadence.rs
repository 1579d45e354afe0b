//! The cadence store's contract (`ports::cadence`: enrollments and tasks), held against the
//! embedded store and DynamoDB on moto.

use chrono::Duration;
use leadflow::adapters::aws::DynamoStore;
use leadflow::adapters::memory::MemoryCadenceStore;
use leadflow::domain::cadence::{Enrollment, EnrollmentState};
use leadflow::domain::contact_attempt::ContactOutcome;
use leadflow::domain::routing::MemberId;
use leadflow::domain::task::{Task, TaskStatus};
use leadflow::domain::LeadId;
use leadflow::ports::{EnrollmentStore, StoreError, TaskStore};
use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use leadflow_tests::leads::base_time;
use std::sync::Arc;

async fn memory_store() -> Arc<MemoryCadenceStore> {
    Arc::new(MemoryCadenceStore::new())
}

async fn dynamo_store() -> Arc<DynamoStore> {
    Arc::new(MotoAws::connect().await.fresh_store().await)
}

contract_suite!(
    [memory => memory_store, dynamodb => dynamo_store]
    [
        an_enrollment_is_created_once_and_saved_by_version,
        tasks_are_created_once_and_listed_per_lead,
        a_members_open_tasks_come_soonest_first_and_leave_when_closed,
    ]
);

fn task(lead: LeadId, id: &str, member: Option<&str>, due_minutes: i64) -> Task {
    Task {
        id: id.into(),
        lead_id: lead,
        member: member.map(|m| MemberId::parse(m).unwrap()),
        kind: "call".into(),
        title: format!("Call lead {id}"),
        cadence: "med-spa".into(),
        step: 0,
        created_at: base_time(),
        due_at: base_time() + Duration::minutes(due_minutes),
        status: TaskStatus::Open,
        outcome: None,
        closed_at: None,
        closed_by: None,
    }
}

async fn an_enrollment_is_created_once_and_saved_by_version<S: EnrollmentStore + 'static>(store: Arc<S>) {
    let lead = LeadId::random();
    assert!(store.enrollment(lead).await.unwrap().is_none());
    let e = Enrollment::new(lead, "med-spa", 1, 0, base_time());
    store.save_enrollment(&e).await.unwrap();
    assert!(matches!(store.save_enrollment(&e).await, Err(StoreError::Conflict)), "version 1 exists");
    let mut next = e.clone();
    next.version = 2;
    next.next_step = 1;
    next.next_due = Some(base_time() + Duration::hours(1));
    store.save_enrollment(&next).await.unwrap();
    // A writer that read version 1 loses.
    let mut stale = e.clone();
    stale.version = 2;
    stale.state = EnrollmentState::Paused;
    assert!(matches!(store.save_enrollment(&stale).await, Err(StoreError::Conflict)));
    let got = store.enrollment(lead).await.unwrap().unwrap();
    assert_eq!(got, next);
    assert!(store.enrollment(LeadId::random()).await.unwrap().is_none());
}

async fn tasks_are_created_once_and_listed_per_lead<S: TaskStore + 'static>(store: Arc<S>) {
    let lead = LeadId::random();
    let t = task(lead, "g1-s0", Some("maria"), 60);
    assert!(store.create_task(&t).await.unwrap());
    let mut changed = t.clone();
    changed.title = "another".into();
    assert!(!store.create_task(&changed).await.unwrap(), "created once");
    assert_eq!(store.task(lead, "g1-s0").await.unwrap().unwrap(), t);
    let mut later = task(lead, "g1-s2", None, 240);
    later.created_at = base_time() + Duration::hours(4);
    store.create_task(&later).await.unwrap();
    let all = store.tasks_of_lead(lead).await.unwrap();
    assert_eq!(all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["g1-s0", "g1-s2"]);
    assert!(store.tasks_of_lead(LeadId::random()).await.unwrap().is_empty());
    assert!(store.task(lead, "missing").await.unwrap().is_none());
}

async fn a_members_open_tasks_come_soonest_first_and_leave_when_closed<S: TaskStore + 'static>(store: Arc<S>) {
    let member = format!("m{}", ulid::Ulid::new().to_string().to_lowercase());
    let (a, b) = (LeadId::random(), LeadId::random());
    let late = task(a, "g1-s0", Some(&member), 120);
    let soon = task(b, "g1-s0", Some(&member), 30);
    store.create_task(&late).await.unwrap();
    store.create_task(&soon).await.unwrap();
    store.create_task(&task(LeadId::random(), "g1-s0", Some("someone-else"), 10)).await.unwrap();
    let open = store.open_tasks_of(&member, 10).await.unwrap();
    assert_eq!(open.iter().map(|t| t.lead_id).collect::<Vec<_>>(), [b, a]);
    assert_eq!(store.open_tasks_of(&member, 1).await.unwrap().len(), 1, "limit");
    let mut done = soon.clone();
    done.close(TaskStatus::Done, Some(ContactOutcome::Answered), "maria", base_time() + Duration::minutes(5));
    store.save_task(&done).await.unwrap();
    store.save_task(&done).await.unwrap();
    assert_eq!(store.open_tasks_of(&member, 10).await.unwrap().iter().map(|t| t.lead_id).collect::<Vec<_>>(), [a]);
    assert_eq!(store.task(b, "g1-s0").await.unwrap().unwrap().outcome, Some(ContactOutcome::Answered));
}

/// What a cadence step sent is sealed on the timeline (`outcome.text`): a reader of the table
/// sees ciphertext, the store reads it back as written.
#[tokio::test]
async fn a_steps_sent_text_is_ciphertext_at_rest() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use leadflow::domain::cadence::{StepChannel, StepOutcome};
    use leadflow::domain::{Actor, TimelineEntry, TimelineKind};
    use leadflow::ports::TimelineStore;
    let aws = MotoAws::connect().await;
    let store = aws.fresh_store().await;
    let lead_id = LeadId::random();
    let entry = TimelineEntry::new(
        lead_id,
        base_time(),
        Actor::System("cadence".into()),
        TimelineKind::CadenceStep {
            cadence: "med-spa".into(),
            step: 4,
            name: "sms-24h".into(),
            channel: StepChannel::Sms,
            outcome: StepOutcome::Sent { provider_message_id: "m-1".into(), text: Some("Hi Wilhelmina, pick a time".into()) },
            next: None,
        },
    );
    store.append(&entry).await.unwrap();
    let partition = aws
        .dynamodb
        .query()
        .table_name(store.table())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("LEAD#{lead_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(partition.items().len(), 1);
    let raw = format!("{:?}", partition.items());
    assert!(!raw.contains("Wilhelmina"), "the sent text is stored in the clear: {raw}");
    assert!(raw.contains("sms-24h"), "the step's name stays readable");
    assert_eq!(store.list(lead_id, None, 10).await.unwrap().items, vec![entry]);
}
