//! Due items on the single table (see `ports::schedule` for the model):
//!
//! | record      | PK                                   | SK                       |
//! |-------------|--------------------------------------|--------------------------|
//! | item        | `DUEKEY#{kind}#{key}`                | `DUEKEY`                 |
//! | index entry | `DUE#{kind}#{yyyy-mm-ddThh:mm}`      | `{due_at, ms}#{key}`     |
//! | cursor      | `DUECURSOR#{kind}`                   | `DUECURSOR`              |
//!
//! A tick reads an index bucket with one Query (`SK < {now + 1 ms}`); claims, chains and
//! releases are conditional writes on the item. Items and entries carry `expires_at` (30 days
//! after due) so anything left behind by a crash is removed by the table's TTL.

use super::item::{get_millis, get_n, get_s, millis, n, s, store_error, Expr, Item};
use super::keys::{key, EXPIRES_AT, PK, SK};
use super::DynamoStore;
use crate::ports::schedule::{bucket_name, minute_of, valid_kind, DueClaim, DueItem, DueStore};
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Duration, SecondsFormat, Utc};

const ITEM_SK: &str = "DUEKEY";
const CURSOR_SK: &str = "DUECURSOR";
const DUE_AT: &str = "due_at";
const BUCKET: &str = "bucket";
const ENTRY_SK: &str = "entry_sk";
const PAYLOAD: &str = "payload";
const CLAIMED_UNTIL: &str = "claimed_until";
const ATTEMPTS: &str = "attempts";
const ITEM_KEY: &str = "item_key";
const MINUTE: &str = "minute";

/// Kept after the due time, for items and entries a crash left behind.
const RETENTION_DAYS: i64 = 30;

fn item_pk(kind: &str, item_key: &str) -> String {
    format!("DUEKEY#{kind}#{item_key}")
}

fn bucket_pk(kind: &str, bucket: &str) -> String {
    format!("DUE#{kind}#{bucket}")
}

fn cursor_pk(kind: &str) -> String {
    format!("DUECURSOR#{kind}")
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn entry_sk(due_at: DateTime<Utc>, item_key: &str) -> String {
    format!("{}#{item_key}", stamp(due_at))
}

fn expires(due_at: DateTime<Utc>) -> i64 {
    (due_at + Duration::days(RETENTION_DAYS)).timestamp()
}

fn check(kind: &str) -> Result<(), StoreError> {
    if valid_kind(kind) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("bad due-item kind {kind:?}")))
    }
}

/// The item record and its index entry for `item`.
fn records(item: &DueItem, now: DateTime<Utc>) -> (Item, Item) {
    let bucket = bucket_name(minute_of(item.due_at.max(now)));
    let sk = entry_sk(item.due_at, &item.key);
    let mut entry = key(bucket_pk(&item.kind, &bucket), sk.clone());
    entry.insert(ITEM_KEY.into(), s(item.key.clone()));
    entry.insert(DUE_AT.into(), millis(item.due_at));
    entry.insert(EXPIRES_AT.into(), n(expires(item.due_at)));
    let mut record = key(item_pk(&item.kind, &item.key), ITEM_SK);
    record.insert(DUE_AT.into(), millis(item.due_at));
    record.insert(BUCKET.into(), s(bucket));
    record.insert(ENTRY_SK.into(), s(sk));
    record.insert(PAYLOAD.into(), s(item.payload.clone()));
    record.insert(CLAIMED_UNTIL.into(), n(0));
    record.insert(ATTEMPTS.into(), n(0));
    record.insert(EXPIRES_AT.into(), n(expires(item.due_at)));
    (record, entry)
}

fn to_item(kind: &str, item_key: &str, record: &Item) -> Result<DueItem, StoreError> {
    Ok(DueItem {
        kind: kind.to_string(),
        key: item_key.to_string(),
        due_at: get_millis(record, DUE_AT)?,
        payload: get_s(record, PAYLOAD)?.to_string(),
        attempts: u32::try_from(get_n(record, ATTEMPTS)?).unwrap_or(u32::MAX),
    })
}

impl DynamoStore {
    /// Deletes the index entry a stored item record points at.
    async fn delete_entry_of(&self, kind: &str, record: &Item) -> Result<(), StoreError> {
        let (bucket, sk) = (get_s(record, BUCKET)?, get_s(record, ENTRY_SK)?);
        self.delete(key(bucket_pk(kind, bucket), sk.to_string())).await
    }

    /// Deletes the item if it is still due at `due_at`; its old record when it was.
    async fn delete_item_if_due(&self, kind: &str, item_key: &str, due_at: Option<DateTime<Utc>>) -> Result<Option<Item>, StoreError> {
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(item_pk(kind, item_key), ITEM_SK)))
            .return_values(ReturnValue::AllOld);
        if let Some(due) = due_at {
            request = request
                .condition_expression("#due = :due")
                .expression_attribute_names("#due", DUE_AT)
                .expression_attribute_values(":due", millis(due));
        }
        match request.send().await {
            Ok(out) => Ok(out.attributes.filter(|a| !a.is_empty())),
            Err(e) if super::item::condition_failed(&e) => Ok(None),
            Err(e) => Err(store_error("DeleteItem", e)),
        }
    }
}

#[async_trait]
impl DueStore for DynamoStore {
    async fn schedule(&self, item: &DueItem, now: DateTime<Utc>) -> Result<(), StoreError> {
        check(&item.kind)?;
        let old = self.read(key(item_pk(&item.kind, &item.key), ITEM_SK), None).await?;
        let (record, entry) = records(item, now);
        let (new_bucket, new_sk) = (get_s(&record, BUCKET)?.to_string(), get_s(&record, ENTRY_SK)?.to_string());
        // Entry first: a crash after it leaves a stale entry (skipped), never an unindexed item.
        self.put_if(entry, None).await?;
        self.put_if(record, None).await?;
        if let Some(old) = old {
            if get_s(&old, BUCKET)? != new_bucket || get_s(&old, ENTRY_SK)? != new_sk {
                self.delete_entry_of(&item.kind, &old).await?;
            }
        }
        Ok(())
    }

    async fn get(&self, kind: &str, item_key: &str) -> Result<Option<DueItem>, StoreError> {
        match self.read(key(item_pk(kind, item_key), ITEM_SK), None).await? {
            Some(record) => to_item(kind, item_key, &record).map(Some),
            None => Ok(None),
        }
    }

    async fn cancel(&self, kind: &str, item_key: &str) -> Result<bool, StoreError> {
        match self.delete_item_if_due(kind, item_key, None).await? {
            Some(old) => {
                self.delete_entry_of(kind, &old).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn bucket(&self, kind: &str, minute: DateTime<Utc>, upto: DateTime<Utc>, limit: usize) -> Result<Vec<DueItem>, StoreError> {
        let upper = stamp(upto + Duration::milliseconds(1));
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk < :upper")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(bucket_pk(kind, &bucket_name(minute))))
            .expression_attribute_values(":upper", s(upper))
            .consistent_read(true)
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| store_error("Query", e))?;
        out.items()
            .iter()
            .map(|e| {
                Ok(DueItem {
                    kind: kind.to_string(),
                    key: get_s(e, ITEM_KEY)?.to_string(),
                    due_at: get_millis(e, DUE_AT)?,
                    payload: String::new(),
                    attempts: 0,
                })
            })
            .collect()
    }

    async fn claim(&self, entry: &DueItem, now: DateTime<Utc>, lease: Duration) -> Result<DueClaim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(item_pk(&entry.kind, &entry.key), ITEM_SK)))
            .update_expression("SET #cu = :until ADD #attempts :one")
            .condition_expression("attribute_exists(PK) AND #due = :due AND #cu <= :now")
            .expression_attribute_names("#cu", CLAIMED_UNTIL)
            .expression_attribute_names("#attempts", ATTEMPTS)
            .expression_attribute_names("#due", DUE_AT)
            .expression_attribute_values(":until", millis(now + lease))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":due", millis(entry.due_at))
            .expression_attribute_values(":now", millis(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let record = out.attributes.unwrap_or_default();
                Ok(DueClaim::Claimed(to_item(&entry.kind, &entry.key, &record)?))
            }
            Err(e) if super::item::condition_failed(&e) => match self.read(key(item_pk(&entry.kind, &entry.key), ITEM_SK), None).await? {
                Some(record) if get_millis(&record, DUE_AT)? == entry.due_at => Ok(DueClaim::Busy),
                _ => Ok(DueClaim::Stale),
            },
            Err(e) => Err(store_error("UpdateItem", e)),
        }
    }

    async fn complete(&self, claimed: &DueItem) -> Result<(), StoreError> {
        if let Some(old) = self.delete_item_if_due(&claimed.kind, &claimed.key, Some(claimed.due_at)).await? {
            self.delete_entry_of(&claimed.kind, &old).await?;
        }
        Ok(())
    }

    async fn chain(&self, claimed: &DueItem, next: &DueItem, now: DateTime<Utc>) -> Result<bool, StoreError> {
        check(&next.kind)?;
        let (record, entry) = records(next, now);
        let (new_bucket, new_sk) = (get_s(&record, BUCKET)?.to_string(), get_s(&record, ENTRY_SK)?.to_string());
        self.put_if(entry, None).await?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record))
            .condition_expression("#due = :old AND #cu > :zero")
            .expression_attribute_names("#due", DUE_AT)
            .expression_attribute_names("#cu", CLAIMED_UNTIL)
            .expression_attribute_values(":old", millis(claimed.due_at))
            .expression_attribute_values(":zero", n(0))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match put {
            Ok(out) => {
                if let Some(old) = out.attributes.filter(|a| !a.is_empty()) {
                    if get_s(&old, BUCKET)? != new_bucket || get_s(&old, ENTRY_SK)? != new_sk {
                        self.delete_entry_of(&claimed.kind, &old).await?;
                    }
                }
                Ok(true)
            }
            Err(e) if super::item::condition_failed(&e) => {
                // Cancelled (or rescheduled) while we worked: the new entry is not wanted.
                self.delete(key(bucket_pk(&next.kind, &new_bucket), new_sk)).await?;
                Ok(false)
            }
            Err(e) => Err(store_error("PutItem", e)),
        }
    }

    async fn release(&self, claimed: &DueItem) -> Result<(), StoreError> {
        self.update_if(
            key(item_pk(&claimed.kind, &claimed.key), ITEM_SK),
            "SET #cu = :zero",
            "#due = :due",
            Expr::new().name("#cu", CLAIMED_UNTIL).name("#due", DUE_AT).value(":zero", n(0)).value(":due", millis(claimed.due_at)),
        )
        .await
        .map(|_| ())
    }

    async fn drop_entry(&self, entry: &DueItem, minute: DateTime<Utc>) -> Result<(), StoreError> {
        // Only stale entries reach here (claim said so); a live item keeps its entry.
        if let Some(record) = self.read(key(item_pk(&entry.kind, &entry.key), ITEM_SK), None).await? {
            if get_millis(&record, DUE_AT)? == entry.due_at && get_s(&record, BUCKET)? == bucket_name(minute) {
                return Ok(());
            }
        }
        self.delete(key(bucket_pk(&entry.kind, &bucket_name(minute)), entry_sk(entry.due_at, &entry.key))).await
    }

    async fn cursor(&self, kind: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.read(key(cursor_pk(kind), CURSOR_SK), None).await? {
            Some(record) => get_millis(&record, MINUTE).map(Some),
            None => Ok(None),
        }
    }

    async fn advance_cursor(&self, kind: &str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> Result<bool, StoreError> {
        if from.is_some_and(|f| f >= to) {
            return Ok(false);
        }
        let mut record = key(cursor_pk(kind), CURSOR_SK);
        record.insert(MINUTE.into(), millis(to));
        let condition = match from {
            None => ("attribute_not_exists(PK)", Expr::new()),
            Some(f) => ("#minute = :from", Expr::new().name("#minute", MINUTE).value(":from", millis(f))),
        };
        self.put_if(record, Some(condition)).await
    }
}
