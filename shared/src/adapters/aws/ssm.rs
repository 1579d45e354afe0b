//! Secrets from SSM Parameter Store: SecureString parameters under one path
//! (`/leadflow/prod/webhooks/<name>`), read once at init with decryption and kept in memory.

use super::error::failure;
use crate::ports::{SecretError, SecretSource};
use async_trait::async_trait;
use aws_sdk_ssm::Client;

/// Reads `{prefix}/{name}` parameters.
#[derive(Debug, Clone)]
pub struct SsmSecrets {
    client: Client,
    prefix: String,
}

impl SsmSecrets {
    pub fn new(client: Client, prefix: impl Into<String>) -> Self {
        SsmSecrets { client, prefix: prefix.into().trim_end_matches('/').to_string() }
    }

    fn parameter(&self, name: &str) -> String {
        format!("{}/{name}", self.prefix)
    }
}

#[async_trait]
impl SecretSource for SsmSecrets {
    async fn secret(&self, name: &str) -> Result<Option<String>, SecretError> {
        match self.client.get_parameter().name(self.parameter(name)).with_decryption(true).send().await {
            Ok(out) => Ok(out.parameter.and_then(|p| p.value).filter(|v| !v.is_empty())),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) => Ok(None),
            Err(e) => {
                let f = failure(&e);
                if f.transient {
                    Err(SecretError::Unavailable(f.detail))
                } else {
                    Err(SecretError::Refused(f.detail))
                }
            }
        }
    }
}
