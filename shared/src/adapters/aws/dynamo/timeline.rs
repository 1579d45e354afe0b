//! Timelines: one item per entry under the lead's partition, sorted by `TL#{event_id}`. Event
//! ids are ULIDs whose time part is the entry's time, so key order is time order.

use super::item::{get_s, query_items, Item};
use super::keys::{key, lead_pk, timeline_sk, SK, TIMELINE_PREFIX};
use super::sealing::timeline_scope;
use super::DynamoStore;
use crate::domain::{EventId, LeadId, TimelineEntry};
use crate::ports::timeline::WITHHELD;
use crate::ports::{Page, StoreError, TimelineStore};
use async_trait::async_trait;

const DATA: &str = "data";

impl DynamoStore {
    /// Reads a timeline item's entry, opening sealed fields (bound to the entry's key).
    pub(crate) async fn timeline_from_item(&self, lead_id: LeadId, item: &mut Item) -> Result<TimelineEntry, StoreError> {
        let sk = get_s(item, SK)?;
        let id: EventId = sk
            .strip_prefix(TIMELINE_PREFIX)
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| StoreError::Invalid("malformed timeline key".into()))?;
        self.decode_sealed(item, DATA, &timeline_scope(lead_id, id)).await
    }

    /// Writes an entry over the stored one (erasure only: timelines are otherwise append-only).
    pub(crate) async fn overwrite_timeline_entry(&self, entry: &TimelineEntry) -> Result<(), StoreError> {
        let mut item = key(lead_pk(entry.lead_id), timeline_sk(entry.id));
        item.insert(
            DATA.into(),
            self.encode_sealed(entry, crate::crypto::fields::TIMELINE, &timeline_scope(entry.lead_id, entry.id)).await?,
        );
        self.put_if(item, None).await.map(|_| ())
    }
}

#[async_trait]
impl TimelineStore for DynamoStore {
    async fn append(&self, entry: &TimelineEntry) -> Result<bool, StoreError> {
        let mut item = key(lead_pk(entry.lead_id), timeline_sk(entry.id));
        item.insert(
            DATA.into(),
            self.encode_sealed(entry, crate::crypto::fields::TIMELINE, &timeline_scope(entry.lead_id, entry.id)).await?,
        );
        // A redelivered event carries the same id: the entry is written once.
        self.put_if(item, Some(("attribute_not_exists(PK)", Default::default()))).await
    }

    async fn list(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<TimelineEntry>, StoreError> {
        // One item past the limit tells whether another page follows.
        let query = self.partition_query(lead_pk(lead_id), Some(TIMELINE_PREFIX));
        let start = after.map(|a| key(lead_pk(lead_id), timeline_sk(a)));
        let mut items = Vec::new();
        for mut item in query_items(query, start, Some(limit.saturating_add(1))).await? {
            items.push(self.timeline_from_item(lead_id, &mut item).await?);
        }
        Ok(Page::from_overfetch(items, limit, |e| e.id))
    }

    async fn list_outline(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<TimelineEntry>, StoreError> {
        let query = self.partition_query(lead_pk(lead_id), Some(TIMELINE_PREFIX));
        let start = after.map(|a| key(lead_pk(lead_id), timeline_sk(a)));
        let mut items = Vec::new();
        for mut item in query_items(query, start, Some(limit.saturating_add(1))).await? {
            items.push(self.decode_withheld(&mut item, DATA, crate::crypto::fields::TIMELINE, WITHHELD)?);
        }
        Ok(Page::from_overfetch(items, limit, |e| e.id))
    }
}
