//! Team alerts as SNS messages to a topic the team subscribes to (email, chat integration,
//! mobile push). The message carries ids and a reason code only.

use super::error::failure;
use crate::ports::{AlertError, TeamAlert, TeamAlerts};
use async_trait::async_trait;
use aws_sdk_sns::Client;

/// Publishes alerts to one topic.
#[derive(Debug, Clone)]
pub struct SnsAlerts {
    client: Client,
    topic_arn: Option<String>,
}

impl SnsAlerts {
    /// `topic_arn` `None`: alerts are logged (ids only) and dropped, as in a deployment
    /// without a team topic.
    pub fn new(client: Client, topic_arn: Option<String>) -> Self {
        SnsAlerts { client, topic_arn }
    }
}

#[async_trait]
impl TeamAlerts for SnsAlerts {
    async fn alert(&self, alert: &TeamAlert) -> Result<(), AlertError> {
        let Some(topic) = &self.topic_arn else {
            tracing::warn!(lead_id = %alert.lead_id, reason = %alert.reason, "no team alert topic is configured; alert not delivered");
            return Ok(());
        };
        let message = serde_json::to_string(alert).expect("an alert serializes");
        self.client
            .publish()
            .topic_arn(topic)
            .subject(format!("leadflow: {}", alert.reason))
            .message(message)
            .send()
            .await
            .map_err(|e| AlertError(failure(&e).detail))?;
        Ok(())
    }
}
