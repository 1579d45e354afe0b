//! The audit trail on its own DynamoDB table, append-only.
//!
//! | item        | PK                                  | SK                | ByActorPK       | ByActorSK  |
//! |-------------|-------------------------------------|-------------------|-----------------|------------|
//! | audit entry | `LEAD#{lead_id}` (or `NOLEAD#{day}`)| `AUDIT#{event_id}`| `user:{id}`     | `{event_id}` |
//!
//! `ByActor` is sparse: only an entry by a staff user carries its key attributes
//! ([`AuditActor::trail_key`](crate::domain::AuditActor::trail_key)), so only those entries cost
//! an index write. Entries by the public form and by system components, most of a lead's, are
//! found by lead.
//!
//! Entries are written with PutItem and `attribute_not_exists(PK)`, nothing else: no code path
//! updates or deletes an item, and no function's IAM role allows UpdateItem, DeleteItem,
//! BatchWriteItem or PartiQL writes on the table (checked by `tests/infra/template_policies.rs`).
//! A separate table rather than items in the leads table, so that grant can be made per table:
//! the functions need UpdateItem on the leads table. Point-in-time recovery keeps 35 days of
//! history against an operator who deletes the table itself.

use super::item::{from_map, query_items, s, store_error, to_map, Expr, Item};
use crate::domain::{AuditEntry, EventId, LeadId};
use crate::ports::{AuditLog, Page, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

const PK: &str = "PK";
const SK: &str = "SK";
/// The per-staff-user index (sparse: entries by staff users only).
pub const BY_ACTOR: &str = "ByActor";
const ACTOR_PK: &str = "ActorPK";
const ACTOR_SK: &str = "ActorSK";
const DATA: &str = "data";
const SK_PREFIX: &str = "AUDIT#";

/// The audit table. Cloning shares the client.
#[derive(Debug, Clone)]
pub struct DynamoAuditLog {
    client: Client,
    table: String,
}

impl DynamoAuditLog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoAuditLog { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

fn partition(entry: &AuditEntry) -> String {
    match entry.lead_id {
        Some(id) => format!("LEAD#{id}"),
        // Entries about no lead (reading a user's trail) spread over one partition per day.
        None => format!("NOLEAD#{}", entry.at.format("%Y-%m-%d")),
    }
}

async fn query(
    log: &DynamoAuditLog,
    index: Option<&str>,
    hash: (&str, String),
    // `None`: from the first entry (DynamoDB refuses an empty key value to compare with).
    after: Option<(&str, String)>,
    limit: usize,
) -> Result<Page<AuditEntry>, StoreError> {
    let request = log
        .client
        .query()
        .table_name(&log.table)
        .set_index_name(index.map(str::to_string))
        .expression_attribute_names("#pk", hash.0)
        .expression_attribute_values(":pk", s(hash.1));
    let request = match after {
        Some((name, value)) => request
            .key_condition_expression("#pk = :pk AND #sk > :after")
            .expression_attribute_names("#sk", name)
            .expression_attribute_values(":after", s(value)),
        None => request.key_condition_expression("#pk = :pk"),
    };
    let mut items = Vec::new();
    for mut item in query_items(request, None, Some(limit.saturating_add(1))).await? {
        items.push(from_map::<AuditEntry>(&mut item, DATA)?);
    }
    Ok(Page::from_overfetch(items, limit, |e| e.id))
}

#[async_trait]
impl AuditLog for DynamoAuditLog {
    async fn append(&self, entry: &AuditEntry) -> Result<bool, StoreError> {
        let mut item = Item::new();
        item.insert(PK.into(), s(partition(entry)));
        item.insert(SK.into(), s(format!("{SK_PREFIX}{}", entry.id)));
        if let Some(key) = entry.actor.trail_key() {
            item.insert(ACTOR_PK.into(), s(key));
            item.insert(ACTOR_SK.into(), s(entry.id.to_string()));
        }
        item.insert(DATA.into(), to_map(entry)?);
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .set_expression_attribute_names(Expr::new().name("#pk", PK).names());
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if super::item::condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error("PutItem", e)),
        }
    }

    async fn by_lead(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<AuditEntry>, StoreError> {
        let after = after.map(|a| (SK, format!("{SK_PREFIX}{a}")));
        query(self, None, (PK, format!("LEAD#{lead_id}")), after, limit).await
    }

    async fn by_actor(&self, actor_key: &str, after: Option<EventId>, limit: usize) -> Result<Page<AuditEntry>, StoreError> {
        let after = after.map(|a| (ACTOR_SK, a.to_string()));
        query(self, Some(BY_ACTOR), (ACTOR_PK, actor_key.to_string()), after, limit).await
    }
}
