//! The embedded counterpart of the relay's DynamoDB stream and its event source mapping: reads
//! the outbox records the embedded store wrote, in order, hands them to the relay handler as a
//! DynamoDB stream event (keys only, as in AWS), moves past what succeeded, retries from the
//! first failure, and after `max_attempts` sets a record aside (the on-failure destination) so
//! one bad record cannot hold up the rest. One batch at a time, like a shard.

use super::store::MemoryStore;
use crate::domain::LeadEvent;
use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::DynamoDbEventResponse;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// Records per batch (the mapping's batch size in `template.yaml`).
pub const BATCH_SIZE: usize = 100;

/// Attempts per record before it is set aside (the mapping's `MaximumRetryAttempts` + 1).
pub const MAX_ATTEMPTS: u32 = 10;

#[derive(Default)]
struct Cursor {
    /// The position of the next record to hand over.
    next: usize,
    /// Failed attempts at `next`.
    attempts: u32,
    /// Records set aside after their attempts ran out.
    failed: Vec<LeadEvent>,
}

/// The stream over one embedded store. Cloning shares the position.
#[derive(Clone)]
pub struct MemoryStream {
    store: MemoryStore,
    max_attempts: u32,
    cursor: Arc<Mutex<Cursor>>,
}

/// The stream event Lambda would deliver for these outbox records.
pub fn stream_event(records: &[(usize, LeadEvent)]) -> Event {
    let mut event = Event::default();
    event.records = records
        .iter()
        .map(|(seq, e)| {
            let (pk, sk) = crate::ports::outbox::record_key(e);
            let mut r = EventRecord::default();
            r.event_name = "INSERT".into();
            r.event_id = format!("embedded-{seq}");
            r.event_source = Some("aws:dynamodb".into());
            r.aws_region = "local".into();
            r.change.keys = HashMap::from([
                ("PK".to_string(), serde_dynamo::AttributeValue::S(pk)),
                ("SK".to_string(), serde_dynamo::AttributeValue::S(sk)),
            ])
            .into();
            r.change.sequence_number = Some(seq.to_string());
            r.change.stream_view_type = Some(aws_lambda_events::dynamodb::StreamViewType::KeysOnly);
            r
        })
        .collect();
    event
}

impl MemoryStream {
    pub fn new(store: MemoryStore, max_attempts: u32) -> Self {
        MemoryStream { store, max_attempts: max_attempts.max(1), cursor: Arc::new(Mutex::new(Cursor::default())) }
    }

    /// Hands the next batch to `handler`; returns how many records it handed over (0: nothing new).
    pub async fn poll_once<F, Fut>(&self, handler: &F) -> usize
    where
        F: Fn(Event) -> Fut,
        Fut: Future<Output = DynamoDbEventResponse>,
    {
        let mut cursor = self.cursor.lock().await;
        let records = self.store.outbox_records(cursor.next, BATCH_SIZE);
        if records.is_empty() {
            return 0;
        }
        let response = handler(stream_event(&records)).await;
        let failed_at = response.batch_item_failures.iter().filter_map(|f| f.item_identifier.as_deref()?.parse::<usize>().ok()).min();
        match failed_at {
            None => {
                cursor.next = records.last().map_or(cursor.next, |(seq, _)| seq + 1);
                cursor.attempts = 0;
            }
            Some(seq) => {
                if seq > cursor.next {
                    cursor.attempts = 0;
                }
                cursor.next = seq;
                cursor.attempts += 1;
                if cursor.attempts >= self.max_attempts {
                    if let Some((_, e)) = records.iter().find(|(s, _)| *s == seq) {
                        tracing::error!(lead_id = %e.lead_id, event_id = %e.id, "outbox record set aside after its retries (on-failure destination)");
                        cursor.failed.push(e.clone());
                    }
                    cursor.next = seq + 1;
                    cursor.attempts = 0;
                }
            }
        }
        records.len()
    }

    /// Hands over batches until nothing new is left (tests run the relay to completion this way).
    pub async fn drain<F, Fut>(&self, handler: &F) -> usize
    where
        F: Fn(Event) -> Fut,
        Fut: Future<Output = DynamoDbEventResponse>,
    {
        let mut total = 0;
        loop {
            let n = self.poll_once(handler).await;
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// Runs the mapping forever: wakes when a record is written, backs off a little after a failure.
    pub async fn run<F, Fut>(self, handler: F)
    where
        F: Fn(Event) -> Fut,
        Fut: Future<Output = DynamoDbEventResponse>,
    {
        loop {
            let before = self.position().await;
            if self.poll_once(&handler).await > 0 {
                if self.position().await.0 == before.0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
            self.store.outbox_wait(Duration::from_secs(1)).await;
        }
    }

    async fn position(&self) -> (usize, u32) {
        let c = self.cursor.lock().await;
        (c.next, c.attempts)
    }

    /// Records set aside after their retries ran out (the on-failure destination).
    pub async fn failed(&self) -> Vec<LeadEvent> {
        self.cursor.lock().await.failed.clone()
    }

    /// Outbox records not yet handed over successfully.
    pub async fn pending(&self) -> usize {
        let next = self.cursor.lock().await.next;
        self.store.outbox_records(next, usize::MAX).len()
    }
}
