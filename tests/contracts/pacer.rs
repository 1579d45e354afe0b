//! The pacer's port (`ports::pacer`) on both adapters, the DynamoDB side on moto: slots per
//! one-second window never exceed the ceiling, even when many senders take at once; refusals
//! are counted per lane; backlog and cool-down marks only move forward; provider throttles are
//! counted per minute.

use chrono::{Duration, TimeZone, Utc};
use leadflow::adapters::aws::DynamoStore;
use leadflow::adapters::memory::MemoryPacer;
use leadflow::domain::pacing::Lane;
use leadflow::ports::SendPacer;
use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use std::sync::Arc;

async fn memory() -> Arc<MemoryPacer> {
    Arc::new(MemoryPacer::new())
}

async fn dynamo() -> Arc<DynamoStore> {
    Arc::new(MotoAws::connect().await.fresh_store().await)
}

contract_suite!(
    [memory => memory, dynamodb => dynamo]
    [
        a_window_takes_parts_up_to_its_ceiling,
        refusals_are_counted_per_lane_and_window,
        backlog_and_cool_down_marks_only_move_forward,
        throttles_are_counted_per_minute,
    ]
);

const ID: &str = "+12015550100";

fn window() -> i64 {
    Utc.with_ymd_and_hms(2026, 3, 3, 15, 0, 0).unwrap().timestamp()
}

async fn a_window_takes_parts_up_to_its_ceiling<P: SendPacer>(p: Arc<P>) {
    let w = window();
    assert!(p.take(ID, w, 1, 3).await.unwrap());
    assert!(p.take(ID, w, 2, 3).await.unwrap());
    assert!(!p.take(ID, w, 1, 3).await.unwrap(), "the window is full");
    // A lower ceiling (a lower lane's) is full sooner; the next window is empty.
    assert!(p.take(ID, w + 1, 2, 3).await.unwrap());
    assert!(!p.take(ID, w + 1, 1, 2).await.unwrap());
    assert!(p.take(ID, w + 1, 1, 3).await.unwrap());
    // Another identity has its own windows; a part larger than the ceiling never fits.
    assert!(p.take("default", w, 3, 3).await.unwrap());
    assert!(!p.take("other", w, 4, 3).await.unwrap());
}

/// Many senders at once on the embedded adapter. On DynamoDB the same holds by the conditional
/// update (one atomic write per slot); moto's server does not serialize concurrent updates of
/// one item, so this case runs on the embedded adapter only (the sequential cases above hold
/// the DynamoDB adapter to the same ceilings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_never_exceed_the_ceiling_in_memory() {
    concurrent_senders_never_exceed_the_ceiling(memory().await).await
}

async fn concurrent_senders_never_exceed_the_ceiling<P: SendPacer + 'static>(p: Arc<P>) {
    let w = window() + 10;
    let takes = (0..20).map(|_| {
        let p = p.clone();
        tokio::spawn(async move { p.take(ID, w, 1, 3).await.unwrap() })
    });
    let granted = futures::future::join_all(takes).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(granted, 3);
}

async fn refusals_are_counted_per_lane_and_window<P: SendPacer>(p: Arc<P>) {
    let w = window() + 20;
    assert_eq!(p.refuse(ID, w, Lane::Acknowledgement).await.unwrap(), [0, 1, 0, 0]);
    assert_eq!(p.refuse(ID, w, Lane::Acknowledgement).await.unwrap(), [0, 2, 0, 0]);
    assert_eq!(p.refuse(ID, w, Lane::Crisis).await.unwrap(), [1, 2, 0, 0]);
    assert_eq!(p.refuse(ID, w, Lane::FollowUp).await.unwrap(), [1, 2, 0, 1]);
    assert_eq!(p.refuse(ID, w + 1, Lane::FollowUp).await.unwrap(), [0, 0, 0, 1]);
}

async fn backlog_and_cool_down_marks_only_move_forward<P: SendPacer>(p: Arc<P>) {
    let t = Utc.timestamp_opt(window(), 0).unwrap();
    assert_eq!(p.backlog(ID).await.unwrap(), Default::default());
    p.mark_backlog(ID, Lane::Acknowledgement, t + Duration::seconds(5)).await.unwrap();
    p.mark_backlog(ID, Lane::Acknowledgement, t + Duration::seconds(3)).await.unwrap();
    p.mark_backlog(ID, Lane::Crisis, t + Duration::seconds(1)).await.unwrap();
    p.cool(ID, t + Duration::seconds(4)).await.unwrap();
    p.cool(ID, t + Duration::seconds(2)).await.unwrap();
    let b = p.backlog(ID).await.unwrap();
    assert_eq!(b.lanes, [t.timestamp() + 1, t.timestamp() + 5, 0, 0]);
    assert_eq!(b.cool_until, t.timestamp() + 4);
    // Follow-ups yield to the acknowledgements' backlog; crisis yields to nobody.
    assert_eq!(b.higher_until(Lane::FollowUp, t), Some(t.timestamp() + 5));
    assert_eq!(b.higher_until(Lane::Crisis, t), None);
    assert_eq!(b.higher_until(Lane::FollowUp, t + Duration::seconds(6)), None);
}

async fn throttles_are_counted_per_minute<P: SendPacer>(p: Arc<P>) {
    let t = Utc.timestamp_opt(window(), 0).unwrap();
    assert_eq!(p.count_throttle(ID, t).await.unwrap(), 1);
    assert_eq!(p.count_throttle(ID, t + Duration::seconds(30)).await.unwrap(), 2);
    assert_eq!(p.count_throttle(ID, t + Duration::seconds(60)).await.unwrap(), 1);
}
