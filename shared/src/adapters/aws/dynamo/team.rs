//! Team state on the single table: round-robin counters (`RR#{pool}` / `RR`, an atomic counter)
//! and availability records (`TEAM` / `AVAIL#{member}`, all read with one Query).

use super::item::{from_map, n, store_error, to_map};
use super::keys::{key, SK};
use super::DynamoStore;
use crate::domain::routing::{Availability, MemberId};
use crate::ports::{StoreError, TeamStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use std::collections::BTreeMap;

const TEAM_PK: &str = "TEAM";
const AVAIL_PREFIX: &str = "AVAIL#";
const COUNTER: &str = "n";
const DATA: &str = "data";

#[async_trait]
impl TeamStore for DynamoStore {
    async fn next_ticket(&self, pool: &str) -> Result<u64, StoreError> {
        // ADD is applied atomically by DynamoDB and returns the new value: concurrent callers
        // each get their own number (no read-modify-write race, no retries under contention).
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("RR#{pool}"), "RR")))
            .update_expression("ADD #n :one")
            .expression_attribute_names("#n", COUNTER)
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| store_error("UpdateItem", e))?;
        let value = out
            .attributes
            .and_then(|a| a.get(COUNTER).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<u64>().ok()))
            .ok_or_else(|| StoreError::Invalid("round-robin counter missing from the answer".into()))?;
        Ok(value.saturating_sub(1))
    }

    async fn set_availability(&self, member: &MemberId, availability: &Availability) -> Result<(), StoreError> {
        let mut item = key(TEAM_PK.to_string(), format!("{AVAIL_PREFIX}{member}"));
        item.insert(DATA.into(), to_map(availability)?);
        self.put_if(item, None).await.map(|_| ())
    }

    async fn availability(&self) -> Result<BTreeMap<MemberId, Availability>, StoreError> {
        let mut out = BTreeMap::new();
        for mut item in self.query_prefix(TEAM_PK.to_string(), AVAIL_PREFIX).await? {
            let sk = item.get(SK).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let Some(id) = sk.strip_prefix(AVAIL_PREFIX).and_then(MemberId::parse) else { continue };
            out.insert(id, from_map(&mut item, DATA)?);
        }
        Ok(out)
    }
}
