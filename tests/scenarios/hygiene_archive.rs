//! Archiving and retention with a moved clock, on both adapters: silent leads are
//! archived after their service line's period (not before, not closed or booked ones), the
//! consent gates send archived leads nothing, their personal data gets the TTL
//! (`expires_at`, epoch seconds) `retention_days` after archiving, and an anonymized stub stays.
//! The embedded store emulates the TTL's deletion; on DynamoDB (moto) the attributes are read
//! back raw. Also the test-record index and the rate counter on both adapters.

use chrono::{DateTime, Duration, Utc};
use leadflow::adapters::aws::DynamoStore;
use leadflow::adapters::memory::MemoryQueue;
use leadflow::app::hygiene::{archive, retention, Window};
use leadflow::app::messaging::{sms_gate, SmsGate};
use leadflow::app::Services;
use leadflow::config::Config;
use leadflow::domain::timeline::SkipReason;
use leadflow::domain::{Lead, LeadId, LeadStatus, ServiceLineId};
use leadflow::ports::{Clock, ManualClock};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::aws::MotoAws;
use leadflow_tests::leads::{base_time, rich_lead, sample_lead_at, unique_phone};
use std::sync::Arc;

const RETENTION_DAYS: i64 = 730;

fn lead(at: DateTime<Utc>, line: &str, status: LeadStatus) -> Lead {
    let address = format!("ann-{}@harborhealth.org", ulid::Ulid::new().to_string().to_lowercase());
    let mut l = sample_lead_at(Some(unique_phone().as_e164()), Some(&address), at);
    l.context.service_line = ServiceLineId::parse(line).unwrap();
    l.consent = rich_lead().consent;
    l.status = status;
    l
}

struct Leads {
    med_spa: LeadId,
    franchise: LeadId,
    converted: LeadId,
    booked: LeadId,
    replied: LeadId,
}

async fn seed(s: &Services, t0: DateTime<Utc>) -> Leads {
    let mk = |line: &str, status| lead(t0, line, status);
    let all = [
        mk("med_spa", LeadStatus::New),
        mk("franchise", LeadStatus::Contacted),
        mk("med_spa", LeadStatus::Converted),
        mk("med_spa", LeadStatus::Booked),
        mk("wound_care", LeadStatus::Contacted),
    ];
    for l in &all {
        s.leads.create_or_match(l, &Default::default()).await.unwrap();
    }
    Leads { med_spa: all[0].id, franchise: all[1].id, converted: all[2].id, booked: all[3].id, replied: all[4].id }
}

async fn get(s: &Services, id: LeadId) -> Lead {
    s.leads.get(id).await.unwrap().unwrap()
}

/// The case both adapters run; returns the archived lead and when its data expires.
async fn archive_case(s: &Services, clock: &ManualClock) -> (LeadId, DateTime<Utc>) {
    let t0 = clock.now();
    let ids = seed(s, t0).await;
    assert_eq!(sms_gate(s, &get(s, ids.med_spa).await).await.unwrap(), SmsGate::Allowed(get(s, ids.med_spa).await.contact.phone.unwrap()));

    // Day 40: the wound-care lead replies (any change to the lead counts as activity).
    clock.advance(Duration::days(40));
    let mut replied = get(s, ids.replied).await;
    replied.updated_at = clock.now();
    replied.version += 1;
    s.leads.save(&replied).await.unwrap();

    // Day 59: nothing is due yet (60 days for patient lines, 120 for franchise).
    clock.advance(Duration::days(19));
    let w = Window { from: None, to: clock.now() };
    let report = archive::run(s, w).await.unwrap();
    assert_eq!(report.changed, 0, "{report:?}");

    // Day 61: the silent med-spa lead is archived; the others are not.
    clock.advance(Duration::days(2));
    let archived_at = clock.now();
    let report = archive::run(s, Window { from: None, to: archived_at }).await.unwrap();
    assert_eq!(report.lead_ids, vec![ids.med_spa], "{report:?}");
    let a = get(s, ids.med_spa).await;
    assert_eq!(a.status, LeadStatus::Unresponsive);
    assert_eq!(a.archived_at, Some(archived_at));
    let expires = archived_at + Duration::days(RETENTION_DAYS);
    assert_eq!(a.personal_data_expires_at, Some(expires));
    for (id, status) in [
        (ids.franchise, LeadStatus::Contacted),
        (ids.converted, LeadStatus::Converted),
        (ids.booked, LeadStatus::Booked),
        (ids.replied, LeadStatus::Contacted),
    ] {
        let l = get(s, id).await;
        assert_eq!((l.status, l.archived_at), (status, None), "{id}");
    }
    let timeline = s.timeline.list(ids.med_spa, None, 50).await.unwrap().items;
    let change = timeline.iter().map(|e| serde_json::to_value(e).unwrap()).find(|e| e["type"] == "status_changed").expect("status entry");
    assert_eq!((change["to"].as_str(), change["trigger"].as_str()), (Some("unresponsive"), Some(archive::TRIGGER)));

    // Archived leads receive nothing, on either channel.
    assert_eq!(sms_gate(s, &a).await.unwrap(), SmsGate::Blocked(SkipReason::LeadClosed));
    assert_eq!(leadflow::app::email::email_gate(s, &a).await.unwrap(), leadflow::app::email::EmailGate::Blocked(SkipReason::LeadClosed));
    let sent =
        leadflow::app::messaging::send_sms_to_lead(s, &a, leadflow::ports::MessagePurpose::Acknowledgement, "hi".into()).await.unwrap();
    assert_eq!(sent, leadflow::app::messaging::Delivery::Blocked(SkipReason::LeadClosed));

    // The stub: ids, status, source, service line, dates; no contact.
    let stub = s.hygiene.stub(ids.med_spa).await.unwrap().expect("a stub");
    assert_eq!((stub.id, stub.status, &stub.context.service_line), (a.id, LeadStatus::Unresponsive, &a.context.service_line));
    assert_eq!(stub.created_at, a.created_at);
    assert_eq!(stub.contact, Default::default(), "no personal data in the stub");

    // A second run changes nothing; the franchise lead follows at day 120.
    assert_eq!(archive::run(s, Window { from: None, to: clock.now() }).await.unwrap().changed, 0);
    clock.advance(Duration::days(60));
    let report = archive::run(s, Window { from: None, to: clock.now() }).await.unwrap();
    assert!(report.lead_ids.contains(&ids.franchise), "{report:?}");
    (ids.med_spa, expires)
}

fn embedded() -> (EmbeddedSystem, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(base_time()));
    (EmbeddedSystem::new(Config::embedded_default().unwrap(), clock.clone()), clock)
}

#[tokio::test]
async fn archive_and_ttl_with_a_moved_clock_on_the_embedded_store() {
    let (system, clock) = embedded();
    let s = &system.services;
    let (id, expires) = archive_case(s, &clock).await;
    assert!(!s.timeline.list(id, None, 10).await.unwrap().items.is_empty());

    // Before the expiry the data stays; after it, the lead and its timeline are gone and the
    // stub remains (what DynamoDB's TTL does).
    clock.set(expires - Duration::days(1));
    retention::run(s, Window { from: None, to: clock.now() }).await.unwrap();
    assert!(s.leads.get(id).await.unwrap().is_some());
    clock.set(expires + Duration::seconds(1));
    let report = retention::run(s, Window { from: None, to: clock.now() }).await.unwrap();
    assert!(report.changed >= 1, "{report:?}");
    assert!(s.leads.get(id).await.unwrap().is_none(), "personal data expired");
    assert!(s.timeline.list(id, None, 10).await.unwrap().items.is_empty());
    assert!(s.hygiene.stub(id).await.unwrap().is_some(), "the anonymized stub stays");
}

async fn moto_services(clock: Arc<ManualClock>) -> (Services, Arc<DynamoStore>) {
    let aws = MotoAws::connect().await;
    let store = Arc::new(aws.fresh_store().await);
    let queues = aws.fresh_queues(std::time::Duration::from_secs(30)).await;
    let base = aws.services(store.clone(), &queues, clock).await;
    (Services { queue: Arc::new(MemoryQueue::new(Default::default())), ..base }, store)
}

async fn raw_items(store: &DynamoStore, id: LeadId) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("LEAD#{id}")))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
}

#[tokio::test]
async fn archive_and_ttl_with_a_moved_clock_on_dynamodb() {
    let clock = Arc::new(ManualClock::new(base_time()));
    let (s, store) = moto_services(clock.clone()).await;
    let (id, expires) = archive_case(&s, &clock).await;
    let items = raw_items(&store, id).await;
    let sk = |i: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>| i["SK"].as_s().unwrap().clone();
    assert!(items.iter().any(|i| sk(i) == "STUB"));
    for item in &items {
        let ttl = item.get("expires_at").map(|v| v.as_n().unwrap().parse::<i64>().unwrap());
        if sk(item) == "STUB" {
            assert_eq!(ttl, None, "the stub never expires");
        } else {
            assert_eq!(ttl, Some(expires.timestamp()), "{} carries the TTL", sk(item));
        }
    }
    assert!(items.iter().any(|i| sk(i).starts_with("TL#")), "timeline entries are among them");
    // The unique claim on the phone expires too (it names the number).
    let phone = store_lead_phone(&s, id).await;
    let line = s.leads.get(id).await.unwrap().unwrap().context.service_line;
    let claim = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(format!("CLAIM#PHONE#{phone}#{line}")))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S("CLAIM".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("claim");
    assert_eq!(claim["expires_at"].as_n().unwrap(), &expires.timestamp().to_string());
    // DynamoDB deletes by TTL itself: the step has nothing to purge there.
    assert_eq!(s.hygiene.purge_expired(expires + Duration::days(1)).await.unwrap(), 0);
}

async fn store_lead_phone(s: &Services, id: LeadId) -> String {
    s.leads.get(id).await.unwrap().unwrap().contact.phone.unwrap().as_e164().to_string()
}

/// The test-record index and deletion, on both adapters.
async fn test_index_case(s: &Services) {
    let t0 = base_time();
    let mut old = lead(t0, "med_spa", LeadStatus::New);
    old.test = true;
    let mut young = lead(t0 + Duration::days(5), "med_spa", LeadStatus::New);
    young.test = true;
    for l in [&old, &young] {
        s.leads.create_or_match(l, &Default::default()).await.unwrap();
        s.hygiene.mark_test(l).await.unwrap();
        s.hygiene.mark_test(l).await.unwrap();
        s.timeline.append(&leadflow_tests::leads::timeline_entry(l.id, l.created_at)).await.unwrap();
    }
    assert_eq!(s.hygiene.test_leads_before(t0 + Duration::days(1), 10).await.unwrap(), vec![old.id]);
    assert_eq!(s.hygiene.test_leads_before(t0 + Duration::days(6), 10).await.unwrap(), vec![old.id, young.id]);
    assert!(s.hygiene.delete_lead(old.id).await.unwrap());
    assert!(!s.hygiene.delete_lead(old.id).await.unwrap(), "idempotent");
    assert!(s.leads.get(old.id).await.unwrap().is_none());
    assert!(s.timeline.list(old.id, None, 10).await.unwrap().items.is_empty());
    assert_eq!(s.hygiene.test_leads_before(t0 + Duration::days(6), 10).await.unwrap(), vec![young.id]);
    // The deleted lead's phone is free: a new inquiry from it is a new lead.
    let again = Lead { id: LeadId::random(), ..old.clone() };
    assert_eq!(s.leads.create_or_match(&again, &Default::default()).await.unwrap(), leadflow::ports::CaptureOutcome::Created);
}

#[tokio::test]
async fn the_test_record_index_and_deletion_on_the_embedded_store() {
    let (system, _) = embedded();
    test_index_case(&system.services).await;
}

#[tokio::test]
async fn the_test_record_index_and_deletion_on_dynamodb() {
    let (s, _) = moto_services(Arc::new(ManualClock::new(base_time()))).await;
    test_index_case(&s).await;
}

/// Concurrent hits each get their own count; windows are separate.
async fn rate_case(counter: Arc<dyn leadflow::ports::RateCounter>) {
    let (start, end) = leadflow::ports::rate_limit::window(base_time(), 3600);
    let key = leadflow::ports::rate_limit::counter_key("ip", &format!("198.51.100.{}", rand_octet()));
    let hits = futures::future::join_all((0..20).map(|_| {
        let c = counter.clone();
        let k = key.clone();
        async move { c.hit(&k, start, end).await.unwrap() }
    }))
    .await;
    let mut sorted = hits.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=20).collect::<Vec<u64>>(), "atomic: every hit sees its own count");
    let (next_start, next_end) = leadflow::ports::rate_limit::window(end, 3600);
    assert_eq!(counter.hit(&key, next_start, next_end).await.unwrap(), 1, "a new window starts at 1");
    assert!(!key.contains("198.51.100"), "the key is a digest, not the address");
}

fn rand_octet() -> u8 {
    (ulid::Ulid::new().random() % 250) as u8
}

#[tokio::test]
async fn the_rate_counter_is_atomic_on_the_embedded_store() {
    rate_case(Arc::new(leadflow::adapters::memory::MemoryRateCounter::new())).await;
}

#[tokio::test]
async fn the_rate_counter_is_atomic_on_dynamodb_and_expires() {
    let aws = MotoAws::connect().await;
    let store = Arc::new(aws.fresh_store().await);
    rate_case(store.clone()).await;
    // Each counter item carries the TTL a minute past its window.
    let (start, end) = leadflow::ports::rate_limit::window(base_time(), 60);
    leadflow::ports::RateCounter::hit(store.as_ref(), "phone#abc", start, end).await.unwrap();
    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S("RATE#phone#abc".into()))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(format!("W#{}", start.timestamp())))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["expires_at"].as_n().unwrap(), &(end.timestamp() + 60).to_string());
}
