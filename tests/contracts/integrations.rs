//! Contracts of the ports this work added, held against the embedded adapters and the AWS ones
//! on moto: lead listing through the indexes, webhook events and provider links, the webhook
//! job queue, secrets, team alerts and the SNS HTTPS guard; and the timeline over 500 entries.

use chrono::Duration;
use leadflow::adapters::aws::DynamoStore;
use leadflow::adapters::memory::MemoryStore;
use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use std::sync::Arc;

async fn memory_store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new())
}

async fn dynamo_store() -> Arc<DynamoStore> {
    Arc::new(MotoAws::connect().await.fresh_store().await)
}

mod listing {
    use super::*;
    use leadflow::domain::{Lead, LeadStatus, ServiceLineId};
    use leadflow::ports::{LeadFilter, LeadListing, LeadStore, ListCursor};
    use leadflow_tests::leads::{base_time, next_version, sample_lead_at};

    contract_suite!(
        [memory => memory_store, dynamodb => dynamo_store]
        [
            leads_list_by_status_newest_first_in_pages,
            a_status_change_moves_the_lead_between_listings,
            leads_list_by_assignee_service_line_and_facility,
        ]
    );

    async fn stored<S: LeadStore + ?Sized>(store: &S, n: usize, change: impl Fn(usize, &mut Lead)) -> Vec<Lead> {
        let mut out = Vec::new();
        for i in 0..n {
            let mut lead = sample_lead_at(Some(&format!("+1201555{:04}", 3000 + i)), None, base_time() + Duration::minutes(i as i64));
            change(i, &mut lead);
            store.create_or_match(&lead, &Default::default()).await.unwrap();
            out.push(lead);
        }
        out
    }

    async fn leads_list_by_status_newest_first_in_pages<S: LeadStore + LeadListing + ?Sized>(store: Arc<S>) {
        // GIVEN 7 new leads and 2 booked ones
        let all = stored(store.as_ref(), 9, |i, l| {
            if i % 4 == 3 {
                l.status = LeadStatus::Booked;
            }
        })
        .await;
        let mut expected: Vec<_> = all.iter().filter(|l| l.status == LeadStatus::New).map(|l| l.id).collect();
        expected.reverse();
        // WHEN they are listed three at a time
        let mut seen = Vec::new();
        let mut cursor: Option<ListCursor> = None;
        for _ in 0..5 {
            let page = store.list_leads(&LeadFilter::Status(LeadStatus::New), cursor.as_ref(), 3).await.unwrap();
            assert!(page.items.len() <= 3);
            seen.extend(page.items.iter().map(|l| l.id));
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        // THEN every new lead comes once, newest first, and no booked one
        assert_eq!(seen, expected);
        let booked = store.list_leads(&LeadFilter::Status(LeadStatus::Booked), None, 10).await.unwrap();
        assert_eq!(booked.items.len(), 2);
        assert!(booked.next.is_none());
        assert!(ListCursor::parse("not-a-cursor").is_none());
    }

    async fn a_status_change_moves_the_lead_between_listings<S: LeadStore + LeadListing + ?Sized>(store: Arc<S>) {
        let leads = stored(store.as_ref(), 2, |_, _| {}).await;
        store.save(&next_version(&leads[0], |l| l.status = LeadStatus::Contacted)).await.unwrap();
        let new = store.list_leads(&LeadFilter::Status(LeadStatus::New), None, 10).await.unwrap();
        assert_eq!(new.items.iter().map(|l| l.id).collect::<Vec<_>>(), vec![leads[1].id]);
        let contacted = store.list_leads(&LeadFilter::Status(LeadStatus::Contacted), None, 10).await.unwrap();
        assert_eq!(contacted.items.len(), 1);
        assert_eq!(contacted.items[0].status, LeadStatus::Contacted, "the page holds the current lead");
    }

    async fn leads_list_by_assignee_service_line_and_facility<S: LeadStore + LeadListing + ?Sized>(store: Arc<S>) {
        let leads = stored(store.as_ref(), 4, |i, l| {
            l.assignment = Some(leadflow_tests::leads::assignment(if i < 2 { "u-1" } else { "u-2" }));
            if i == 3 {
                l.context.service_line = ServiceLineId::parse("franchise").unwrap();
            }
            l.context.preferred_facility =
                Some(leadflow::domain::text::Label::parse(if i == 0 { "Hoboken" } else { "Newark" }, 100).unwrap());
        })
        .await;
        let ids = |page: leadflow::ports::LeadPage| page.items.iter().map(|l| l.id).collect::<Vec<_>>();
        assert_eq!(ids(store.list_leads(&LeadFilter::Assignee("u-1".into()), None, 10).await.unwrap()), vec![leads[1].id, leads[0].id]);
        assert_eq!(
            ids(store.list_leads(&LeadFilter::ServiceLine(ServiceLineId::parse("franchise").unwrap()), None, 10).await.unwrap()),
            vec![leads[3].id]
        );
        assert_eq!(ids(store.list_leads(&LeadFilter::Facility("hoboken".into()), None, 10).await.unwrap()), vec![leads[0].id]);
        assert_eq!(ids(store.list_leads(&LeadFilter::Facility(" HOBOKEN ".into()), None, 10).await.unwrap()), vec![leads[0].id]);
        // Reassigning moves the lead.
        store.save(&next_version(&leads[0], |l| l.assignment = Some(leadflow_tests::leads::assignment("u-2")))).await.unwrap();
        assert_eq!(ids(store.list_leads(&LeadFilter::Assignee("u-1".into()), None, 10).await.unwrap()), vec![leads[1].id]);
    }
}

mod timeline {
    use super::*;
    use leadflow::domain::LeadId;
    use leadflow::ports::TimelineStore;
    use leadflow_tests::leads::{base_time, timeline_entry};

    contract_suite!([memory => memory_store, dynamodb => dynamo_store] [five_hundred_entries_page_in_time_order]);

    async fn five_hundred_entries_page_in_time_order<S: TimelineStore + ?Sized>(store: Arc<S>) {
        let lead = LeadId::random();
        // Appended out of order, some within the same millisecond.
        let mut entries: Vec<_> = (0..500)
            .map(|i| timeline_entry(lead, base_time() + Duration::milliseconds((i * 7919) % 500) + Duration::nanoseconds(i)))
            .collect();
        for e in &entries {
            store.append(e).await.unwrap();
        }
        entries.sort_by_key(|e| (e.at, e.id));
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = store.list(lead, after, 50).await.unwrap();
            pages += 1;
            seen.extend(page.items);
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(pages, 10);
        assert_eq!(seen.len(), 500);
        assert!(seen.windows(2).all(|w| w[0].at <= w[1].at), "time order");
        assert_eq!(seen.iter().map(|e| e.id).collect::<Vec<_>>(), entries.iter().map(|e| e.id).collect::<Vec<_>>());
    }
}

mod inbound {
    use super::*;
    use leadflow::domain::inbound::{InboundEvent, InboundKind, Provider};
    use leadflow::domain::LeadId;
    use leadflow::ports::{InboundStore, ProviderKey, Recorded};
    use leadflow_tests::leads::base_time;

    contract_suite!(
        [memory => memory_store, dynamodb => dynamo_store]
        [an_event_is_stored_once_and_marked_processed, provider_ids_link_to_leads, a_persons_events_and_links_are_exported_then_erased]
    );

    fn event(id: &str) -> InboundEvent {
        InboundEvent {
            provider: Provider::Stripe,
            event_id: id.into(),
            occurred_at: base_time(),
            received_at: base_time(),
            kind: InboundKind::Ignored { what: "test".into() },
        }
    }

    async fn an_event_is_stored_once_and_marked_processed<S: InboundStore + ?Sized + 'static>(store: Arc<S>) {
        let e = event("evt_#1/odd id");
        // Concurrent deliveries: exactly one stores it.
        let (a, b) = tokio::join!(store.record(&e), store.record(&e));
        let outcomes = [a.unwrap(), b.unwrap()];
        assert_eq!(outcomes.iter().filter(|o| **o == Recorded::New).count(), 1, "{outcomes:?}");
        assert_eq!(store.record(&e).await.unwrap(), Recorded::Duplicate { processed: false });
        let stored = store.get_inbound(Provider::Stripe, &e.event_id).await.unwrap().unwrap();
        assert_eq!(stored.event, e);
        assert_eq!(stored.outcome, None);
        store.mark_processed(Provider::Stripe, &e.event_id, "ignored:test", base_time()).await.unwrap();
        assert_eq!(store.record(&e).await.unwrap(), Recorded::Duplicate { processed: true });
        assert_eq!(store.get_inbound(Provider::Stripe, &e.event_id).await.unwrap().unwrap().outcome.as_deref(), Some("ignored:test"));
        // Per provider: the same id elsewhere is another event.
        let mut other = e.clone();
        other.provider = Provider::Twilio;
        assert_eq!(store.record(&other).await.unwrap(), Recorded::New);
        assert!(store.get_inbound(Provider::Calls, &e.event_id).await.unwrap().is_none());
    }

    async fn provider_ids_link_to_leads<S: InboundStore + ?Sized>(store: Arc<S>) {
        let key = ProviderKey::new(Provider::Appointments, "appointment", "apt-1");
        assert_eq!(store.linked(&key).await.unwrap(), None);
        let (first, second) = (LeadId::random(), LeadId::random());
        store.link(&key, first).await.unwrap();
        assert_eq!(store.linked(&key).await.unwrap(), Some(first));
        store.link(&key, second).await.unwrap();
        assert_eq!(store.linked(&key).await.unwrap(), Some(second));
        assert_eq!(store.linked(&ProviderKey::new(Provider::Stripe, "appointment", "apt-1")).await.unwrap(), None);
    }

    /// Person rights reach the webhook events that concerned a person's leads and the provider
    /// ids linked to them; another person's stay as they are.
    async fn a_persons_events_and_links_are_exported_then_erased<S: InboundStore + leadflow::ports::PersonDataStore + ?Sized>(
        store: Arc<S>,
    ) {
        use leadflow::domain::inbound::InboundSms;
        use leadflow::ports::PersonKeys;
        let phone = leadflow_tests::leads::unique_phone();
        let (mine, theirs) = (LeadId::random(), LeadId::random());
        let sms = |id: &str, body: &str| InboundEvent {
            kind: InboundKind::Sms(InboundSms { from: phone.clone(), to: None, body: body.into() }),
            provider: Provider::Twilio,
            ..event(id)
        };
        let (reply, other) = (sms(&format!("SM-{mine}"), "my knee is still swollen"), sms(&format!("SM-{theirs}"), "see you friday"));
        for (e, lead) in [(&reply, mine), (&other, theirs)] {
            store.record(e).await.unwrap();
            store.attach(e.provider, &e.event_id, lead).await.unwrap();
            store.attach(e.provider, &e.event_id, lead).await.unwrap(); // idempotent
        }
        let key = ProviderKey::new(Provider::Stripe, "customer", &format!("cus-{mine}"));
        store.link(&key, mine).await.unwrap();
        let person = PersonKeys { lead_ids: vec![mine], phones: vec![phone.clone()], emails: vec![] };

        let held = store.export(&person).await.unwrap();
        let text = serde_json::to_string(&held).unwrap();
        assert!(text.contains("my knee is still swollen") && text.contains(&format!("cus-{mine}")), "{text}");
        assert!(!text.contains("see you friday"), "another person's event is not exported");
        assert_eq!(held.iter().filter(|h| h.kind == "webhook_event").count(), 1, "attached twice, held once");

        assert!(store.erase(&person, base_time()).await.unwrap() >= 2);
        let erased = store.get_inbound(Provider::Twilio, &reply.event_id).await.unwrap().unwrap();
        assert_eq!(erased.event.kind, InboundKind::Ignored { what: "erased:sms".into() });
        assert_eq!((erased.event.event_id.as_str(), erased.event.occurred_at), (reply.event_id.as_str(), reply.occurred_at));
        assert_eq!(store.record(&reply).await.unwrap(), Recorded::Duplicate { processed: false }, "still recognised");
        assert_eq!(store.linked(&key).await.unwrap(), None);
        assert_eq!(store.get_inbound(Provider::Twilio, &other.event_id).await.unwrap().unwrap().event, other);
        let again = store.export(&person).await.unwrap();
        assert!(!serde_json::to_string(&again).unwrap().contains("swollen"));
    }
}

mod jobs {
    use super::*;
    use leadflow::adapters::aws::sqs::{receive_records, ReceiveOptions};
    use leadflow::adapters::memory::{MemoryQueue, QueueSettings};
    use leadflow::domain::inbound::{InboundJob, Provider};
    use leadflow::ports::{Consumer, JobQueue};
    use leadflow_tests::aws::TestQueues;

    trait Probe {
        fn jobs(&self) -> &dyn JobQueue;
        async fn received(&self) -> Vec<String>;
    }

    impl Probe for MemoryQueue {
        fn jobs(&self) -> &dyn JobQueue {
            self
        }
        async fn received(&self) -> Vec<String> {
            self.receive(Consumer::Webhooks, 10).into_iter().map(|m| m.body).collect()
        }
    }

    struct Sqs(MotoAws, TestQueues);

    impl Probe for Sqs {
        fn jobs(&self) -> &dyn JobQueue {
            &self.1.queue
        }
        async fn received(&self) -> Vec<String> {
            let r = receive_records(&self.0.sqs, &self.1.pair(Consumer::Webhooks).main, ReceiveOptions::default()).await.unwrap();
            r.into_iter().filter_map(|m| m.body).collect()
        }
    }

    async fn memory_queue() -> Arc<MemoryQueue> {
        Arc::new(MemoryQueue::new(QueueSettings::default()))
    }

    async fn sqs_queue() -> Arc<Sqs> {
        let aws = MotoAws::connect().await;
        let queues = aws.fresh_queues(std::time::Duration::from_secs(30)).await;
        Arc::new(Sqs(aws, queues))
    }

    contract_suite!([memory => memory_queue, sqs => sqs_queue] [a_job_reaches_the_webhook_worker_with_ids_only]);

    async fn a_job_reaches_the_webhook_worker_with_ids_only<P: Probe>(probe: Arc<P>) {
        let job = InboundJob { provider: Provider::Twilio, event_id: "SM123".into() };
        probe.jobs().enqueue(&job).await.unwrap();
        let bodies = probe.received().await;
        assert_eq!(bodies.len(), 1);
        assert_eq!(InboundJob::from_json(&bodies[0]).unwrap(), job);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&bodies[0]).unwrap().as_object().unwrap().len(), 2);
    }
}

mod secrets {
    use super::*;
    use leadflow::adapters::aws::SsmSecrets;
    use leadflow::adapters::memory::LocalSecrets;
    use leadflow::ports::SecretSource;

    async fn local() -> Arc<LocalSecrets> {
        Arc::new(LocalSecrets::new([
            ("twilio_auth_token".to_string(), "tw-token".to_string()),
            ("stripe_webhook_secret".into(), "whsec_1".into()),
        ]))
    }

    async fn ssm() -> Arc<SsmSecrets> {
        let aws = MotoAws::connect().await;
        let client = aws_sdk_ssm::Client::new(&aws.config);
        let prefix = format!("/{}/webhooks", leadflow_tests::aws::unique_name("leadflow"));
        for (name, value) in [("twilio_auth_token", "tw-token"), ("stripe_webhook_secret", "whsec_1")] {
            client
                .put_parameter()
                .name(format!("{prefix}/{name}"))
                .value(value)
                .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                .send()
                .await
                .unwrap();
        }
        Arc::new(SsmSecrets::new(client, format!("{prefix}/")))
    }

    contract_suite!([local => local, ssm => ssm] [secrets_read_back_and_missing_ones_are_none]);

    async fn secrets_read_back_and_missing_ones_are_none<S: SecretSource + ?Sized>(source: Arc<S>) {
        assert_eq!(source.secret("twilio_auth_token").await.unwrap().as_deref(), Some("tw-token"));
        assert_eq!(source.secret("stripe_webhook_secret").await.unwrap().as_deref(), Some("whsec_1"));
        assert_eq!(source.secret("callrail_signing_key").await.unwrap(), None);
    }

    #[test]
    fn a_local_secrets_file_is_read() {
        let path = std::env::temp_dir().join(format!("{}.toml", leadflow_tests::aws::unique_name("secrets")));
        std::fs::write(&path, "twilio_auth_token = \"from-file\"\n").unwrap();
        let s = LocalSecrets::from_file(&path).unwrap();
        assert_eq!(s.values().get("twilio_auth_token").map(String::as_str), Some("from-file"));
        std::fs::write(&path, "not toml = = =").unwrap();
        assert!(LocalSecrets::from_file(&path).is_err());
        std::fs::remove_file(&path).ok();
    }
}

mod alerts {
    use super::*;
    use leadflow::adapters::aws::SnsAlerts;
    use leadflow::adapters::memory::MemoryOutbox;
    use leadflow::domain::LeadId;
    use leadflow::ports::{ManualClock, TeamAlert, TeamAlerts};
    use leadflow_tests::leads::base_time;

    trait Probe {
        fn alerts(&self) -> &dyn TeamAlerts;
        async fn delivered(&self) -> Vec<serde_json::Value>;
    }

    impl Probe for MemoryOutbox {
        fn alerts(&self) -> &dyn TeamAlerts {
            self
        }
        async fn delivered(&self) -> Vec<serde_json::Value> {
            self.entries()
                .into_iter()
                .filter(|e| e.channel == "alert")
                .map(|e| serde_json::json!({"lead_id": e.lead_id.unwrap().to_string(), "user_id": e.recipient, "reason": e.text}))
                .collect()
        }
    }

    /// SNS alerts, read back through an SQS queue subscribed to the topic.
    struct Sns {
        aws: MotoAws,
        alerts: SnsAlerts,
        queue: leadflow::adapters::aws::sqs::QueueAddress,
    }

    impl Probe for Sns {
        fn alerts(&self) -> &dyn TeamAlerts {
            &self.alerts
        }
        async fn delivered(&self) -> Vec<serde_json::Value> {
            let opts = leadflow::adapters::aws::sqs::ReceiveOptions { wait: std::time::Duration::from_secs(1), ..Default::default() };
            let records = leadflow::adapters::aws::sqs::receive_records(&self.aws.sqs, &self.queue, opts).await.unwrap();
            records
                .into_iter()
                .map(|r| {
                    let envelope: serde_json::Value = serde_json::from_str(&r.body.unwrap()).unwrap();
                    let alert: serde_json::Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
                    serde_json::json!({"lead_id": alert["lead_id"], "user_id": alert["user_id"], "reason": alert["reason"]})
                })
                .collect()
        }
    }

    async fn outbox() -> Arc<MemoryOutbox> {
        Arc::new(MemoryOutbox::new(Arc::new(ManualClock::new(base_time()))))
    }

    async fn sns() -> Arc<Sns> {
        let aws = MotoAws::connect().await;
        // The template's alert topic, and a queue subscribed to it standing in for the team.
        let setting = leadflow::wiring::settings::Setting::AlertTopicArn;
        let topic = aws.stack().provision(&leadflow_tests::aws::resource_of(setting)).await.unwrap().reference;
        let inbox = aws.subscriber_queue("alerts").await;
        aws.sns.subscribe().topic_arn(&topic).protocol("sqs").endpoint(&inbox.arn).send().await.unwrap();
        Arc::new(Sns { alerts: SnsAlerts::new(aws.sns.clone(), Some(topic)), aws, queue: inbox })
    }

    contract_suite!([memory => outbox, sns => sns] [an_alert_reaches_the_team_with_ids_only]);

    async fn an_alert_reaches_the_team_with_ids_only<P: Probe>(probe: Arc<P>) {
        let lead_id = LeadId::random();
        let alert = TeamAlert { lead_id, user_id: Some("u-7".into()), team: None, reason: "lead.replied".into() };
        probe.alerts().alert(&alert).await.unwrap();
        let delivered = probe.delivered().await;
        assert_eq!(delivered, vec![serde_json::json!({"lead_id": lead_id.to_string(), "user_id": "u-7", "reason": "lead.replied"})]);
    }
}

mod sns_https {
    use leadflow::adapters::aws::HttpsSns;
    use leadflow::adapters::memory::StaticSnsHttps;
    use leadflow::ports::{SnsHttps, SnsHttpsError};

    /// Both adapters refuse anything but an https URL on an SNS host, before any request.
    #[tokio::test]
    async fn both_adapters_only_talk_to_sns_hosts() {
        let adapters: Vec<Box<dyn SnsHttps>> =
            vec![Box::new(StaticSnsHttps::new(Some(b"pem".to_vec()))), Box::new(HttpsSns::new().unwrap())];
        for a in &adapters {
            for url in ["https://attacker.example/SimpleNotificationService.pem", "http://sns.us-east-1.amazonaws.com/x.pem"] {
                assert!(matches!(a.certificate(url).await, Err(SnsHttpsError::NotSns)), "{url}");
                assert!(matches!(a.confirm_subscription(url).await, Err(SnsHttpsError::NotSns)), "{url}");
            }
        }
        let local = StaticSnsHttps::new(Some(b"pem".to_vec()));
        assert_eq!(local.certificate("https://sns.us-east-1.amazonaws.com/x.pem").await.unwrap(), b"pem");
    }
}
