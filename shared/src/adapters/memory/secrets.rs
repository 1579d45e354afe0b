//! Secrets for the local runner and tests: a fixed map, filled from the environment
//! (`LEADFLOW_SECRET_<NAME>`) or from a local file of `name = "value"` lines (TOML), never from
//! the configuration file in the repository.

use crate::ports::{SecretError, SecretSource};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::path::Path;

/// The environment variable prefix: `twilio_auth_token` is `LEADFLOW_SECRET_TWILIO_AUTH_TOKEN`.
pub const ENV_PREFIX: &str = "LEADFLOW_SECRET_";

/// Secrets held in memory.
#[derive(Debug, Clone, Default)]
pub struct LocalSecrets {
    values: BTreeMap<String, String>,
}

impl LocalSecrets {
    pub fn new(values: impl IntoIterator<Item = (String, String)>) -> Self {
        LocalSecrets { values: values.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect() }
    }

    /// Every secret held (for building a `WebhookContext` without the async trait).
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// Every `LEADFLOW_SECRET_*` variable, then (overriding) the file named by
    /// `LEADFLOW_SECRETS_FILE` if set.
    pub fn from_env() -> Result<Self, SecretError> {
        let mut values: BTreeMap<String, String> = std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix(ENV_PREFIX).map(|name| (name.to_ascii_lowercase(), v)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        if let Some(path) = std::env::var_os("LEADFLOW_SECRETS_FILE").filter(|p| !p.is_empty()) {
            values.extend(Self::from_file(Path::new(&path))?.values);
        }
        Ok(LocalSecrets { values })
    }

    /// A TOML file of string values.
    pub fn from_file(path: &Path) -> Result<Self, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|e| SecretError::Unavailable(format!("{}: {e}", path.display())))?;
        let table: BTreeMap<String, String> =
            toml::from_str(&text).map_err(|e| SecretError::Refused(format!("{}: {}", path.display(), e.message())))?;
        Ok(Self::new(table))
    }
}

#[async_trait]
impl SecretSource for LocalSecrets {
    async fn secret(&self, name: &str) -> Result<Option<String>, SecretError> {
        Ok(self.values.get(&name.to_ascii_lowercase()).cloned())
    }
}
