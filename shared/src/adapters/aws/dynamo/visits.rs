//! Anonymous visits on the leads table:
//!
//! | item        | PK                    | SK             |
//! |-------------|-----------------------|----------------|
//! | visit event | `VISITOR#{visitor}`   | `V#{event_id}` |
//!
//! One PutItem per beacon, with `expires_at` (TTL); a visitor's events are one partition
//! Query in id (time) order, expired ones filtered out (TTL deletes lazily).

use super::item::{from_map, n, query_items, store_error, to_map};
use super::keys::{key, EXPIRES_AT};
use super::DynamoStore;
use crate::domain::source::VisitorId;
use crate::ports::{StoreError, VisitEvent, VisitStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

const PREFIX: &str = "V#";
const DATA: &str = "data";

fn visitor_pk(visitor: &VisitorId) -> String {
    format!("VISITOR#{}", visitor.as_str())
}

#[async_trait]
impl VisitStore for DynamoStore {
    async fn record(&self, event: &VisitEvent, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = key(visitor_pk(&event.visitor), format!("{PREFIX}{}", event.id));
        item.insert(DATA.into(), to_map(event)?);
        item.insert(EXPIRES_AT.into(), n(expires_at.timestamp()));
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(|e| store_error("PutItem", e))?;
        Ok(())
    }

    async fn events(&self, visitor: &VisitorId, now: DateTime<Utc>, limit: usize) -> Result<Vec<VisitEvent>, StoreError> {
        let query = self
            .partition_query(visitor_pk(visitor), Some(PREFIX))
            .filter_expression("#exp > :now")
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":now", n(now.timestamp()));
        let mut out = Vec::new();
        for mut item in query_items(query, None, Some(limit)).await? {
            out.push(from_map(&mut item, DATA)?);
        }
        Ok(out)
    }
}
