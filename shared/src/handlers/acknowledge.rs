//! The acknowledge consumer: one SQS batch in, the ids of failed messages out
//! (`ReportBatchItemFailures`), so a bad message is retried alone and, after the queue's
//! `maxReceiveCount`, lands in the dead-letter queue instead of replaying its neighbours.

use super::lead_batch;
use crate::app::acknowledge::{acknowledge, AckError, AckOutcome};
use crate::app::Services;
use crate::domain::{LeadEvent, LeadId};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use std::collections::HashMap;
use tracing::{info, warn, Instrument};

/// Handles one batch. Leads are processed concurrently; several records about the same lead
/// (a capture and a repeat inquiry) are handled once and share the outcome, instead of racing
/// for the lead's claim and sending the loser back for a full visibility timeout.
pub async fn handle(services: &Services, event: SqsEvent) -> SqsBatchResponse {
    let parsed = lead_batch::parse(&event);
    let leaders = lead_batch::leaders(&parsed);
    let results =
        join_all(leaders.iter().map(|&i| process(services, &event.records[i], parsed[i].as_ref().expect("leaders parsed")))).await;
    let ok_by_lead: HashMap<LeadId, bool> =
        leaders.iter().zip(results).map(|(&i, ok)| (parsed[i].as_ref().expect("leaders parsed").lead_id, ok)).collect();
    lead_batch::response(&event, &parsed, &ok_by_lead)
}

/// Handles one lead's event; `false` sends its records back to the queue.
async fn process(services: &Services, record: &SqsMessage, event: &LeadEvent) -> bool {
    let message_id = record.message_id.as_deref().unwrap_or("");
    let span = tracing::info_span!("acknowledge", lead_id = %event.lead_id, event_id = %event.id, message_id);
    async {
        // A repeat inquiry may hold a new contact point: its confirmation link goes to the
        // address the lead already has (once per point).
        if event.kind == crate::domain::LeadEventKind::InquiryRepeated {
            if let Err(e) = crate::app::contact_points::request_confirmations(services, event.lead_id).await {
                warn!(error = %e, "confirmation link not sent; the message will be retried");
                return false;
            }
        }
        match acknowledge(services, event).await {
            Ok(AckOutcome::Sent { .. }) => true,
            Ok(AckOutcome::AlreadyDone) => {
                info!("already acknowledged");
                true
            }
            Ok(AckOutcome::Skipped(reason)) => {
                info!(reason = reason.as_str(), "acknowledgement not sent");
                true
            }
            Ok(AckOutcome::Paced { until }) => {
                info!(until = %until, "acknowledgement handed back to the queue for its slot");
                true
            }
            Ok(AckOutcome::Rejected) => {
                warn!("the SMS provider refused the acknowledgement");
                true
            }
            Err(AckError::Busy) => {
                info!("another copy holds the acknowledgement; retrying later");
                false
            }
            Err(e) => {
                warn!(error = %e, "acknowledgement failed; the message will be retried");
                false
            }
        }
    }
    .instrument(span)
    .await
}
