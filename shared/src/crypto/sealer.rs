//! Seals and opens text with envelope encryption, caching data keys.

use super::fields::{PURPOSE, PURPOSE_KEY};
use super::sealed::SealedText;
use crate::ports::{KeyContext, KeyError, KeyService};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long and how often a data key is reused. The AWS Encryption SDK's caching manager
/// bounds the same two things; a key that wrapped more than `max_uses` values or is older than
/// `max_age` is replaced, so one leaked data key exposes a bounded number of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    pub max_age: Duration,
    pub max_uses: u32,
    /// Unwrapped keys kept for reading (wrapped key -> key).
    pub max_open_keys: usize,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy { max_age: Duration::from_secs(300), max_uses: 10_000, max_open_keys: 256 }
    }
}

/// Why a value could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The ciphertext is damaged, or bound to another lead or field.
    #[error("the sealed value does not open (damaged, or bound to another record)")]
    Integrity,
    #[error("the sealed value is malformed: {0}")]
    Malformed(&'static str),
}

impl SealError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SealError::Key(KeyError::Unavailable(_)))
    }
}

struct SealingKey {
    key: Zeroizing<[u8; 32]>,
    wrapped: Vec<u8>,
    born: Instant,
    uses: u32,
}

#[derive(Default)]
struct Cache {
    sealing: Option<SealingKey>,
    opening: HashMap<Vec<u8>, (Zeroizing<[u8; 32]>, Instant)>,
}

/// Seals and opens values. Cloning shares the cache.
#[derive(Clone)]
pub struct Sealer {
    keys: Arc<dyn KeyService>,
    policy: CachePolicy,
    cache: Arc<Mutex<Cache>>,
}

fn context() -> KeyContext {
    KeyContext::from([(PURPOSE_KEY.to_string(), PURPOSE.to_string())])
}

impl Sealer {
    pub fn new(keys: Arc<dyn KeyService>) -> Self {
        Self::with_policy(keys, CachePolicy::default())
    }

    pub fn with_policy(keys: Arc<dyn KeyService>, policy: CachePolicy) -> Self {
        Sealer { keys, policy, cache: Arc::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A data key for sealing: the cached one while it is young and fresh enough.
    async fn sealing_key(&self) -> Result<(Zeroizing<[u8; 32]>, Vec<u8>), KeyError> {
        {
            let mut cache = self.lock();
            if let Some(k) = cache.sealing.as_mut().filter(|k| k.born.elapsed() < self.policy.max_age && k.uses < self.policy.max_uses) {
                k.uses += 1;
                return Ok((k.key.clone(), k.wrapped.clone()));
            }
        }
        let fresh = self.keys.generate_data_key(&context()).await?;
        let out = (fresh.plaintext.clone(), fresh.wrapped.clone());
        self.lock().sealing = Some(SealingKey { key: fresh.plaintext, wrapped: fresh.wrapped, born: Instant::now(), uses: 1 });
        Ok(out)
    }

    async fn opening_key(&self, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        {
            let cache = self.lock();
            if let Some((k, _)) = cache.opening.get(wrapped).filter(|(_, born)| born.elapsed() < self.policy.max_age) {
                return Ok(k.clone());
            }
            if let Some(k) = cache.sealing.as_ref().filter(|k| k.wrapped == wrapped) {
                return Ok(k.key.clone());
            }
        }
        let key = self.keys.decrypt_data_key(wrapped, &context()).await?;
        let mut cache = self.lock();
        let max_age = self.policy.max_age;
        cache.opening.retain(|_, (_, born)| born.elapsed() < max_age);
        if cache.opening.len() >= self.policy.max_open_keys {
            if let Some(oldest) = cache.opening.iter().min_by_key(|(_, (_, born))| *born).map(|(w, _)| w.clone()) {
                cache.opening.remove(&oldest);
            }
        }
        cache.opening.insert(wrapped.to_vec(), (key.clone(), Instant::now()));
        Ok(key)
    }

    /// Seals `plaintext`, bound to `binding` (e.g. `lead:{id}:context.concern`).
    pub async fn seal(&self, plaintext: &str, binding: &str) -> Result<SealedText, SealError> {
        let (key, wrapped) = self.sealing_key().await?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_ref()));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = cipher
            .encrypt(&nonce, Payload { msg: plaintext.as_bytes(), aad: binding.as_bytes() })
            .map_err(|_| SealError::Malformed("encryption failed"))?;
        Ok(SealedText { v: SealedText::VERSION, key: B64.encode(&wrapped), iv: B64.encode(nonce), ct: B64.encode(ct) })
    }

    /// Opens a value sealed with the same `binding`.
    pub async fn open(&self, sealed: &SealedText, binding: &str) -> Result<String, SealError> {
        if sealed.v != SealedText::VERSION {
            return Err(SealError::Malformed("unknown format version"));
        }
        let wrapped = B64.decode(&sealed.key).map_err(|_| SealError::Malformed("key is not base64"))?;
        let iv = B64.decode(&sealed.iv).map_err(|_| SealError::Malformed("iv is not base64"))?;
        let ct = B64.decode(&sealed.ct).map_err(|_| SealError::Malformed("ciphertext is not base64"))?;
        if iv.len() != 12 {
            return Err(SealError::Malformed("iv must be 12 bytes"));
        }
        let key = self.opening_key(&wrapped).await?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_ref()));
        let plain =
            cipher.decrypt(Nonce::from_slice(&iv), Payload { msg: &ct, aad: binding.as_bytes() }).map_err(|_| SealError::Integrity)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed("plaintext is not UTF-8"))
    }
}
