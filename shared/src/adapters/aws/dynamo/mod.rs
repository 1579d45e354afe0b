//! DynamoDB adapter: every store port on one table (the layout is in `keys`).
//!
//! Only GetItem, BatchGetItem (listing), PutItem, UpdateItem, Query and TransactWriteItems are
//! used (and DeleteItem to lift a suppression and to remove due items and their index entries):
//! the functions' IAM policies grant exactly these. Nothing scans.

mod idempotency;
mod inbound;
mod item;
mod keys;
mod lead_store;
mod listing;
mod once;
mod suppression;
mod table;
mod timeline;

// Scoring, routing, SLAs (issue 3).
mod schedule;
mod team;

// Follow-up cadences (issue 4).
mod cadence;

pub use table::create_table;

use crate::ports::StoreError;
use aws_sdk_dynamodb::Client;
use item::{condition_failed, store_error, Expr, Item};

/// The store ports on one DynamoDB table. Cloning shares the client.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into() }
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
