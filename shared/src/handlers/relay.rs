//! The outbox relay's entry point: a batch of DynamoDB stream records (keys only) in, the first
//! record that could not be delivered out (`ReportBatchItemFailures`): the stream retries from
//! there, in order, and after its bounded retries sends the batch's description to the relay's
//! on-failure queue (alarmed). Records that are not outbox records (the lead items, timeline
//! entries, claims of the same table) pass through; the event source mapping's filter keeps
//! most of them away in AWS.

use crate::app::relay::deliver;
use crate::app::Services;
use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use tracing::{error, warn, Instrument};

/// The event a stream record announces: an outbox record's insert; `None` for anything else.
pub fn outbox_event(record: &EventRecord) -> Option<crate::domain::LeadEvent> {
    if record.event_name != "INSERT" {
        return None;
    }
    let key = |name: &str| match record.change.keys.get(name) {
        Some(serde_dynamo::AttributeValue::S(v)) => Some(v.as_str()),
        _ => None,
    };
    let sk = key("SK")?;
    if !sk.starts_with(crate::ports::outbox::PREFIX) {
        return None;
    }
    let event = crate::ports::outbox::event_from_key(key("PK")?, sk);
    if event.is_none() {
        // Cannot become deliverable by retrying: logged for the operator, and passed.
        error!(sequence = record.change.sequence_number.as_deref().unwrap_or(""), "malformed outbox record key");
    }
    event
}

/// Handles one batch, in order; stops at the first failure.
pub async fn handle(services: &Services, event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let Some(e) = outbox_event(record) else { continue };
        let span = tracing::info_span!("relay", lead_id = %e.lead_id, event_id = %e.id, event = e.kind.as_str());
        if let Err(err) = deliver(services, &e).instrument(span).await {
            warn!(lead_id = %e.lead_id, event_id = %e.id, error = %err, "outbox event not delivered; the stream retries it");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}
