//! Lambda entry points. Each takes the event exactly as Lambda delivers it (a `lambda_http`
//! request, an `SqsEvent`) and the process's [`Services`](crate::app::Services); the Lambda
//! binaries and the local runner call these same functions.

pub mod acknowledge;
pub mod audit;
pub mod forms;
pub mod guard;
pub mod intake;
pub mod lead_batch;
pub mod leads_api;
pub mod links;
pub mod people;
pub mod relay;
pub mod request;
pub mod webhook_worker;
pub mod webhooks;

// Scoring, routing, SLAs.
pub mod contacts;
pub mod score;
pub mod sla;
pub mod staff;
pub mod team;
pub mod touchpoints;

// Attribution and KPIs.
pub mod analytics;
// Data hygiene: duplicates and merges.
pub mod hygiene;
pub mod merges;
// Follow-up cadences.
pub mod cadence;
pub mod cadence_api;
pub mod followup;
// Data hygiene.
pub mod reports;
pub mod sources;
pub mod unsubscribe;
pub mod weekly_summary;

use crate::app::Services;
use crate::ports::Consumer;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};

/// Runs the handler of a queue consumer (the local runner and tests route batches here).
pub async fn consume(services: &Services, consumer: Consumer, event: SqsEvent) -> SqsBatchResponse {
    match consumer {
        Consumer::Acknowledge => acknowledge::handle(services, event).await,
        Consumer::Score => score::handle(services, event).await,
        Consumer::Webhooks => webhook_worker::handle(services, event).await,
        Consumer::Analytics => analytics::handle(services, event).await,
        Consumer::Cadence => cadence::handle(services, event).await,
    }
}
