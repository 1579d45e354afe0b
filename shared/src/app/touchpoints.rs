//! Recording a touchpoint after capture (`POST /leads/{id}/touchpoints`: a page view, a
//! download, an email open or click, an appointment request), so the lead is scored again on
//! what it does, not only on its form.

use super::Services;
use crate::domain::{Actor, EventId, LeadEvent, LeadEventKind, LeadId, TimelineEntry, TimelineKind, Touchpoint};
use crate::ports::{QueueError, StoreError};

/// Why it was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum TouchpointError {
    #[error("no such lead")]
    NotFound,
    #[error(transparent)]
    Key(#[from] super::idempotent::KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The route's name in idempotency keys.
const ROUTE: &str = "POST /leads/{id}/touchpoints";

/// Records a touchpoint and asks for a new score; returns the timeline entry id (and `true`
/// when a retry with the same `Idempotency-Key` replayed the first answer). `at_given`: the
/// caller named the touchpoint's time; otherwise it happened now (for a keyed request: when the
/// key was first used, so a retry is the same request).
pub async fn record(
    services: &Services,
    lead_id: LeadId,
    mut touchpoint: Touchpoint,
    at_given: bool,
    by: &str,
    idempotency_key: Option<&str>,
) -> Result<(EventId, bool), TouchpointError> {
    use super::idempotent::{begin, finish, Keyed};
    let content = (&touchpoint.kind, &touchpoint.channel, &touchpoint.detail, &touchpoint.page, at_given.then_some(touchpoint.at));
    match begin(services, ROUTE, lead_id, by, idempotency_key, &content).await? {
        None => record_at(services, lead_id, touchpoint, by, services.clock.now(), None).await.map(|id| (id, false)),
        Some(Keyed::Replay(id)) => Ok((id, true)),
        Some(Keyed::Fresh { at, seed, scoped }) => {
            if !at_given {
                touchpoint.at = at;
            }
            let result = record_at(services, lead_id, touchpoint, by, at, Some(&seed)).await;
            finish(services, &scoped, &result).await?;
            result.map(|id| (id, false))
        }
    }
}

async fn record_at(
    services: &Services,
    lead_id: LeadId,
    touchpoint: Touchpoint,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
    key_seed: Option<&str>,
) -> Result<EventId, TouchpointError> {
    if services.leads.get(lead_id).await?.is_none() {
        return Err(TouchpointError::NotFound);
    }
    let seed = |part: &str| key_seed.map(|k| format!("{lead_id}:{k}:{part}"));
    let at = touchpoint.at;
    let kind = TimelineKind::TouchpointRecorded { touchpoint };
    let entry = match seed("touchpoint") {
        Some(s) => TimelineEntry::derived(lead_id, at, &s, Actor::User(by.to_string()), kind),
        None => TimelineEntry::new(lead_id, at, Actor::User(by.to_string()), kind),
    };
    services.timeline.append(&entry).await?;
    let event = LeadEvent {
        id: match seed("event") {
            Some(s) => EventId::derived(now, s.as_bytes()),
            None => EventId::new_at(now),
        },
        kind: LeadEventKind::TouchpointAdded,
        lead_id,
        occurred_at: now,
    };
    services.queue.publish(&event).await?;
    Ok(entry.id)
}
