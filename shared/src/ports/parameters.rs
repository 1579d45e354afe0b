//! Where a deployment's operator configuration is published: one named parameter (SSM
//! Parameter Store in AWS, a map in-process) whose every version is kept, so a function can pass
//! over a version that does not validate for the newest earlier one that does
//! (`config::published`).

use async_trait::async_trait;

/// Reading or writing the parameter failed (not "absent": that is `Ok(None)` / empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParameterError {
    #[error("the parameter store is unavailable: {0}")]
    Unavailable(String),
    #[error("the parameter store refused the request: {0}")]
    Refused(String),
}

/// One stored version of a parameter (versions count up from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterVersion {
    pub version: i64,
    pub value: String,
}

/// Versioned text parameters.
#[async_trait]
pub trait ParameterStore: Send + Sync {
    /// The newest version of `name`, `None` when the parameter does not exist.
    async fn current(&self, name: &str) -> Result<Option<ParameterVersion>, ParameterError>;

    /// Every kept version of `name`, oldest first; empty when the parameter does not exist.
    async fn history(&self, name: &str) -> Result<Vec<ParameterVersion>, ParameterError>;

    /// Stores `value` as the new version of `name` (creating it) and returns that version.
    async fn put(&self, name: &str, value: &str) -> Result<i64, ParameterError>;
}
