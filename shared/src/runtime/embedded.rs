//! The whole system in one process on the embedded adapters: what the local runner serves and
//! what fast tests drive.

use crate::adapters::memory::event_source;
use crate::adapters::memory::{MemoryOutbox, MemoryQueue, MemoryStore, QueueSettings};
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
}

impl EmbeddedSystem {
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Self {
        Self::with_queue_settings(config, clock, QueueSettings::default())
    }

    pub fn with_queue_settings(config: Config, clock: Arc<dyn Clock>, settings: QueueSettings) -> Self {
        crate::domain::phone::warm_up();
        let store = MemoryStore::new();
        let queue = MemoryQueue::new(settings);
        let outbox = MemoryOutbox::new(clock.clone());
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
        };
        EmbeddedSystem { services, store, queue, outbox }
    }

    /// Starts one in-process event source per queue consumer (as Lambda's SQS triggers would).
    pub fn start_consumers(&self) -> Vec<JoinHandle<()>> {
        Consumer::ALL
            .iter()
            .map(|&consumer| {
                let services = self.services.clone();
                let queue = self.queue.clone();
                tokio::spawn(event_source::run(queue, consumer, move |event| {
                    let services = services.clone();
                    async move { handlers::consume(&services, consumer, event).await }
                }))
            })
            .collect()
    }

    /// Runs every consumer until no queue has anything visible (for tests that step by hand).
    pub async fn drain_queues(&self) -> usize {
        let mut total = 0;
        loop {
            let mut round = 0;
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
