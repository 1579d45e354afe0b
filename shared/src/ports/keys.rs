//! Data keys for envelope encryption: a key service (KMS in AWS, a local master key embedded)
//! hands out a fresh 256-bit data key together with the same key wrapped under its master key,
//! and unwraps a wrapped key later. Only the wrapped key is stored next to the ciphertext, so
//! reading a sealed field needs the key service's decrypt permission, not just the table.

use async_trait::async_trait;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The encryption context: non-secret key/value pairs bound to the wrapped key (KMS checks them
/// on decrypt and logs them in CloudTrail).
pub type KeyContext = BTreeMap<String, String>;

/// A fresh data key.
pub struct DataKey {
    pub plaintext: Zeroizing<[u8; 32]>,
    /// The same key encrypted under the master key (what is stored).
    pub wrapped: Vec<u8>,
}

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Throttling or an outage; retrying may succeed.
    #[error("the key service is unavailable: {0}")]
    Unavailable(String),
    /// Access denied, a wrong context, or a wrapped key from elsewhere: retrying will not help.
    #[error("the key service refused: {0}")]
    Refused(String),
}

/// A master key that wraps and unwraps data keys.
#[async_trait]
pub trait KeyService: Send + Sync {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError>;

    async fn decrypt_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<Zeroizing<[u8; 32]>, KeyError>;
}
