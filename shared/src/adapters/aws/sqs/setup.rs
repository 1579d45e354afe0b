//! Creating a consumer's queue pair, for tests and for the local runner pointed at an emulator
//! (in AWS the SAM template creates them).

use super::queue_error;
use crate::ports::QueueError;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;
use std::time::Duration;

/// A queue's URL (for API calls) and ARN (for redrive policies and Lambda event records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAddress {
    pub url: String,
    pub arn: String,
}

/// A queue and the dead-letter queue its failed messages move to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePair {
    pub main: QueueAddress,
    pub dead_letter: QueueAddress,
}

/// Creates `name` and `{name}-dlq`, with a redrive policy moving a message to the dead-letter
/// queue once it has been received `max_receive_count` times without being deleted.
pub async fn create_queue_with_dlq(
    client: &Client,
    name: &str,
    visibility_timeout: Duration,
    max_receive_count: u32,
) -> Result<QueuePair, QueueError> {
    let dead_letter = create(client, &format!("{name}-dlq"), Vec::new()).await?;
    let redrive = serde_json::json!({ "deadLetterTargetArn": dead_letter.arn, "maxReceiveCount": max_receive_count }).to_string();
    let attributes = vec![
        (QueueAttributeName::VisibilityTimeout, visibility_timeout.as_secs().to_string()),
        (QueueAttributeName::RedrivePolicy, redrive),
    ];
    let main = create(client, name, attributes).await?;
    Ok(QueuePair { main, dead_letter })
}

async fn create(client: &Client, name: &str, attributes: Vec<(QueueAttributeName, String)>) -> Result<QueueAddress, QueueError> {
    let created = client
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes.into_iter().collect()))
        .send()
        .await
        .map_err(|e| queue_error("CreateQueue", &e))?;
    let url = created.queue_url.ok_or_else(|| QueueError::Unavailable("CreateQueue returned no URL".into()))?;
    let described = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| queue_error("GetQueueAttributes", &e))?;
    let arn = described
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| QueueError::Unavailable("GetQueueAttributes returned no ARN".into()))?;
    Ok(QueueAddress { url, arn })
}
