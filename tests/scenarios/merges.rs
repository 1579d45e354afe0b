//! Merges and unmerges on both adapters: merge then unmerge restores both records
//! byte-for-byte (timelines and claims included), consent after a merge is never wider than
//! before, the absorbed record becomes a tombstone and its claims move to the survivor,
//! concurrent merges of overlapping pairs never lose a record (DynamoDB on moto), erasure covers
//! the before-image, and the hygiene job merges and queues what it should.

use chrono::{DateTime, Duration, Utc};
use leadflow::adapters::aws::DynamoStore;
use leadflow::app::merge::{merge, resolve, unmerge, How, MergeFailure, MergeOutcome, UnmergeOutcome};
use leadflow::app::Services;
use leadflow::domain::text::PersonName;
use leadflow::domain::{Actor, ChannelConsent, ContactChannel, Lead, LeadId, TimelineEntry, TimelineKind};
use leadflow::ports::timeline::all_pages;
use leadflow::ports::{CaptureOutcome, ManualClock, StoreError};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::aws::MotoAws;
use leadflow_tests::leads::{base_time, sample_lead_at, timeline_entry, unique_phone};
use std::sync::Arc;

/// A test world: services on one adapter, and a way to read what it stores.
enum World {
    Memory(EmbeddedSystem),
    Moto(Services, Arc<DynamoStore>),
}

impl World {
    async fn memory() -> World {
        let config = leadflow::config::Config::embedded_default().unwrap();
        World::Memory(EmbeddedSystem::new(config, Arc::new(ManualClock::new(base_time() + Duration::days(2)))))
    }

    async fn moto() -> World {
        let aws = MotoAws::connect().await;
        let store = Arc::new(aws.fresh_store().await);
        let queues = aws.fresh_queues(std::time::Duration::from_secs(30)).await;
        let services = aws.services(store.clone(), &queues, Arc::new(ManualClock::new(base_time() + Duration::days(2)))).await;
        World::Moto(services, store)
    }

    fn services(&self) -> &Services {
        match self {
            World::Memory(s) => &s.services,
            World::Moto(s, _) => s,
        }
    }

    /// Everything stored about `ids`, serialized: on DynamoDB the raw items of the leads'
    /// partitions and their claims (sealed fields as ciphertext), on the embedded store the
    /// records, timelines and index answers.
    async fn snapshot(&self, leads: &[&Lead]) -> String {
        let mut out = Vec::new();
        match self {
            World::Memory(sys) => {
                let s = &sys.services;
                for l in leads {
                    out.push(serde_json::to_string(&s.leads.get(l.id).await.unwrap()).unwrap());
                    out.push(serde_json::to_string(&all_pages(|a| s.timeline.list(l.id, a, 100)).await.unwrap()).unwrap());
                    for p in l.contact.phone.iter() {
                        out.push(format!("{:?}", s.leads.find_by_phone(p).await.unwrap()));
                    }
                    for e in l.contact.email.iter() {
                        out.push(format!("{:?}", s.leads.find_by_email(e).await.unwrap()));
                    }
                }
            }
            World::Moto(_, store) => {
                let client = store.client();
                let mut pks: Vec<String> = leads.iter().map(|l| format!("LEAD#{}", l.id)).collect();
                for l in leads {
                    pks.extend(l.contact.phone.iter().map(|p| format!("CLAIM#PHONE#{}", p.as_e164())));
                    pks.extend(l.contact.email.iter().map(|e| format!("CLAIM#EMAIL#{}", e.as_str())));
                }
                for pk in pks {
                    let page = client
                        .query()
                        .table_name(store.table())
                        .key_condition_expression("PK = :pk")
                        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
                        .consistent_read(true)
                        .send()
                        .await
                        .unwrap();
                    for item in page.items() {
                        // Every attribute as stored; a binary one (a lead's packed `data`) as its bytes.
                        use aws_sdk_dynamodb::types::AttributeValue;
                        let mut item = item.clone();
                        for v in item.values_mut() {
                            if let AttributeValue::B(bytes) = v {
                                *v = AttributeValue::S(format!("{:?}", bytes.as_ref()));
                            }
                        }
                        let v: serde_json::Value = serde_dynamo::aws_sdk_dynamodb_1::from_item(item).unwrap();
                        out.push(v.to_string());
                    }
                }
            }
        }
        out.join("\n")
    }
}

fn consent(granted: bool, at: DateTime<Utc>, revoked: Option<DateTime<Utc>>) -> ChannelConsent {
    ChannelConsent {
        granted,
        text_version: "2026-01".into(),
        text_sha256: "ab".repeat(32),
        at,
        evidence: Default::default(),
        revoked_at: revoked,
        revoked_via: revoked.map(|_| "sms_keyword".into()),
    }
}

/// Two records of one person: `a` (older, SMS consent granted), `b` (newer, longer first name,
/// SMS revoked later, a staff note on its timeline: sealed on DynamoDB).
async fn two_records(s: &Services) -> (Lead, Lead) {
    let t0 = base_time();
    let mut a = sample_lead_at(Some(unique_phone().as_e164()), Some(&format!("{}@example.com", LeadId::random())), t0);
    a.contact.first_name = Some(PersonName::parse("Bob").unwrap());
    a.contact.last_name = Some(PersonName::parse("Miller").unwrap());
    a.consent.sms = Some(consent(true, t0, None));
    a.consent.email = Some(consent(true, t0, None));
    let mut b = sample_lead_at(Some(unique_phone().as_e164()), Some(&format!("{}@example.com", LeadId::random())), t0 + Duration::hours(3));
    b.contact.first_name = Some(PersonName::parse("Robert").unwrap());
    b.contact.last_name = Some(PersonName::parse("Miller").unwrap());
    b.consent.sms = Some(consent(true, t0 + Duration::hours(3), Some(t0 + Duration::hours(5))));
    b.context.concern = None;
    for l in [&a, &b] {
        assert_eq!(s.leads.create_or_match(l, &Default::default()).await.unwrap(), CaptureOutcome::Created);
        s.timeline.append(&timeline_entry(l.id, l.created_at)).await.unwrap();
    }
    let note = TimelineEntry::new(
        b.id,
        t0 + Duration::hours(4),
        Actor::User("maria".into()),
        TimelineKind::ContactAttempted {
            channel: ContactChannel::Call,
            outcome: leadflow::domain::contact_attempt::ContactOutcome::NoAnswer,
            note: Some(leadflow::domain::text::FreeText::parse("left a voicemail about the knee", 1000).unwrap()),
            first: true,
        },
    );
    s.timeline.append(&note).await.unwrap();
    (a, b)
}

async fn merge_then_unmerge_restores_both_records_byte_for_byte(world: World) {
    let s = world.services();
    let (a, b) = two_records(s).await;
    let before = world.snapshot(&[&a, &b]).await;

    let MergeOutcome::Merged { merge_id, survivor, absorbed } = merge(s, a.id, b.id, How::Manual, "maria").await.unwrap() else {
        panic!("not merged")
    };
    assert_eq!((survivor, absorbed), (a.id, b.id));
    let merged = s.leads.get(a.id).await.unwrap().unwrap();
    let tomb = s.leads.get(b.id).await.unwrap().unwrap();
    // Survivorship: the longest first name; the tombstone points to the survivor, holds no contact.
    assert_eq!(merged.contact.first_name.as_ref().unwrap().as_str(), "Robert");
    assert_eq!(tomb.merged_into, Some(a.id));
    assert_eq!(tomb.contact, Default::default());
    // Consent: b's later STOP wins over a's older grant; email (a's own, b had none) stays.
    assert!(!merged.consent.allows(ContactChannel::Sms), "a merge widened SMS consent");
    assert!(merged.consent.allows(ContactChannel::Email));
    // The timelines joined: the survivor holds b's entries (the note too) and the merge event.
    let tl = all_pages(|x| s.timeline.list(a.id, x, 100)).await.unwrap();
    assert!(tl.iter().any(|e| matches!(&e.kind, TimelineKind::ContactAttempted { note: Some(n), .. } if n.as_str().contains("voicemail"))));
    assert!(tl.iter().any(|e| matches!(&e.kind, TimelineKind::Merged { merge_id: m, .. } if *m == merge_id)));
    // b's claims moved: a new inquiry from b's phone or email finds the survivor.
    let again = sample_lead_at(Some(b.contact.phone.as_ref().unwrap().as_e164()), None, base_time() + Duration::days(1));
    assert_eq!(s.leads.create_or_match(&again, &Default::default()).await.unwrap(), CaptureOutcome::Matched(a.id));
    let again = sample_lead_at(None, Some(b.contact.email.as_ref().unwrap().as_str()), base_time() + Duration::days(1));
    assert_eq!(s.leads.create_or_match(&again, &Default::default()).await.unwrap(), CaptureOutcome::Matched(a.id));
    // Merging again is a no-op.
    assert_eq!(merge(s, a.id, b.id, How::Manual, "maria").await.unwrap(), MergeOutcome::AlreadyOne { survivor: a.id });

    // Unmerge from the absorbed side: both records exactly as before, timelines and claims too.
    let UnmergeOutcome::Restored(m) = unmerge(s, b.id).await.unwrap() else { panic!("nothing undone") };
    assert_eq!(m.id, merge_id);
    assert_eq!(world.snapshot(&[&a, &b]).await, before, "unmerge did not restore the stored items exactly");
    assert_eq!(unmerge(s, b.id).await.unwrap(), UnmergeOutcome::NothingToUndo);
    // The pair is remembered as two people.
    assert!(s.dedupe.is_distinct(leadflow::ports::PairKey::new(a.id, b.id)).await.unwrap());
}

async fn unmerge_refuses_when_a_record_changed_since(world: World) {
    let s = world.services();
    let (a, b) = two_records(s).await;
    merge(s, a.id, b.id, How::Manual, "maria").await.unwrap();
    leadflow::app::matching::update_lead(s, a.id, |l| {
        l.disqualification_reason = Some("spam".into());
        true
    })
    .await
    .unwrap();
    assert!(matches!(unmerge(s, a.id).await, Err(MergeFailure::Store(StoreError::Conflict))));
    // Nothing was restored.
    assert_eq!(s.leads.get(b.id).await.unwrap().unwrap().merged_into, Some(a.id));
}

/// A new lead's blocking keys are indexed when it is created, a change lands in the change
/// index, and the job's refresh follows a changed name.
async fn keys_are_indexed_at_creation_and_changes_are_found_by_time(world: World) {
    use leadflow::domain::matching::{blocking_keys, PersonFacts};
    let s = world.services();
    let (a, _) = two_records(s).await;
    let keys = blocking_keys(&PersonFacts::of_lead(&a));
    assert!(keys.len() >= 3);
    for k in &keys {
        assert!(s.dedupe.key_members(k, 10).await.unwrap().contains(&a.id), "{k} not indexed");
    }
    let t = base_time() + Duration::days(5);
    let changed = leadflow_tests::leads::next_version(&a, |l| {
        l.contact.last_name = Some(PersonName::parse("Millerton").unwrap());
    });
    let changed = Lead { updated_at: t, ..changed };
    s.leads.save(&changed).await.unwrap();
    let found = s.dedupe.changed_between(t - Duration::seconds(1), t, 100).await.unwrap();
    assert!(found.iter().any(|(at, id)| *id == a.id && *at == changed.updated_at), "{found:?}");
    assert!(s.dedupe.changed_between(t, t + Duration::days(1), 100).await.unwrap().iter().all(|(_, id)| *id != a.id));
    let new_keys = blocking_keys(&PersonFacts::of_lead(&changed));
    s.dedupe.index_keys(a.id, &new_keys).await.unwrap();
    for k in keys.iter().filter(|k| !new_keys.contains(k)) {
        assert!(!s.dedupe.key_members(k, 10).await.unwrap().contains(&a.id), "{k} still indexed");
    }
    for k in &new_keys {
        assert!(s.dedupe.key_members(k, 10).await.unwrap().contains(&a.id));
    }
}

mod memory {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_are_indexed_at_creation_and_changes_are_found_by_time() {
        super::keys_are_indexed_at_creation_and_changes_are_found_by_time(super::World::memory().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn merge_then_unmerge_restores_both_records_byte_for_byte() {
        super::merge_then_unmerge_restores_both_records_byte_for_byte(super::World::memory().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unmerge_refuses_when_a_record_changed_since() {
        super::unmerge_refuses_when_a_record_changed_since(super::World::memory().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_merges_of_overlapping_pairs_never_lose_a_record() {
        super::concurrent_merges_of_overlapping_pairs_never_lose_a_record(super::World::memory().await).await
    }
}

mod dynamodb {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_are_indexed_at_creation_and_changes_are_found_by_time() {
        super::keys_are_indexed_at_creation_and_changes_are_found_by_time(super::World::moto().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn merge_then_unmerge_restores_both_records_byte_for_byte() {
        super::merge_then_unmerge_restores_both_records_byte_for_byte(super::World::moto().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unmerge_refuses_when_a_record_changed_since() {
        super::unmerge_refuses_when_a_record_changed_since(super::World::moto().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_merges_of_overlapping_pairs_never_lose_a_record() {
        super::concurrent_merges_of_overlapping_pairs_never_lose_a_record(super::World::moto().await).await
    }
}

/// Six records, merged pairwise by 10 concurrent tasks whose pairs overlap (a chain and a star):
/// the version-conditioned transactions let exactly the non-conflicting merges through, the
/// losers re-read and follow the tombstones, and at the end every record is live or a tombstone
/// leading to a live record that holds its timeline and its claims. The tasks race for real on
/// both adapters; on moto each call is applied whole before the next (tests/support/moto_server.py),
/// as DynamoDB isolates its transactions, so which merges win depends on arrival order only.
async fn concurrent_merges_of_overlapping_pairs_never_lose_a_record(world: World) {
    let s = world.services().clone();
    let mut leads = Vec::new();
    for i in 0..6 {
        let l = sample_lead_at(Some(unique_phone().as_e164()), None, base_time() + Duration::minutes(i));
        s.leads.create_or_match(&l, &Default::default()).await.unwrap();
        s.timeline.append(&timeline_entry(l.id, l.created_at)).await.unwrap();
        leads.push(l);
    }
    let pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 2), (0, 3), (5, 1), (2, 4), (0, 5)];
    let mut tasks = Vec::new();
    for (x, y) in pairs {
        let (s, a, b) = (s.clone(), leads[x].id, leads[y].id);
        tasks.push(tokio::spawn(async move { merge(&s, a, b, How::Automatic, "system:hygiene").await }));
    }
    let mut merged = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(MergeOutcome::Merged { .. }) => merged += 1,
            Ok(MergeOutcome::AlreadyOne { .. }) => {}
            // Refusing cleanly after too many lost races is allowed; losing data is not.
            Err(MergeFailure::Store(StoreError::Conflict)) => {}
            Err(e) => panic!("merge failed: {e}"),
        }
    }
    let mut live = std::collections::BTreeSet::new();
    for l in &leads {
        let survivor = resolve(&s, l.id).await.unwrap();
        assert!(survivor.merged_into.is_none());
        live.insert(survivor.id);
        // Its capture is on the survivor's timeline (as itself, or as a joined copy).
        let tl = all_pages(|x| s.timeline.list(survivor.id, x, 100)).await.unwrap();
        assert!(tl.iter().any(|e| e.at == l.created_at), "{}'s history is not on its survivor", l.id);
        // Its phone leads to the survivor.
        let again = sample_lead_at(Some(l.contact.phone.as_ref().unwrap().as_e164()), None, base_time() + Duration::days(1));
        assert_eq!(s.leads.create_or_match(&again, &Default::default()).await.unwrap(), CaptureOutcome::Matched(survivor.id));
    }
    assert_eq!(live.len(), 6 - merged, "{merged} merges but {} live records", live.len());
    // Every tombstone has its merge record (and so its before-image).
    for l in &leads {
        let stored = s.leads.get(l.id).await.unwrap().unwrap();
        if let Some(into) = stored.merged_into {
            assert!(s.dedupe.merges_into(into).await.unwrap().iter().any(|m| m.absorbed == l.id));
        }
    }
}

/// Erasing a person drops the before-images of their merges (personal data), so those merges
/// become final; the export lists them before.
#[tokio::test]
async fn erasure_covers_merge_before_images() {
    let world = World::memory().await;
    let s = world.services();
    let (a, b) = two_records(s).await;
    merge(s, a.id, b.id, How::Manual, "maria").await.unwrap();
    let person = leadflow::app::person::resolve(s, a.id).await.unwrap().unwrap();
    let records = leadflow::adapters::memory::MemoryDedupeRecords(match &world {
        World::Memory(sys) => sys.store.clone(),
        World::Moto(..) => unreachable!(),
    });
    use leadflow::ports::PersonDataStore;
    assert_eq!(records.export(&person.keys).await.unwrap().len(), 1);
    assert!(records.export(&person.keys).await.unwrap()[0].data.to_string().contains("Robert"));
    leadflow::app::person::erase(s, &person).await.unwrap();
    assert!(records.export(&person.keys).await.unwrap().is_empty());
    assert_eq!(unmerge(s, a.id).await.unwrap(), UnmergeOutcome::NothingToUndo);
}

/// The hygiene job: a same-phone, same-name pair merges automatically, a same-name,
/// same-birth-date pair with different contacts waits for review, and the next run has nothing
/// new to do.
#[tokio::test]
async fn the_hygiene_job_merges_and_queues_what_changed() {
    let world = World::memory().await;
    let s = world.services();
    let t0 = base_time();
    let phone = unique_phone();
    let named = |first: &str, mut l: Lead| {
        l.contact.first_name = Some(PersonName::parse(first).unwrap());
        l.contact.last_name = Some(PersonName::parse("Okafor").unwrap());
        l.context.date_of_birth = chrono::NaiveDate::from_ymd_opt(1980, 5, 17);
        l
    };
    // The first record had another number when the second came in with this one; staff then
    // corrected the first's number: two open leads of one person on one line.
    let mut first = named("Chinedu", sample_lead_at(Some(unique_phone().as_e164()), None, t0));
    let second = named("Chinedu", sample_lead_at(Some(phone.as_e164()), None, t0 + Duration::hours(1)));
    let third = named("Chinedu", sample_lead_at(None, Some("c.okafor@example.org"), t0 + Duration::hours(2)));
    for l in [&first, &second, &third] {
        assert_eq!(s.leads.create_or_match(l, &Default::default()).await.unwrap(), CaptureOutcome::Created);
    }
    first.contact.phone = Some(phone.clone());
    first.version += 1;
    s.leads.save(&first).await.unwrap();
    let report = leadflow::app::hygiene::run(s).await.unwrap();
    let dup = &report.steps[0];
    assert_eq!(dup.counts.get("changed"), Some(&3), "{report:?}");
    assert_eq!(dup.counts.get("merged"), Some(&1), "{report:?}");
    assert_eq!(s.leads.get(second.id).await.unwrap().unwrap().merged_into, Some(first.id));
    let (queued, _) = s.dedupe.reviews(None, 10).await.unwrap();
    assert_eq!(queued.len(), 1, "{report:?}");
    assert_eq!(queued[0].pair, leadflow::ports::PairKey::new(first.id, third.id));
    // The report names ids only.
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains("Okafor") && !text.contains(phone.as_e164()) && !text.contains("c.okafor"));
    // The next run reads only what changed since: nothing new to merge or queue.
    let again = leadflow::app::hygiene::run(s).await.unwrap();
    assert_eq!(again.steps[0].counts.get("merged"), None, "{again:?}");
    assert_eq!(again.steps[0].counts.get("queued_for_review"), None, "{again:?}");
    assert!(again.window.after >= report.window.until - Duration::seconds(300));
}

/// The local runner's `POST /local/jobs/hygiene` runs the same job, and the review routes work
/// end to end: a queued pair is listed, rejected (never proposed again) or accepted (merged),
/// and `POST /leads/{id}/unmerge` undoes it.
#[tokio::test]
async fn the_local_runner_runs_the_job_and_serves_the_review_routes() {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let secret = "merge-routes-secret-0123456789";
    // No background ticker: a scheduled run changing a record would make the unmerge refuse.
    let options = leadflow_local::Options { port: 0, tick_every: None, dev_token_secret: Some(secret.into()), ..Default::default() };
    let r = leadflow_local::start(options, Arc::new(ManualClock::new(base_time() + Duration::days(2)))).await.unwrap();
    let now = Utc::now().timestamp();
    let claims = leadflow_local::authorizer::DevClaims {
        sub: "root-1".into(),
        iss: leadflow_local::authorizer::DEV_ISSUER.into(),
        aud: leadflow_local::authorizer::DEV_AUDIENCE.into(),
        exp: now + 86_400,
        iat: now,
        groups: vec!["admin".into()],
        facilities: None,
    };
    let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()))
        .unwrap();
    let call = |method: &'static str, path: String| {
        let (base, token) = (r.base_url(), token.clone());
        async move {
            let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
            let req = hyper::Request::builder()
                .method(method)
                .uri(format!("{base}{path}"))
                .header("authorization", format!("Bearer {token}"))
                .body(Full::new(Bytes::new()))
                .unwrap();
            let resp = client.request(req).await.unwrap();
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default())
        }
    };
    let s = &r.system.services;
    let (a, b) = two_records(s).await;
    let (c, d) = two_records(s).await;
    for pair in [leadflow::ports::PairKey::new(a.id, b.id), leadflow::ports::PairKey::new(c.id, d.id)] {
        let item = leadflow::ports::ReviewItem { pair, points: 5.2, reasons: Vec::new(), detected_at: base_time() };
        s.dedupe.put_review(&item).await.unwrap();
    }
    let (status, listed) = call("GET", "/merge/reviews".into()).await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains("Miller"), "the queue shows ids and reasons only");
    let ab = leadflow::ports::PairKey::new(a.id, b.id);
    let (status, merged) = call("POST", format!("/merge/reviews/{ab}/accept")).await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["survivor"], serde_json::json!(a.id.to_string()));
    let cd = leadflow::ports::PairKey::new(c.id, d.id);
    assert_eq!(call("POST", format!("/merge/reviews/{cd}/reject")).await.0, 200);
    assert!(s.dedupe.is_distinct(cd).await.unwrap());
    assert_eq!(call("GET", "/merge/reviews".into()).await.1["items"].as_array().unwrap().len(), 0);
    // What the merge queued is handled before the unmerge checks nothing changed since.
    leadflow_tests::runner::wait_for_consumers(&r.system).await;
    let (status, undone) = call("POST", format!("/leads/{}/unmerge", b.id)).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(call("POST", format!("/leads/{}/unmerge", b.id)).await.0, 409);
    let (status, report) = call("POST", "/local/jobs/hygiene".into()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["steps"][0]["step"], "duplicates");
}
