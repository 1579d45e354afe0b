//! DynamoDB adapter: every store port on one table (the layout is in `keys`).
//!
//! Only GetItem, BatchGetItem (listing), PutItem, UpdateItem, Query and TransactWriteItems are
//! used (and DeleteItem to lift a suppression, to remove due items and their index entries and
//! to drop an erased person's claims): each function's IAM role grants what its code calls
//! (`infra/permissions.toml`). Nothing scans. The audit trail lives in its own table (`audit`),
//! written by PutItem only.

mod idempotency;
mod inbound;
mod item;
mod keys;
mod lead_store;
mod listing;
mod once;
mod pacer;
mod person_data;
mod sealing;
mod suppression;
mod timeline;
mod transaction;

// Scoring, routing, SLAs.
mod schedule;
mod team;

mod audit;

// Duplicates, merges, review queue, change index.
mod dedupe;
pub use dedupe::DynamoDedupeRecords;
// Data hygiene.
mod hygiene;

pub use audit::DynamoAuditLog;
// A packed document (a lead's `data`), for tools and tests that read the table itself.
pub use sealing::{pack, unpack};
// Attribution and KPIs.
mod aggregates;
// Follow-up cadences.
mod cadence;
// The site snippet's anonymous visits.
mod visits;

use crate::crypto::Sealer;
use crate::ports::StoreError;
use aws_sdk_dynamodb::Client;
use item::{condition_failed, store_error, Expr, Item};

/// The store ports on one DynamoDB table. Cloning shares the client.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Seals the fields listed in `crypto::fields` (the health concern, notes). Functions always
    /// have one (`wiring::aws`); without it fields are stored plain and sealed ones refused.
    sealer: Option<Sealer>,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore").field("table", &self.table).field("sealed", &self.sealer.is_some()).finish()
    }
}

impl DynamoStore {
    /// A store that keeps every field plain (tools and tests of the layout).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into(), sealer: None }
    }

    /// A store that seals sensitive free text with `sealer` (what the functions use).
    pub fn sealed(client: Client, table: impl Into<String>, sealer: Sealer) -> Self {
        DynamoStore { client, table: table.into(), sealer: Some(sealer) }
    }

    /// A store on `table` with a client made from `config` (see [`super::sdk_config`]).
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Every item of partition `pk` whose sort key starts with `prefix` (all pages, strongly
    /// consistent): the records kept under one key, such as a lead's markers or the team's
    /// availability.
    async fn query_prefix(&self, pk: String, prefix: &str) -> Result<Vec<Item>, StoreError> {
        item::query_items(self.partition_query(pk, Some(prefix)), None, None).await
    }

    /// A strongly consistent Query of partition `pk` (only sort keys starting with `prefix` when
    /// given), for callers that page, limit or project it themselves.
    fn partition_query(&self, pk: String, prefix: Option<&str>) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":pk", item::s(pk))
            .consistent_read(true);
        match prefix {
            Some(prefix) => query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":prefix", item::s(prefix)),
            None => query.key_condition_expression("#pk = :pk"),
        }
    }

    /// A strongly consistent read: every decision here follows a write that must be seen.
    async fn read(&self, key: Item, projection: Option<(&str, Expr)>) -> Result<Option<Item>, StoreError> {
        let mut request = self.client.get_item().table_name(&self.table).set_key(Some(key)).consistent_read(true);
        if let Some((expression, expr)) = projection {
            request = request.projection_expression(expression).set_expression_attribute_names(expr.names());
        }
        let out = request.send().await.map_err(|e| store_error("GetItem", e))?;
        Ok(out.item)
    }

    /// Writes `item` if `condition` holds; `Ok(false)` when it does not.
    /// Deletes an item (no condition).
    async fn delete(&self, k: Item) -> Result<(), StoreError> {
        self.client.delete_item().table_name(&self.table).set_key(Some(k)).send().await.map_err(|e| store_error("DeleteItem", e))?;
        Ok(())
    }

    async fn put_if(&self, item: Item, condition: Option<(&str, Expr)>) -> Result<bool, StoreError> {
        let mut request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        if let Some((expression, expr)) = condition {
            request = request
                .condition_expression(expression)
                .set_expression_attribute_names(expr.names())
                .set_expression_attribute_values(expr.values());
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error("PutItem", e)),
        }
    }

    /// Applies `update` if `condition` holds; `Ok(false)` when it does not.
    async fn update_if(&self, key: Item, update: &str, condition: &str, expr: Expr) -> Result<bool, StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values());
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error("UpdateItem", e)),
        }
    }
}
