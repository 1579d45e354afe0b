//! The webhook worker: one SQS batch of jobs in, the ids of failed records out
//! (`ReportBatchItemFailures`). Each job names a stored event; handling it is idempotent, so a
//! retried record changes nothing that was already done.

use crate::app::inbound::{process, ProcessError};
use crate::app::Services;
use crate::domain::inbound::InboundJob;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use tracing::{info, warn};

/// Handles one batch; records about the same event are handled once.
pub async fn handle(services: &Services, event: SqsEvent) -> SqsBatchResponse {
    let jobs: Vec<Option<InboundJob>> =
        event.records.iter().map(|r| r.body.as_deref().and_then(|b| InboundJob::from_json(b).ok())).collect();
    let results = join_all(jobs.iter().map(|job| async move {
        match job {
            None => {
                warn!("message is not a webhook job");
                false
            }
            Some(job) => match process(services, job).await {
                Ok(outcome) => {
                    info!(provider = job.provider.as_str(), outcome = %outcome, "webhook job done");
                    true
                }
                Err(ProcessError::Busy) => false,
                // The reply waits for the sender: the job goes back to the queue for its time
                // (a fresh message, so waiting never counts toward the dead-letter queue).
                Err(ProcessError::Paced { until }) => {
                    let delay = until - services.clock.now();
                    match services.jobs.enqueue_later(job, delay).await {
                        Ok(()) => {
                            info!(provider = job.provider.as_str(), until = %until, "webhook job paced");
                            true
                        }
                        Err(e) => {
                            warn!(error = %e, "could not hand the paced job back; the queue retries it");
                            false
                        }
                    }
                }
                Err(e) => {
                    warn!(provider = job.provider.as_str(), error = %e, "webhook job failed; it will be retried");
                    false
                }
            },
        }
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (record, ok) in event.records.iter().zip(results) {
        if !ok {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = record.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}
