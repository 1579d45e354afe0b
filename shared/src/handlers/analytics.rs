//! The analytics consumer: every lead event brings that lead's share of the report counters up
//! to date. Several records about one lead in a batch are reconciled once (reconciling reads
//! the lead's current state, so one run covers them all); failures are reported per record and
//! retried by the queue, then dead-lettered.

use super::lead_batch;
use crate::app::analytics::{reconcile, Reconciled};
use crate::app::Services;
use crate::domain::LeadId;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use std::collections::HashMap;
use tracing::{debug, warn, Instrument};

/// Handles one batch.
pub async fn handle(services: &Services, event: SqsEvent) -> SqsBatchResponse {
    let parsed = lead_batch::parse(&event);
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
    lead_batch::response(&event, &parsed, &ok)
}
