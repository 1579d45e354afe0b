//! The report aggregates on the single table.
//!
//! | item | PK | SK |
//! |---|---|---|
//! | counter row | `AGG#{family}#{dimension}#{yyyy-mm}` | `{yyyy-mm-dd}#{value}` |
//! | a lead's ledger | `LEAD#{lead_id}` | `AGG` |
//! | spend | `SPEND#{yyyy-mm}` | `{source}#{campaign}` |
//! | report delivery | `DELIVERY#{sha256 of key}` | `DELIVERY` (TTL 400 days) |
//! | source-tag audit entry | `SRCAUDIT` | `{lead_id}` |
//!
//! The source-tag audit list is one partition read in lead-id order with a paged Query (no
//! scan); it holds only the leads whose tags need correcting, each written by the analytics
//! consumer.
//!
//! Counters are number attributes `c_{name}` updated with `ADD` (atomic, negative amounts
//! allowed). A lead's update is one TransactWriteItems: the ledger's `SET` with a version
//! condition, and an `ADD` per row. The ledger holds the lead's contribution packed (deflated
//! JSON, `sealing::pack`): about 1.5 KB as text, under 1 KB packed, so each of a lead's updates
//! writes one unit for it, not two. A month's rows of one dimension are one partition, read
//! with one Query (paged): a monthly report is a handful of requests whatever the lead count.

use super::item::{from_map, get_n, get_s, n, query_items, s, store_error, to_map, Expr, Item};
use super::keys::{key, lead_pk, EXPIRES_AT, PK, SK};
use super::transaction::build_error;
use super::DynamoStore;
use crate::domain::analytics::contribution::Counters;
use crate::domain::analytics::period::{months, next_month};
use crate::domain::analytics::source_audit::SourceFlag;
use crate::domain::analytics::spend::SpendEntry;
use crate::domain::analytics::{Contribution, Dimension, Family, RowDelta, RowKey};
use crate::domain::LeadId;
use crate::ports::aggregates::{AggregateStore, Ledger, MAX_ROWS_PER_UPDATE};
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sha2::Digest;

const LEDGER_SK: &str = "AGG";
const VERSION: &str = "v";
const CONTRIBUTION: &str = "c";
const COUNTER_PREFIX: &str = "c_";
const DATA: &str = "data";
const DELIVERY_SK: &str = "DELIVERY";
const SOURCE_AUDIT_PK: &str = "SRCAUDIT";
/// Delivery markers outlive any retry by far, and then go.
const DELIVERY_RETENTION_DAYS: i64 = 400;

fn row_pk(family: Family, dimension: Dimension, month: NaiveDate) -> String {
    format!("AGG#{}#{}#{}", family.as_str(), dimension.as_str(), month.format("%Y-%m"))
}

fn row_key(k: &RowKey) -> Item {
    key(row_pk(k.family, k.dimension, crate::domain::analytics::Period::Month.start(k.day)), format!("{}#{}", k.day, k.value))
}

fn ledger_key(lead_id: LeadId) -> Item {
    key(lead_pk(lead_id), LEDGER_SK)
}

fn spend_pk(month: NaiveDate) -> String {
    format!("SPEND#{}", month.format("%Y-%m"))
}

fn delivery_key(k: &str) -> Item {
    key(format!("DELIVERY#{}", hex::encode(sha2::Sha256::digest(k.as_bytes()))), DELIVERY_SK)
}

impl DynamoStore {
    fn ledger_update(&self, lead_id: LeadId, expected: Option<u64>, next: &Contribution) -> Result<TransactWriteItem, StoreError> {
        let doc = serde_json::to_value(next).map_err(|e| StoreError::Invalid(format!("cannot encode a ledger: {e}")))?;
        let mut expr = Expr::new()
            .name("#v", VERSION)
            .name("#c", CONTRIBUTION)
            .value(":c", super::sealing::pack(&doc)?)
            .value(":next", n(expected.map_or(1, |v| v + 1)));
        let condition = match expected {
            None => "attribute_not_exists(PK)",
            Some(v) => {
                expr = expr.value(":expected", n(v));
                "#v = :expected"
            }
        };
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(ledger_key(lead_id)))
            .update_expression("SET #c = :c, #v = :next")
            .condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn row_update(&self, k: &RowKey, counters: &Counters) -> Result<TransactWriteItem, StoreError> {
        let mut expr = Expr::new();
        let mut clauses = Vec::with_capacity(counters.len());
        for (i, (name, v)) in counters.iter().enumerate() {
            expr = expr.name(&format!("#n{i}"), &format!("{COUNTER_PREFIX}{name}")).value(&format!(":v{i}"), n(v));
            clauses.push(format!("#n{i} :v{i}"));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(row_key(k)))
            .update_expression(format!("ADD {}", clauses.join(", ")))
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Every item of one partition (all pages, strongly consistent), only sort keys in the
    /// inclusive `range` when given.
    async fn query_all(&self, pk: String, range: Option<(String, String)>) -> Result<Vec<Item>, StoreError> {
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true);
        let q = match range {
            Some((lo, hi)) => q
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":lo", s(lo))
                .expression_attribute_values(":hi", s(hi)),
            None => q.key_condition_expression("#pk = :pk"),
        };
        query_items(q, None, None).await
    }
}

fn parse_row(family: Family, dimension: Dimension, item: &Item) -> Result<(RowKey, Counters), StoreError> {
    let sk = get_s(item, SK)?;
    let (day, value) = sk.split_once('#').ok_or_else(|| StoreError::Invalid(format!("malformed aggregate key {sk:?}")))?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| StoreError::Invalid(format!("malformed aggregate day {sk:?}")))?;
    let mut counters = Counters::new();
    for (name, v) in item {
        if let Some(counter) = name.strip_prefix(COUNTER_PREFIX) {
            let v: i64 =
                v.as_n().ok().and_then(|x| x.parse().ok()).ok_or_else(|| StoreError::Invalid(format!("malformed counter {name}")))?;
            counters.insert(counter.to_string(), v);
        }
    }
    Ok((RowKey { family, dimension, day, value: value.to_string() }, counters))
}

#[async_trait]
impl AggregateStore for DynamoStore {
    async fn ledger(&self, lead_id: LeadId) -> Result<Option<Ledger>, StoreError> {
        let Some(item) = self.read(ledger_key(lead_id), None).await? else { return Ok(None) };
        let version = u64::try_from(get_n(&item, VERSION)?).map_err(|_| StoreError::Invalid("negative ledger version".into()))?;
        // Packed (see `sealing::pack`); a ledger written before packing holds its JSON as text.
        let contribution = match item.get(CONTRIBUTION) {
            Some(AttributeValue::S(json)) => serde_json::from_str(json),
            Some(packed) => serde_json::from_value(super::sealing::unpack(packed.clone(), CONTRIBUTION)?),
            None => return Err(StoreError::Invalid("a ledger lacks its contribution".into())),
        }
        .map_err(|e| StoreError::Invalid(format!("cannot decode a ledger: {e}")))?;
        Ok(Some(Ledger { version, contribution }))
    }

    async fn apply(&self, lead_id: LeadId, expected: Option<u64>, next: &Contribution, delta: &RowDelta) -> Result<bool, StoreError> {
        if delta.len() > MAX_ROWS_PER_UPDATE {
            return Err(StoreError::Invalid(format!("an update may touch at most {MAX_ROWS_PER_UPDATE} rows, not {}", delta.len())));
        }
        let mut items = vec![self.ledger_update(lead_id, expected, next)?];
        for (k, counters) in delta {
            if !counters.is_empty() {
                items.push(self.row_update(k, counters)?);
            }
        }
        // `false` when the ledger moved on (a false condition) or another transaction held one
        // of the rows (a conflict, common on the busiest rows): nothing was written; the caller
        // reads again and recomputes.
        Ok(self.transact_write(items).await?.is_ok())
    }

    async fn rows(
        &self,
        family: Family,
        dimension: Dimension,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(RowKey, Counters)>, StoreError> {
        let mut out = Vec::new();
        for month in months(from, to) {
            let lo = from.max(month);
            let hi = to.min(next_month(month) - Duration::days(1));
            // Sort keys are `{day}#{value}`: `{hi}$` sorts after every `{hi}#...`.
            let range = (lo.to_string(), format!("{hi}$"));
            for item in self.query_all(row_pk(family, dimension, month), Some(range)).await? {
                out.push(parse_row(family, dimension, &item)?);
            }
        }
        Ok(out)
    }

    async fn put_spend(&self, entry: &SpendEntry) -> Result<(), StoreError> {
        let mut item = key(spend_pk(entry.month), format!("{}#{}", entry.source, entry.campaign));
        item.insert(DATA.into(), to_map(entry)?);
        self.put_if(item, None).await.map(|_| ())
    }

    async fn spend(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<SpendEntry>, StoreError> {
        let mut out = Vec::new();
        for month in months(from, to) {
            for mut item in self.query_all(spend_pk(month), None).await? {
                out.push(from_map(&mut item, DATA)?);
            }
        }
        Ok(out)
    }

    async fn claim_delivery(&self, k: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut item = delivery_key(k);
        item.insert("at".into(), s(at.to_rfc3339()));
        item.insert(EXPIRES_AT.into(), n((at + Duration::days(DELIVERY_RETENTION_DAYS)).timestamp()));
        self.put_if(item, Some(("attribute_not_exists(PK)", Expr::new()))).await
    }

    async fn release_delivery(&self, k: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(delivery_key(k)))
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", e))?;
        Ok(())
    }

    async fn put_source_flag(&self, flag: &SourceFlag) -> Result<(), StoreError> {
        let mut item = key(SOURCE_AUDIT_PK.to_string(), flag.lead_id.to_string());
        item.insert(DATA.into(), to_map(flag)?);
        self.put_if(item, None).await.map(|_| ())
    }

    async fn clear_source_flag(&self, lead_id: LeadId) -> Result<(), StoreError> {
        // Most leads are not on the list, and a delete of nothing still costs a write unit (five
        // times a read's price): look first.
        let flag = key(SOURCE_AUDIT_PK.to_string(), lead_id.to_string());
        if self.read(flag, Some(("#pk", Expr::new().name("#pk", PK)))).await?.is_none() {
            return Ok(());
        }
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(SOURCE_AUDIT_PK.to_string(), lead_id.to_string())))
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", e))?;
        Ok(())
    }

    async fn source_flags(&self, after: Option<LeadId>, limit: usize) -> Result<(Vec<SourceFlag>, Option<LeadId>), StoreError> {
        let limit = limit.clamp(1, 1000);
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(SOURCE_AUDIT_PK.to_string()))
            .consistent_read(true)
            // One more than asked: whether there is a next page.
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        q = match after {
            Some(a) => q
                .key_condition_expression("#pk = :pk AND #sk > :after")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":after", s(a.to_string())),
            None => q.key_condition_expression("#pk = :pk"),
        };
        let out = q.send().await.map_err(|e| store_error("Query", e))?;
        let mut page = Vec::new();
        for mut item in out.items.unwrap_or_default() {
            page.push(from_map::<SourceFlag>(&mut item, DATA)?);
        }
        let more = page.len() > limit;
        page.truncate(limit);
        let next = if more { page.last().map(|f| f.lead_id) } else { None };
        Ok((page, next))
    }
}
