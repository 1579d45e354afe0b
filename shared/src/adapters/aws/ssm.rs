//! SSM Parameter Store: the webhook secrets (SecureString parameters under one path,
//! `/leadflow/prod/webhooks/<name>`, read once at init with decryption and kept in memory) and
//! the published operator configuration (one parameter and its version history).

use super::error::failure;
use crate::ports::{ParameterError, ParameterStore, ParameterVersion, SecretError, SecretSource};
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

/// Whole parameters by their full name (`/leadflow/prod/config`), with their history: the
/// published operator configuration.
#[derive(Debug, Clone)]
pub struct SsmParameters {
    client: Client,
}

impl SsmParameters {
    pub fn new(client: Client) -> Self {
        SsmParameters { client }
    }

    /// On a client of `sdk`.
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        SsmParameters { client: Client::new(sdk) }
    }
}

fn parameter_error<E>(e: &aws_sdk_ssm::error::SdkError<E, aws_sdk_ssm::config::http::HttpResponse>) -> ParameterError
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let f = failure(e);
    if f.transient {
        ParameterError::Unavailable(f.detail)
    } else {
        ParameterError::Refused(f.detail)
    }
}

/// SSM keeps the last 100 versions; a page holds at most 50.
const HISTORY_PAGE: i32 = 50;

#[async_trait]
impl ParameterStore for SsmParameters {
    async fn current(&self, name: &str) -> Result<Option<ParameterVersion>, ParameterError> {
        match self.client.get_parameter().name(name).with_decryption(true).send().await {
            Ok(out) => Ok(out.parameter.map(|p| ParameterVersion { version: p.version, value: p.value.unwrap_or_default() })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) => Ok(None),
            Err(e) => Err(parameter_error(&e)),
        }
    }

    async fn history(&self, name: &str) -> Result<Vec<ParameterVersion>, ParameterError> {
        let mut versions = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request =
                self.client.get_parameter_history().name(name).with_decryption(true).max_results(HISTORY_PAGE).set_next_token(token.take());
            let out = match request.send().await {
                Ok(out) => out,
                Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) => return Ok(Vec::new()),
                Err(e) => return Err(parameter_error(&e)),
            };
            versions.extend(
                out.parameters
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| ParameterVersion { version: p.version, value: p.value.unwrap_or_default() }),
            );
            match out.next_token.filter(|t| !t.is_empty()) {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        versions.sort_by_key(|v| v.version);
        Ok(versions)
    }

    /// A `String` parameter on the Intelligent-Tiering tier: standard (free, 4 KB) while the
    /// value fits, advanced (8 KB) when it does not.
    async fn put(&self, name: &str, value: &str) -> Result<i64, ParameterError> {
        let out = self
            .client
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .tier(aws_sdk_ssm::types::ParameterTier::IntelligentTiering)
            .overwrite(true)
            .description("leadflow operator configuration (leadflow-local publish-config)")
            .send()
            .await
            .map_err(|e| parameter_error(&e))?;
        Ok(out.version)
    }
}
