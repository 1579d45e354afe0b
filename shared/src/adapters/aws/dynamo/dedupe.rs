//! Duplicates on the leads table.
//!
//! | item                 | PK                          | SK                 |
//! |----------------------|-----------------------------|--------------------|
//! | blocking key member  | `MKEY#{sha256 of the key}`  | `LEAD#{lead_id}`   |
//! | a lead's keys        | `MKEYS#{lead_id}`           | `MKEYS`            |
//! | merge (before-image) | `MERGE#{survivor}`          | `MERGE#{merge_id}` |
//! | open review item     | `REVIEW`                    | `OPEN#{a}.{b}`     |
//! | distinct pair        | `PAIR#{a}.{b}`              | `DISTINCT`         |
//! | job watermark        | `JOB#{name}`                | `WATERMARK`        |
//!
//! Blocking keys are stored as digests: the table never holds a name sound or an address in a
//! key. A merge is one TransactWriteItems: both lead items (each conditional on the version read),
//! the moved claims (conditional on their holder), the new timeline entries and the merge record
//! holding the two lead items exactly as they were stored (sealed fields stay sealed), so unmerge
//! puts the very same bytes back. The change index is GSI7 on the lead items themselves.

use super::item::{get_n, get_s, query_items, s, to_map, Expr, Item};
use super::keys::{changed_pk, changed_sk, key, lead_id_from_pk, lead_pk, CLAIM_SK, GSI7, GSI7_PK, GSI7_SK, LEAD_SK, PK, SK};
use super::transaction::{delete, put, put_if};
use super::DynamoStore;
use crate::domain::{EventId, LeadId};
use crate::ports::dedupe::{MatchIndex, MergeStore, MergeSummary, MergeWrite, PairKey, ReviewItem, ReviewQueue};
use crate::ports::{HeldRecord, PersonDataStore, PersonKeys, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use sha2::Digest;

const VERSION: &str = "version";
const LEAD_ID: &str = "lead_id";
const DATA: &str = "data";
const BEFORE: &str = "before";
const MERGE_PREFIX: &str = "MERGE#";
/// DynamoDB's limit of items in one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

fn key_pk(blocking_key: &str) -> String {
    format!("MKEY#{}", &hex::encode(sha2::Sha256::digest(blocking_key.as_bytes()))[..32])
}

fn lead_keys_key(lead: LeadId) -> Item {
    key(format!("MKEYS#{lead}"), "MKEYS")
}

fn merge_key(survivor: LeadId, id: EventId) -> Item {
    key(format!("{MERGE_PREFIX}{survivor}"), format!("{MERGE_PREFIX}{id}"))
}

fn review_key(pair: PairKey) -> Item {
    key("REVIEW".to_string(), format!("OPEN#{pair}"))
}

fn distinct_key(pair: PairKey) -> Item {
    key(format!("PAIR#{pair}"), "DISTINCT")
}

fn time(at: DateTime<Utc>) -> AttributeValue {
    s(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn parse_time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(get_s(item, name)?).map(|t| t.to_utc()).map_err(|_| StoreError::Invalid(format!("bad time in `{name}`")))
}
fn version_is(v: i64) -> Expr {
    Expr::new().name("#version", VERSION).value(":v", super::item::n(v))
}

fn summary(item: &Item) -> Result<MergeSummary, StoreError> {
    let survivor = get_s(item, PK)?.strip_prefix(MERGE_PREFIX).and_then(|v| v.parse().ok());
    let id = get_s(item, SK)?.strip_prefix(MERGE_PREFIX).and_then(|v| v.parse().ok());
    let (Some(survivor), Some(id)) = (survivor, id) else { return Err(StoreError::Invalid("malformed merge key".into())) };
    Ok(MergeSummary {
        id,
        survivor,
        absorbed: get_s(item, "absorbed")?.parse().map_err(|_| StoreError::Invalid("malformed merge record".into()))?,
        at: parse_time(item, "at")?,
        by: get_s(item, "by")?.to_string(),
        undone_at: if item.contains_key("undone_at") { Some(parse_time(item, "undone_at")?) } else { None },
    })
}

impl DynamoStore {
    /// Puts that index a new lead's blocking keys, for the transaction that creates it (changes
    /// reach the index through the change index: the hygiene job refreshes each changed lead's
    /// keys before it looks anything up).
    pub(crate) fn blocking_key_puts(&self, lead: &crate::domain::Lead) -> Result<Vec<TransactWriteItem>, StoreError> {
        let keys = crate::domain::matching::blocking_keys(&crate::domain::matching::PersonFacts::of_lead(lead));
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let digests: Vec<String> = keys.iter().map(|k| key_pk(k)).collect();
        let mut out = Vec::with_capacity(digests.len() + 1);
        for pk in &digests {
            let mut item = key(pk.clone(), lead_pk(lead.id));
            item.insert(LEAD_ID.into(), s(lead.id.to_string()));
            out.push(put(&self.table, item)?);
        }
        let mut item = lead_keys_key(lead.id);
        item.insert("keys".into(), AttributeValue::L(digests.into_iter().map(AttributeValue::S).collect()));
        out.push(put(&self.table, item)?);
        Ok(out)
    }

    /// Runs a transaction; a lost race is `Conflict` (the caller reads again).
    async fn transact_or_conflict(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.transact_write(items).await?.map_err(|_| StoreError::Conflict)
    }

    /// The lead item exactly as stored, if its version is `expected`.
    async fn raw_lead(&self, id: LeadId, expected: u64) -> Result<Item, StoreError> {
        let item = self.read(key(lead_pk(id), LEAD_SK), None).await?.ok_or(StoreError::Conflict)?;
        if get_n(&item, VERSION)? != i64::try_from(expected).unwrap_or(-1) {
            return Err(StoreError::Conflict);
        }
        Ok(item)
    }
}

#[async_trait]
impl MergeStore for DynamoStore {
    async fn merge(&self, w: &MergeWrite) -> Result<(), StoreError> {
        let (sid, aid) = (w.survivor.id, w.tombstone.id);
        let (sv, av) = (w.survivor.version - 1, w.tombstone.version - 1);
        let survivor_before = self.raw_lead(sid, sv).await?;
        let absorbed_before = self.raw_lead(aid, av).await?;
        let mut items = vec![
            put_if(&self.table, self.lead_item(&w.survivor).await?, "#version = :v", version_is(sv as i64))?,
            put_if(&self.table, self.lead_item(&w.tombstone).await?, "#version = :v", version_is(av as i64))?,
        ];
        // The claims the absorbed record holds: its own addresses (named by its index keys: no
        // decryption needed) and those earlier merges moved to it.
        let mut claim_pks: Vec<String> = super::lead_store::item_claim_pks(&absorbed_before);
        for earlier in self.query_prefix(format!("{MERGE_PREFIX}{aid}"), MERGE_PREFIX).await? {
            if let Some(AttributeValue::M(b)) = earlier.get(BEFORE) {
                if let Some(AttributeValue::L(claims)) = b.get("claims") {
                    claim_pks.extend(claims.iter().filter_map(|c| c.as_m().ok()?.get(PK)?.as_s().ok().cloned()));
                }
                // Its own addresses before that merge (survivorship may have replaced them).
                if let Some(AttributeValue::M(own)) = b.get("survivor") {
                    claim_pks.extend(super::lead_store::item_claim_pks(own));
                }
            }
        }
        claim_pks.sort();
        claim_pks.dedup();
        let mut claims_before = Vec::new();
        for claim_pk in claim_pks {
            let Some(claim) = self.read(key(claim_pk, CLAIM_SK), None).await? else { continue };
            if get_s(&claim, LEAD_ID)? != aid.to_string() {
                continue;
            }
            let mut moved = claim.clone();
            moved.insert(LEAD_ID.into(), s(sid.to_string()));
            let expr = Expr::new().name("#lead_id", LEAD_ID).value(":holder", s(aid.to_string()));
            items.push(put_if(&self.table, moved, "#lead_id = :holder", expr)?);
            claims_before.push(AttributeValue::M(claim));
        }
        let mut entries = Vec::new();
        for e in &w.entries {
            let mut item = key(lead_pk(e.lead_id), super::keys::timeline_sk(e.id));
            let scope = super::sealing::timeline_scope(e.lead_id, e.id);
            item.insert(DATA.into(), self.encode_sealed(e, crate::crypto::fields::TIMELINE, &scope).await?);
            entries.push(AttributeValue::M(key(lead_pk(e.lead_id), super::keys::timeline_sk(e.id))));
            items.push(put_if(&self.table, item, "attribute_not_exists(PK)", Expr::new())?);
        }
        let before = AttributeValue::M(Item::from([
            ("survivor".to_string(), AttributeValue::M(survivor_before)),
            ("absorbed".to_string(), AttributeValue::M(absorbed_before)),
            ("claims".to_string(), AttributeValue::L(claims_before)),
            ("entries".to_string(), AttributeValue::L(entries)),
            ("after_survivor".to_string(), super::item::n(w.survivor.version)),
            ("after_absorbed".to_string(), super::item::n(w.tombstone.version)),
        ]));
        let mut record = merge_key(sid, w.id);
        record.insert("absorbed".into(), s(aid.to_string()));
        record.insert("at".into(), time(w.at));
        record.insert("by".into(), s(w.by.clone()));
        record.insert(BEFORE.into(), before);
        items.push(put_if(&self.table, record, "attribute_not_exists(PK)", Expr::new())?);
        if items.len() > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::Invalid(format!(
                "a merge writing {} items does not fit in one transaction (at most {MAX_TRANSACTION_ITEMS}): the absorbed timeline is too long",
                items.len()
            )));
        }
        self.transact_or_conflict(items).await
    }

    async fn unmerge(&self, survivor: LeadId, id: EventId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let Some(mut record) = self.read(merge_key(survivor, id), None).await? else { return Ok(false) };
        let Some(AttributeValue::M(before)) = record.remove(BEFORE) else { return Ok(false) };
        let take_map = |name: &str| match before.get(name) {
            Some(AttributeValue::M(m)) => Ok(m.clone()),
            _ => Err(StoreError::Invalid(format!("merge record lacks `{name}`"))),
        };
        let take_list = |name: &str| match before.get(name) {
            Some(AttributeValue::L(l)) => Ok(l.clone()),
            _ => Err(StoreError::Invalid(format!("merge record lacks `{name}`"))),
        };
        let after_s = get_n(&before, "after_survivor")?;
        let after_a = get_n(&before, "after_absorbed")?;
        let mut items = vec![
            put_if(&self.table, take_map("survivor")?, "#version = :v", version_is(after_s))?,
            put_if(&self.table, take_map("absorbed")?, "#version = :v", version_is(after_a))?,
        ];
        for claim in take_list("claims")? {
            let AttributeValue::M(claim) = claim else { continue };
            let expr = Expr::new().name("#lead_id", LEAD_ID).value(":holder", s(survivor.to_string()));
            items.push(put_if(&self.table, claim, "#lead_id = :holder", expr)?);
        }
        for entry in take_list("entries")? {
            let AttributeValue::M(k) = entry else { continue };
            items.push(delete(&self.table, k)?);
        }
        // The merge is remembered (ids and times), its before-image dropped.
        record.insert("undone_at".into(), time(at));
        items.push(put_if(&self.table, record, "attribute_exists(#before)", Expr::new().name("#before", BEFORE))?);
        self.transact_or_conflict(items).await.map(|()| true)
    }

    async fn merges_into(&self, survivor: LeadId) -> Result<Vec<MergeSummary>, StoreError> {
        self.query_prefix(format!("{MERGE_PREFIX}{survivor}"), MERGE_PREFIX).await?.iter().map(summary).collect()
    }
}

#[async_trait]
impl ReviewQueue for DynamoStore {
    async fn put_review(&self, item: &ReviewItem) -> Result<bool, StoreError> {
        let mut record = review_key(item.pair);
        record.insert(DATA.into(), to_map(item)?);
        self.put_if(record, Some(("attribute_not_exists(PK)", Expr::new()))).await
    }

    async fn reviews(&self, after: Option<PairKey>, limit: usize) -> Result<(Vec<ReviewItem>, Option<PairKey>), StoreError> {
        let query = self.partition_query("REVIEW".into(), Some("OPEN#"));
        let start = after.map(review_key);
        let mut items = Vec::new();
        for mut item in query_items(query, start, Some(limit.saturating_add(1))).await? {
            items.push(super::item::from_map::<ReviewItem>(&mut item, DATA)?);
        }
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|i| i.pair)
        } else {
            None
        };
        Ok((items, next))
    }

    async fn review(&self, pair: PairKey) -> Result<Option<ReviewItem>, StoreError> {
        match self.read(review_key(pair), None).await? {
            Some(mut item) => super::item::from_map(&mut item, DATA).map(Some),
            None => Ok(None),
        }
    }

    async fn close_review(&self, pair: PairKey) -> Result<(), StoreError> {
        self.delete(review_key(pair)).await
    }

    async fn mark_distinct(&self, pair: PairKey, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = distinct_key(pair);
        item.insert("at".into(), time(at));
        self.put_if(item, None).await.map(|_| ())
    }

    async fn is_distinct(&self, pair: PairKey) -> Result<bool, StoreError> {
        Ok(self.read(distinct_key(pair), None).await?.is_some())
    }
}

#[async_trait]
impl MatchIndex for DynamoStore {
    async fn index_keys(&self, lead: LeadId, keys: &[String]) -> Result<usize, StoreError> {
        let new: Vec<String> = keys.iter().map(|k| key_pk(k)).collect();
        let old: Vec<String> = match self.read(lead_keys_key(lead), None).await? {
            Some(item) => match item.get("keys") {
                Some(AttributeValue::L(l)) => l.iter().filter_map(|v| v.as_s().ok().cloned()).collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let mut writes = 0;
        for pk in new.iter().filter(|k| !old.contains(k)) {
            let mut item = key(pk.clone(), lead_pk(lead));
            item.insert(LEAD_ID.into(), s(lead.to_string()));
            self.put_if(item, None).await?;
            writes += 1;
        }
        for pk in old.iter().filter(|k| !new.contains(k)) {
            self.delete(key(pk.clone(), lead_pk(lead))).await?;
            writes += 1;
        }
        if new != old {
            if new.is_empty() {
                self.delete(lead_keys_key(lead)).await?;
            } else {
                let mut item = lead_keys_key(lead);
                item.insert("keys".into(), AttributeValue::L(new.into_iter().map(AttributeValue::S).collect()));
                self.put_if(item, None).await?;
            }
            writes += 1;
        }
        Ok(writes)
    }

    async fn key_members(&self, blocking_key: &str, limit: usize) -> Result<Vec<LeadId>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(key_pk(blocking_key)));
        query_items(query, None, Some(limit.saturating_add(1))).await?.iter().map(|item| lead_id_from_pk(get_s(item, SK)?)).collect()
    }

    async fn changed_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(DateTime<Utc>, LeadId)>, StoreError> {
        // `~` sorts after every id character: `{after}#~` excludes `after` itself, `{until}#~`
        // includes `until`.
        let (lo, hi) = (changed_sk(after, "~"), changed_sk(until, "~"));
        let mut out = Vec::new();
        let mut day = after.date_naive();
        while day <= until.date_naive() && out.len() < limit {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI7)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#pk", GSI7_PK)
                .expression_attribute_names("#sk", GSI7_SK)
                .expression_attribute_values(":pk", s(changed_pk(day)))
                .expression_attribute_values(":lo", s(lo.clone()))
                .expression_attribute_values(":hi", s(hi.clone()));
            for item in query_items(query, None, Some(limit - out.len())).await? {
                let sk = get_s(&item, GSI7_SK)?;
                let at = sk
                    .split_once('#')
                    .and_then(|(t, _)| DateTime::parse_from_rfc3339(t).ok())
                    .ok_or_else(|| StoreError::Invalid("malformed change index key".into()))?;
                out.push((at.to_utc(), lead_id_from_pk(get_s(&item, PK)?)?));
            }
            day += Duration::days(1);
        }
        Ok(out)
    }

    async fn leads(&self, ids: &[LeadId]) -> Result<Vec<crate::domain::Lead>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let mut found = self.batch_get_leads(chunk).await?;
            out.extend(chunk.iter().filter_map(|id| found.remove(id)));
        }
        Ok(out)
    }

    async fn watermark(&self, job: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.read(key(format!("JOB#{job}"), "WATERMARK"), None).await? {
            Some(item) => parse_time(&item, "at").map(Some),
            None => Ok(None),
        }
    }

    async fn set_watermark(&self, job: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = key(format!("JOB#{job}"), "WATERMARK");
        item.insert("at".into(), time(at));
        self.put_if(item, None).await.map(|_| ())
    }
}

/// Person rights over what duplicate handling keeps in the table: merge before-images (exported
/// opened; dropped on erasure, which makes those merges final) and the person's blocking keys.
#[derive(Clone, Debug)]
pub struct DynamoDedupeRecords(pub DynamoStore);

#[async_trait]
impl PersonDataStore for DynamoDedupeRecords {
    fn name(&self) -> &'static str {
        "merges"
    }

    async fn export(&self, person: &PersonKeys) -> Result<Vec<HeldRecord>, StoreError> {
        let mut out = Vec::new();
        for id in &person.lead_ids {
            for mut record in self.0.query_prefix(format!("{MERGE_PREFIX}{id}"), MERGE_PREFIX).await? {
                let merge = summary(&record)?;
                let Some(AttributeValue::M(mut before)) = record.remove(BEFORE) else { continue };
                let mut leads = Vec::new();
                for (side, lead_id) in [("survivor", merge.survivor), ("absorbed", merge.absorbed)] {
                    if let Some(AttributeValue::M(mut item)) = before.remove(side) {
                        leads.push(serde_json::to_value(self.0.lead_from_item(lead_id, &mut item).await?).unwrap_or_default());
                    }
                }
                let data = serde_json::json!({"merge": merge, "before": leads});
                out.push(HeldRecord { kind: "merge_before_image".into(), lead_id: Some(*id), data });
            }
        }
        Ok(out)
    }

    async fn erase(&self, person: &PersonKeys, _at: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut changed = 0;
        for id in &person.lead_ids {
            for mut record in self.0.query_prefix(format!("{MERGE_PREFIX}{id}"), MERGE_PREFIX).await? {
                if record.remove(BEFORE).is_some() {
                    self.0.put_if(record, None).await?;
                    changed += 1;
                }
            }
            if self.0.index_keys(*id, &[]).await? > 0 {
                changed += 1;
            }
        }
        Ok(changed)
    }
}
