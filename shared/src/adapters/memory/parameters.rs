//! Versioned parameters in memory: the published operator configuration for the local runner
//! and tests, versions counting up from 1 as SSM's do.

use crate::ports::{ParameterError, ParameterStore, ParameterVersion};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Every version of every parameter, oldest first.
#[derive(Debug, Default)]
pub struct MemoryParameters {
    values: Mutex<BTreeMap<String, Vec<String>>>,
}

impl MemoryParameters {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ParameterStore for MemoryParameters {
    async fn current(&self, name: &str) -> Result<Option<ParameterVersion>, ParameterError> {
        Ok(self.history(name).await?.pop())
    }

    async fn history(&self, name: &str) -> Result<Vec<ParameterVersion>, ParameterError> {
        let values = self.values.lock().expect("parameters lock");
        Ok(values
            .get(name)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, value)| ParameterVersion { version: i as i64 + 1, value: value.clone() })
            .collect())
    }

    async fn put(&self, name: &str, value: &str) -> Result<i64, ParameterError> {
        let mut values = self.values.lock().expect("parameters lock");
        let versions = values.entry(name.to_string()).or_default();
        versions.push(value.to_string());
        Ok(versions.len() as i64)
    }
}
