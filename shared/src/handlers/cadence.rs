//! The cadence consumer: one SQS batch of lead events in, the ids of failed messages out.
//! Records about one lead are handled in order (a `lead.scored` before the `lead.status_changed`
//! that follows it); different leads concurrently. After a failure the lead's later records fail
//! too, so their order survives the retry.

use crate::app::cadence::{on_event, CadenceError};
use crate::app::Services;
use crate::domain::LeadId;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use std::collections::BTreeMap;
use tracing::{warn, Instrument};

/// Handles one batch.
pub async fn handle(services: &Services, event: SqsEvent) -> SqsBatchResponse {
    let parsed = super::lead_batch::parse(&event);
    let mut by_lead: BTreeMap<LeadId, Vec<usize>> = BTreeMap::new();
    for (i, e) in parsed.iter().enumerate() {
        if let Some(e) = e {
            by_lead.entry(e.lead_id).or_default().push(i);
        }
    }
    let results = join_all(by_lead.values().map(|indexes| {
        let parsed = &parsed;
        async move {
            let mut failed = Vec::new();
            for &i in indexes {
                let e = parsed[i].as_ref().expect("grouped records parsed");
                if !failed.is_empty() {
                    failed.push(i);
                    continue;
                }
                let span = tracing::info_span!("cadence", lead_id = %e.lead_id, event_id = %e.id, event = e.kind.as_str());
                match on_event(services, e).instrument(span).await {
                    Ok(()) => {}
                    Err(CadenceError::LeadMissing) => warn!(lead_id = %e.lead_id, "event for a missing lead ignored"),
                    Err(err) if err.is_retryable() => {
                        warn!(lead_id = %e.lead_id, error = %err, "cadence event failed; the message will be retried");
                        failed.push(i);
                    }
                    Err(err) => warn!(lead_id = %e.lead_id, error = %err, "cadence event could not be applied"),
                }
            }
            failed
        }
    }))
    .await;
    let mut bad: Vec<usize> = results.into_iter().flatten().collect();
    bad.extend(parsed.iter().enumerate().filter(|(_, e)| e.is_none()).map(|(i, _)| i));
    bad.sort_unstable();
    let mut response = SqsBatchResponse::default();
    for i in bad {
        let record = &event.records[i];
        if parsed[i].is_none() {
            warn!(message_id = record.message_id.as_deref().unwrap_or(""), "message is not a lead event");
        }
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = record.message_id.clone().unwrap_or_default();
        response.batch_item_failures.push(failure);
    }
    response
}
