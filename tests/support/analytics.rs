//! Helpers for the attribution and KPI tests: replaying demo leads as an event stream through
//! the analytics consumer (out of order, with duplicate deliveries), and summing contributions
//! directly for comparison.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::NaiveDate;
use leadflow::app::analytics::reconcile::contribution_with;
use leadflow::app::Services;
use leadflow::domain::analytics::contribution::Counters;
use leadflow::domain::analytics::kpi::merge;
use leadflow::domain::analytics::{Dimension, Family, RowKey};
use leadflow::domain::{LeadEvent, LeadId};
use leadflow::ports::Consumer;
use leadflow_synthetic::demo::{DemoData, DemoLead};
use leadflow_synthetic::rng::Rng;
use std::collections::{BTreeMap, HashMap};

/// What a replay did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Replay {
    pub events: usize,
    pub deliveries: usize,
    pub duplicates: usize,
    /// Deliveries of an event after a later event of the same lead had been delivered.
    pub out_of_order: usize,
}

fn batch(events: &[LeadEvent]) -> SqsEvent {
    let mut e = SqsEvent::default();
    e.records = events
        .iter()
        .enumerate()
        .map(|(i, ev)| {
            let mut m = SqsMessage::default();
            m.message_id = Some(format!("m-{i}-{}", ev.id));
            m.body = Some(ev.to_json());
            m
        })
        .collect();
    e
}

async fn write_snapshot(
    services: &Services,
    demo: &DemoLead,
    ev: &LeadEvent,
    versions: &mut HashMap<LeadId, u64>,
    written: &mut std::collections::HashSet<leadflow::domain::EventId>,
) {
    let Some((mut lead, timeline)) = demo.as_of(ev.occurred_at) else { return };
    match versions.get(&lead.id).copied() {
        None => {
            lead.version = 1;
            services.leads.create_or_match(&lead, &Default::default()).await.unwrap();
            versions.insert(lead.id, 1);
        }
        Some(v) => {
            lead.version = v + 1;
            services.leads.save(&lead).await.unwrap();
            versions.insert(lead.id, v + 1);
        }
    }
    for e in &timeline {
        if written.insert(e.id) {
            services.timeline.append(e).await.unwrap();
        }
    }
}

/// Replays every lead's history in time order: each event first changes the lead in the store
/// (to how it stood then), then is queued. Queued events are delivered to the analytics consumer
/// in random batches and random order; some are delivered again later. At the end everything
/// left is delivered.
pub async fn replay(services: &Services, data: &DemoData, seed: u64) -> Replay {
    replay_with(services, data, seed, false).await
}

/// As [`replay`]; with `one_lead_per_batch`, a batch only holds events of one lead, so the
/// consumer never runs two leads' updates at once (moto's server does not isolate concurrent
/// DynamoDB transactions; DynamoDB does).
pub async fn replay_with(services: &Services, data: &DemoData, seed: u64, one_lead_per_batch: bool) -> Replay {
    let mut rng = Rng::new(seed);
    let by_id: HashMap<LeadId, &DemoLead> = data.leads.iter().map(|d| (d.lead.id, d)).collect();
    let mut stream: Vec<LeadEvent> = data.leads.iter().flat_map(|d| d.events()).collect();
    stream.sort_by_key(|e| (e.occurred_at, e.id));
    let mut versions = HashMap::new();
    let mut written = std::collections::HashSet::new();
    let mut pending: Vec<LeadEvent> = Vec::new();
    let mut latest_delivered: HashMap<LeadId, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut r = Replay { events: stream.len(), ..Default::default() };
    let deliver = |batch_events: Vec<LeadEvent>, r: &mut Replay, latest: &mut HashMap<LeadId, chrono::DateTime<chrono::Utc>>| {
        for e in &batch_events {
            r.deliveries += 1;
            let seen = latest.entry(e.lead_id).or_insert(e.occurred_at);
            if *seen > e.occurred_at {
                r.out_of_order += 1;
            }
            *seen = (*seen).max(e.occurred_at);
        }
        batch(&batch_events)
    };
    for ev in stream {
        write_snapshot(services, by_id[&ev.lead_id], &ev, &mut versions, &mut written).await;
        pending.push(ev);
        // Now and then the consumer runs over a random batch of what is queued.
        if rng.chance(0.3) {
            let n = (rng.below(10) + 1) as usize;
            let mut picked = Vec::new();
            for _ in 0..n.min(pending.len()) {
                let i = rng.below(pending.len() as u64) as usize;
                if one_lead_per_batch && picked.first().is_some_and(|p: &LeadEvent| p.lead_id != pending[i].lead_id) {
                    continue;
                }
                // Some messages are delivered again later (at-least-once delivery).
                let ev = if rng.chance(0.25) {
                    r.duplicates += 1;
                    pending[i].clone()
                } else {
                    pending.swap_remove(i)
                };
                picked.push(ev);
            }
            let sqs = deliver(picked, &mut r, &mut latest_delivered);
            let resp = leadflow::handlers::consume(services, Consumer::Analytics, sqs).await;
            assert!(resp.batch_item_failures.is_empty(), "analytics failures: {:?}", resp.batch_item_failures.len());
        }
    }
    // Drain: everything left, in random order, some twice.
    while !pending.is_empty() {
        let i = rng.below(pending.len() as u64) as usize;
        let mut picked = vec![pending.swap_remove(i)];
        if rng.chance(0.2) {
            r.duplicates += 1;
            picked.push(picked[0].clone());
        }
        let sqs = deliver(picked, &mut r, &mut latest_delivered);
        let resp = leadflow::handlers::consume(services, Consumer::Analytics, sqs).await;
        assert!(resp.batch_item_failures.is_empty());
    }
    r
}

/// Every lead's final contribution summed directly (no listing, no store), as rows.
pub fn direct_rows(services: &Services, data: &DemoData) -> BTreeMap<RowKey, Counters> {
    let mut rows: BTreeMap<RowKey, Counters> = BTreeMap::new();
    for d in &data.leads {
        for (k, c) in contribution_with(services, &d.lead, &d.timeline).rows() {
            merge(rows.entry(k).or_default(), &c);
        }
    }
    rows.retain(|_, c| {
        c.retain(|_, v| *v != 0);
        !c.is_empty()
    });
    rows
}

/// Every row the aggregates hold for days in `from..=to`.
pub async fn stored_rows(services: &Services, from: NaiveDate, to: NaiveDate) -> BTreeMap<RowKey, Counters> {
    let mut out = BTreeMap::new();
    for family in Family::ALL {
        for dimension in Dimension::ALL {
            for (k, mut c) in services.aggregates.rows(family, dimension, from, to).await.unwrap() {
                c.retain(|_, v| *v != 0);
                if !c.is_empty() {
                    out.insert(k, c);
                }
            }
        }
    }
    out
}

/// The rows two sets disagree on (for readable assertion messages).
pub fn differences(a: &BTreeMap<RowKey, Counters>, b: &BTreeMap<RowKey, Counters>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&RowKey> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("{:?} {} {} {}: {:?} != {:?}", k.family, k.dimension.as_str(), k.day, k.value, a.get(k), b.get(k)))
        .collect()
}
