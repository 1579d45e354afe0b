//! The key service on AWS KMS: `GenerateDataKey` (AES_256) and `Decrypt` on the field key, with
//! the encryption context KMS binds to the wrapped key and records in CloudTrail.

use super::error::failure;
use crate::ports::{DataKey, KeyContext, KeyError, KeyService};
use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_sdk_kms::Client;
use zeroize::Zeroizing;

/// Data keys from one KMS key.
#[derive(Debug, Clone)]
pub struct KmsKeys {
    client: Client,
    key_id: String,
}

impl KmsKeys {
    /// `key_id` is the key's ARN (or id or alias).
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        KmsKeys { client, key_id: key_id.into() }
    }
}

fn classify<E>(op: &str, e: aws_sdk_kms::error::SdkError<E, aws_sdk_kms::config::http::HttpResponse>) -> KeyError
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    // The same classification as every other SDK error; the detail names codes, not data.
    let f = failure(&e);
    if f.transient {
        KeyError::Unavailable(format!("KMS {op}: {}", f.detail))
    } else {
        KeyError::Refused(format!("KMS {op}: {}", f.detail))
    }
}

fn key32(bytes: &[u8]) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    if bytes.len() != 32 {
        return Err(KeyError::Refused(format!("KMS returned a {}-byte key", bytes.len())));
    }
    let mut k = Zeroizing::new([0u8; 32]);
    k.copy_from_slice(bytes);
    Ok(k)
}

#[async_trait]
impl KeyService for KmsKeys {
    async fn generate_data_key(&self, context: &KeyContext) -> Result<DataKey, KeyError> {
        let out = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| classify("GenerateDataKey", e))?;
        let plain = out.plaintext.ok_or_else(|| KeyError::Refused("KMS returned no plaintext key".into()))?;
        let wrapped = out.ciphertext_blob.ok_or_else(|| KeyError::Refused("KMS returned no wrapped key".into()))?;
        Ok(DataKey { plaintext: key32(plain.as_ref())?, wrapped: wrapped.into_inner() })
    }

    async fn decrypt_data_key(&self, wrapped: &[u8], context: &KeyContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let out = self
            .client
            .decrypt()
            // Naming the key makes KMS refuse a wrapped key made under any other key.
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(Some(context.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| classify("Decrypt", e))?;
        key32(out.plaintext.as_ref().map(|b| b.as_ref()).unwrap_or_default())
    }
}
