//! The team state and team notification contracts, held against the embedded adapters and the
//! AWS ones (DynamoDB and SNS on moto).

use chrono::Duration;
use leadflow::adapters::aws::DynamoStore;
use leadflow::adapters::memory::MemoryTeamStore;
use leadflow::domain::routing::{Availability, MemberId};
use leadflow::ports::TeamStore;
use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use leadflow_tests::leads::base_time;
use std::collections::BTreeSet;
use std::sync::Arc;

async fn memory_store() -> Arc<MemoryTeamStore> {
    Arc::new(MemoryTeamStore::new())
}

async fn dynamo_store() -> Arc<DynamoStore> {
    Arc::new(MotoAws::connect().await.fresh_store().await)
}

contract_suite!(
    [memory => memory_store, dynamodb => dynamo_store]
    [tickets_count_up_per_pool, concurrent_draws_never_share_a_ticket, availability_is_stored_and_listed]
);

fn member(s: &str) -> MemberId {
    MemberId::parse(s).unwrap()
}

async fn tickets_count_up_per_pool<S: TeamStore + ?Sized>(store: Arc<S>) {
    assert_eq!(store.next_ticket("rule:a").await.unwrap(), 0);
    assert_eq!(store.next_ticket("rule:a").await.unwrap(), 1);
    assert_eq!(store.next_ticket("rule:b").await.unwrap(), 0);
    assert_eq!(store.next_ticket("rule:a").await.unwrap(), 2);
}

/// Many score invocations drawing at once each get their own ticket, so no two of them pick the
/// same round-robin slot (on moto: DynamoDB's atomic counter under real concurrent requests).
async fn concurrent_draws_never_share_a_ticket<S: TeamStore + ?Sized + 'static>(store: Arc<S>) {
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.next_ticket("rule:busy").await.unwrap() })
        })
        .collect();
    let mut tickets = BTreeSet::new();
    for t in tasks {
        assert!(tickets.insert(t.await.unwrap()), "a ticket was handed out twice");
    }
    assert_eq!(tickets, (0..60).collect::<BTreeSet<u64>>());
}

async fn availability_is_stored_and_listed<S: TeamStore + ?Sized>(store: Arc<S>) {
    assert!(store.availability().await.unwrap().is_empty());
    let away =
        Availability { away: true, until: Some(base_time() + Duration::hours(4)), updated_by: "u-1".into(), updated_at: base_time() };
    store.set_availability(&member("ana"), &away).await.unwrap();
    store
        .set_availability(&member("ben"), &Availability { away: false, until: None, updated_by: "u-2".into(), updated_at: base_time() })
        .await
        .unwrap();
    let all = store.availability().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[&member("ana")], away);
    assert!(all[&member("ana")].is_away(base_time()));
    assert!(!all[&member("ana")].is_away(base_time() + Duration::hours(5)), "back when `until` passes");
    // Changing it again replaces the record.
    let back = Availability { away: false, until: None, updated_by: "u-1".into(), updated_at: base_time() + Duration::hours(1) };
    store.set_availability(&member("ana"), &back).await.unwrap();
    assert_eq!(store.availability().await.unwrap()[&member("ana")], back);
}

mod notifier {
    use leadflow::adapters::aws::SnsTeamNotifier;
    use leadflow::adapters::memory::MemoryOutbox;
    use leadflow::domain::routing::{MemberId, NotifyChannels};
    use leadflow::domain::team_notice::{NoticeKind, TeamNotice};
    use leadflow::domain::LeadId;
    use leadflow::ports::{ManualClock, Notifier, NotifyError};
    use leadflow_tests::aws::{unique_name, MotoAws};
    use leadflow_tests::contract_suite;
    use leadflow_tests::leads::base_time;
    use std::sync::Arc;

    async fn memory() -> Arc<MemoryOutbox> {
        Arc::new(MemoryOutbox::new(Arc::new(ManualClock::new(base_time()))))
    }

    async fn sns() -> Arc<SnsTeamNotifier> {
        let aws = MotoAws::connect().await;
        let prefix = unique_name("team") + "-";
        let arn = aws.sns.create_topic().name(format!("{prefix}ana")).send().await.unwrap().topic_arn.unwrap();
        Arc::new(SnsTeamNotifier::new(aws.sns.clone(), Some(arn.trim_end_matches("ana").to_string())))
    }

    contract_suite!([memory => memory, sns => sns] [a_notice_is_handed_over_with_an_id]);

    fn notice() -> TeamNotice {
        TeamNotice {
            member: MemberId::parse("ana").unwrap(),
            channels: NotifyChannels { sms: true, email: true },
            kind: NoticeKind::Overdue,
            lead_id: LeadId::random(),
            subject: "leadflow: lead ABCD1234 is waiting".into(),
            text: "leadflow: lead ABCD1234 (Med spa, urgent, score 72) has had no contact for 2 min.".into(),
        }
    }

    async fn a_notice_is_handed_over_with_an_id<N: Notifier + ?Sized>(notifier: Arc<N>) {
        let id = notifier.notify(&notice()).await.unwrap();
        assert!(!id.is_empty());
    }

    #[tokio::test]
    async fn the_embedded_notifier_records_one_entry_per_channel_without_contact_details() {
        let outbox = memory().await;
        let n = notice();
        outbox.notify(&n).await.unwrap();
        let entries = outbox.entries();
        let channels: Vec<&str> = entries.iter().map(|e| e.channel.as_str()).collect();
        assert_eq!(channels, ["team_sms", "team_email"]);
        assert!(entries.iter().all(|e| e.recipient == "member:ana" && e.lead_id == Some(n.lead_id) && e.purpose == "overdue"));
    }

    #[tokio::test]
    async fn without_a_topic_prefix_sns_notifications_are_not_configured() {
        let aws = MotoAws::connect().await;
        let n = SnsTeamNotifier::new(aws.sns.clone(), None);
        assert!(matches!(n.notify(&notice()).await, Err(NotifyError::NotConfigured(_))));
    }
}
