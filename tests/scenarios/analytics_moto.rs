//! The analytics consumer on DynamoDB (moto): demo leads replayed as an event stream with
//! out-of-order and duplicate deliveries; the counters in the table equal the leads' final
//! contributions, and the audit's recompute (walking the listing index GSI3) agrees.

use chrono::{NaiveDate, TimeZone, Utc};
use leadflow::app::analytics::reports::audit;
use leadflow::app::Services;
use leadflow::config::Config;
use leadflow::ports::ManualClock;
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_synthetic::demo::{generate, DemoOptions};
use leadflow_tests::analytics::{differences, direct_rows, replay_with, stored_rows};
use leadflow_tests::aws::MotoAws;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_aggregates_agree_with_a_recompute_after_a_messy_stream() {
    let end = Utc.with_ymd_and_hms(2026, 6, 30, 22, 0, 0).unwrap();
    let aws = MotoAws::connect().await;
    let store = Arc::new(aws.fresh_store().await);
    // Leads, timelines, listing and aggregates in DynamoDB; the rest embedded.
    let embedded = EmbeddedSystem::new(Config::embedded_default().unwrap(), Arc::new(ManualClock::new(end)));
    let services = Services {
        leads: store.clone(),
        timeline: store.clone(),
        listing: store.clone(),
        aggregates: store.clone(),
        ..embedded.services.clone()
    };
    let data = generate(&services.config, &DemoOptions { leads: 16, seed: 19, end, months: 2, extra_touchpoints: 2.0 });
    // One lead per batch: moto's server does not isolate concurrent transactions (the
    // embedded test runs whole batches concurrently). Small: moto copies the whole table for
    // every transaction.
    let r = replay_with(&services, &data, 5, true).await;
    assert!(r.duplicates > 5, "{r:?}");
    let (from, to) = (NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 7, 31).unwrap());
    let (stored, direct) = (stored_rows(&services, from, to).await, direct_rows(&services, &data));
    assert!(stored == direct, "{:#?}", differences(&stored, &direct));
    let report = audit(&services, from, to).await.unwrap();
    assert!(report.agree, "{:?}", report.differences);
    assert!(report.leads_recomputed > 8, "{}", report.leads_recomputed);
}
