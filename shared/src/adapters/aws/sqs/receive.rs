//! Reading a queue the way Lambda's event source mapping would, so tests and the local runner
//! can hand the records to a handler (moto runs no event source mappings).

use super::address::QueueAddress;
use super::queue_error;
use crate::ports::QueueError;
use aws_lambda_events::event::sqs::{SqsMessage, SqsMessageAttribute};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use aws_sdk_sqs::Client;
use std::time::Duration;

/// How to receive.
#[derive(Debug, Clone, Copy)]
pub struct ReceiveOptions {
    /// At most this many messages (SQS allows 1 to 10).
    pub max_messages: i32,
    /// Long-poll for up to this long when the queue is empty.
    pub wait: Duration,
    /// Overrides the queue's visibility timeout (zero makes an undeleted message come straight
    /// back, as after a failed invocation).
    pub visibility_timeout: Option<Duration>,
}

impl Default for ReceiveOptions {
    fn default() -> Self {
        ReceiveOptions { max_messages: 10, wait: Duration::ZERO, visibility_timeout: None }
    }
}

/// Receives messages as Lambda event records, with every system attribute (including
/// `ApproximateReceiveCount`) and message attribute.
pub async fn receive_records(client: &Client, queue: &QueueAddress, options: ReceiveOptions) -> Result<Vec<SqsMessage>, QueueError> {
    let out = client
        .receive_message()
        .queue_url(&queue.url)
        .max_number_of_messages(options.max_messages)
        .wait_time_seconds(i32::try_from(options.wait.as_secs()).unwrap_or(20))
        .set_visibility_timeout(options.visibility_timeout.map(|v| i32::try_from(v.as_secs()).unwrap_or(i32::MAX)))
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(|e| queue_error("ReceiveMessage", &e))?;
    Ok(out.messages.unwrap_or_default().into_iter().map(|m| to_record(m, queue)).collect())
}

/// Deletes a handled message.
pub async fn delete_message(client: &Client, queue_url: &str, receipt_handle: &str) -> Result<(), QueueError> {
    client
        .delete_message()
        .queue_url(queue_url)
        .receipt_handle(receipt_handle)
        .send()
        .await
        .map_err(|e| queue_error("DeleteMessage", &e))?;
    Ok(())
}

/// Makes a received message visible again after `timeout` (zero: at once).
pub async fn change_visibility(client: &Client, queue_url: &str, receipt_handle: &str, timeout: Duration) -> Result<(), QueueError> {
    client
        .change_message_visibility()
        .queue_url(queue_url)
        .receipt_handle(receipt_handle)
        .visibility_timeout(i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX))
        .send()
        .await
        .map_err(|e| queue_error("ChangeMessageVisibility", &e))?;
    Ok(())
}

fn to_record(m: Message, queue: &QueueAddress) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = m.message_id;
    record.receipt_handle = m.receipt_handle;
    record.body = m.body;
    record.md5_of_body = m.md5_of_body;
    record.md5_of_message_attributes = m.md5_of_message_attributes;
    record.attributes = m.attributes.unwrap_or_default().into_iter().map(|(k, v)| (k.as_str().to_string(), v)).collect();
    record.message_attributes = m
        .message_attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| {
            let mut attribute = SqsMessageAttribute::default();
            attribute.data_type = Some(value.data_type);
            attribute.string_value = value.string_value;
            attribute.string_list_values = value.string_list_values.unwrap_or_default();
            (name, attribute)
        })
        .collect();
    record.event_source = Some("aws:sqs".into());
    record.event_source_arn = Some(queue.arn.clone());
    // arn:aws:sqs:{region}:{account}:{name}
    record.aws_region = queue.arn.split(':').nth(3).map(str::to_string);
    record
}
