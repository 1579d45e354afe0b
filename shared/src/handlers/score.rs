//! The score consumer: one SQS batch in, the ids of failed messages out. Several records about
//! one lead in a batch are scored once (in order, by the first record), like the acknowledge
//! consumer, so they do not race each other.

use crate::app::score::{score, ScoreError, ScoreOutcome};
use crate::app::Services;
use crate::domain::{LeadEvent, LeadId};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use std::collections::HashMap;
use tracing::{info, warn, Instrument};

/// Handles one batch.
pub async fn handle(services: &Services, event: SqsEvent) -> SqsBatchResponse {
    let parsed: Vec<Option<LeadEvent>> =
        event.records.iter().map(|r| r.body.as_deref().and_then(|b| LeadEvent::from_json(b).ok())).collect();
    let mut leaders: HashMap<LeadId, usize> = HashMap::new();
    for (i, e) in parsed.iter().enumerate() {
        if let Some(e) = e {
            leaders.entry(e.lead_id).or_insert(i);
        }
    }
    let mut order: Vec<usize> = leaders.values().copied().collect();
    order.sort_unstable();
    let results = join_all(order.iter().map(|&i| {
        let e = parsed[i].as_ref().expect("leaders parsed");
        let span = tracing::info_span!("score", lead_id = %e.lead_id, event_id = %e.id, event = e.kind.as_str());
        async move {
            match score(services, e).await {
                Ok(ScoreOutcome::Scored { score, assigned }) => {
                    info!(score, assigned = assigned.is_some(), "scored");
                    true
                }
                Ok(ScoreOutcome::Closed) => true,
                Err(ScoreError::LeadMissing(id)) => {
                    warn!(lead_id = %id, "event for a missing lead");
                    false
                }
                Err(e) => {
                    warn!(error = %e, "scoring failed; the message will be retried");
                    false
                }
            }
        }
        .instrument(span)
    }))
    .await;
    let ok: HashMap<LeadId, bool> =
        order.iter().zip(results).map(|(&i, ok)| (parsed[i].as_ref().expect("leaders parsed").lead_id, ok)).collect();
    let mut response = SqsBatchResponse::default();
    for (record, e) in event.records.iter().zip(&parsed) {
        let good = e.as_ref().is_some_and(|e| ok[&e.lead_id]);
        if !good {
            if e.is_none() {
                warn!(message_id = record.message_id.as_deref().unwrap_or(""), "message is not a lead event");
            }
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = record.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}
