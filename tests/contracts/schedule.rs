//! The due-item scheduler's contract (`ports::schedule::DueStore` and `app::scheduler::run_due`),
//! held against the embedded store and DynamoDB on moto.

use chrono::{DateTime, Duration, Utc};
use leadflow::adapters::aws::DynamoStore;
use leadflow::adapters::memory::MemoryDueStore;
use leadflow::app::scheduler::{run_due, Outcome, TickOptions};
use leadflow::ports::schedule::{minute_of, DueClaim, DueItem, DueStore};
use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use leadflow_tests::leads::base_time;
use std::sync::{Arc, Mutex};

async fn memory_store() -> Arc<MemoryDueStore> {
    Arc::new(MemoryDueStore::new())
}

async fn dynamo_store() -> Arc<DynamoStore> {
    Arc::new(MotoAws::connect().await.fresh_store().await)
}

contract_suite!(
    [memory => memory_store, dynamodb => dynamo_store]
    [
        scheduled_items_come_due_in_their_minute_bucket,
        rescheduling_replaces_and_cancel_removes,
        only_one_claim_wins_until_its_lease_ends,
        a_chained_step_replaces_the_item_unless_cancelled_meanwhile,
        a_released_item_is_claimed_again,
        the_cursor_only_moves_forward_from_what_was_read,
        a_tick_runs_each_due_item_once_and_catches_up_after_downtime,
        a_quiet_tick_reads_only_a_few_buckets,
        overlapping_ticks_never_run_an_item_twice,
        a_failing_item_is_retried_then_given_up,
    ]
);

const KIND: &str = "test";

fn item(key: &str, due: DateTime<Utc>) -> DueItem {
    DueItem::new(KIND, key, due, format!("{{\"key\":\"{key}\"}}"))
}

fn keys(items: &[DueItem]) -> Vec<String> {
    items.iter().map(|i| i.key.clone()).collect()
}

async fn scheduled_items_come_due_in_their_minute_bucket<S: DueStore + 'static>(store: Arc<S>) {
    let now = base_time();
    let due = now + Duration::seconds(90);
    store.schedule(&item("a", due), now).await.unwrap();
    store.schedule(&item("b", due + Duration::seconds(5)), now).await.unwrap();
    let minute = minute_of(due);
    // Not yet due.
    assert!(store.bucket(KIND, minute, due - Duration::seconds(1), 10).await.unwrap().is_empty());
    // Due: oldest first, without payload (the claim returns it).
    let entries = store.bucket(KIND, minute, due + Duration::seconds(10), 10).await.unwrap();
    assert_eq!(keys(&entries), ["a", "b"]);
    assert_eq!(entries[0].due_at, due);
    assert_eq!(store.bucket(KIND, minute, due + Duration::seconds(10), 1).await.unwrap().len(), 1, "limit");
    // An item due in the past is indexed in the current minute.
    store.schedule(&item("late", now - Duration::hours(3)), now).await.unwrap();
    assert_eq!(keys(&store.bucket(KIND, minute_of(now), now, 10).await.unwrap()), ["late"]);
    let got = store.get(KIND, "a").await.unwrap().unwrap();
    assert_eq!((got.due_at, got.payload.as_str()), (due, "{\"key\":\"a\"}"));
    assert!(store.get("other", "a").await.unwrap().is_none(), "kinds are separate");
}

async fn rescheduling_replaces_and_cancel_removes<S: DueStore + 'static>(store: Arc<S>) {
    let now = base_time();
    store.schedule(&item("a", now + Duration::minutes(5)), now).await.unwrap();
    store.schedule(&item("a", now + Duration::minutes(2)), now).await.unwrap();
    assert_eq!(store.get(KIND, "a").await.unwrap().unwrap().due_at, now + Duration::minutes(2));
    // The old time's entry is gone or stale: claiming through it is refused.
    let later = now + Duration::minutes(10);
    for entry in store.bucket(KIND, minute_of(now + Duration::minutes(5)), later, 10).await.unwrap() {
        assert_eq!(store.claim(&entry, later, Duration::seconds(30)).await.unwrap(), DueClaim::Stale);
    }
    assert!(store.cancel(KIND, "a").await.unwrap());
    assert!(!store.cancel(KIND, "a").await.unwrap());
    assert!(store.get(KIND, "a").await.unwrap().is_none());
    for entry in store.bucket(KIND, minute_of(now + Duration::minutes(2)), later, 10).await.unwrap() {
        assert_eq!(store.claim(&entry, later, Duration::seconds(30)).await.unwrap(), DueClaim::Stale);
        store.drop_entry(&entry, minute_of(now + Duration::minutes(2))).await.unwrap();
    }
    assert!(store.bucket(KIND, minute_of(now + Duration::minutes(2)), later, 10).await.unwrap().is_empty());
}

async fn only_one_claim_wins_until_its_lease_ends<S: DueStore + 'static>(store: Arc<S>) {
    let now = base_time();
    store.schedule(&item("a", now), now).await.unwrap();
    let entry = store.bucket(KIND, minute_of(now), now, 10).await.unwrap().remove(0);
    let claims = futures::future::join_all((0..6).map(|_| store.claim(&entry, now, Duration::seconds(30)))).await;
    let won: Vec<&DueClaim> = claims.iter().map(|c| c.as_ref().unwrap()).filter(|c| matches!(c, DueClaim::Claimed(_))).collect();
    assert_eq!(won.len(), 1, "{claims:?}");
    let DueClaim::Claimed(held) = won[0] else { unreachable!() };
    assert_eq!((held.attempts, held.payload.as_str()), (1, "{\"key\":\"a\"}"));
    assert_eq!(store.claim(&entry, now + Duration::seconds(29), Duration::seconds(30)).await.unwrap(), DueClaim::Busy);
    // The holder died: after the lease another tick takes it over.
    let DueClaim::Claimed(again) = store.claim(&entry, now + Duration::seconds(31), Duration::seconds(30)).await.unwrap() else {
        panic!("takeover")
    };
    assert_eq!(again.attempts, 2);
    store.complete(&again).await.unwrap();
    assert!(store.get(KIND, "a").await.unwrap().is_none());
    assert_eq!(store.claim(&entry, now + Duration::seconds(40), Duration::seconds(30)).await.unwrap(), DueClaim::Stale);
}

async fn a_chained_step_replaces_the_item_unless_cancelled_meanwhile<S: DueStore + 'static>(store: Arc<S>) {
    let now = base_time();
    store.schedule(&item("a", now), now).await.unwrap();
    let entry = store.bucket(KIND, minute_of(now), now, 10).await.unwrap().remove(0);
    let DueClaim::Claimed(held) = store.claim(&entry, now, Duration::seconds(30)).await.unwrap() else { panic!() };
    let next = DueItem::new(KIND, "a", now + Duration::minutes(2), "{\"step\":2}");
    assert!(store.chain(&held, &next, now).await.unwrap());
    let got = store.get(KIND, "a").await.unwrap().unwrap();
    assert_eq!((got.due_at, got.payload.as_str(), got.attempts), (now + Duration::minutes(2), "{\"step\":2}", 0));
    // The chained step comes due in its own bucket and is claimable.
    let at = now + Duration::minutes(2);
    let entry = store.bucket(KIND, minute_of(at), at, 10).await.unwrap().remove(0);
    let DueClaim::Claimed(held) = store.claim(&entry, at, Duration::seconds(30)).await.unwrap() else { panic!() };
    // A cancel lands while the step is handled: chaining must not bring it back.
    assert!(store.cancel(KIND, "a").await.unwrap());
    assert!(!store.chain(&held, &DueItem::new(KIND, "a", at + Duration::minutes(5), "{}"), at).await.unwrap());
    assert!(store.get(KIND, "a").await.unwrap().is_none());
    let later = at + Duration::minutes(6);
    for e in store.bucket(KIND, minute_of(at + Duration::minutes(5)), later, 10).await.unwrap() {
        assert_eq!(store.claim(&e, later, Duration::seconds(30)).await.unwrap(), DueClaim::Stale);
    }
}

async fn a_released_item_is_claimed_again<S: DueStore + 'static>(store: Arc<S>) {
    let now = base_time();
    store.schedule(&item("a", now), now).await.unwrap();
    let entry = store.bucket(KIND, minute_of(now), now, 10).await.unwrap().remove(0);
    let DueClaim::Claimed(held) = store.claim(&entry, now, Duration::seconds(30)).await.unwrap() else { panic!() };
    store.release(&held).await.unwrap();
    assert!(matches!(store.claim(&entry, now, Duration::seconds(30)).await.unwrap(), DueClaim::Claimed(i) if i.attempts == 2));
}

async fn the_cursor_only_moves_forward_from_what_was_read<S: DueStore + 'static>(store: Arc<S>) {
    let m = minute_of(base_time());
    assert_eq!(store.cursor(KIND).await.unwrap(), None);
    assert!(store.advance_cursor(KIND, None, m).await.unwrap());
    assert!(!store.advance_cursor(KIND, None, m + Duration::minutes(1)).await.unwrap(), "someone else set it");
    assert!(!store.advance_cursor(KIND, Some(m), m).await.unwrap(), "not forward");
    assert!(store.advance_cursor(KIND, Some(m), m + Duration::minutes(3)).await.unwrap());
    assert_eq!(store.cursor(KIND).await.unwrap(), Some(m + Duration::minutes(3)));
    assert_eq!(store.cursor("other").await.unwrap(), None);
}

/// Runs a tick that records what it handled.
async fn tick<S: DueStore + 'static>(
    store: &S,
    now: DateTime<Utc>,
    outcome: impl Fn(&DueItem) -> Outcome,
) -> (Vec<String>, leadflow::app::scheduler::TickReport) {
    let seen = Mutex::new(Vec::new());
    let report = run_due(store, KIND, now, TickOptions::default(), |i| {
        seen.lock().unwrap().push(i.key.clone());
        let o = outcome(&i);
        async move { o }
    })
    .await
    .unwrap();
    (seen.into_inner().unwrap(), report)
}

async fn a_tick_runs_each_due_item_once_and_catches_up_after_downtime<S: DueStore + 'static>(store: Arc<S>) {
    let t0 = base_time();
    let (none, _) = tick(store.as_ref(), t0, |_| Outcome::Done).await;
    assert!(none.is_empty());
    store.schedule(&item("a", t0 + Duration::minutes(2)), t0).await.unwrap();
    store.schedule(&item("b", t0 + Duration::minutes(20)), t0).await.unwrap();
    store.schedule(&item("c", t0 + Duration::minutes(95)), t0).await.unwrap();
    let (early, _) = tick(store.as_ref(), t0 + Duration::minutes(1), |_| Outcome::Done).await;
    assert!(early.is_empty());
    // Down for two hours: the next tick catches up in order, each item once.
    let (caught_up, report) = tick(store.as_ref(), t0 + Duration::hours(2), |_| Outcome::Done).await;
    assert_eq!(caught_up, ["a", "b", "c"]);
    assert!(report.cursor.unwrap() >= t0 + Duration::minutes(95));
    let (again, _) = tick(store.as_ref(), t0 + Duration::hours(2) + Duration::minutes(1), |_| Outcome::Done).await;
    assert!(again.is_empty());
}

async fn a_quiet_tick_reads_only_a_few_buckets<S: DueStore + 'static>(store: Arc<S>) {
    let t0 = base_time();
    tick(store.as_ref(), t0, |_| Outcome::Done).await;
    for m in 1..=5 {
        let (_, report) = tick(store.as_ref(), t0 + Duration::minutes(m), |_| Outcome::Done).await;
        assert!(report.buckets_read <= 3, "minute {m}: {report:?}");
    }
}

async fn overlapping_ticks_never_run_an_item_twice<S: DueStore + 'static>(store: Arc<S>) {
    let t0 = base_time();
    for i in 0..12 {
        store.schedule(&item(&format!("k{i:02}"), t0 + Duration::seconds(i * 7)), t0).await.unwrap();
    }
    let now = t0 + Duration::minutes(3);
    let seen = Mutex::new(Vec::new());
    let run = || {
        run_due(store.as_ref(), KIND, now, TickOptions::default(), |i| {
            seen.lock().unwrap().push(i.key.clone());
            async { Outcome::Done }
        })
    };
    let (a, b, c) = tokio::join!(run(), run(), run());
    a.unwrap();
    b.unwrap();
    c.unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    let want: Vec<String> = (0..12).map(|i| format!("k{i:02}")).collect();
    assert_eq!(seen, want);
}

async fn a_failing_item_is_retried_then_given_up<S: DueStore + 'static>(store: Arc<S>) {
    let t0 = base_time();
    store.schedule(&item("flaky", t0), t0).await.unwrap();
    let mut runs = 0;
    for m in 0..8 {
        let (seen, _) = tick(store.as_ref(), t0 + Duration::minutes(m), |_| Outcome::Retry).await;
        runs += seen.len();
    }
    assert_eq!(runs, TickOptions::default().max_attempts as usize);
    assert!(store.get(KIND, "flaky").await.unwrap().is_none());
}
