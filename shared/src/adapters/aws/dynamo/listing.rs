//! Listing leads through the listing GSIs (keys only), newest first, then reading the page's
//! leads with one BatchGetItem. A lead whose index entry lags behind a change (GSIs are
//! eventually consistent) is left out of the page rather than shown under the wrong filter.

use super::item::{get_s, query_items, s, store_error, Item, Pages};
use super::keys::{key, lead_id_from_pk, lead_pk, GSI8, GSI8_PK, LEAD_SK, LISTING_INDEXES, PK};
use super::DynamoStore;
use crate::domain::{Lead, LeadId};
use crate::ports::lead_listing::{inbox_partition, InboxQueue, LeadFilter, LeadPage, ListCursor};
use crate::ports::{LeadListing, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use std::collections::HashMap;

/// Largest page (BatchGetItem reads at most 100 keys).
pub const MAX_PAGE: usize = 100;

/// Work-queue index entries a manager's facility filter may pass over before the page is
/// answered with what was found (bounds one request's reads).
const MAX_INBOX_EXAMINED: usize = 2000;

fn index_of(filter: &LeadFilter) -> (&'static str, &'static str, &'static str) {
    match filter {
        LeadFilter::Status(_) => LISTING_INDEXES[0],
        LeadFilter::Assignee(_) | LeadFilter::Unassigned => LISTING_INDEXES[1],
        LeadFilter::ServiceLine(_) => LISTING_INDEXES[2],
        LeadFilter::Facility(_) => LISTING_INDEXES[3],
    }
}

impl DynamoStore {
    pub(super) async fn batch_get_leads(&self, ids: &[LeadId]) -> Result<HashMap<LeadId, Lead>, StoreError> {
        let mut out = HashMap::new();
        let mut pending: Vec<Item> = ids.iter().map(|id| key(lead_pk(*id), LEAD_SK)).collect();
        for _ in 0..5 {
            if pending.is_empty() {
                break;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending.clone()))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Invalid(format!("cannot build BatchGetItem: {e}")))?;
            let resp = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| store_error("BatchGetItem", e))?;
            for mut item in resp.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                let id = lead_id_from_pk(get_s(&item, PK)?)?;
                let lead = self.lead_from_item(id, &mut item).await?;
                out.insert(lead.id, lead);
            }
            pending = resp.unprocessed_keys.unwrap_or_default().remove(&self.table).map(|k| k.keys).unwrap_or_default();
        }
        if !pending.is_empty() {
            return Err(StoreError::Unavailable("BatchGetItem left keys unprocessed".into()));
        }
        Ok(out)
    }
}

#[async_trait]
impl LeadListing for DynamoStore {
    async fn list_leads(&self, filter: &LeadFilter, cursor: Option<&ListCursor>, limit: usize) -> Result<LeadPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let (index, pk_attr, sk_attr) = index_of(filter);
        let before = cursor.and_then(ListCursor::sort_key);
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .expression_attribute_names("#pk", pk_attr)
            .expression_attribute_values(":pk", s(filter.partition()))
            .scan_index_forward(false);
        let q = match before {
            Some(b) => q
                .key_condition_expression("#pk = :pk AND #sk < :before")
                .expression_attribute_names("#sk", sk_attr)
                .expression_attribute_values(":before", s(b)),
            None => q.key_condition_expression("#pk = :pk"),
        };
        // One more than asked: whether there is a next page.
        let mut found: Vec<(LeadId, String)> = Vec::new();
        for item in query_items(q, None, Some(limit + 1)).await? {
            found.push((lead_id_from_pk(get_s(&item, PK)?)?, get_s(&item, sk_attr)?.to_string()));
        }
        let more = found.len() > limit;
        found.truncate(limit);
        let ids: Vec<LeadId> = found.iter().map(|(id, _)| *id).collect();
        let mut leads = self.batch_get_leads(&ids).await?;
        let items = ids.iter().filter_map(|id| leads.remove(id)).filter(|l| filter.matches(l)).collect();
        let next = if more { found.last().map(|(_, sk)| ListCursor::from_sort_key(sk)) } else { None };
        Ok(LeadPage { items, next })
    }

    async fn inbox(&self, queue: &InboxQueue, facilities: Option<&[String]>, limit: usize) -> Result<Vec<Lead>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        if facilities.is_some_and(<[String]>::is_empty) {
            return Ok(Vec::new());
        }
        let (_, facility_attr, _) = LISTING_INDEXES[3];
        let mut found: Vec<LeadId> = Vec::new();
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI8)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI8_PK)
            .expression_attribute_values(":pk", s(queue.partition()))
            .scan_index_forward(true);
        // A manager's facilities, checked on the projected facility key before any lead is read.
        if let Some(facilities) = facilities {
            let names: Vec<String> = (0..facilities.len().min(100)).map(|i| format!(":f{i}")).collect();
            q = q.filter_expression(format!("#facility IN ({})", names.join(", "))).expression_attribute_names("#facility", facility_attr);
            for (name, f) in names.iter().zip(facilities) {
                q = q.expression_attribute_values(name, s(LeadFilter::Facility(f.clone()).partition()));
            }
        }
        let (mut pages, mut examined) = (Pages::new(q, None), 0usize);
        while found.len() < limit && examined < MAX_INBOX_EXAMINED {
            // Pages of at least 25: the filter may pass over most of what a page reads.
            let Some(page) = pages.next(Some((limit - found.len()).max(25))).await? else { break };
            examined += usize::try_from(page.scanned_count()).unwrap_or(0);
            for item in page.items() {
                found.push(lead_id_from_pk(get_s(item, PK)?)?);
            }
        }
        found.truncate(limit);
        let mut leads = self.batch_get_leads(&found).await?;
        let partition = queue.partition();
        let mine = |l: &Lead| facilities.is_none_or(|f| l.facility().is_some_and(|x| f.contains(&x)));
        Ok(found
            .iter()
            .filter_map(|id| leads.remove(id))
            .filter(|l| inbox_partition(l).as_deref() == Some(partition.as_str()) && mine(l))
            .collect())
    }
}
