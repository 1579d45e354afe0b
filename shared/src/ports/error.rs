//! The error every store port returns, keeping retryable and permanent failures apart.

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost to a concurrent writer; re-read and try again.
    #[error("the item changed since it was read")]
    Conflict,
    /// The backing service did not answer or throttled; retrying later may succeed.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A stored item could not be decoded, or a request was malformed; retrying will not help.
    #[error("stored data is invalid: {0}")]
    Invalid(String),
}

impl StoreError {
    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Conflict | StoreError::Unavailable(_))
    }
}
