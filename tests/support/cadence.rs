//! A world for follow-up cadence scenarios, on the embedded adapters or on moto (DynamoDB, SQS,
//! SNS, SES), driven by a manual clock: capture leads through intake, play the queue consumers
//! (moto runs no Lambda triggers: messages are read from SQS and handed to the handlers), run
//! the scheduled functions, and read what was sent.

use crate::aws::{MotoAws, TestQueues};
use aws_lambda_events::sqs::SqsEvent;
use chrono::{DateTime, Duration, Utc};
use leadflow::adapters::aws::sqs::{delete_message, receive_records, ReceiveOptions};
use leadflow::adapters::memory::QueueSettings;
use leadflow::app::intake::{capture, IntakeRequest};
use leadflow::app::Services;
use leadflow::config::Config;
use leadflow::domain::intake_form::RawSubmission;
use leadflow::domain::{Lead, LeadId};
use leadflow::ports::schedule::minute_of;
use leadflow::ports::{Consumer, ManualClock};
use leadflow::wiring::embedded::EmbeddedSystem;
use serde_json::Value;
use std::sync::Arc;

/// The kinds of timed work the scheduled functions run (cadence steps, the SLA ladder,
/// appointment reminders, the watch over stored inquiries, score decay checkpoints).
pub const DUE_KINDS: [&str; 5] = ["cadence", "sla", "reminder", "watch", "decay"];

/// Which adapters a world runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Embedded,
    Moto,
}

pub async fn embedded() -> Kind {
    Kind::Embedded
}

pub async fn moto() -> Kind {
    Kind::Moto
}

enum Backend {
    Embedded(Box<EmbeddedSystem>),
    Moto { aws: Box<MotoAws>, queues: Box<TestQueues>, stream: Box<crate::aws::StreamRelay> },
}

/// Services on one backend and a manual clock.
pub struct World {
    pub services: Services,
    pub clock: Arc<ManualClock>,
    backend: Backend,
}

/// One `cadence_step` timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub name: String,
    pub outcome: String,
    pub at: DateTime<Utc>,
    pub entry: Value,
}

impl World {
    /// A world with `config`, its clock at `at`.
    pub async fn new(kind: Kind, config: Config, at: DateTime<Utc>) -> World {
        let clock = Arc::new(ManualClock::new(at));
        match kind {
            Kind::Embedded => {
                // A failed message is visible again at once, so a drain retries it (and finally
                // dead-letters it) there and then: what a drain does never depends on how much
                // real time passed.
                let settings = QueueSettings { visibility_timeout: std::time::Duration::ZERO, max_receive_count: 3 };
                let system = EmbeddedSystem::with_queue_settings(config, clock.clone(), settings).with_webhooks(crate::webhooks::context());
                World { services: system.services.clone(), clock, backend: Backend::Embedded(Box::new(system)) }
            }
            Kind::Moto => {
                let aws = MotoAws::connect().await;
                let store = Arc::new(aws.fresh_store().await);
                let stream = crate::aws::StreamRelay::open(&aws, store.table()).await;
                let queues = aws.fresh_queues(std::time::Duration::from_secs(30)).await;
                let notifier = aws.team_notifier(&config).await;
                let services = Services {
                    config: Arc::new(config),
                    notifier: Arc::new(notifier),
                    webhooks: Arc::new(crate::webhooks::context()),
                    ..aws.services(store, &queues, clock.clone()).await
                };
                World { services, clock, backend: Backend::Moto { aws: Box::new(aws), queues: Box::new(queues), stream: Box::new(stream) } }
            }
        }
    }

    /// Sends lead events through `queue` from now on (a wrapper that fails or records sends),
    /// for intake's outbox relay and every step alike.
    pub fn set_queue(&mut self, queue: Arc<dyn leadflow::ports::EventQueue>) {
        self.services.queue = queue.clone();
        if let Backend::Embedded(s) = &mut self.backend {
            s.services.queue = queue;
        }
    }

    /// The embedded system, when the world runs on it.
    pub fn embedded(&self) -> Option<&EmbeddedSystem> {
        match &self.backend {
            Backend::Embedded(s) => Some(s),
            Backend::Moto { .. } => None,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        leadflow::ports::Clock::now(self.clock.as_ref())
    }

    /// Runs every queue consumer until nothing is left (as Lambda's SQS triggers would).
    pub async fn drain(&self) {
        match &self.backend {
            Backend::Embedded(s) => {
                s.drain_queues().await;
            }
            Backend::Moto { aws, queues, stream } => loop {
                // The outbox relay first (the table's stream), then every consumer's queue.
                let mut any = stream.relay(&self.services).await > 0;
                for consumer in Consumer::ALL {
                    let pair = queues.pair(consumer);
                    let opts = ReceiveOptions { max_messages: 10, wait: std::time::Duration::ZERO, visibility_timeout: None };
                    let records = receive_records(&aws.sqs, &pair.main, opts).await.expect("receive");
                    if records.is_empty() {
                        continue;
                    }
                    any = true;
                    let mut event = SqsEvent::default();
                    event.records = records.clone();
                    let failed = leadflow::handlers::consume(&self.services, consumer, event).await.batch_item_failures;
                    for r in &records {
                        if !failed.iter().any(|f| Some(&f.item_identifier) == r.message_id.as_ref()) {
                            delete_message(&aws.sqs, &pair.main.url, r.receipt_handle.as_deref().unwrap()).await.expect("delete");
                        }
                    }
                    assert!(failed.is_empty(), "{consumer:?} failed {} messages", failed.len());
                }
                if !any {
                    break;
                }
            },
        }
    }

    /// One run of each scheduled function (the SLA checker and the follow-up function) at the
    /// clock's now, with the consumers drained before and after.
    pub async fn tick(&self) {
        self.drain().await;
        leadflow::app::sla::tick(&self.services).await.expect("sla tick");
        self.drain().await;
        leadflow::app::timed_work::tick(&self.services).await.expect("followup tick");
        self.drain().await;
    }

    /// Captures an inquiry through intake and lets the consumers run.
    pub async fn capture(&self, fields: &[(&str, &str)]) -> LeadId {
        let submission =
            RawSubmission { fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ip: None, user_agent: None };
        let id = capture(&self.services, IntakeRequest { submission, idempotency_key: None }).await.unwrap().lead_id;
        self.drain().await;
        id
    }

    pub async fn lead(&self, id: LeadId) -> Lead {
        self.services.leads.get(id).await.unwrap().unwrap()
    }

    /// Moves time to `to`, running the scheduled functions at every due time of these leads'
    /// items on the way. Idle minutes in between are skipped by moving the scheduler's cursors,
    /// exactly as ticks that found nothing due would have (so a week costs a few queries).
    pub async fn fast_forward(&self, leads: &[LeadId], to: DateTime<Utc>) {
        for _ in 0..10_000 {
            let mut next: Option<DateTime<Utc>> = None;
            for id in leads {
                for kind in DUE_KINDS {
                    if let Some(item) = self.services.due.get(kind, &id.to_string()).await.unwrap() {
                        next = Some(next.map_or(item.due_at, |n| n.min(item.due_at)));
                    }
                }
            }
            let target = next.map_or(to, |n| n.min(to)).max(self.now());
            // Never past an item still pending (one may be overdue already).
            self.skip_idle_until(next.map_or(target, |n| n.min(target))).await;
            self.clock.set(target);
            self.tick().await;
            if target >= to {
                return;
            }
            if next.is_some_and(|n| n <= self.now()) {
                // Due now but not handled in this tick (held, retried): let a minute pass.
                self.clock.set(self.now() + Duration::minutes(1));
                self.tick().await;
            }
        }
        let mut pending = Vec::new();
        for id in leads {
            for kind in DUE_KINDS {
                if let Some(item) = self.services.due.get(kind, &id.to_string()).await.unwrap() {
                    pending.push(format!("{kind} {} due {} attempts {} {}", item.key, item.due_at, item.attempts, item.payload));
                }
            }
        }
        panic!("fast_forward did not reach {to} (now {}): {pending:?}", self.now());
    }

    /// Moves the scheduler's cursors to just before `target`, as idle ticks would have.
    pub async fn skip_idle_until(&self, target: DateTime<Utc>) {
        let to = minute_of(target) - Duration::minutes(2);
        for kind in DUE_KINDS {
            let cur = self.services.due.cursor(kind).await.unwrap();
            if cur.is_none_or(|c| c < to) {
                self.services.due.advance_cursor(kind, cur, to).await.unwrap();
            }
        }
    }

    /// Ticks every minute until `to` (no shortcut).
    pub async fn every_minute_until(&self, to: DateTime<Utc>) {
        while self.now() < to {
            self.clock.set(self.now() + Duration::minutes(1));
            self.tick().await;
        }
    }

    /// Every `cadence_step` entry of a lead, in order.
    pub async fn steps(&self, id: LeadId) -> Vec<StepRow> {
        self.entries(id, "cadence_step")
            .await
            .into_iter()
            .map(|e| StepRow {
                name: e["name"].as_str().unwrap().to_string(),
                outcome: e["outcome"]["result"].as_str().unwrap().to_string(),
                at: serde_json::from_value(e["at"].clone()).unwrap(),
                entry: e,
            })
            .collect()
    }

    /// The steps that did something (anything but a deferral): `(name, outcome, at)`.
    pub async fn attempts(&self, id: LeadId) -> Vec<(String, String, DateTime<Utc>)> {
        self.steps(id).await.into_iter().filter(|s| s.outcome != "deferred").map(|s| (s.name, s.outcome, s.at)).collect()
    }

    /// Timeline entries of one type, as JSON.
    pub async fn entries(&self, id: LeadId, kind: &str) -> Vec<Value> {
        self.services
            .timeline
            .list(id, None, 1000)
            .await
            .unwrap()
            .items
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .filter(|v| v["type"] == kind)
            .collect()
    }

    /// Texts that went to `e164` (the outbox, or moto's SNS record).
    pub async fn texts_to(&self, e164: &str) -> Vec<String> {
        match &self.backend {
            Backend::Embedded(s) => {
                s.outbox.entries().into_iter().filter(|e| e.channel == "sms" && e.recipient == e164).map(|e| e.text).collect()
            }
            Backend::Moto { aws, .. } => aws.sms_sent_to(e164).await.into_iter().map(|r| r.message).collect(),
        }
    }

    /// The outbox of an embedded world (texts and emails with their headers).
    pub fn outbox(&self) -> Option<Vec<leadflow::adapters::memory::OutboxEntry>> {
        match &self.backend {
            Backend::Embedded(s) => Some(s.outbox.entries()),
            Backend::Moto { .. } => None,
        }
    }

    /// Posts a webhook request a second after the clock's now and lets the worker run. The
    /// second is the time a reply or a provider's callback takes to arrive: without it, the
    /// request would happen in the same instant as what it answers (the text it replies to, the
    /// booking it moves), and their order on the timeline would be a toss-up.
    pub async fn webhook(&self, req: lambda_http::Request) -> u16 {
        self.clock.set(self.now() + Duration::seconds(1));
        let status = leadflow::handlers::webhooks::handle(&self.services, req).await.status().as_u16();
        self.drain().await;
        status
    }

    /// How many emails went to `address`.
    pub async fn emails_to(&self, address: &str) -> usize {
        match &self.backend {
            Backend::Embedded(s) => s.outbox.entries().iter().filter(|e| e.channel == "email" && e.recipient == address).count(),
            Backend::Moto { aws, .. } => aws.emails_sent_to(address).await.len(),
        }
    }
}
