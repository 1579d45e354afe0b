//! An in-process queue per consumer with SQS's delivery rules: a received message stays
//! invisible for the visibility timeout and comes back unless deleted; after
//! `max_receive_count` receives it moves to the consumer's dead-letter list.

use crate::domain::inbound::InboundJob;
use crate::domain::LeadEvent;
use crate::ports::{Clock, Consumer, EventQueue, JobQueue, QueueError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
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
    /// A delayed message (`publish_later`): not delivered before this time of the injected clock.
    not_before: Option<DateTime<Utc>>,
}

impl Stored {
    /// Whether it is delayed to a time of the clock still to come.
    fn delayed_past(&self, now: DateTime<Utc>) -> bool {
        self.not_before.is_some_and(|t| t > now)
    }
}

#[derive(Default)]
struct Lane {
    ready: VecDeque<Stored>,
    in_flight: HashMap<String, Stored>,
    dead: Vec<Stored>,
}

struct Inner {
    settings: QueueSettings,
    /// Delays are measured on this clock, so a test on a manual clock moves them with time.
    clock: Arc<dyn Clock>,
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
        Self::with_clock(settings, Arc::new(crate::ports::SystemClock))
    }

    /// A queue whose delayed messages follow `clock`.
    pub fn with_clock(settings: QueueSettings, clock: Arc<dyn Clock>) -> Self {
        MemoryQueue {
            inner: Arc::new(Inner {
                settings,
                clock,
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
        self.send_at(consumer, body, None)
    }

    /// Puts a body on a consumer's queue, delivered no earlier than `not_before` on the clock.
    fn send_at(&self, consumer: Consumer, body: &str, not_before: Option<DateTime<Utc>>) -> String {
        let id = format!("msg-{:08}", self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let stored = Stored { id: id.clone(), body: body.to_string(), receive_count: 0, visible_at: Instant::now(), not_before };
        self.lanes().entry(consumer).or_default().ready.push_back(stored);
        if let Some(n) = self.inner.notify.get(&consumer) {
            n.notify_one();
        }
        id
    }

    /// Receives up to `max` visible messages, hiding them for the visibility timeout.
    pub fn receive(&self, consumer: Consumer, max: usize) -> Vec<QueuedMessage> {
        let now = Instant::now();
        let clock_now = self.inner.clock.now();
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
            if out.len() >= max || m.visible_at > now || m.delayed_past(clock_now) {
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

    /// When the next hidden message becomes visible again. A message delayed to a later time of
    /// the clock is not counted: on a manual clock nothing knows when that comes, so a poller
    /// finds it on its regular round once it is due.
    pub fn next_visible(&self, consumer: Consumer) -> Option<Instant> {
        let clock_now = self.inner.clock.now();
        let lanes = self.lanes();
        let lane = lanes.get(&consumer)?;
        lane.in_flight.values().chain(lane.ready.iter()).filter(|m| !m.delayed_past(clock_now)).map(|m| m.visible_at).min()
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

    /// Messages delayed until later on the clock (`publish_later`).
    pub fn delayed(&self, consumer: Consumer) -> usize {
        let now = self.inner.clock.now();
        self.lanes().get(&consumer).map_or(0, |l| l.ready.iter().filter(|m| m.delayed_past(now)).count())
    }

    /// Messages waiting or in flight.
    pub fn depth(&self, consumer: Consumer) -> usize {
        self.lanes().get(&consumer).map_or(0, |l| l.ready.len() + l.in_flight.len())
    }

    /// Messages due or in flight on every consumer's queue, counted at one instant. A handler
    /// publishes what follows from its message before that message is deleted, so 0 means no
    /// message is left to handle now and no consumer is handling one; summing [`Self::depth`]
    /// per consumer could miss a message moving from one queue to another between the reads.
    /// A message delayed to a later time of the clock ([`Self::delayed`]: a text waiting for
    /// the sender's next free second) is not counted until that time comes, or waiting for the
    /// queues to empty on a manual clock would never end.
    pub fn total_depth(&self) -> usize {
        let now = self.inner.clock.now();
        self.lanes().values().map(|l| l.ready.iter().filter(|m| !m.delayed_past(now)).count() + l.in_flight.len()).sum()
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

    async fn send(&self, consumer: Consumer, event: &LeadEvent) -> Result<(), QueueError> {
        let failing = &self.inner.failing_publishes;
        if failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(QueueError::Unavailable("injected failure".into()));
        }
        self.send_raw(consumer, &event.to_json());
        Ok(())
    }

    async fn publish_later(&self, consumer: Consumer, event: &LeadEvent, delay: chrono::Duration) -> Result<(), QueueError> {
        let at = self.inner.clock.now() + chrono::Duration::seconds(i64::from(crate::ports::queue::delay_seconds(delay)));
        self.send_at(consumer, &event.to_json(), Some(at));
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

    async fn enqueue_later(&self, job: &InboundJob, delay: chrono::Duration) -> Result<(), QueueError> {
        let at = self.inner.clock.now() + chrono::Duration::seconds(i64::from(crate::ports::queue::delay_seconds(delay)));
        self.send_at(Consumer::Webhooks, &job.to_json(), Some(at));
        Ok(())
    }
}
