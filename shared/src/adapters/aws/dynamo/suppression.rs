//! Opt-outs: one item per channel and address.

use super::item::{s, store_error, Expr};
use super::keys::{key, suppression_pk, PK, SUPPRESS_SK};
use super::DynamoStore;
use crate::domain::ContactChannel;
use crate::ports::{StoreError, SuppressionStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

const REASON: &str = "reason";
const AT: &str = "at";

#[async_trait]
impl SuppressionStore for DynamoStore {
    async fn is_suppressed(&self, channel: ContactChannel, address: &str) -> Result<bool, StoreError> {
        let projection = Some(("#pk", Expr::new().name("#pk", PK)));
        Ok(self.read(key(suppression_pk(channel, address), SUPPRESS_SK), projection).await?.is_some())
    }

    async fn suppress(&self, channel: ContactChannel, address: &str, reason: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = key(suppression_pk(channel, address), SUPPRESS_SK);
        item.insert(REASON.into(), s(reason));
        item.insert(AT.into(), s(at.to_rfc3339()));
        self.put_if(item, None).await.map(|_| ())
    }

    async fn lift(&self, channel: ContactChannel, address: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(suppression_pk(channel, address), SUPPRESS_SK)))
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", e))?;
        Ok(())
    }
}
