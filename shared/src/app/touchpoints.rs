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
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Records a touchpoint and asks for a new score; returns the timeline entry id.
pub async fn record(
    services: &Services,
    lead_id: LeadId,
    touchpoint: Touchpoint,
    by: &str,
    idempotency_key: Option<&str>,
) -> Result<EventId, TouchpointError> {
    let now = services.clock.now();
    if services.leads.get(lead_id).await?.is_none() {
        return Err(TouchpointError::NotFound);
    }
    let seed = |part: &str| idempotency_key.map(|k| format!("{lead_id}:{k}:{part}"));
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
