//! Contracts of the security ports, held against both adapters: the append-only audit log
//! (embedded and DynamoDB) and the key service behind sealed fields (local key and KMS, on
//! moto). Plus what sealing means at rest: a table reader sees ciphertext only.

use leadflow::adapters::aws::DynamoAuditLog;
use leadflow::adapters::memory::{LocalKeys, MemoryAuditLog};
use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use std::sync::Arc;

async fn memory_audit() -> Arc<MemoryAuditLog> {
    Arc::new(MemoryAuditLog::new())
}

async fn dynamo_audit() -> Arc<DynamoAuditLog> {
    Arc::new(MotoAws::connect().await.fresh_audit().await)
}

async fn local_keys() -> Arc<LocalKeys> {
    Arc::new(LocalKeys::random())
}

async fn kms_keys() -> Arc<leadflow::adapters::aws::KmsKeys> {
    Arc::new(MotoAws::connect().await.fresh_kms_key().await)
}

mod audit {
    use super::*;
    use chrono::Duration;
    use leadflow::domain::{AuditAction, AuditActor, AuditEntry, LeadId};
    use leadflow::ports::AuditLog;
    use leadflow_tests::leads::base_time;

    contract_suite!(
        [memory => memory_audit, dynamodb => dynamo_audit]
        [an_entry_is_written_once_and_never_changed, entries_are_found_by_lead_and_by_actor_in_order, pages_hold_exactly_the_limit]
    );

    fn staff(user: &str) -> AuditActor {
        AuditActor::User { user_id: user.into(), role: "admin".into() }
    }

    async fn an_entry_is_written_once_and_never_changed<S: AuditLog + ?Sized>(log: Arc<S>) {
        let lead = LeadId::random();
        let e = AuditEntry::new(base_time(), staff("u1"), AuditAction::Read).lead(lead).fields(&["contact.phone"]);
        assert!(log.append(&e).await.unwrap());
        // The same id again (a retried step), even with other content, changes nothing.
        let mut forged = e.clone();
        forged.actor = staff("someone-else");
        forged.fields = vec![];
        assert!(!log.append(&forged).await.unwrap());
        assert_eq!(log.by_lead(lead, None, 10).await.unwrap().items, vec![e]);
    }

    async fn entries_are_found_by_lead_and_by_actor_in_order<S: AuditLog + ?Sized>(log: Arc<S>) {
        let (a, b) = (LeadId::random(), LeadId::random());
        let user = format!("u-{}", LeadId::random());
        let at = |m: i64| base_time() + Duration::minutes(m);
        let entries = vec![
            AuditEntry::new(at(2), staff(&user), AuditAction::Update).lead(a),
            AuditEntry::new(at(0), AuditActor::PublicForm, AuditAction::Create).lead(a),
            AuditEntry::new(at(1), staff(&user), AuditAction::Read).lead(b),
            AuditEntry::new(at(3), staff(&user), AuditAction::ReadAudit),
        ];
        for e in &entries {
            log.append(e).await.unwrap();
        }
        let by_a: Vec<AuditAction> = log.by_lead(a, None, 10).await.unwrap().items.iter().map(|e| e.action).collect();
        assert_eq!(by_a, [AuditAction::Create, AuditAction::Update]);
        let mine: Vec<AuditAction> =
            log.by_actor(&format!("user:{user}"), None, 10).await.unwrap().items.iter().map(|e| e.action).collect();
        assert_eq!(mine, [AuditAction::Read, AuditAction::Update, AuditAction::ReadAudit]);
        assert!(log.by_actor("user:nobody-at-all", None, 10).await.unwrap().items.is_empty());
        // The public form and system components have no trail of their own: found by lead only.
        let system = AuditEntry::new(at(4), AuditActor::system("acknowledge"), AuditAction::Process).lead(a);
        log.append(&system).await.unwrap();
        assert_eq!(log.by_lead(a, None, 10).await.unwrap().items.last(), Some(&system));
        for key in ["public_form", "system:acknowledge", "acknowledge"] {
            assert!(log.by_actor(key, None, 10).await.unwrap().items.is_empty(), "{key}");
        }
    }

    async fn pages_hold_exactly_the_limit<S: AuditLog + ?Sized>(log: Arc<S>) {
        let lead = LeadId::random();
        for m in 0..5 {
            log.append(&AuditEntry::new(base_time() + Duration::seconds(m), AuditActor::system("t"), AuditAction::Process).lead(lead))
                .await
                .unwrap();
        }
        let p1 = log.by_lead(lead, None, 2).await.unwrap();
        assert_eq!(p1.items.len(), 2);
        let p2 = log.by_lead(lead, p1.next, 2).await.unwrap();
        let p3 = log.by_lead(lead, p2.next, 2).await.unwrap();
        assert_eq!((p2.items.len(), p3.items.len(), p3.next), (2, 1, None));
        assert!(p1.items[1].id < p2.items[0].id && p2.items[1].id < p3.items[0].id);
    }
}

mod keys {
    use super::*;
    use leadflow::crypto::{CachePolicy, SealError, Sealer};
    use leadflow::ports::{KeyContext, KeyService};

    contract_suite!(
        [local => local_keys, kms => kms_keys]
        [data_keys_unwrap_only_under_their_context, sealed_text_opens_only_in_its_place, a_cached_data_key_serves_many_values]
    );

    fn ctx(purpose: &str) -> KeyContext {
        KeyContext::from([("purpose".to_string(), purpose.to_string())])
    }

    async fn data_keys_unwrap_only_under_their_context<K: KeyService + 'static>(keys: Arc<K>) {
        let dk = keys.generate_data_key(&ctx("leadflow-sealed-field")).await.unwrap();
        assert_ne!(dk.wrapped.as_slice(), dk.plaintext.as_ref(), "the stored form is not the key");
        let back = keys.decrypt_data_key(&dk.wrapped, &ctx("leadflow-sealed-field")).await.unwrap();
        assert_eq!(back.as_ref(), dk.plaintext.as_ref());
        assert!(keys.decrypt_data_key(&dk.wrapped, &ctx("something-else")).await.is_err(), "the context is bound");
        let mut damaged = dk.wrapped.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(keys.decrypt_data_key(&damaged, &ctx("leadflow-sealed-field")).await.is_err());
    }

    async fn sealed_text_opens_only_in_its_place<K: KeyService + 'static>(keys: Arc<K>) {
        let sealer = Sealer::new(keys);
        let sealed = sealer.seal("chest pain since Monday", "lead:A:context.concern").await.unwrap();
        assert!(!serde_json::to_string(&sealed).unwrap().contains("chest"));
        assert_eq!(sealer.open(&sealed, "lead:A:context.concern").await.unwrap(), "chest pain since Monday");
        assert!(matches!(sealer.open(&sealed, "lead:B:context.concern").await, Err(SealError::Integrity)));
        let mut tampered = sealed.clone();
        tampered.ct = tampered.ct.replacen(|c: char| c.is_ascii_alphabetic(), "A", 1);
        if tampered.ct != sealed.ct {
            assert!(sealer.open(&tampered, "lead:A:context.concern").await.is_err());
        }
        // Another key service (another master key) cannot open it.
        let other = Sealer::new(Arc::new(LocalKeys::random()));
        assert!(other.open(&sealed, "lead:A:context.concern").await.is_err());
    }

    async fn a_cached_data_key_serves_many_values<K: KeyService + 'static>(keys: Arc<K>) {
        let counting = Arc::new(Counting { inner: keys, calls: Default::default() });
        let sealer = Sealer::with_policy(counting.clone(), CachePolicy { max_uses: 3, ..CachePolicy::default() });
        let mut sealed = Vec::new();
        for i in 0..7 {
            sealed.push(sealer.seal(&format!("note {i}"), "b").await.unwrap());
        }
        // Seven values, a new data key every three uses.
        assert_eq!(counting.calls.load(std::sync::atomic::Ordering::SeqCst), 3);
        // A fresh reader unwraps each distinct data key once.
        let reader = Sealer::new(counting.clone());
        for (i, s) in sealed.iter().enumerate() {
            assert_eq!(reader.open(s, "b").await.unwrap(), format!("note {i}"));
        }
        assert_eq!(counting.calls.load(std::sync::atomic::Ordering::SeqCst), 6);
    }

    struct Counting<K: ?Sized> {
        inner: Arc<K>,
        calls: std::sync::atomic::AtomicU32,
    }

    #[async_trait::async_trait]
    impl<K: KeyService + ?Sized> KeyService for Counting<K> {
        async fn generate_data_key(&self, c: &KeyContext) -> Result<leadflow::ports::DataKey, leadflow::ports::KeyError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.generate_data_key(c).await
        }
        async fn decrypt_data_key(&self, w: &[u8], c: &KeyContext) -> Result<zeroize::Zeroizing<[u8; 32]>, leadflow::ports::KeyError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.decrypt_data_key(w, c).await
        }
    }
}

/// What a reader of the table sees in `items`: each item, and the document a packed `data`
/// attribute holds (a lead's), so a value in the clear inside it is found.
fn readable(items: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>]) -> String {
    let unpacked = items
        .iter()
        .filter_map(|item| match item.get("data") {
            Some(packed @ aws_sdk_dynamodb::types::AttributeValue::B(_)) => {
                Some(leadflow::adapters::aws::dynamo::unpack(packed.clone(), "data").unwrap().to_string())
            }
            _ => None,
        })
        .collect::<Vec<_>>();
    format!("{items:?} {unpacked:?}")
}

/// At rest on DynamoDB: the concern is ciphertext; a store without the key service cannot read
/// it; a sealed concern copied onto another lead does not open there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_fields_are_ciphertext_to_a_table_reader() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use leadflow::adapters::aws::DynamoStore;
    use leadflow::ports::{LeadStore, StoreError};
    let aws = MotoAws::connect().await;
    let (store, _) = aws.fresh_kms_store().await;
    let mut lead = leadflow_tests::leads::rich_lead();
    lead.context.concern = Some(leadflow::domain::text::FreeText::parse("bleeding after surgery", 2000).unwrap());
    // A site's own form field, kept with its label: the person's words, sealed like the concern.
    lead.context.extras = vec![leadflow::domain::context::ExtraField {
        name: "symptoms".into(),
        label: "Symptoms".into(),
        value: leadflow::domain::text::FreeText::parse("numb left foot", 1000).unwrap(),
    }];
    store.create_or_match(&lead, &Default::default()).await.unwrap();
    let key = |id: leadflow::domain::LeadId| {
        [("PK".to_string(), AttributeValue::S(format!("LEAD#{id}"))), ("SK".to_string(), AttributeValue::S("LEAD".into()))]
            .into_iter()
            .collect()
    };
    let raw = aws.dynamodb.get_item().table_name(store.table()).set_key(Some(key(lead.id))).send().await.unwrap().item.unwrap();
    // The lead's document is stored packed (deflated JSON): read what it holds.
    use leadflow::adapters::aws::dynamo::{pack, unpack};
    let doc = unpack(raw["data"].clone(), "data").unwrap();
    let text = format!("{raw:?} {doc}");
    assert!(!text.contains("bleeding") && !text.contains("numb left foot"), "{text}");
    assert!(text.contains("$sealed") && text.contains("Symptoms"), "the label stays readable");
    let read = store.get(lead.id).await.unwrap().unwrap();
    assert_eq!((read.context.concern, read.context.extras), (lead.context.concern.clone(), lead.context.extras.clone()));

    // Someone with table access but no key: nothing to read.
    let plain = DynamoStore::new(aws.dynamodb.clone(), store.table());
    assert!(matches!(plain.get(lead.id).await, Err(StoreError::Invalid(_))));

    // The sealed value pasted onto another lead's item does not open.
    let mut other = leadflow_tests::leads::sample_lead(Some("201-555-0142"), None);
    other.context.concern = Some(leadflow::domain::text::FreeText::parse("placeholder", 2000).unwrap());
    store.create_or_match(&other, &Default::default()).await.unwrap();
    let mut other_raw = aws.dynamodb.get_item().table_name(store.table()).set_key(Some(key(other.id))).send().await.unwrap().item.unwrap();
    let mut data = unpack(other_raw.remove("data").unwrap(), "data").unwrap();
    data["context"]["concern"] = doc["context"]["concern"].clone();
    other_raw.insert("data".into(), pack(&data).unwrap());
    aws.dynamodb.put_item().table_name(store.table()).set_item(Some(other_raw)).send().await.unwrap();
    assert!(matches!(store.get(other.id).await, Err(StoreError::Invalid(_))), "bound to its lead");
}

/// What scoring, lifecycle and webhooks store as free text is sealed too: staff notes and message texts on the
/// timeline, the phrases a score matched in the concern, and a webhook's reply body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_replies_and_score_phrases_are_ciphertext_at_rest() {
    use leadflow::domain::contact_attempt::ContactOutcome;
    use leadflow::domain::inbound::{InboundEvent, InboundKind, InboundSms, Provider};
    use leadflow::domain::text::FreeText;
    use leadflow::domain::{Actor, ContactChannel, TimelineEntry, TimelineKind};
    use leadflow::ports::{InboundStore, LeadStore, TimelineStore};
    let aws = MotoAws::connect().await;
    let store = aws.fresh_store().await;
    let at = leadflow_tests::leads::base_time();
    let mut lead = leadflow_tests::leads::rich_lead();
    let mut score: leadflow::domain::scoring::LeadScore = serde_json::from_value(serde_json::json!({
        "model": "patient", "model_version": 1, "score": 80, "band": "hot",
        "urgency": {"tier": "crisis", "matches": [{"phrase": "kill myself", "tier": "crisis"}], "negated": ["not suicidal"], "stated_urgent": false},
        "contributions": [{"factor": "urgency", "signal": "crisis", "points": 40, "detail": "crisis: matched kill myself"}],
        "scored_at": "2026-03-03T15:30:00Z"
    }))
    .unwrap();
    score.scored_at = at;
    lead.score = Some(score);
    store.create_or_match(&lead, &Default::default()).await.unwrap();
    let note = TimelineEntry::new(
        lead.id,
        at,
        Actor::User("maria".into()),
        TimelineKind::ContactAttempted {
            channel: ContactChannel::Call,
            outcome: ContactOutcome::Answered,
            note: Some(FreeText::parse("spoke about her divorce", 1000).unwrap()),
            first: true,
        },
    );
    let reply = TimelineEntry::new(
        lead.id,
        at,
        Actor::Lead,
        TimelineKind::MessageReceived {
            channel: ContactChannel::Sms,
            provider: "twilio".into(),
            provider_message_id: "SM1".into(),
            text: Some(FreeText::parse("the rash spread to my arms", 1000).unwrap()),
        },
    );
    store.append(&note).await.unwrap();
    store.append(&reply).await.unwrap();
    let event = InboundEvent {
        provider: Provider::Twilio,
        event_id: format!("SM-{}", lead.id),
        occurred_at: at,
        received_at: at,
        kind: InboundKind::Sms(InboundSms {
            from: leadflow_tests::leads::unique_phone(),
            to: None,
            body: "the rash spread to my arms".into(),
        }),
    };
    store.record(&event).await.unwrap();

    // What a reader of the table sees: the lead's partition and the stored event.
    use aws_sdk_dynamodb::types::AttributeValue;
    use sha2::Digest;
    let partition = aws
        .dynamodb
        .query()
        .table_name(store.table())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("LEAD#{}", lead.id)))
        .send()
        .await
        .unwrap();
    let event_pk = format!("INBOUND#twilio#{}", hex::encode(sha2::Sha256::digest(event.event_id.as_bytes())));
    let event_key = [("PK".to_string(), AttributeValue::S(event_pk)), ("SK".to_string(), AttributeValue::S("INBOUND".into()))];
    let stored = aws.dynamodb.get_item().table_name(store.table()).set_key(Some(event_key.into_iter().collect())).send().await.unwrap();
    assert!(stored.item.is_some(), "the event item is where the layout says");
    let raw = format!("{} {:?}", readable(partition.items()), stored.item);
    for secret in ["divorce", "rash", "kill myself", "not suicidal"] {
        assert!(!raw.contains(secret), "{secret} is stored in the clear");
    }
    // ... and everything reads back as it was written.
    assert_eq!(store.get(lead.id).await.unwrap().unwrap().score, lead.score);
    assert_eq!(store.list(lead.id, None, 10).await.unwrap().items.len(), 2);
    assert!(store.list(lead.id, None, 10).await.unwrap().items.contains(&note));
    assert_eq!(store.get_inbound(Provider::Twilio, &event.event_id).await.unwrap().unwrap().event, event);
}

/// What the staff console stores as free text is sealed too: a note, a staff message (its text
/// and subject, and an override's reason), a reassignment's note, and the values a correction
/// changed; and the name index holds digests, never a name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_notes_messages_and_corrections_are_ciphertext_at_rest() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use leadflow::domain::text::{FreeText, PersonName};
    use leadflow::domain::timeline::FieldChange;
    use leadflow::domain::{Actor, ContactChannel, TimelineEntry, TimelineKind};
    use leadflow::ports::{LeadStore, TimelineStore};
    let aws = MotoAws::connect().await;
    let store = aws.fresh_store().await;
    let at = leadflow_tests::leads::base_time();
    let mut lead = leadflow_tests::leads::rich_lead();
    lead.contact.first_name = Some(PersonName::parse("Philippa").unwrap());
    lead.contact.last_name = Some(PersonName::parse("Zwanzig").unwrap());
    store.create_or_match(&lead, &Default::default()).await.unwrap();
    let entries = [
        TimelineKind::NoteAdded { note: FreeText::parse("mentioned her chemotherapy", 1000).unwrap() },
        TimelineKind::StaffMessageSent {
            channel: ContactChannel::Email,
            provider_message_id: "m-1".into(),
            subject: Some("About your biopsy".into()),
            text: "Your biopsy appointment is confirmed".into(),
            quiet_hours_override: true,
            note: Some(FreeText::parse("she asked about the tumor results tonight", 500).unwrap()),
        },
        TimelineKind::Reassigned {
            member: leadflow::domain::routing::MemberId::parse("li").unwrap(),
            previous: None,
            reason: "language".into(),
            note: Some(FreeText::parse("prefers to discuss the pregnancy in Mandarin", 1000).unwrap()),
        },
        TimelineKind::ContactEdited {
            changes: vec![FieldChange {
                field: "concern".into(),
                before: Some("hair loss".into()),
                after: Some("hair loss after chemotherapy".into()),
            }],
        },
    ];
    for (i, kind) in entries.into_iter().enumerate() {
        let entry = TimelineEntry::new(lead.id, at + chrono::Duration::seconds(i as i64), Actor::User("maria".into()), kind);
        store.append(&entry).await.unwrap();
    }
    let partition = aws
        .dynamodb
        .query()
        .table_name(store.table())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("LEAD#{}", lead.id)))
        .send()
        .await
        .unwrap();
    let raw = readable(partition.items());
    for secret in ["chemotherapy", "biopsy", "tumor", "pregnancy", "hair loss"] {
        assert!(!raw.contains(secret), "{secret} is stored in the clear");
    }
    // The name index: digests of prefixes, not the name.
    let everything = format!("{raw} {:?}", aws.dynamodb.scan().table_name(store.table()).send().await.unwrap().items());
    for name in ["philippa", "Philippa", "zwanzig", "Zwanzig", "phil"] {
        let keys: Vec<&str> = everything.matches(&format!("NAME#{name}")).collect();
        assert!(keys.is_empty(), "a name in a key: {name}");
    }
    assert!(everything.contains("NAME#"), "the name index is written");
    assert_eq!(store.list(lead.id, None, 10).await.unwrap().items.len(), 4, "everything reads back");
}
