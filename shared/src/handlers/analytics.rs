//! The analytics consumer: every lead event brings that lead's share of the report counters up
//! to date. Several records about one lead in a batch are reconciled once (reconciling reads
//! the lead's current state, so one run covers them all); failures are reported per record and
//! retried by the queue, then dead-lettered.

use crate::app::analytics::{reconcile, Reconciled};
use crate::app::Services;
use crate::domain::{LeadEvent, LeadId};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use std::collections::HashMap;
use tracing::{debug, warn, Instrument};

/// Handles one batch.
pub async fn handle(services: &Services, event: SqsEvent) -> SqsBatchResponse {
    let parsed: Vec<Option<LeadEvent>> =
        event.records.iter().map(|r| r.body.as_deref().and_then(|b| LeadEvent::from_json(b).ok())).collect();
    let mut leads: Vec<LeadId> = parsed.iter().flatten().map(|e| e.lead_id).collect();
    leads.sort_unstable_by_key(|id| id.to_string());
    leads.dedup();
    let results = join_all(leads.iter().map(|&lead_id| {
        let span = tracing::info_span!("analytics", lead_id = %lead_id);
        async move {
            match reconcile(services, lead_id).await {
                Ok(Reconciled::Unchanged) => {
                    debug!("aggregates already current");
                    true
                }
                Ok(Reconciled::Applied { rows }) => {
                    debug!(rows, "aggregates updated");
                    true
                }
                Err(e) => {
                    warn!(error = %e, retryable = e.is_retryable(), "aggregates not updated; the message will be retried");
                    false
                }
            }
        }
        .instrument(span)
    }))
    .await;
    let ok: HashMap<LeadId, bool> = leads.into_iter().zip(results).collect();
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
