//! The embedded key service: a local master key wraps data keys with AES-256-GCM, the
//! encryption context as associated data (as KMS binds it). For the local runner and tests; in
//! AWS the master key never leaves KMS.

use crate::ports::{DataKey, KeyContext, KeyError, KeyService};
use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use async_trait::async_trait;
use zeroize::Zeroizing;

fn fill_random(buf: &mut [u8]) {
    OsRng.fill_bytes(buf);
}

/// A local master key.
pub struct LocalKeys {
    master: Zeroizing<[u8; 32]>,
}

impl LocalKeys {
    /// A master key made up for this process (data sealed with it dies with it).
    pub fn random() -> Self {
        let mut master = Zeroizing::new([0u8; 32]);
        fill_random(master.as_mut());
        LocalKeys { master }
    }

    pub fn from_key(key: [u8; 32]) -> Self {
        LocalKeys { master: Zeroizing::new(key) }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.master.as_ref()))
    }
}

fn aad(context: &KeyContext) -> Vec<u8> {
    serde_json::to_vec(context).expect("a string map serializes")
}

#[async_trait]
impl KeyService for LocalKeys {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let mut plaintext = Zeroizing::new([0u8; 32]);
        fill_random(plaintext.as_mut());
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self
            .cipher()
            .encrypt(&nonce, Payload { msg: plaintext.as_ref(), aad: &aad(context) })
            .map_err(|_| KeyError::Refused("wrapping failed".into()))?;
        let mut wrapped = nonce.to_vec();
        wrapped.extend(ct);
        Ok(DataKey { plaintext, wrapped })
    }

    async fn decrypt_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        if wrapped.len() != 12 + 32 + 16 {
            return Err(KeyError::Refused("not a wrapped data key".into()));
        }
        let (nonce, ct) = wrapped.split_at(12);
        let plain = Zeroizing::new(
            self.cipher()
                .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad(context) })
                .map_err(|_| KeyError::Refused("the wrapped key or its context does not match".into()))?,
        );
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&plain);
        Ok(key)
    }
}
