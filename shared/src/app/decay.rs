//! Score decay over time: a lead's score falls back while it shows no activity (its model's
//! `decay`), and any new inquiry or touchpoint resets it. Scores are computed on events, so a
//! quiet lead is rescored on a schedule: the score consumer arms a due item (kind `decay`) at
//! the lead's next decay checkpoint, and the SLA function's minute publishes `lead.updated` for
//! each due one, which the score consumer picks up like any other change (a band change then
//! reaches the cadences through `lead.scored`).

use super::scheduler::{run_due, Outcome, TickOptions};
use super::Services;
use crate::domain::scoring::last_activity;
use crate::domain::{EventId, Lead, LeadEvent, LeadEventKind, LeadId, Touchpoint};
use crate::ports::{DueItem, StoreError};
use chrono::{DateTime, Duration, Utc};
use tracing::warn;

/// The scheduler kind of decay checkpoints.
pub const DECAY_KIND: &str = "decay";

/// Arms the next checkpoint of `lead` (scored at `now`), or drops it: when the decay starts,
/// then daily while it still changes the score.
pub async fn arm(services: &Services, lead: &Lead, touchpoints: &[Touchpoint], now: DateTime<Utc>) -> Result<(), StoreError> {
    let key = lead.id.to_string();
    let Some(decay) = services.config.scoring.model_for(&lead.context.service_line).and_then(|m| m.decay) else { return Ok(()) };
    if !lead.status.is_open() || lead.score.is_none() {
        services.due.cancel(DECAY_KIND, &key).await?;
        return Ok(());
    }
    let start = last_activity(lead, touchpoints) + Duration::days(i64::from(decay.after_days));
    let end = last_activity(lead, touchpoints) + decay.horizon();
    let next = if now < start { start } else { now + Duration::days(1) };
    if next > end {
        services.due.cancel(DECAY_KIND, &key).await?;
        return Ok(());
    }
    services.due.schedule(&DueItem::new(DECAY_KIND, key, next, "{}"), now).await
}

/// Publishes `lead.updated` for every lead whose checkpoint is due; returns how many.
pub async fn tick(services: &Services, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let report = run_due(services.due.as_ref(), DECAY_KIND, now, TickOptions::default(), |item| async move {
        let Ok(lead_id) = item.key.parse::<LeadId>() else { return Outcome::Done };
        // One event per checkpoint: a retried tick publishes the same id, which consumers absorb.
        let id = EventId::derived(item.due_at, format!("{lead_id}:decay").as_bytes());
        let event = LeadEvent { id, kind: LeadEventKind::Updated, lead_id, occurred_at: now };
        match services.queue.publish(&event).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                warn!(lead_id = %lead_id, error = %e, "decay rescore not requested; retried next minute");
                Outcome::Retry
            }
        }
    })
    .await?;
    Ok(report.handled)
}
