//! The data-hygiene ports on the leads table:
//!
//! | item                 | PK                                  | SK                         |
//! |----------------------|-------------------------------------|----------------------------|
//! | rate counter         | `RATE#{scope}#{sha256 of value}`    | `W#{window start, epoch s}`|
//! | test-record index    | `TESTLEADS`                         | `{created_at}#{lead_id}`   |
//! | archived lead's stub | `LEAD#{lead_id}`                    | `STUB`                     |
//!
//! Counters are one `UpdateItem ADD` each (atomic) and carry `expires_at` (TTL) a minute past
//! their window. Test leads are found by querying `TESTLEADS` for sort keys before a time (no
//! scan). An archived lead's items get `expires_at` so DynamoDB's TTL deletes its personal data;
//! the stub (the lead anonymized) has none and stays.

use super::item::{get_s, n, query_items, s, store_error, Expr, Item};
use super::keys::{key, lead_pk, CLAIM_SK, EXPIRES_AT, PK, SK};
use super::sealing::lead_scope;
use super::DynamoStore;
use crate::domain::{Lead, LeadId};
use crate::ports::{RateCounter, RecordHygiene, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, SecondsFormat, Utc};

const TEST_PK: &str = "TESTLEADS";
const STUB_SK: &str = "STUB";
const LEAD_ID: &str = "lead_id";
const COUNT: &str = "hits";
const DATA: &str = "data";

fn test_sk(created_at: DateTime<Utc>, id: LeadId) -> String {
    format!("{}#{id}", created_at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

impl DynamoStore {
    /// Every item of the lead's partition (all pages), keys only.
    async fn partition_keys(&self, id: LeadId) -> Result<Vec<Item>, StoreError> {
        let query = self.partition_query(lead_pk(id), None).expression_attribute_names("#sk", SK).projection_expression("#pk, #sk");
        query_items(query, None, None).await
    }

    /// Runs `op` on a claim item only while it names lead `id` (a claim another lead took over
    /// is left alone).
    async fn claim_held_by(&self, pk: String, id: LeadId) -> Result<bool, StoreError> {
        let Some(item) = self.read(key(pk, CLAIM_SK), None).await? else { return Ok(false) };
        Ok(get_s(&item, LEAD_ID)? == id.to_string())
    }

    async fn claims_of(&self, lead: &Lead) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(super::lead_store::claim_pks(lead));
        out
    }
}

#[async_trait]
impl RecordHygiene for DynamoStore {
    async fn mark_test(&self, lead: &Lead) -> Result<(), StoreError> {
        let mut item = key(TEST_PK.to_string(), test_sk(lead.created_at, lead.id));
        item.insert(LEAD_ID.into(), s(lead.id.to_string()));
        self.put_if(item, None).await.map(|_| ())
    }

    async fn test_leads_before(&self, before: DateTime<Utc>, limit: usize) -> Result<Vec<LeadId>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk < :before")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(TEST_PK))
            .expression_attribute_values(":before", s(before.to_rfc3339_opts(SecondsFormat::Millis, true)))
            .consistent_read(true);
        let items = query_items(query, None, Some(limit.max(1))).await?;
        items.iter().map(|i| get_s(i, LEAD_ID)?.parse().map_err(|_| StoreError::Invalid("malformed test-index entry".into()))).collect()
    }

    async fn delete_lead(&self, id: LeadId) -> Result<bool, StoreError> {
        use crate::ports::LeadStore;
        let lead = self.get(id).await?;
        if let Some(lead) = &lead {
            for pk in self.claims_of(lead).await {
                if self.claim_held_by(pk.clone(), id).await? {
                    self.delete(key(pk, CLAIM_SK)).await?;
                }
            }
            self.delete(key(TEST_PK.to_string(), test_sk(lead.created_at, id))).await?;
        }
        // Its name-index entries before the record listing them goes with the partition.
        self.drop_name_index(id).await?;
        // The lead item last: a retry after a failure finds it and finishes the rest.
        let mut items = self.partition_keys(id).await?;
        items.sort_by_key(|i| get_s(i, SK).map(|sk| sk == super::keys::LEAD_SK).unwrap_or(false));
        for item in items {
            let sk = get_s(&item, SK)?.to_string();
            self.delete(key(lead_pk(id), sk)).await?;
        }
        Ok(lead.is_some())
    }

    async fn expire_personal_data(&self, lead: &Lead, stub: &Lead, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = key(lead_pk(lead.id), STUB_SK);
        item.insert(DATA.into(), self.encode_sealed(stub, crate::crypto::fields::LEAD, &lead_scope(lead.id)).await?);
        self.put_if(item, None).await?;
        let at = n(expires_at.timestamp());
        for k in self.partition_keys(lead.id).await? {
            let sk = get_s(&k, SK)?.to_string();
            if sk == STUB_SK {
                continue;
            }
            let expr = Expr::new().name("#expires_at", EXPIRES_AT).name("#pk", PK).value(":at", at.clone());
            // attribute_exists: an item deleted meanwhile is not re-created as a bare key.
            self.update_if(key(lead_pk(lead.id), sk), "SET #expires_at = :at", "attribute_exists(#pk)", expr).await?;
        }
        // The name-index entries expire with the lead (they are derived from its names).
        for pk in self.indexed_names(lead.id).await? {
            let expr = Expr::new().name("#expires_at", EXPIRES_AT).name("#pk", PK).value(":at", at.clone());
            self.update_if(key(pk, lead_pk(lead.id)), "SET #expires_at = :at", "attribute_exists(#pk)", expr).await?;
        }
        for pk in self.claims_of(lead).await {
            let expr = Expr::new()
                .name("#expires_at", EXPIRES_AT)
                .name("#lead_id", LEAD_ID)
                .value(":at", at.clone())
                .value(":id", s(lead.id.to_string()));
            self.update_if(key(pk, CLAIM_SK), "SET #expires_at = :at", "#lead_id = :id", expr).await?;
        }
        Ok(())
    }

    async fn stub(&self, id: LeadId) -> Result<Option<Lead>, StoreError> {
        let Some(mut item) = self.read(key(lead_pk(id), STUB_SK), None).await? else { return Ok(None) };
        self.lead_from_item(id, &mut item).await.map(Some)
    }

    async fn purge_expired(&self, _now: DateTime<Utc>) -> Result<usize, StoreError> {
        // DynamoDB's TTL deletes items whose `expires_at` has passed (template.yaml enables it).
        Ok(0)
    }
}

#[async_trait]
impl RateCounter for DynamoStore {
    async fn hit(&self, counter: &str, window_start: DateTime<Utc>, window_end: DateTime<Utc>) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("RATE#{counter}"), format!("W#{}", window_start.timestamp()))))
            .update_expression("ADD #hits :one SET #expires_at = if_not_exists(#expires_at, :exp)")
            .expression_attribute_names("#hits", COUNT)
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(window_end.timestamp() + 60))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| store_error("UpdateItem", e))?;
        let hits = out.attributes().and_then(|a| a.get(COUNT)).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok());
        hits.ok_or_else(|| StoreError::Invalid("UpdateItem returned no count".into()))
    }
}
