//! Webhook events (one item each, kept 90 days through the TTL, free text sealed) and provider-id
//! links. Each event a lead was concerned by, and each link to a lead, also leaves a reference
//! item in the lead's partition (`LEAD#{id}` / `INBOUND#...`, `LEAD#{id}` / `LINK#...`): person
//! rights find them there with one query, without a scan.

use super::item::{get_s, n, s, Expr, Item};
use super::keys::{inbound_pk, key, lead_pk, link_pk, EXPIRES_AT, INBOUND_SK, LINK_SK};
use super::DynamoStore;
use crate::domain::inbound::{InboundEvent, Provider};
use crate::domain::LeadId;
use crate::ports::inbound::{ProviderKey, Recorded, StoredInbound};
use crate::ports::{InboundStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

const DATA: &str = "data";
const OUTCOME: &str = "outcome";
const PROCESSED_AT: &str = "processed_at";
const LEAD_ID: &str = "lead_id";
/// On a reference item: the key of the item it refers to.
pub(super) const REFERS_TO: &str = "refers_to";

/// How long a webhook event is kept: longer than any provider retries (Stripe: 3 days).
const RETENTION: Duration = Duration::days(90);

#[async_trait]
impl InboundStore for DynamoStore {
    async fn record(&self, event: &InboundEvent) -> Result<Recorded, StoreError> {
        let pk = inbound_pk(event.provider, &event.event_id);
        let mut item = key(pk.clone(), INBOUND_SK);
        item.insert(DATA.into(), self.encode_sealed(event, crate::crypto::fields::INBOUND, &inbound_scope(&pk)).await?);
        item.insert(EXPIRES_AT.into(), n((event.received_at + RETENTION).timestamp()));
        if self.put_if(item, Some(("attribute_not_exists(PK)", Expr::new()))).await? {
            return Ok(Recorded::New);
        }
        let stored = self.get_inbound(event.provider, &event.event_id).await?;
        Ok(Recorded::Duplicate { processed: stored.is_some_and(|s| s.outcome.is_some()) })
    }

    async fn get_inbound(&self, provider: Provider, event_id: &str) -> Result<Option<StoredInbound>, StoreError> {
        let pk = inbound_pk(provider, event_id);
        let Some(mut item) = self.read(key(pk.clone(), INBOUND_SK), None).await? else {
            return Ok(None);
        };
        let outcome = get_s(&item, OUTCOME).ok().map(str::to_string);
        let event: InboundEvent = self.decode_sealed(&mut item, DATA, &inbound_scope(&pk)).await?;
        Ok(Some(StoredInbound { event, outcome }))
    }

    async fn mark_processed(&self, provider: Provider, event_id: &str, outcome: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let done = self
            .update_if(
                key(inbound_pk(provider, event_id), INBOUND_SK),
                "SET #outcome = :outcome, #at = :at",
                "attribute_exists(PK)",
                Expr::new()
                    .name("#outcome", OUTCOME)
                    .name("#at", PROCESSED_AT)
                    .value(":outcome", s(outcome))
                    .value(":at", s(at.to_rfc3339())),
            )
            .await?;
        if done {
            Ok(())
        } else {
            Err(StoreError::Invalid("no such inbound event".into()))
        }
    }

    async fn attach(&self, provider: Provider, event_id: &str, lead_id: LeadId) -> Result<(), StoreError> {
        let pk = inbound_pk(provider, event_id);
        self.put_if(reference(lead_id, pk), None).await.map(|_| ())
    }

    async fn link(&self, provider_key: &ProviderKey, lead_id: LeadId) -> Result<(), StoreError> {
        let mut item = key(link_pk(provider_key), LINK_SK);
        item.insert(LEAD_ID.into(), s(lead_id.to_string()));
        self.put_if(item, None).await?;
        self.put_if(reference(lead_id, link_pk(provider_key)), None).await.map(|_| ())
    }

    async fn linked(&self, provider_key: &ProviderKey) -> Result<Option<LeadId>, StoreError> {
        let Some(item) = self.read(key(link_pk(provider_key), LINK_SK), None).await? else {
            return Ok(None);
        };
        get_s(&item, LEAD_ID)?.parse().map(Some).map_err(|_| StoreError::Invalid("malformed link".into()))
    }
}

/// A reference item in `lead_id`'s partition to the item whose key is `target`.
fn reference(lead_id: LeadId, target: String) -> Item {
    let mut item = key(lead_pk(lead_id), target.clone());
    item.insert(REFERS_TO.into(), s(target));
    item
}

/// The sealing scope of a stored event.
pub(super) fn inbound_scope(pk: &str) -> String {
    format!("inbound:{pk}")
}
