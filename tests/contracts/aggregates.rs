//! The aggregate store contract, held against the embedded adapter and DynamoDB (on moto):
//! atomic, versioned lead updates (a lost race writes nothing), negative corrections, range
//! reads across month partitions, the per-update row limit, spend, delivery markers, and the
//! source-tag audit list.

use chrono::{DateTime, NaiveDate, Utc};
use leadflow::adapters::aws::DynamoStore;
use leadflow::adapters::memory::MemoryAggregates;
use leadflow::domain::analytics::contribution::{Counters, Credit, FunnelPart};
use leadflow::domain::analytics::source_audit::{SourceFlag, SourceIssue};
use leadflow::domain::analytics::spend::SpendEntry;
use leadflow::domain::analytics::{Contribution, Dimension, Family, LeadDims, Milestone, RowDelta, RowKey};
use leadflow::domain::money::{Currency, Money};
use leadflow::domain::LeadId;
use leadflow::domain::SourceChannel;
use leadflow::ports::aggregates::MAX_ROWS_PER_UPDATE;
use leadflow::ports::{AggregateStore, StoreError};
use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use std::sync::Arc;

async fn memory_store() -> Arc<MemoryAggregates> {
    Arc::new(MemoryAggregates::new())
}

async fn dynamo_store() -> Arc<DynamoStore> {
    Arc::new(MotoAws::connect().await.fresh_store().await)
}

// Racing updates of one lead, on the embedded store only: moto's server applies a transaction
// item by item and, when a condition fails, puts back a copy of the whole table taken before it
// started, without a lock, so transactions running at the same time can undo or repeat each
// other there. DynamoDB's transactions are serializable; what the adapter relies on (a failed
// version condition writes nothing and answers `false`) is held on both by
// `a_stale_version_writes_nothing`.
mod racing {
    use super::*;
    contract_suite!([memory => memory_store] [concurrent_updates_of_one_lead_apply_once]);
}

contract_suite!(
    [memory => memory_store, dynamodb => dynamo_store]
    [
        an_update_adds_rows_and_versions_the_ledger,
        a_stale_version_writes_nothing,
        rows_are_read_by_family_dimension_and_days,
        too_many_rows_are_refused_whole,
        spend_is_replaced_and_listed_by_month,
        deliveries_are_claimed_once,
        source_flags_are_replaced_cleared_and_paged_in_lead_order,
    ]
);

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn counters(pairs: &[(&str, i64)]) -> Counters {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn dims(source: &str) -> LeadDims {
    LeadDims {
        source: source.into(),
        campaign: "spring #1".into(),
        service_line: "med_spa".into(),
        facility: "hoboken".into(),
        channel: "web_form".into(),
    }
}

/// A lead captured on `d` from `source`, with these funnel counters and one converted credit.
fn contribution(d: &str, source: &str, pairs: &[(&str, i64)]) -> Contribution {
    Contribution {
        funnel: Some(FunnelPart { day: day(d), dims: dims(source), counters: counters(pairs) }),
        attribution: vec![leadflow::domain::analytics::contribution::AttributionPart {
            milestone: Milestone::Converted,
            day: day(d),
            credits: vec![Credit { dimension: Dimension::Source, value: source.into(), counters: counters(&[("linear_n", 1000)]) }],
        }],
    }
}

async fn all_rows<S: AggregateStore + ?Sized>(s: &S, family: Family, dimension: Dimension) -> Vec<(RowKey, Counters)> {
    let mut rows = s.rows(family, dimension, day("2025-01-01"), day("2027-12-31")).await.unwrap();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

async fn an_update_adds_rows_and_versions_the_ledger<S: AggregateStore + ?Sized>(s: Arc<S>) {
    let lead = LeadId::random();
    assert_eq!(s.ledger(lead).await.unwrap(), None);
    let first = contribution("2026-03-03", "google", &[("leads", 1), ("ack", 1), ("ack_ms", 20_000)]);
    assert!(s.apply(lead, None, &first, &Contribution::delta(&Contribution::default(), &first)).await.unwrap());
    let ledger = s.ledger(lead).await.unwrap().unwrap();
    assert_eq!((ledger.version, &ledger.contribution), (1, &first));
    // A second lead on the same day and source adds to the same rows.
    let other = LeadId::random();
    let second = contribution("2026-03-03", "google", &[("leads", 1)]);
    assert!(s.apply(other, None, &second, &second.rows()).await.unwrap());
    let rows = all_rows(&*s, Family::Funnel, Dimension::Source).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, counters(&[("leads", 2), ("ack", 1), ("ack_ms", 20_000)]));
    // The lead moves to another source and day: the old row is corrected by negative amounts.
    let moved = contribution("2026-04-01", "bing", &[("leads", 1), ("ack", 1), ("ack_ms", 20_000), ("converted", 1)]);
    assert!(s.apply(lead, Some(1), &moved, &Contribution::delta(&first, &moved)).await.unwrap());
    assert_eq!(s.ledger(lead).await.unwrap().unwrap().version, 2);
    let rows = all_rows(&*s, Family::Funnel, Dimension::Source).await;
    let by: Vec<(String, i64, i64)> =
        rows.iter().map(|(k, c)| (k.value.clone(), c.get("leads").copied().unwrap_or(0), c.get("ack").copied().unwrap_or(0))).collect();
    assert_eq!(by, [("google".to_string(), 1, 0), ("bing".to_string(), 1, 1)]);
    // Values may hold `#` and spaces; the attribution family is kept apart from the funnel.
    let campaigns = all_rows(&*s, Family::Funnel, Dimension::Campaign).await;
    assert!(campaigns.iter().all(|(k, _)| k.value == "spring #1"));
    let credited = all_rows(&*s, Family::Attribution(Milestone::Converted), Dimension::Source).await;
    let credit: Vec<(&str, i64)> = credited.iter().map(|(k, c)| (k.value.as_str(), c.get("linear_n").copied().unwrap_or(0))).collect();
    assert_eq!(credit, [("google", 1000), ("bing", 1000)]);
}

async fn a_stale_version_writes_nothing<S: AggregateStore + ?Sized>(s: Arc<S>) {
    let lead = LeadId::random();
    let c1 = contribution("2026-03-03", "google", &[("leads", 1)]);
    assert!(s.apply(lead, None, &c1, &c1.rows()).await.unwrap());
    // Someone who read no ledger, or an old version, loses and changes nothing.
    let c2 = contribution("2026-03-03", "google", &[("leads", 1), ("converted", 1)]);
    assert!(!s.apply(lead, None, &c2, &c2.rows()).await.unwrap());
    assert!(!s.apply(lead, Some(7), &c2, &Contribution::delta(&c1, &c2)).await.unwrap());
    assert_eq!(s.ledger(lead).await.unwrap().unwrap().contribution, c1);
    let rows = all_rows(&*s, Family::Funnel, Dimension::All).await;
    assert_eq!(rows[0].1, counters(&[("leads", 1)]));
}

async fn concurrent_updates_of_one_lead_apply_once<S: AggregateStore + ?Sized + 'static>(s: Arc<S>) {
    let lead = LeadId::random();
    let c = contribution("2026-03-05", "google", &[("leads", 1), ("qualified", 1)]);
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (s, c) = (s.clone(), c.clone());
            // As the analytics consumer does: a lost race (a version check, or DynamoDB
            // cancelling transactions that collide) reads again; nobody applies twice.
            tokio::spawn(async move {
                for _ in 0..50 {
                    if s.ledger(lead).await.unwrap().is_some() {
                        return false;
                    }
                    if s.apply(lead, None, &c, &c.rows()).await.unwrap() {
                        return true;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                panic!("never settled")
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    let rows = all_rows(&*s, Family::Funnel, Dimension::All).await;
    assert_eq!(rows[0].1, counters(&[("leads", 1), ("qualified", 1)]));
}

async fn rows_are_read_by_family_dimension_and_days<S: AggregateStore + ?Sized>(s: Arc<S>) {
    for (i, d) in ["2026-01-31", "2026-02-01", "2026-02-28", "2026-03-01"].iter().enumerate() {
        let c = contribution(d, &format!("s{i}"), &[("leads", 1)]);
        assert!(s.apply(LeadId::random(), None, &c, &c.rows()).await.unwrap());
    }
    let days = |rows: Vec<(RowKey, Counters)>| rows.into_iter().map(|(k, _)| k.day.to_string()).collect::<Vec<_>>();
    let mut got = days(s.rows(Family::Funnel, Dimension::Source, day("2026-01-31"), day("2026-02-28")).await.unwrap());
    got.sort();
    assert_eq!(got, ["2026-01-31", "2026-02-01", "2026-02-28"]);
    assert_eq!(days(s.rows(Family::Funnel, Dimension::All, day("2026-03-01"), day("2026-03-01")).await.unwrap()), ["2026-03-01"]);
    assert!(s.rows(Family::Funnel, Dimension::Channel, day("2026-03-02"), day("2026-12-31")).await.unwrap().is_empty());
    assert!(s
        .rows(Family::Attribution(Milestone::Booked), Dimension::Source, day("2026-01-01"), day("2026-12-31"))
        .await
        .unwrap()
        .is_empty());
    assert!(s.rows(Family::Funnel, Dimension::All, day("2026-03-01"), day("2026-02-01")).await.unwrap().is_empty());
}

async fn too_many_rows_are_refused_whole<S: AggregateStore + ?Sized>(s: Arc<S>) {
    let lead = LeadId::random();
    let mut delta = RowDelta::new();
    for i in 0..=MAX_ROWS_PER_UPDATE {
        let key = RowKey { family: Family::Funnel, dimension: Dimension::Source, day: day("2026-03-03"), value: format!("v{i}") };
        delta.insert(key, counters(&[("leads", 1)]));
    }
    let err = s.apply(lead, None, &Contribution::default(), &delta).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(s.ledger(lead).await.unwrap(), None);
    assert!(all_rows(&*s, Family::Funnel, Dimension::Source).await.is_empty());
    // Exactly the limit is fine.
    delta.pop_first();
    assert!(s.apply(lead, None, &Contribution::default(), &delta).await.unwrap());
    assert_eq!(all_rows(&*s, Family::Funnel, Dimension::Source).await.len(), MAX_ROWS_PER_UPDATE);
}

fn spend(month: &str, source: &str, campaign: &str, minor: i64) -> SpendEntry {
    SpendEntry {
        month: day(&format!("{month}-01")),
        source: source.into(),
        campaign: campaign.into(),
        amount: Money { minor, currency: Currency::usd() },
        updated_at: DateTime::<Utc>::from_timestamp(1_772_000_000, 0).unwrap(),
        updated_by: "u-1".into(),
    }
}

async fn spend_is_replaced_and_listed_by_month<S: AggregateStore + ?Sized>(s: Arc<S>) {
    s.put_spend(&spend("2026-02", "google", "brand", 10_000)).await.unwrap();
    s.put_spend(&spend("2026-03", "google", "brand", 20_000)).await.unwrap();
    s.put_spend(&spend("2026-03", "google", "(none)", 5_000)).await.unwrap();
    s.put_spend(&spend("2026-03", "google", "brand", 25_000)).await.unwrap();
    s.put_spend(&spend("2026-05", "bing", "search", 1_000)).await.unwrap();
    let mut march = s.spend(day("2026-03-01"), day("2026-03-01")).await.unwrap();
    march.sort_by(|a, b| a.campaign.cmp(&b.campaign));
    let got: Vec<(&str, i64)> = march.iter().map(|e| (e.campaign.as_str(), e.amount.minor)).collect();
    assert_eq!(got, [("(none)", 5_000), ("brand", 25_000)]);
    assert_eq!(s.spend(day("2026-01-01"), day("2026-04-01")).await.unwrap().len(), 3);
    assert_eq!(s.spend(day("2026-01-01"), day("2026-12-01")).await.unwrap().len(), 4);
}

async fn deliveries_are_claimed_once<S: AggregateStore + ?Sized>(s: Arc<S>) {
    let at = DateTime::<Utc>::from_timestamp(1_772_000_000, 0).unwrap();
    assert!(s.claim_delivery("weekly:2026-W10:owner@example.com", at).await.unwrap());
    assert!(!s.claim_delivery("weekly:2026-W10:owner@example.com", at).await.unwrap());
    assert!(s.claim_delivery("weekly:2026-W11:owner@example.com", at).await.unwrap());
    s.release_delivery("weekly:2026-W10:owner@example.com").await.unwrap();
    assert!(s.claim_delivery("weekly:2026-W10:owner@example.com", at).await.unwrap());
}

fn source_flag(id: LeadId, source: &str) -> SourceFlag {
    SourceFlag {
        lead_id: id,
        captured_at: DateTime::<Utc>::from_timestamp(1_772_000_000, 0).unwrap(),
        channel: SourceChannel::WebForm,
        source: source.into(),
        campaign: "(none)".into(),
        facility: "hoboken".into(),
        issues: vec![SourceIssue::SourceUnrecognized],
    }
}

async fn source_flags_are_replaced_cleared_and_paged_in_lead_order<S: AggregateStore + ?Sized>(s: Arc<S>) {
    let mut ids: Vec<LeadId> = (0..5).map(|_| LeadId::random()).collect();
    ids.sort_by_key(|id| id.to_string());
    for id in &ids {
        s.put_source_flag(&source_flag(*id, "faceboook")).await.unwrap();
    }
    // Replaced, not added; cleared, and clearing again is fine.
    s.put_source_flag(&source_flag(ids[1], "tiktok.com")).await.unwrap();
    s.clear_source_flag(ids[3]).await.unwrap();
    s.clear_source_flag(ids[3]).await.unwrap();
    let (all, next) = s.source_flags(None, 100).await.unwrap();
    assert_eq!(next, None);
    assert_eq!(all.iter().map(|f| f.lead_id).collect::<Vec<_>>(), [ids[0], ids[1], ids[2], ids[4]]);
    assert_eq!(all[1], source_flag(ids[1], "tiktok.com"));
    // Pages of two, in order, each continuing after the last id of the one before.
    let (first, next) = s.source_flags(None, 2).await.unwrap();
    assert_eq!(first.iter().map(|f| f.lead_id).collect::<Vec<_>>(), [ids[0], ids[1]]);
    assert_eq!(next, Some(ids[1]));
    let (second, next) = s.source_flags(next, 2).await.unwrap();
    assert_eq!(second.iter().map(|f| f.lead_id).collect::<Vec<_>>(), [ids[2], ids[4]]);
    assert_eq!(next, None);
}

/// On DynamoDB a ledger's contribution is stored packed; one stored as JSON text (how ledgers
/// were first written) still reads, and its next update writes it packed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_stored_as_text_still_reads_on_dynamodb() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let aws = MotoAws::connect().await;
    let s = aws.fresh_store().await;
    let lead = LeadId::random();
    let first = contribution("2026-03-03", "google", &[("leads", 1)]);
    let item = [
        ("PK", AttributeValue::S(format!("LEAD#{lead}"))),
        ("SK", AttributeValue::S("AGG".into())),
        ("c", AttributeValue::S(serde_json::to_string(&first).unwrap())),
        ("v", AttributeValue::N("1".into())),
    ];
    let item = item.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    aws.dynamodb.put_item().table_name(s.table()).set_item(Some(item)).send().await.unwrap();
    let ledger = s.ledger(lead).await.unwrap().unwrap();
    assert_eq!((ledger.version, &ledger.contribution), (1, &first));
    let next = contribution("2026-03-03", "google", &[("leads", 1), ("ack", 1)]);
    assert!(s.apply(lead, Some(1), &next, &Contribution::delta(&first, &next)).await.unwrap());
    assert_eq!(s.ledger(lead).await.unwrap().unwrap().contribution, next);
    let key = [("PK", format!("LEAD#{lead}")), ("SK", "AGG".to_string())];
    let key = key.into_iter().map(|(k, v)| (k.to_string(), AttributeValue::S(v))).collect();
    let stored = aws.dynamodb.get_item().table_name(s.table()).set_key(Some(key)).send().await.unwrap().item.unwrap();
    assert!(matches!(stored["c"], AttributeValue::B(_)), "written packed");
}
