//! The lead event queue on SQS: one queue (with its dead-letter queue) per consumer.

mod address;
mod receive;

pub use address::{QueueAddress, QueuePair};
pub use receive::{change_visibility, delete_message, receive_records, ReceiveOptions};

use crate::adapters::aws::error::failure;
use crate::domain::LeadEvent;
use crate::ports::{Consumer, EventQueue, QueueError};
use async_trait::async_trait;
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;
use std::collections::BTreeMap;

/// The message attribute naming the event type, so a consumer or a subscription filter can
/// route without parsing the body.
pub const EVENT_TYPE_ATTRIBUTE: &str = "event_type";

/// Publishes each event to the queue of every consumer of its kind. Cloning shares the client.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    urls: BTreeMap<Consumer, String>,
}

impl SqsQueue {
    /// A publisher to the given queue URL per consumer.
    pub fn new(client: Client, urls: impl IntoIterator<Item = (Consumer, String)>) -> Self {
        SqsQueue { client, urls: urls.into_iter().collect() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The queue URL of `consumer`, if configured.
    pub fn url(&self, consumer: Consumer) -> Option<&str> {
        self.urls.get(&consumer).map(String::as_str)
    }
}

impl SqsQueue {
    /// Sends `event` to one queue, visible at once or after `delay`.
    async fn send_to(&self, url: &str, event: &LeadEvent, delay: Option<chrono::Duration>) -> Result<(), QueueError> {
        let event_type = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(event.kind.as_str())
            .build()
            .map_err(|e| QueueError::Unavailable(format!("cannot build the message: {e}")))?;
        let mut request =
            self.client.send_message().queue_url(url).message_body(event.to_json()).message_attributes(EVENT_TYPE_ATTRIBUTE, event_type);
        if let Some(delay) = delay {
            request = request.delay_seconds(crate::ports::queue::delay_seconds(delay));
        }
        request.send().await.map_err(|e| queue_error("SendMessage", &e))?;
        Ok(())
    }
}

#[async_trait]
impl EventQueue for SqsQueue {
    async fn publish(&self, event: &LeadEvent) -> Result<(), QueueError> {
        // Every target is resolved first, so a missing queue does not leave a partial fan-out.
        let targets = Consumer::of(event.kind)
            .iter()
            .map(|c| self.url(*c).ok_or(QueueError::NotConfigured(c.as_str())))
            .collect::<Result<Vec<_>, _>>()?;
        for url in targets {
            self.send_to(url, event, None).await?;
        }
        tracing::debug!(lead_id = %event.lead_id, event_id = %event.id, event_type = event.kind.as_str(), "event published");
        Ok(())
    }

    async fn send(&self, consumer: Consumer, event: &LeadEvent) -> Result<(), QueueError> {
        let url = self.url(consumer).ok_or(QueueError::NotConfigured(consumer.as_str()))?;
        self.send_to(url, event, None).await
    }

    async fn publish_later(&self, consumer: Consumer, event: &LeadEvent, delay: chrono::Duration) -> Result<(), QueueError> {
        let url = self.url(consumer).ok_or(QueueError::NotConfigured(consumer.as_str()))?;
        self.send_to(url, event, Some(delay)).await?;
        tracing::debug!(lead_id = %event.lead_id, event_id = %event.id, consumer = consumer.as_str(), "event handed back for later");
        Ok(())
    }
}

pub(crate) fn queue_error<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    QueueError::Unavailable(format!("SQS {operation}: {}", failure(err).detail))
}

#[async_trait]
impl crate::ports::JobQueue for SqsQueue {
    async fn enqueue(&self, job: &crate::domain::inbound::InboundJob) -> Result<(), QueueError> {
        let url = self.url(Consumer::Webhooks).ok_or(QueueError::NotConfigured(Consumer::Webhooks.as_str()))?;
        self.client.send_message().queue_url(url).message_body(job.to_json()).send().await.map_err(|e| queue_error("SendMessage", &e))?;
        tracing::debug!(provider = job.provider.as_str(), "webhook job queued");
        Ok(())
    }

    async fn enqueue_later(&self, job: &crate::domain::inbound::InboundJob, delay: chrono::Duration) -> Result<(), QueueError> {
        let url = self.url(Consumer::Webhooks).ok_or(QueueError::NotConfigured(Consumer::Webhooks.as_str()))?;
        self.client
            .send_message()
            .queue_url(url)
            .message_body(job.to_json())
            .delay_seconds(crate::ports::queue::delay_seconds(delay))
            .send()
            .await
            .map_err(|e| queue_error("SendMessage", &e))?;
        Ok(())
    }
}
