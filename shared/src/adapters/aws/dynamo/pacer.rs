//! The pacer's counters on the leads table:
//!
//! | item            | PK                    | SK                     | attributes |
//! |-----------------|-----------------------|------------------------|------------|
//! | window          | `PACE#{identity}`     | `W#{epoch second}`     | `n` parts taken, `r0`..`r3` refusals per lane |
//! | backlog marks   | `PACE#{identity}`     | `BACKLOG`              | `u0`..`u3` per lane, `cool` (epoch seconds) |
//! | throttle count  | `PACE#{identity}`     | `T#{epoch minute}`     | `n` |
//!
//! Taking a slot is one `UpdateItem ADD n :parts` with the condition `n <= ceiling - parts`
//! (atomic: concurrent writers never exceed the ceiling); refusals and throttles are
//! unconditional `ADD`s that return the new counts; marks only move forward (condition `< :t`).
//! Windows and throttle counts expire an hour later (TTL).

use super::item::{n, store_error, Expr};
use super::keys::{key, EXPIRES_AT};
use super::DynamoStore;
use crate::domain::pacing::{Lane, LaneCounts};
use crate::ports::{Backlog, SendPacer, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};

const BACKLOG_SK: &str = "BACKLOG";
const TAKEN: &str = "n";
const COOL: &str = "cool";
/// How long window and throttle items are kept.
const KEEP_SECONDS: i64 = 3600;

fn pace_pk(identity: &str) -> String {
    format!("PACE#{identity}")
}

fn refused_attr(lane: Lane) -> String {
    format!("r{}", lane.rank())
}

fn until_attr(lane: Lane) -> String {
    format!("u{}", lane.rank())
}

fn num(item: Option<&std::collections::HashMap<String, AttributeValue>>, name: &str) -> i64 {
    item.and_then(|i| i.get(name)).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

impl DynamoStore {
    /// Moves a mark forward to `t` (a mark already later stays).
    async fn raise_mark(&self, identity: &str, attribute: &str, t: i64) -> Result<(), StoreError> {
        let expr = Expr::new().name("#m", attribute).value(":t", n(t));
        self.update_if(key(pace_pk(identity), BACKLOG_SK), "SET #m = :t", "attribute_not_exists(#m) OR #m < :t", expr).await.map(|_| ())
    }

    /// `ADD`s one to `attribute` of an expiring counter item and returns the item afterwards.
    async fn add_one(
        &self,
        identity: &str,
        sk: String,
        attribute: &str,
        expires: i64,
    ) -> Result<Option<std::collections::HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pace_pk(identity), sk)))
            .update_expression("ADD #a :one SET #expires_at = if_not_exists(#expires_at, :exp)")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(expires))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| store_error("UpdateItem", e))?;
        Ok(out.attributes)
    }
}

#[async_trait]
impl SendPacer for DynamoStore {
    async fn take(&self, identity: &str, window: i64, parts: u32, ceiling: u32) -> Result<bool, StoreError> {
        if parts > ceiling {
            return Ok(false);
        }
        let expr = Expr::new()
            .name("#n", TAKEN)
            .name("#expires_at", EXPIRES_AT)
            .value(":parts", n(parts))
            .value(":room", n(ceiling - parts))
            .value(":exp", n(window + KEEP_SECONDS));
        self.update_if(
            key(pace_pk(identity), format!("W#{window}")),
            "ADD #n :parts SET #expires_at = if_not_exists(#expires_at, :exp)",
            "attribute_not_exists(#n) OR #n <= :room",
            expr,
        )
        .await
    }

    async fn refuse(&self, identity: &str, window: i64, lane: Lane) -> Result<LaneCounts, StoreError> {
        let item = self.add_one(identity, format!("W#{window}"), &refused_attr(lane), window + KEEP_SECONDS).await?;
        let mut counts = [0u64; 4];
        for l in Lane::ALL {
            counts[l.rank()] = num(item.as_ref(), &refused_attr(l)).max(0) as u64;
        }
        Ok(counts)
    }

    async fn backlog(&self, identity: &str) -> Result<Backlog, StoreError> {
        let item = self.read(key(pace_pk(identity), BACKLOG_SK), None).await?;
        let mut b = Backlog { cool_until: num(item.as_ref(), COOL), ..Default::default() };
        for l in Lane::ALL {
            b.lanes[l.rank()] = num(item.as_ref(), &until_attr(l));
        }
        Ok(b)
    }

    async fn mark_backlog(&self, identity: &str, lane: Lane, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.raise_mark(identity, &until_attr(lane), until.timestamp()).await
    }

    async fn cool(&self, identity: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.raise_mark(identity, COOL, until.timestamp()).await
    }

    async fn count_throttle(&self, identity: &str, at: DateTime<Utc>) -> Result<u32, StoreError> {
        let minute = at.timestamp().div_euclid(60);
        let item = self.add_one(identity, format!("T#{minute}"), TAKEN, at.timestamp() + KEEP_SECONDS).await?;
        Ok(num(item.as_ref(), TAKEN).max(1) as u32)
    }
}
