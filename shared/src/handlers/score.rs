//! The score consumer: one SQS batch in, the ids of failed messages out. Several records about
//! one lead in a batch are scored once (in order, by the first record), like the acknowledge
//! consumer, so they do not race each other.

use super::lead_batch;
use crate::app::score::{score, ScoreError, ScoreOutcome};
use crate::app::Services;
use crate::domain::LeadId;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use std::collections::HashMap;
use tracing::{info, warn, Instrument};

/// Handles one batch.
pub async fn handle(services: &Services, event: SqsEvent) -> SqsBatchResponse {
    let parsed = lead_batch::parse(&event);
    let order = lead_batch::leaders(&parsed);
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
    lead_batch::response(&event, &parsed, &ok)
}
