//! Webhook events (one item each, kept 90 days through the TTL) and provider-id links.

use super::item::{from_map, get_s, n, s, to_map, Expr};
use super::keys::{inbound_pk, key, link_pk, EXPIRES_AT, INBOUND_SK, LINK_SK};
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

/// How long a webhook event is kept: longer than any provider retries (Stripe: 3 days).
const RETENTION: Duration = Duration::days(90);

#[async_trait]
impl InboundStore for DynamoStore {
    async fn record(&self, event: &InboundEvent) -> Result<Recorded, StoreError> {
        let mut item = key(inbound_pk(event.provider, &event.event_id), INBOUND_SK);
        item.insert(DATA.into(), to_map(event)?);
        item.insert(EXPIRES_AT.into(), n((event.received_at + RETENTION).timestamp()));
        if self.put_if(item, Some(("attribute_not_exists(PK)", Expr::new()))).await? {
            return Ok(Recorded::New);
        }
        let stored = self.get_inbound(event.provider, &event.event_id).await?;
        Ok(Recorded::Duplicate { processed: stored.is_some_and(|s| s.outcome.is_some()) })
    }

    async fn get_inbound(&self, provider: Provider, event_id: &str) -> Result<Option<StoredInbound>, StoreError> {
        let Some(mut item) = self.read(key(inbound_pk(provider, event_id), INBOUND_SK), None).await? else {
            return Ok(None);
        };
        let outcome = get_s(&item, OUTCOME).ok().map(str::to_string);
        let event: InboundEvent = from_map(&mut item, DATA)?;
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

    async fn link(&self, provider_key: &ProviderKey, lead_id: LeadId) -> Result<(), StoreError> {
        let mut item = key(link_pk(provider_key), LINK_SK);
        item.insert(LEAD_ID.into(), s(lead_id.to_string()));
        self.put_if(item, None).await.map(|_| ())
    }

    async fn linked(&self, provider_key: &ProviderKey) -> Result<Option<LeadId>, StoreError> {
        let Some(item) = self.read(key(link_pk(provider_key), LINK_SK), None).await? else {
            return Ok(None);
        };
        get_s(&item, LEAD_ID)?.parse().map(Some).map_err(|_| StoreError::Invalid("malformed link".into()))
    }
}
