//! An in-process queue per consumer with SQS's delivery rules: a received message stays
//! invisible for the visibility timeout and comes back unless deleted; after
//! `max_receive_count` receives it moves to the consumer's dead-letter list.

use crate::domain::inbound::InboundJob;
use crate::domain::LeadEvent;
use crate::ports::{Consumer, EventQueue, JobQueue, QueueError};
use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Delivery settings, as on an SQS queue with a redrive policy.
#[derive(Debug, Clone, Copy)]
pub struct QueueSettings {
    pub visibility_timeout: Duration,
    pub max_receive_count: u32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings { visibility_timeout: Duration::from_secs(2), max_receive_count: 3 }
    }
}

/// A message as a receiver sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// How many times it has been received, this time included.
    pub receive_count: u32,
}

#[derive(Debug, Clone)]
struct Stored {
    id: String,
    body: String,
    receive_count: u32,
    visible_at: Instant,
}

#[derive(Default)]
struct Lane {
    ready: VecDeque<Stored>,
    in_flight: HashMap<String, Stored>,
    dead: Vec<Stored>,
}

struct Inner {
    settings: QueueSettings,
    lanes: Mutex<HashMap<Consumer, Lane>>,
    notify: HashMap<Consumer, Notify>,
    next_id: AtomicU64,
    failing_publishes: AtomicU32,
}

/// The embedded queue. Cloning shares it.
#[derive(Clone)]
pub struct MemoryQueue {
    inner: Arc<Inner>,
}

impl Default for MemoryQueue {
    fn default() -> Self {
        Self::new(QueueSettings::default())
    }
}

impl MemoryQueue {
    pub fn new(settings: QueueSettings) -> Self {
        MemoryQueue {
            inner: Arc::new(Inner {
                settings,
                lanes: Mutex::new(Consumer::ALL.iter().map(|c| (*c, Lane::default())).collect()),
                notify: Consumer::ALL.iter().map(|c| (*c, Notify::new())).collect(),
                next_id: AtomicU64::new(1),
                failing_publishes: AtomicU32::new(0),
            }),
        }
    }

    pub fn settings(&self) -> QueueSettings {
        self.inner.settings
    }

    fn lanes(&self) -> MutexGuard<'_, HashMap<Consumer, Lane>> {
        self.inner.lanes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the next `n` publishes fail (to test what happens when the queue is down).
    pub fn fail_next_publishes(&self, n: u32) {
        self.inner.failing_publishes.store(n, Ordering::SeqCst);
    }

    /// Puts a raw body on a consumer's queue (tests send malformed messages this way).
    pub fn send_raw(&self, consumer: Consumer, body: &str) -> String {
        let id = format!("msg-{:08}", self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let stored = Stored { id: id.clone(), body: body.to_string(), receive_count: 0, visible_at: Instant::now() };
        self.lanes().entry(consumer).or_default().ready.push_back(stored);
        if let Some(n) = self.inner.notify.get(&consumer) {
            n.notify_one();
        }
        id
    }

    /// Receives up to `max` visible messages, hiding them for the visibility timeout.
    pub fn receive(&self, consumer: Consumer, max: usize) -> Vec<QueuedMessage> {
        let now = Instant::now();
        let settings = self.inner.settings;
        let mut lanes = self.lanes();
        let lane = lanes.entry(consumer).or_default();
        // Messages whose visibility timeout ran out come back.
        let expired: Vec<String> = lane.in_flight.iter().filter(|(_, m)| m.visible_at <= now).map(|(k, _)| k.clone()).collect();
        for receipt in expired {
            if let Some(m) = lane.in_flight.remove(&receipt) {
                lane.ready.push_back(m);
            }
        }
        let mut out = Vec::new();
        let mut keep = VecDeque::new();
        while let Some(mut m) = lane.ready.pop_front() {
            if out.len() >= max || m.visible_at > now {
                keep.push_back(m);
                continue;
            }
            if m.receive_count >= settings.max_receive_count {
                lane.dead.push(m);
                continue;
            }
            m.receive_count += 1;
            m.visible_at = now + settings.visibility_timeout;
            let receipt = format!("{}#{}", m.id, m.receive_count);
            out.push(QueuedMessage {
                message_id: m.id.clone(),
                receipt_handle: receipt.clone(),
                body: m.body.clone(),
                receive_count: m.receive_count,
            });
            lane.in_flight.insert(receipt, m);
        }
        lane.ready = keep;
        out
    }

    /// Deletes a received message (it was handled).
    pub fn delete(&self, consumer: Consumer, receipt_handle: &str) {
        if let Some(lane) = self.lanes().get_mut(&consumer) {
            lane.in_flight.remove(receipt_handle);
        }
    }

    /// Waits until something is sent to `consumer` or `timeout` passes.
    pub async fn wait(&self, consumer: Consumer, timeout: Duration) {
        if let Some(n) = self.inner.notify.get(&consumer) {
            let _ = tokio::time::timeout(timeout, n.notified()).await;
        }
    }

    /// When the next hidden message becomes visible again.
    pub fn next_visible(&self, consumer: Consumer) -> Option<Instant> {
        let lanes = self.lanes();
        let lane = lanes.get(&consumer)?;
        lane.in_flight.values().chain(lane.ready.iter()).map(|m| m.visible_at).min()
    }

    /// Messages moved to the dead-letter list.
    pub fn dead_letters(&self, consumer: Consumer) -> Vec<QueuedMessage> {
        self.lanes()
            .get(&consumer)
            .map(|l| {
                l.dead
                    .iter()
                    .map(|m| QueuedMessage {
                        message_id: m.id.clone(),
                        receipt_handle: String::new(),
                        body: m.body.clone(),
                        receive_count: m.receive_count,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Messages waiting or in flight.
    pub fn depth(&self, consumer: Consumer) -> usize {
        self.lanes().get(&consumer).map_or(0, |l| l.ready.len() + l.in_flight.len())
    }

    /// Messages waiting or in flight on every consumer's queue, counted at one instant. A
    /// handler publishes what follows from its message before that message is deleted, so 0
    /// means no message is left and no consumer is handling one; summing [`Self::depth`] per
    /// consumer could miss a message moving from one queue to another between the reads.
    pub fn total_depth(&self) -> usize {
        self.lanes().values().map(|l| l.ready.len() + l.in_flight.len()).sum()
    }
}

#[async_trait]
impl EventQueue for MemoryQueue {
    async fn publish(&self, event: &LeadEvent) -> Result<(), QueueError> {
        let failing = &self.inner.failing_publishes;
        if failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(QueueError::Unavailable("injected failure".into()));
        }
        let body = event.to_json();
        for consumer in Consumer::of(event.kind) {
            self.send_raw(*consumer, &body);
        }
        Ok(())
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn enqueue(&self, job: &InboundJob) -> Result<(), QueueError> {
        let failing = &self.inner.failing_publishes;
        if failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(QueueError::Unavailable("injected failure".into()));
        }
        self.send_raw(Consumer::Webhooks, &job.to_json());
        Ok(())
    }
}
