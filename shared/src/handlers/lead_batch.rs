//! What the lead-event queue consumers share: reading a batch's records as lead events, handling
//! each lead once per batch, and answering with the records to retry (`ReportBatchItemFailures`).

use crate::domain::{LeadEvent, LeadId};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use std::collections::HashMap;
use tracing::warn;

/// Each record's lead event; `None` for a body that is not one.
pub fn parse(event: &SqsEvent) -> Vec<Option<LeadEvent>> {
    event.records.iter().map(|r| r.body.as_deref().and_then(|b| LeadEvent::from_json(b).ok())).collect()
}

/// The index of the first record about each lead, in batch order: several records about one
/// lead are handled once, by the first, instead of racing each other.
pub fn leaders(parsed: &[Option<LeadEvent>]) -> Vec<usize> {
    let mut first: HashMap<LeadId, usize> = HashMap::new();
    for (i, e) in parsed.iter().enumerate() {
        if let Some(e) = e {
            first.entry(e.lead_id).or_insert(i);
        }
    }
    let mut order: Vec<usize> = first.into_values().collect();
    order.sort_unstable();
    order
}

/// The records to send back: those about a lead whose handling failed, and those that are not
/// lead events (retries cannot fix them; failing them routes them to the dead-letter queue,
/// where they can be inspected, rather than dropping them).
pub fn response(event: &SqsEvent, parsed: &[Option<LeadEvent>], ok_by_lead: &HashMap<LeadId, bool>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for (record, e) in event.records.iter().zip(parsed) {
        let ok = match e {
            Some(e) => ok_by_lead.get(&e.lead_id).copied().unwrap_or(false),
            None => {
                warn!(message_id = record.message_id.as_deref().unwrap_or(""), "message is not a lead event");
                false
            }
        };
        if !ok {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = record.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}
