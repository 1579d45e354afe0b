//! Stored documents with sealed fields: the `data` map of a lead or timeline entry is written
//! with the paths listed in `crypto::fields` sealed, and every sealed value is opened on read.

use super::item::Item;
use super::DynamoStore;
use crate::crypto::json::{has_sealed, open_all, seal_paths};
use crate::crypto::SealError;
use crate::ports::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn seal_error(e: SealError) -> StoreError {
    if e.is_retryable() {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Invalid(e.to_string())
    }
}

impl DynamoStore {
    /// `value` as a map attribute, with `paths` sealed for the record `scope`.
    pub(crate) async fn encode_sealed<T: Serialize>(&self, value: &T, paths: &[&str], scope: &str) -> Result<AttributeValue, StoreError> {
        let mut doc = serde_json::to_value(value).map_err(|e| StoreError::Invalid(format!("cannot encode item: {e}")))?;
        if let Some(sealer) = &self.sealer {
            seal_paths(sealer, &mut doc, paths, scope).await.map_err(seal_error)?;
        }
        serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(doc).map_err(|e| StoreError::Invalid(format!("cannot encode item: {e}")))
    }

    /// Reads the value stored by [`Self::encode_sealed`] under `name`, opening what is sealed.
    pub(crate) async fn decode_sealed<T: DeserializeOwned>(&self, item: &mut Item, name: &str, scope: &str) -> Result<T, StoreError> {
        let value = item.remove(name).ok_or_else(|| StoreError::Invalid(format!("item lacks `{name}`")))?;
        let mut doc: serde_json::Value = serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(value)
            .map_err(|e| StoreError::Invalid(format!("cannot decode `{name}`: {e}")))?;
        if has_sealed(&doc) {
            let sealer = self.sealer.as_ref().ok_or_else(|| StoreError::Invalid("a sealed field needs a key service to open".into()))?;
            open_all(sealer, &mut doc, scope).await.map_err(seal_error)?;
        }
        serde_json::from_value(doc).map_err(|e| StoreError::Invalid(format!("cannot decode `{name}`: {e}")))
    }
}

/// The sealing scope of a lead record.
pub(crate) fn lead_scope(id: crate::domain::LeadId) -> String {
    format!("lead:{id}")
}

/// The sealing scope of a timeline entry.
pub(crate) fn timeline_scope(lead: crate::domain::LeadId, entry: crate::domain::EventId) -> String {
    format!("lead:{lead}:tl:{entry}")
}
