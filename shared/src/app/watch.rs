//! The watch over every stored inquiry: if its acknowledgement step has not run or it has not
//! been triaged (scored, routed, its response clock started) within `[intake]
//! processing_alarm_seconds`, the "lead waiting" alarm fires. It catches whatever the relay and
//! the consumers could not finish (a dead-lettered message, a relay stuck on its retries, a
//! consumer that keeps failing), whatever the cause.
//!
//! One due item per lead (kind `watch`), armed by the relay when it delivers an inquiry's event
//! and checked by the scheduled SLA function. A check that finds the work done ends it; one
//! that finds the lead still waiting writes the alarm's log line (a CloudWatch metric filter on
//! the SLA function's log group counts it: `LeadsWaitingAlarm` in `template.yaml`) and checks
//! again one period later, a bounded number of times.

use super::scheduler::{run_due, Outcome, TickOptions};
use super::Services;
use crate::domain::{LeadEvent, LeadId, TimelineKind};
use crate::ports::{DueItem, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tracing::{error, warn};

/// The scheduler kind of the watch.
pub const WATCH_KIND: &str = "watch";

/// The log message the alarm's metric filter matches (keep in step with `template.yaml`).
pub const ALARM_MESSAGE: &str = "lead waiting for acknowledgement or triage";

/// Checks after the first alarm before the watch gives up on a lead (logged as an error).
const MAX_CHECKS: u32 = 12;

/// Timeline entries read to find the acknowledgement step's outcome.
const TIMELINE_PAGE: usize = 200;

/// The watch item's payload: which check this is.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Check {
    #[serde(default)]
    alarms: u32,
}

/// Arms (or re-arms, for a newer inquiry) the watch of the lead `event` is about.
pub async fn arm(services: &Services, event: &LeadEvent) -> Result<(), StoreError> {
    let seconds = services.config.intake.processing_alarm_seconds;
    if seconds == 0 {
        return Ok(());
    }
    let due = event.occurred_at + Duration::seconds(i64::from(seconds));
    let item =
        DueItem::new(WATCH_KIND, event.lead_id.to_string(), due, serde_json::to_string(&Check::default()).expect("a check serializes"));
    services.due.schedule(&item, services.clock.now()).await
}

/// What a lead still waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Waiting {
    pub acknowledgement: bool,
    pub triage: bool,
}

impl Waiting {
    pub fn any(self) -> bool {
        self.acknowledgement || self.triage
    }
}

/// What lead `id` waits for now (nothing for a closed or missing lead).
pub async fn waiting(services: &Services, id: LeadId) -> Result<Waiting, StoreError> {
    let Some(lead) = services.leads.get(id).await? else { return Ok(Waiting::default()) };
    if !lead.status.is_open() || lead.merged_into.is_some() {
        return Ok(Waiting::default());
    }
    let triage = lead.inquiries.iter().any(|i| i.triage.is_none());
    let acknowledgement = if lead.acknowledged_at.is_some() {
        false
    } else {
        // The step ran when its outcome is on the timeline: sent, skipped (no consent, a
        // landline, a test record) or refused by the provider.
        let page = services.timeline.list(id, None, TIMELINE_PAGE).await?;
        !page.items.iter().any(|e| {
            matches!(
                e.kind,
                TimelineKind::AcknowledgementSent { .. }
                    | TimelineKind::AcknowledgementSkipped { .. }
                    | TimelineKind::AcknowledgementFailed { .. }
            )
        })
    };
    Ok(Waiting { acknowledgement, triage })
}

/// Runs the due checks (from the SLA function's minute); returns how many leads are waiting.
pub async fn tick(services: &Services, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let period = Duration::seconds(i64::from(services.config.intake.processing_alarm_seconds.max(60)));
    let waiting_now = std::sync::atomic::AtomicUsize::new(0);
    run_due(services.due.as_ref(), WATCH_KIND, now, TickOptions::default(), |item| {
        let waiting_now = &waiting_now;
        async move {
            let Ok(lead_id) = item.key.parse::<LeadId>() else { return Outcome::Done };
            let check: Check = serde_json::from_str(&item.payload).unwrap_or_default();
            match waiting(services, lead_id).await {
                Ok(w) if !w.any() => Outcome::Done,
                Ok(w) => {
                    waiting_now.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let waited = (now - item.due_at).num_seconds() + i64::from(services.config.intake.processing_alarm_seconds);
                    // The alarm's line: ids and flags only.
                    warn!(lead_id = %lead_id, acknowledgement = w.acknowledgement, triage = w.triage, waited_seconds = waited, alarm = "LeadsWaiting", "{ALARM_MESSAGE}");
                    if check.alarms + 1 >= MAX_CHECKS {
                        error!(lead_id = %lead_id, "the watch gives up on a lead still waiting; see the dead-letter queues");
                        return Outcome::Done;
                    }
                    let next = Check { alarms: check.alarms + 1 };
                    Outcome::Chain(DueItem::new(WATCH_KIND, item.key.clone(), now + period, serde_json::to_string(&next).expect("a check serializes")))
                }
                Err(e) => {
                    warn!(lead_id = %lead_id, error = %e, "watch check failed; retried next tick");
                    Outcome::Retry
                }
            }
        }
    })
    .await?;
    Ok(waiting_now.into_inner())
}
