//! Where webhook signing secrets come from: SSM Parameter Store (SecureString) in AWS, the
//! environment or a local file in the local runner. Never the configuration file.

use async_trait::async_trait;

/// Reading a secret failed (not "absent": that is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret store is unavailable: {0}")]
    Unavailable(String),
    #[error("the secret store refused the request: {0}")]
    Refused(String),
}

/// Named secrets (`twilio_auth_token`, `stripe_webhook_secret`, `source_chat_widget`, ...).
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// The secret's value, `None` when it is not set.
    async fn secret(&self, name: &str) -> Result<Option<String>, SecretError>;
}
