//! The whole system in one process on the embedded adapters: what the local runner serves and
//! what fast tests drive.

use crate::adapters::memory::event_source;
use crate::adapters::memory::{
    LocalSecrets, MemoryAggregates, MemoryAuditLog, MemoryDueStore, MemoryMetrics, MemoryOutbox, MemoryQueue, MemoryStore, MemoryStream,
    MemoryTeamStore, QueueSettings, StaticSnsHttps,
};
use crate::app::webhook_context::WebhookContext;
use crate::app::Services;
use crate::config::Config;
use crate::handlers;
use crate::ports::{Clock, Consumer};
use std::sync::Arc;
use tokio::task::JoinHandle;

/// The embedded system and handles on its adapters for inspection.
#[derive(Clone)]
pub struct EmbeddedSystem {
    pub services: Services,
    pub store: MemoryStore,
    pub queue: MemoryQueue,
    pub outbox: MemoryOutbox,
    /// Team notifications (`team_sms`, `team_email`), kept apart from what leads receive.
    pub team_outbox: MemoryOutbox,
    pub audit: MemoryAuditLog,
    /// Report aggregates.
    pub aggregates: MemoryAggregates,
    /// The store's change stream of outbox records, which the relay reads.
    pub stream: MemoryStream,
    /// Business metrics, as the functions emit them on AWS.
    pub metrics: MemoryMetrics,
}

impl EmbeddedSystem {
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Self {
        Self::with_queue_settings(config, clock, QueueSettings::default())
    }

    pub fn with_queue_settings(config: Config, clock: Arc<dyn Clock>, settings: QueueSettings) -> Self {
        crate::domain::phone::warm_up();
        let store = MemoryStore::new();
        let queue = MemoryQueue::with_clock(settings, clock.clone());
        let outbox = MemoryOutbox::new(clock.clone());
        let team_outbox = MemoryOutbox::new(clock.clone());
        let audit = MemoryAuditLog::new();
        let aggregates = MemoryAggregates::new();
        let metrics = MemoryMetrics::new();
        let cadence: Arc<dyn crate::ports::CadenceStore> = Arc::new(crate::adapters::memory::MemoryCadenceStore::new());
        let services = Services {
            config: Arc::new(config),
            clock,
            leads: Arc::new(store.clone()),
            timeline: Arc::new(store.clone()),
            idempotency: Arc::new(store.clone()),
            once: Arc::new(store.clone()),
            suppressions: Arc::new(store.clone()),
            queue: Arc::new(queue.clone()),
            sms: Arc::new(outbox.clone()),
            email: Arc::new(outbox.clone()),
            due: Arc::new(MemoryDueStore::new()),
            team: Arc::new(MemoryTeamStore::new()),
            notifier: Arc::new(team_outbox.clone()),
            listing: Arc::new(store.clone()),
            inbound: Arc::new(store.clone()),
            jobs: Arc::new(queue.clone()),
            alerts: Arc::new(outbox.clone()),
            webhooks: Arc::new(local_webhooks()),
            audit: Arc::new(audit.clone()),
            person_data: vec![
                Arc::new(store.clone()),
                Arc::new(outbox.clone()),
                Arc::new(team_outbox.clone()),
                Arc::new(crate::adapters::memory::MemoryDedupeRecords(store.clone())),
                Arc::new(crate::app::cadence::records::CadenceRecords(cadence.clone())),
            ],
            dedupe: Arc::new(store.clone()),
            cadence,
            rate: Arc::new(crate::adapters::memory::MemoryRateCounter::new()),
            hygiene: Arc::new(store.clone()),
            mail_domains: Arc::new(crate::adapters::memory::StaticMailDomains::default()),
            aggregates: Arc::new(aggregates.clone()),
            links: Arc::new(crate::crypto::LinkSigner::random()),
            pacer: Arc::new(crate::adapters::memory::MemoryPacer::new()),
            visits: Arc::new(crate::adapters::memory::MemoryVisitStore::new()),
            metrics: Arc::new(metrics.clone()),
        };
        let stream = MemoryStream::new(store.clone(), crate::adapters::memory::stream_source::MAX_ATTEMPTS);
        EmbeddedSystem { services, store, queue, outbox, team_outbox, audit, aggregates, stream, metrics }
    }

    /// Replaces the webhook secrets and settings (tests, and the runner's own options).
    pub fn with_webhooks(mut self, webhooks: WebhookContext) -> Self {
        self.services.webhooks = Arc::new(webhooks);
        self
    }

    /// Starts one in-process event source per queue consumer (as Lambda's SQS triggers would),
    /// and the outbox relay on the store's change stream.
    pub fn start_consumers(&self) -> Vec<JoinHandle<()>> {
        let mut tasks: Vec<JoinHandle<()>> = Consumer::ALL
            .iter()
            .map(|&consumer| {
                let services = self.services.clone();
                let queue = self.queue.clone();
                tokio::spawn(event_source::run(queue, consumer, move |event| {
                    let services = services.clone();
                    async move { handlers::consume(&services, consumer, event).await }
                }))
            })
            .collect();
        let services = self.services.clone();
        tasks.push(tokio::spawn(self.stream.clone().run(move |event| {
            let services = services.clone();
            async move { handlers::relay::handle(&services, event).await }
        })));
        tasks
    }

    /// Relays the outbox records written so far (what the relay function does on AWS).
    pub async fn relay(&self) -> usize {
        let services = self.services.clone();
        self.stream
            .drain(&|event| {
                let services = services.clone();
                async move { handlers::relay::handle(&services, event).await }
            })
            .await
    }

    /// Runs one tick of the scheduled SLA checker at the clock's now (what EventBridge does every
    /// minute in AWS), after letting the queue consumers finish what is visible.
    pub async fn tick(&self) -> Result<crate::app::scheduler::TickReport, crate::ports::StoreError> {
        crate::app::sla::tick(&self.services).await
    }

    /// Runs one tick of the scheduled follow-up function (due cadence steps) at the clock's now.
    pub async fn followup_tick(&self) -> Result<crate::app::scheduler::TickReport, crate::ports::StoreError> {
        crate::app::timed_work::tick(&self.services).await
    }

    /// Runs the SLA checker and the follow-up function every `every` until the task is aborted
    /// (the local runner's stand-in for their EventBridge schedules).
    pub fn start_ticker(&self, every: std::time::Duration) -> JoinHandle<()> {
        let system = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if let Err(e) = system.tick().await {
                    tracing::warn!(error = %e, "SLA tick failed");
                }
                if let Err(e) = system.followup_tick().await {
                    tracing::warn!(error = %e, "follow-up tick failed");
                }
            }
        })
    }

    /// Runs the relay and the consumers until no outbox record is waiting to be relayed and no
    /// message is waiting or being handled anywhere: by this call, or by the relay and the
    /// consumers [`Self::start_consumers`] runs in the background, which [`Self::drain_queues`]
    /// alone does not wait for. The relay sends a record's messages before it moves past the
    /// record, so once both counts are 0 nothing is in between. A failed record or message
    /// counts until it is retried or set aside (dead-lettered). Returns how many records and
    /// messages this call handled.
    pub async fn settle(&self) -> usize {
        let mut total = 0;
        loop {
            total += self.drain_queues().await;
            if self.stream.pending().await == 0 && self.queue.total_depth() == 0 {
                return total;
            }
            // Being handled in the background, or hidden until its visibility timeout.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// Runs the relay and every consumer until neither the outbox nor any queue has anything
    /// visible (for tests that step by hand).
    pub async fn drain_queues(&self) -> usize {
        let mut total = 0;
        loop {
            let mut round = self.relay().await;
            for &consumer in &Consumer::ALL {
                let services = self.services.clone();
                round += event_source::drain(&self.queue, consumer, &|event| {
                    let services = services.clone();
                    async move { handlers::consume(&services, consumer, event).await }
                })
                .await;
            }
            if round == 0 {
                return total;
            }
            total += round;
        }
    }
}

/// The local runner's webhook settings, from the environment: secrets from
/// `LEADFLOW_SECRET_<NAME>` / `LEADFLOW_SECRETS_FILE`, the public base URL from
/// `LEADFLOW_PUBLIC_BASE_URL` (default `http://127.0.0.1:3000`), SNS topics from
/// `LEADFLOW_SNS_TOPIC_ARNS` and the SNS signing certificate from `LEADFLOW_LOCAL_SNS_CERT` (a
/// PEM file; without it SNS webhooks refuse every delivery, as with no network).
pub fn local_webhooks() -> WebhookContext {
    let secrets = LocalSecrets::from_env().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "local webhook secrets could not be read; webhooks will refuse requests");
        LocalSecrets::default()
    });
    let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let cert = var("LEADFLOW_LOCAL_SNS_CERT").and_then(|p| std::fs::read(p).ok());
    let topics = var("LEADFLOW_SNS_TOPIC_ARNS").map(|v| v.split(',').map(|t| t.trim().to_string()).collect()).unwrap_or_default();
    WebhookContext::with_secrets(
        secrets.values().clone(),
        &var("LEADFLOW_PUBLIC_BASE_URL").unwrap_or_else(|| "http://127.0.0.1:3000".into()),
        topics,
        Arc::new(StaticSnsHttps::new(cert)),
    )
}
