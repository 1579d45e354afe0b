//! The contracts of the record-keeping ports (timeline, idempotency keys, once-only markers,
//! suppressions), held against the embedded store and DynamoDB (on moto).

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

mod timeline {
    use super::*;
    use leadflow::domain::{EventId, LeadId};
    use leadflow::ports::{Claim, LeadStore, OnceStore, TimelineStore};
    use leadflow_tests::leads::{base_time, sample_lead, timeline_entry};

    contract_suite!(
        [memory => memory_store, dynamodb => dynamo_store]
        [appending_an_entry_twice_keeps_one, entries_list_in_time_order_and_per_lead, pages_hold_exactly_the_limit, an_outline_withholds_only_the_free_text]
    );

    async fn an_outline_withholds_only_the_free_text<S: TimelineStore + ?Sized>(store: Arc<S>) {
        use leadflow::domain::text::FreeText;
        use leadflow::domain::{Actor, TimelineEntry, TimelineKind};
        use leadflow::ports::timeline::WITHHELD;
        // GIVEN a touchpoint entry and a staff note
        let lead_id = LeadId::random();
        let touch = timeline_entry(lead_id, base_time());
        let kind = TimelineKind::NoteAdded { note: FreeText::parse("asked about the biopsy", 1000).unwrap() };
        let note = TimelineEntry::new(lead_id, base_time() + Duration::minutes(1), Actor::User("maria".into()), kind);
        for e in [&touch, &note] {
            store.append(e).await.unwrap();
        }
        // WHEN the outline is read
        let outline = store.list_outline(lead_id, None, 10).await.unwrap();
        // THEN it holds the same entries, the note's text withheld and nothing else changed
        let TimelineKind::NoteAdded { note: withheld } = &outline.items[1].kind else { panic!("{:?}", outline.items[1]) };
        assert_eq!(withheld.as_str(), WITHHELD);
        assert_eq!((outline.items[0].clone(), outline.items[1].id, outline.items[1].at), (touch.clone(), note.id, note.at));
        assert_eq!(outline.items[1].actor, note.actor);
        // AND paging works as for the full listing, which still reads the note
        assert_eq!(store.list_outline(lead_id, Some(touch.id), 10).await.unwrap().items.len(), 1);
        assert_eq!(store.list(lead_id, None, 10).await.unwrap().items, vec![touch, note]);
    }

    async fn appending_an_entry_twice_keeps_one<S: TimelineStore + ?Sized>(store: Arc<S>) {
        let entry = timeline_entry(LeadId::random(), base_time());
        assert!(store.append(&entry).await.unwrap());
        // A redelivered event records the same entry again.
        assert!(!store.append(&entry).await.unwrap());
        let page = store.list(entry.lead_id, None, 10).await.unwrap();
        assert_eq!(page.items, vec![entry]);
        assert_eq!(page.next, None);
    }

    async fn entries_list_in_time_order_and_per_lead<S: TimelineStore + LeadStore + OnceStore + ?Sized>(store: Arc<S>) {
        // GIVEN a lead with entries appended out of order, plus other items under the same lead
        let lead = sample_lead(Some("201-555-0120"), None);
        store.create_or_match(&lead, &Default::default()).await.unwrap();
        assert_eq!(store.claim(lead.id, "acknowledge", base_time(), Duration::seconds(30)).await.unwrap(), Claim::Acquired);
        let entries: Vec<_> = [3, 0, 2, 1].into_iter().map(|m| timeline_entry(lead.id, base_time() + Duration::minutes(m))).collect();
        for e in &entries {
            store.append(e).await.unwrap();
        }
        let other = timeline_entry(LeadId::random(), base_time());
        store.append(&other).await.unwrap();
        // THEN the lead's timeline holds its four entries, oldest first, and nothing else
        let mut expected = entries.clone();
        expected.sort_by_key(|e| e.at);
        let page = store.list(lead.id, None, 10).await.unwrap();
        assert_eq!(page.items, expected);
        assert_eq!(page.next, None);
        // AND listing after an entry starts past it
        let after = store.list(lead.id, Some(expected[1].id), 10).await.unwrap();
        assert_eq!(after.items, expected[2..].to_vec());
        let none = store.list(LeadId::random(), None, 10).await.unwrap();
        assert!(none.items.is_empty() && none.next.is_none());
    }

    async fn pages_hold_exactly_the_limit<S: TimelineStore + ?Sized>(store: Arc<S>) {
        // GIVEN 250 entries
        let lead_id = LeadId::random();
        let entries: Vec<_> = (0..250).map(|i| timeline_entry(lead_id, base_time() + Duration::seconds(i))).collect();
        for e in &entries {
            store.append(e).await.unwrap();
        }
        // WHEN listed 100 at a time
        let mut pages = Vec::new();
        let mut after: Option<EventId> = None;
        loop {
            let page = store.list(lead_id, after, 100).await.unwrap();
            pages.push(page.items.len());
            if let Some(next) = page.next {
                assert_eq!(Some(next), page.items.last().map(|e| e.id), "next is the last item of the page");
            }
            assert_eq!(page.items, entries[pages.iter().sum::<usize>() - page.items.len()..pages.iter().sum::<usize>()].to_vec());
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        // THEN the pages are full until the last, which says nothing follows
        assert_eq!(pages, vec![100, 100, 50]);
        // AND a listing that ends exactly at the limit has no next page
        let exact = store.list(lead_id, Some(entries[149].id), 100).await.unwrap();
        assert_eq!((exact.items.len(), exact.next), (100, None));
    }
}

mod idempotency {
    use super::*;
    use leadflow::ports::{Begin, Clock, IdempotencyStore, ManualClock, StoreError};
    use leadflow_tests::leads::base_time;

    contract_suite!(
        [memory => memory_store, dynamodb => dynamo_store]
        [
            a_completed_key_replays_its_response,
            a_key_reused_with_another_body_is_a_mismatch,
            a_running_key_is_in_progress_until_its_lease_ends,
            a_released_key_may_be_retried_at_once,
            a_key_expires_after_a_day,
            completing_an_unknown_key_conflicts,
        ]
    );

    const LEASE: Duration = Duration::seconds(30);

    async fn a_completed_key_replays_its_response<S: IdempotencyStore + ?Sized>(store: Arc<S>) {
        let clock = ManualClock::new(base_time());
        assert_eq!(store.begin("key-1", "fp-a", clock.now(), LEASE).await.unwrap(), Begin::Started { first_seen: base_time() });
        store.complete("key-1", 201, r#"{"id":"x"}"#, clock.now()).await.unwrap();
        clock.advance(Duration::minutes(5));
        let replay = Begin::Completed { status: 201, body: r#"{"id":"x"}"#.into() };
        assert_eq!(store.begin("key-1", "fp-a", clock.now(), LEASE).await.unwrap(), replay);
        // Other keys are independent.
        assert_eq!(store.begin("key-2", "fp-a", clock.now(), LEASE).await.unwrap(), Begin::Started { first_seen: clock.now() });
    }

    async fn a_key_reused_with_another_body_is_a_mismatch<S: IdempotencyStore + ?Sized>(store: Arc<S>) {
        let now = base_time();
        store.begin("key-1", "fp-a", now, LEASE).await.unwrap();
        assert_eq!(store.begin("key-1", "fp-b", now, LEASE).await.unwrap(), Begin::Mismatch);
        store.complete("key-1", 200, "", now).await.unwrap();
        assert_eq!(store.begin("key-1", "fp-b", now, LEASE).await.unwrap(), Begin::Mismatch);
        assert_eq!(store.begin("key-1", "fp-a", now, LEASE).await.unwrap(), Begin::Completed { status: 200, body: String::new() });
    }

    async fn a_running_key_is_in_progress_until_its_lease_ends<S: IdempotencyStore + ?Sized>(store: Arc<S>) {
        let clock = ManualClock::new(base_time());
        store.begin("key-1", "fp-a", clock.now(), LEASE).await.unwrap();
        clock.advance(Duration::seconds(10));
        assert_eq!(store.begin("key-1", "fp-a", clock.now(), LEASE).await.unwrap(), Begin::InProgress);
        // The first attempt died: after its lease a retry takes over, keeping the first time.
        clock.advance(Duration::seconds(21));
        assert_eq!(store.begin("key-1", "fp-a", clock.now(), LEASE).await.unwrap(), Begin::Started { first_seen: base_time() });
        // The takeover holds a fresh lease.
        clock.advance(Duration::seconds(10));
        assert_eq!(store.begin("key-1", "fp-a", clock.now(), LEASE).await.unwrap(), Begin::InProgress);
    }

    async fn a_released_key_may_be_retried_at_once<S: IdempotencyStore + ?Sized>(store: Arc<S>) {
        let now = base_time();
        store.begin("key-1", "fp-a", now, LEASE).await.unwrap();
        store.release("key-1").await.unwrap();
        assert_eq!(store.begin("key-1", "fp-a", now, LEASE).await.unwrap(), Begin::Started { first_seen: now });
        // Releasing a completed or unknown key changes nothing.
        store.complete("key-1", 202, "done", now).await.unwrap();
        store.release("key-1").await.unwrap();
        store.release("never-used").await.unwrap();
        assert_eq!(store.begin("key-1", "fp-a", now, LEASE).await.unwrap(), Begin::Completed { status: 202, body: "done".into() });
    }

    async fn a_key_expires_after_a_day<S: IdempotencyStore + ?Sized>(store: Arc<S>) {
        let clock = ManualClock::new(base_time());
        store.begin("done", "fp-a", clock.now(), LEASE).await.unwrap();
        store.complete("done", 201, "first", clock.now()).await.unwrap();
        store.begin("stuck", "fp-a", clock.now(), LEASE).await.unwrap();
        clock.advance(Duration::hours(23));
        assert_eq!(store.begin("done", "fp-b", clock.now(), LEASE).await.unwrap(), Begin::Mismatch);
        // A day later both keys are forgotten (whatever the TTL sweeper has done so far).
        clock.advance(Duration::hours(1) + Duration::seconds(1));
        assert_eq!(store.begin("done", "fp-b", clock.now(), LEASE).await.unwrap(), Begin::Started { first_seen: clock.now() });
        assert_eq!(store.begin("stuck", "fp-c", clock.now(), LEASE).await.unwrap(), Begin::Started { first_seen: clock.now() });
    }

    async fn completing_an_unknown_key_conflicts<S: IdempotencyStore + ?Sized>(store: Arc<S>) {
        assert!(matches!(store.complete("never-begun", 200, "", base_time()).await, Err(StoreError::Conflict)));
    }
}

mod once {
    use super::*;
    use leadflow::domain::LeadId;
    use leadflow::ports::{Claim, Clock, ManualClock, OnceStore};
    use leadflow_tests::leads::base_time;

    contract_suite!(
        [memory => memory_store, dynamodb => dynamo_store]
        [a_claim_is_held_until_finished_then_done, a_claim_whose_lease_ran_out_can_be_taken_over, an_abandoned_claim_can_be_claimed_again]
    );

    const LEASE: Duration = Duration::seconds(60);

    async fn a_claim_is_held_until_finished_then_done<S: OnceStore + ?Sized>(store: Arc<S>) {
        let clock = ManualClock::new(base_time());
        let lead = LeadId::random();
        assert_eq!(store.claim(lead, "acknowledge", clock.now(), LEASE).await.unwrap(), Claim::Acquired);
        clock.advance(Duration::seconds(1));
        assert_eq!(store.claim(lead, "acknowledge", clock.now(), LEASE).await.unwrap(), Claim::Held);
        // Other actions and other leads are independent.
        assert_eq!(store.claim(lead, "follow_up_1", clock.now(), LEASE).await.unwrap(), Claim::Acquired);
        assert_eq!(store.claim(LeadId::random(), "acknowledge", clock.now(), LEASE).await.unwrap(), Claim::Acquired);
        store.finish(lead, "acknowledge", "sent:msg-1", clock.now()).await.unwrap();
        let done = Claim::Done { outcome: "sent:msg-1".into() };
        assert_eq!(store.claim(lead, "acknowledge", clock.now(), LEASE).await.unwrap(), done);
        // Done is for good: no lease runs out on it, and abandoning it changes nothing.
        clock.advance(Duration::days(3));
        store.abandon(lead, "acknowledge").await.unwrap();
        assert_eq!(store.claim(lead, "acknowledge", clock.now(), LEASE).await.unwrap(), done);
    }

    async fn a_claim_whose_lease_ran_out_can_be_taken_over<S: OnceStore + ?Sized>(store: Arc<S>) {
        let clock = ManualClock::new(base_time());
        let lead = LeadId::random();
        store.claim(lead, "acknowledge", clock.now(), LEASE).await.unwrap();
        clock.advance(LEASE);
        assert_eq!(store.claim(lead, "acknowledge", clock.now(), LEASE).await.unwrap(), Claim::Acquired);
        clock.advance(Duration::seconds(59));
        assert_eq!(store.claim(lead, "acknowledge", clock.now(), LEASE).await.unwrap(), Claim::Held);
    }

    async fn an_abandoned_claim_can_be_claimed_again<S: OnceStore + ?Sized>(store: Arc<S>) {
        let now = base_time();
        let lead = LeadId::random();
        store.claim(lead, "acknowledge", now, LEASE).await.unwrap();
        store.abandon(lead, "acknowledge").await.unwrap();
        assert_eq!(store.claim(lead, "acknowledge", now, LEASE).await.unwrap(), Claim::Acquired);
        assert_eq!(store.claim(lead, "acknowledge", now, LEASE).await.unwrap(), Claim::Held);
        // Abandoning what was never claimed is harmless.
        store.abandon(LeadId::random(), "acknowledge").await.unwrap();
    }
}

mod suppression {
    use super::*;
    use leadflow::domain::ContactChannel;
    use leadflow::ports::SuppressionStore;
    use leadflow_tests::leads::base_time;

    contract_suite!(
        [memory => memory_store, dynamodb => dynamo_store]
        [an_opt_out_suppresses_one_channel_and_address_until_lifted]
    );

    async fn an_opt_out_suppresses_one_channel_and_address_until_lifted<S: SuppressionStore + ?Sized>(store: Arc<S>) {
        let number = "+12015550130";
        assert!(!store.is_suppressed(ContactChannel::Sms, number).await.unwrap());
        store.suppress(ContactChannel::Sms, number, "stop_keyword", base_time()).await.unwrap();
        // Recording it twice is fine.
        store.suppress(ContactChannel::Sms, number, "stop_keyword", base_time()).await.unwrap();
        assert!(store.is_suppressed(ContactChannel::Sms, number).await.unwrap());
        assert!(!store.is_suppressed(ContactChannel::Call, number).await.unwrap());
        assert!(!store.is_suppressed(ContactChannel::Sms, "+12015550131").await.unwrap());
        store.suppress(ContactChannel::Email, "ann@example.com", "complaint", base_time()).await.unwrap();
        assert!(store.is_suppressed(ContactChannel::Email, "ann@example.com").await.unwrap());
        // The person re-subscribed.
        store.lift(ContactChannel::Sms, number).await.unwrap();
        assert!(!store.is_suppressed(ContactChannel::Sms, number).await.unwrap());
        store.lift(ContactChannel::Sms, number).await.unwrap();
        assert!(store.is_suppressed(ContactChannel::Email, "ann@example.com").await.unwrap());
    }
}

mod visits {
    use super::*;
    use leadflow::adapters::memory::MemoryVisitStore;
    use leadflow::domain::source::VisitorId;
    use leadflow::domain::text::Label;
    use leadflow::domain::{EventId, TouchpointKind};
    use leadflow::ports::{VisitEvent, VisitStore};
    use leadflow_tests::leads::base_time;

    async fn memory_visits() -> Arc<MemoryVisitStore> {
        Arc::new(MemoryVisitStore::new())
    }

    contract_suite!(
        [memory => memory_visits, dynamodb => dynamo_store]
        [a_visitors_events_come_back_in_time_order_until_they_expire]
    );

    fn event(visitor: &VisitorId, minutes: i64, kind: TouchpointKind, page: Option<&str>) -> VisitEvent {
        let at = base_time() + Duration::minutes(minutes);
        VisitEvent {
            visitor: visitor.clone(),
            id: EventId::new_at(at),
            at,
            kind,
            page: page.map(|p| Label::parse(p, 200).unwrap()),
            event: (kind == TouchpointKind::Download).then(|| "guide_download".to_string()),
        }
    }

    async fn a_visitors_events_come_back_in_time_order_until_they_expire<S: VisitStore + ?Sized>(store: Arc<S>) {
        let me = VisitorId::parse(&leadflow_tests::aws::unique_name("visitor-0123456789")).unwrap();
        let other = VisitorId::parse("someone-else-0123456789").unwrap();
        let later = event(&me, 5, TouchpointKind::Download, None);
        let first = event(&me, 0, TouchpointKind::PageView, Some("/pricing"));
        let soon_gone = event(&me, 1, TouchpointKind::PageView, None);
        store.record(&later, base_time() + Duration::days(90)).await.unwrap();
        store.record(&first, base_time() + Duration::days(90)).await.unwrap();
        store.record(&soon_gone, base_time() + Duration::hours(1)).await.unwrap();
        store.record(&event(&other, 2, TouchpointKind::PageView, None), base_time() + Duration::days(90)).await.unwrap();
        let now = base_time() + Duration::minutes(10);
        assert_eq!(store.events(&me, now, 10).await.unwrap(), vec![first.clone(), soon_gone, later.clone()]);
        assert_eq!(store.events(&me, now, 1).await.unwrap(), vec![first.clone()], "at most the limit, oldest first");
        // Past an event's expiry it is gone, whether or not the table has deleted it yet.
        assert_eq!(store.events(&me, base_time() + Duration::hours(2), 10).await.unwrap(), vec![first, later]);
        assert!(store.events(&VisitorId::parse("nobody-at-all-0123456789").unwrap(), now, 10).await.unwrap().is_empty());
    }
}
