//! Timelines: one item per entry under the lead's partition, sorted by `TL#{event_id}`. Event
//! ids are ULIDs whose time part is the entry's time, so key order is time order.

use super::item::{from_map, s, store_error, to_map};
use super::keys::{key, lead_pk, timeline_sk, PK, SK, TIMELINE_PREFIX};
use super::DynamoStore;
use crate::domain::{EventId, LeadId, TimelineEntry};
use crate::ports::{Page, StoreError, TimelineStore};
use async_trait::async_trait;

const DATA: &str = "data";

#[async_trait]
impl TimelineStore for DynamoStore {
    async fn append(&self, entry: &TimelineEntry) -> Result<bool, StoreError> {
        let mut item = key(lead_pk(entry.lead_id), timeline_sk(entry.id));
        item.insert(DATA.into(), to_map(entry)?);
        // A redelivered event carries the same id: the entry is written once.
        self.put_if(item, Some(("attribute_not_exists(PK)", Default::default()))).await
    }

    async fn list(&self, lead_id: LeadId, after: Option<EventId>, limit: usize) -> Result<Page<TimelineEntry>, StoreError> {
        // One item past the limit tells whether another page follows.
        let wanted = limit.saturating_add(1);
        let mut items: Vec<TimelineEntry> = Vec::new();
        let mut start = after.map(|a| key(lead_pk(lead_id), timeline_sk(a)));
        while items.len() < wanted {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(lead_pk(lead_id)))
                .expression_attribute_values(":prefix", s(TIMELINE_PREFIX))
                .consistent_read(true)
                .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| store_error("Query", e))?;
            for mut item in page.items.unwrap_or_default() {
                items.push(from_map(&mut item, DATA)?);
            }
            match page.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|e| e.id)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
