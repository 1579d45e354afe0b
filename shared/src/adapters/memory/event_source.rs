//! The embedded counterpart of Lambda's SQS event source mapping: polls a consumer's queue,
//! hands batches of up to ten records to the handler as an `SqsEvent`, deletes what succeeded
//! and leaves failures to reappear after the visibility timeout (and, in the end, in the
//! dead-letter list).

use super::queue::{MemoryQueue, QueuedMessage};
use crate::ports::Consumer;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

/// Records per batch, as Lambda's default for SQS.
pub const BATCH_SIZE: usize = 10;

/// Builds the event Lambda would deliver for these messages.
pub fn sqs_event(consumer: Consumer, messages: &[QueuedMessage]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut r = SqsMessage::default();
            r.message_id = Some(m.message_id.clone());
            r.receipt_handle = Some(m.receipt_handle.clone());
            r.body = Some(m.body.clone());
            r.attributes.insert("ApproximateReceiveCount".into(), m.receive_count.to_string());
            r.event_source = Some("aws:sqs".into());
            r.event_source_arn = Some(format!("arn:aws:sqs:local:000000000000:{}", consumer.as_str()));
            r.aws_region = Some("local".into());
            r
        })
        .collect();
    event
}

/// Receives one batch, runs the handler, deletes the successes. Returns how many messages were
/// handed over (0 when the queue had nothing visible).
pub async fn poll_once<F, Fut>(queue: &MemoryQueue, consumer: Consumer, handler: &F) -> usize
where
    F: Fn(SqsEvent) -> Fut,
    Fut: Future<Output = SqsBatchResponse>,
{
    let messages = queue.receive(consumer, BATCH_SIZE);
    if messages.is_empty() {
        return 0;
    }
    let response = handler(sqs_event(consumer, &messages)).await;
    let failed: HashSet<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    for m in &messages {
        if !failed.contains(m.message_id.as_str()) {
            queue.delete(consumer, &m.receipt_handle);
        }
    }
    messages.len()
}

/// Polls until the queue has nothing visible (tests use this to run consumers to completion).
pub async fn drain<F, Fut>(queue: &MemoryQueue, consumer: Consumer, handler: &F) -> usize
where
    F: Fn(SqsEvent) -> Fut,
    Fut: Future<Output = SqsBatchResponse>,
{
    let mut total = 0;
    loop {
        let n = poll_once(queue, consumer, handler).await;
        if n == 0 {
            return total;
        }
        total += n;
    }
}

/// Runs the mapping forever: wakes at once when a message is sent, or when a hidden message
/// becomes visible again.
pub async fn run<F, Fut>(queue: MemoryQueue, consumer: Consumer, handler: F)
where
    F: Fn(SqsEvent) -> Fut,
    Fut: Future<Output = SqsBatchResponse>,
{
    loop {
        if poll_once(&queue, consumer, &handler).await > 0 {
            continue;
        }
        let wait = queue
            .next_visible(consumer)
            .map(|at| at.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(1))
            .clamp(Duration::from_millis(1), Duration::from_secs(1));
        queue.wait(consumer, wait).await;
    }
}
