//! Stored documents with sealed fields: the `data` map of a lead or timeline entry is written
//! with the paths listed in `crypto::fields` sealed, and every sealed value is opened on read.
//!
//! A lead's document is stored packed: a binary attribute holding a format byte and the document's
//! JSON (sealed values included, as they are) compressed with DEFLATE. DynamoDB bills a write by
//! the item's size in 1 KB steps, and a lead is saved several times over its life; its JSON repeats
//! itself (the first inquiry restates the contact, consent and context; the sealed values share
//! one wrapped data key), so packed it takes about a third of the room. Reading accepts a packed
//! document or a map (how other documents, and leads written before packing, are stored).

use super::item::Item;
use super::DynamoStore;
use crate::crypto::json::{has_sealed, open_all, seal_paths, withhold_paths, withhold_sealed};
use crate::crypto::SealError;
use crate::ports::StoreError;
use aws_sdk_dynamodb::primitives::Blob;
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

/// The first byte of a packed document: raw DEFLATE (RFC 1951) of its JSON follows.
const PACKED_DEFLATE: u8 = 1;
/// What a packed document may inflate to at most: far more than the JSON of a 400 KB item (the
/// largest DynamoDB stores), so only a damaged or hostile value hits it.
const MAX_UNPACKED: usize = 4 << 20;

/// `doc` packed: the format byte, then its JSON deflated.
pub fn pack(doc: &serde_json::Value) -> Result<AttributeValue, StoreError> {
    let json = serde_json::to_vec(doc).map_err(|e| StoreError::Invalid(format!("cannot encode item: {e}")))?;
    let mut bytes = vec![PACKED_DEFLATE];
    bytes.extend(miniz_oxide::deflate::compress_to_vec(&json, 9));
    Ok(AttributeValue::B(Blob::new(bytes)))
}

/// The document stored in `value`: packed (see [`pack`]) or a map.
pub fn unpack(value: AttributeValue, name: &str) -> Result<serde_json::Value, StoreError> {
    let invalid = |what: String| StoreError::Invalid(format!("cannot decode `{name}`: {what}"));
    match value {
        AttributeValue::B(blob) => match blob.as_ref().split_first() {
            Some((&PACKED_DEFLATE, deflated)) => {
                let json = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, MAX_UNPACKED)
                    .map_err(|e| invalid(format!("does not inflate ({:?})", e.status)))?;
                serde_json::from_slice(&json).map_err(|e| invalid(e.to_string()))
            }
            _ => Err(invalid("unknown packing".into())),
        },
        other => serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(other).map_err(|e| invalid(e.to_string())),
    }
}

impl DynamoStore {
    /// `value` as a JSON document, with `paths` sealed for the record `scope`.
    async fn sealed_doc<T: Serialize>(&self, value: &T, paths: &[&str], scope: &str) -> Result<serde_json::Value, StoreError> {
        let mut doc = serde_json::to_value(value).map_err(|e| StoreError::Invalid(format!("cannot encode item: {e}")))?;
        if let Some(sealer) = &self.sealer {
            seal_paths(sealer, &mut doc, paths, scope).await.map_err(seal_error)?;
        }
        Ok(doc)
    }

    /// `value` as a map attribute, with `paths` sealed for the record `scope`.
    pub(crate) async fn encode_sealed<T: Serialize>(&self, value: &T, paths: &[&str], scope: &str) -> Result<AttributeValue, StoreError> {
        let doc = self.sealed_doc(value, paths, scope).await?;
        serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(doc).map_err(|e| StoreError::Invalid(format!("cannot encode item: {e}")))
    }

    /// `value` packed (see [`pack`]), with `paths` sealed for the record `scope`: for documents
    /// saved often and large enough for the size to cross a 1 KB step.
    pub(crate) async fn encode_sealed_packed<T: Serialize>(
        &self,
        value: &T,
        paths: &[&str],
        scope: &str,
    ) -> Result<AttributeValue, StoreError> {
        pack(&self.sealed_doc(value, paths, scope).await?)
    }

    /// Reads the value stored by [`Self::encode_sealed`] or [`Self::encode_sealed_packed`] under
    /// `name`, opening what is sealed.
    pub(crate) async fn decode_sealed<T: DeserializeOwned>(&self, item: &mut Item, name: &str, scope: &str) -> Result<T, StoreError> {
        let value = item.remove(name).ok_or_else(|| StoreError::Invalid(format!("item lacks `{name}`")))?;
        let mut doc = unpack(value, name)?;
        if has_sealed(&doc) {
            let sealer = self.sealer.as_ref().ok_or_else(|| StoreError::Invalid("a sealed field needs a key service to open".into()))?;
            open_all(sealer, &mut doc, scope).await.map_err(seal_error)?;
        }
        serde_json::from_value(doc).map_err(|e| StoreError::Invalid(format!("cannot decode `{name}`: {e}")))
    }
}

impl DynamoStore {
    /// Reads the value stored under `name` without opening what is sealed: every sealed value,
    /// and every plain string at `paths` (a document stored by a store without a sealer), reads
    /// `placeholder`. Asks the key service nothing.
    pub(crate) fn decode_withheld<T: DeserializeOwned>(
        &self,
        item: &mut Item,
        name: &str,
        paths: &[&str],
        placeholder: &str,
    ) -> Result<T, StoreError> {
        let value = item.remove(name).ok_or_else(|| StoreError::Invalid(format!("item lacks `{name}`")))?;
        let mut doc = unpack(value, name)?;
        withhold_sealed(&mut doc, placeholder);
        withhold_paths(&mut doc, paths, placeholder);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_document_reads_back_and_a_map_still_reads() {
        let doc = serde_json::json!({"contact": {"first_name": "Ann"}, "inquiries": [{"contact": {"first_name": "Ann"}}], "version": 3});
        let packed = pack(&doc).unwrap();
        let AttributeValue::B(bytes) = &packed else { panic!("packed is binary") };
        assert_eq!(bytes.as_ref()[0], PACKED_DEFLATE);
        assert_eq!(unpack(packed, "data").unwrap(), doc);
        let map = serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(doc.clone()).unwrap();
        assert_eq!(unpack(map, "data").unwrap(), doc);
    }

    #[test]
    fn damaged_or_unknown_packing_is_refused() {
        let AttributeValue::B(bytes) = pack(&serde_json::json!({"a": "b"})).unwrap() else { panic!() };
        let mut damaged = bytes.into_inner();
        damaged.truncate(damaged.len() / 2);
        assert!(matches!(unpack(AttributeValue::B(Blob::new(damaged.clone())), "data"), Err(StoreError::Invalid(_))));
        damaged[0] = 9;
        assert!(matches!(unpack(AttributeValue::B(Blob::new(damaged)), "data"), Err(StoreError::Invalid(_))));
    }
}
