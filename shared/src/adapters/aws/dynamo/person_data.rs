//! Person rights on the leads table: export the side records (once-only markers, the webhook
//! events about the person and the provider ids linked to their leads) and erase everything that
//! names or describes the person — lead items (rewritten anonymized, which also drops their
//! phone and email index keys), the unique claims whose keys are the addresses, timeline
//! entries, marker outcomes, stored webhook events (their content replaced) and provider-id
//! links (deleted). Suppressions are keyed by a digest and stay, so an opt-out survives the
//! erasure. Due items hold ids only and need nothing.

use super::inbound::{inbound_scope, REFERS_TO};
use super::item::{get_s, s, store_error, Expr, Item};
use super::keys::{email_claim_pk, key, lead_pk, phone_claim_pk, CLAIM_SK, INBOUND_SK, LINK_SK, SK};
use super::DynamoStore;
use crate::domain::erasure::{anonymize_inbound_event, anonymize_lead, anonymize_outcome, anonymize_timeline_entry};
use crate::domain::inbound::InboundEvent;
use crate::domain::LeadId;
use crate::ports::timeline::all_pages;
use crate::ports::{HeldRecord, PersonDataStore, PersonKeys, StoreError, TimelineStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

const LEAD_ID: &str = "lead_id";
const OUTCOME: &str = "outcome";
const ONCE_PREFIX: &str = "ONCE#";
const INBOUND_PREFIX: &str = "INBOUND#";
const LINK_PREFIX: &str = "LINK#";
const DATA: &str = "data";
const VERSION: &str = "version";

impl DynamoStore {
    /// Items of a lead's partition whose sort key starts with `prefix`.
    async fn partition_items(&self, lead_id: LeadId, prefix: &str) -> Result<Vec<Item>, StoreError> {
        self.query_prefix(lead_pk(lead_id), prefix).await
    }

    /// Rewrites the lead anonymized, retrying when a concurrent writer got in first.
    async fn erase_lead(&self, id: LeadId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        use crate::ports::LeadStore;
        for _ in 0..5 {
            let Some(lead) = self.get(id).await? else { return Ok(false) };
            if lead.erased_at.is_some() && lead.contact == Default::default() {
                return Ok(false);
            }
            let anon = anonymize_lead(&lead, at);
            let expr = Expr::new().name("#version", VERSION).value(":expected", super::item::n(lead.version));
            if self.put_if(self.lead_item(&anon).await?, Some(("#version = :expected", expr))).await? {
                return Ok(true);
            }
        }
        Err(StoreError::Conflict)
    }

    /// Deletes a claim item if one of the person's leads holds it.
    async fn drop_claim(&self, claim_pk: String, owners: &[LeadId]) -> Result<bool, StoreError> {
        self.drop_claim_like(claim_pk, CLAIM_SK, owners).await
    }

    /// Deletes the item `pk`/`sk` if its `lead_id` is one of `owners` (a claim, a link).
    async fn drop_claim_like(&self, claim_pk: String, sk: &str, owners: &[LeadId]) -> Result<bool, StoreError> {
        let Some(item) = self.read(key(claim_pk.clone(), sk), None).await? else { return Ok(false) };
        let holder = get_s(&item, LEAD_ID)?.to_string();
        if !owners.iter().any(|o| o.to_string() == holder) {
            return Ok(false);
        }
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(claim_pk, sk)))
            .condition_expression("#lead_id = :holder")
            .expression_attribute_names("#lead_id", LEAD_ID)
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(true),
            Err(e) if super::item::condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error("DeleteItem", e)),
        }
    }
}

impl DynamoStore {
    /// The stored webhook events a lead was concerned by: (event key, item).
    async fn events_of(&self, lead_id: LeadId) -> Result<Vec<(String, Item)>, StoreError> {
        let mut out = Vec::new();
        for reference in self.partition_items(lead_id, INBOUND_PREFIX).await? {
            let target = get_s(&reference, REFERS_TO)?.to_string();
            if let Some(item) = self.read(key(target.clone(), INBOUND_SK), None).await? {
                out.push((target, item));
            }
        }
        Ok(out)
    }

    /// Replaces a stored event's content with its anonymous remains; `false` when it had none.
    async fn erase_event(&self, pk: &str, mut item: Item) -> Result<bool, StoreError> {
        let scope = inbound_scope(pk);
        let mut copy = item.clone();
        let event: InboundEvent = self.decode_sealed(&mut copy, DATA, &scope).await?;
        let anon = anonymize_inbound_event(&event);
        if anon == event {
            return Ok(false);
        }
        item.insert(DATA.into(), self.encode_sealed(&anon, crate::crypto::fields::INBOUND, &scope).await?);
        self.put_if(item, None).await.map(|_| true)
    }

    /// Deletes a provider-id link if it still names one of `owners`, and the reference to it.
    async fn drop_link(&self, lead_id: LeadId, link_pk: String, owners: &[LeadId]) -> Result<bool, StoreError> {
        let dropped = self.drop_claim_like(link_pk.clone(), LINK_SK, owners).await?;
        self.delete(key(lead_pk(lead_id), link_pk)).await?;
        Ok(dropped)
    }
}

#[async_trait]
impl PersonDataStore for DynamoStore {
    fn name(&self) -> &'static str {
        "dynamodb leads table"
    }

    async fn export(&self, person: &PersonKeys) -> Result<Vec<HeldRecord>, StoreError> {
        let mut out = Vec::new();
        for id in &person.lead_ids {
            for item in self.partition_items(*id, ONCE_PREFIX).await? {
                let action = get_s(&item, SK)?.trim_start_matches(ONCE_PREFIX).to_string();
                let outcome = item
                    .get(OUTCOME)
                    .and_then(|v| v.as_s().ok())
                    .map(|o| serde_json::from_str::<serde_json::Value>(o).unwrap_or_else(|_| serde_json::Value::String(o.clone())));
                out.push(HeldRecord {
                    kind: "once_marker".into(),
                    lead_id: Some(*id),
                    data: serde_json::json!({ "action": action, "outcome": outcome }),
                });
            }
            for (pk, mut item) in self.events_of(*id).await? {
                let outcome = item.get("outcome").and_then(|v| v.as_s().ok()).cloned();
                let event: InboundEvent = self.decode_sealed(&mut item, DATA, &inbound_scope(&pk)).await?;
                let data = serde_json::json!({ "event": event, "outcome": outcome });
                out.push(HeldRecord { kind: "webhook_event".into(), lead_id: Some(*id), data });
            }
            for reference in self.partition_items(*id, LINK_PREFIX).await? {
                let link = get_s(&reference, REFERS_TO)?.trim_start_matches(LINK_PREFIX).to_string();
                out.push(HeldRecord { kind: "provider_link".into(), lead_id: Some(*id), data: serde_json::json!({ "provider_id": link }) });
            }
        }
        Ok(out)
    }

    async fn erase(&self, person: &PersonKeys, at: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut changed = 0;
        for id in &person.lead_ids {
            changed += usize::from(self.erase_lead(*id, at).await?);
            changed += self.drop_name_index(*id).await?;
            for entry in all_pages(|after| self.list(*id, after, 100)).await? {
                let anon = anonymize_timeline_entry(&entry);
                if anon != entry {
                    self.overwrite_timeline_entry(&anon).await?;
                    changed += 1;
                }
            }
            for mut item in self.partition_items(*id, ONCE_PREFIX).await? {
                let Some(outcome) = item.get(OUTCOME).and_then(|v| v.as_s().ok()).cloned() else { continue };
                let anon = anonymize_outcome(&outcome);
                if anon != outcome {
                    item.insert(OUTCOME.into(), s(anon));
                    self.put_if(item, None).await?;
                    changed += 1;
                }
            }
        }
        for id in &person.lead_ids {
            for (pk, item) in self.events_of(*id).await? {
                changed += usize::from(self.erase_event(&pk, item).await?);
            }
            for reference in self.partition_items(*id, LINK_PREFIX).await? {
                let link = get_s(&reference, REFERS_TO)?.to_string();
                changed += usize::from(self.drop_link(*id, link, &person.lead_ids).await?);
            }
        }
        // Claims are per address and service line: those of every line the person's leads are on.
        let mut lines = std::collections::BTreeSet::new();
        for id in &person.lead_ids {
            if let Some(lead) = crate::ports::LeadStore::get(self, *id).await? {
                lines.insert(lead.context.service_line);
            }
        }
        for line in &lines {
            for p in &person.phones {
                changed += usize::from(self.drop_claim(phone_claim_pk(p, line), &person.lead_ids).await?);
            }
            for e in &person.emails {
                changed += usize::from(self.drop_claim(email_claim_pk(e, line), &person.lead_ids).await?);
            }
        }
        Ok(changed)
    }
}
