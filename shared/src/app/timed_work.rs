//! Timed work, every minute (the `followup` function's tick): runs the due appointment reminders (kind
//! `reminder`, first: they are time-bound) and cadence steps through the scheduler (kind
//! `cadence`): claims by conditional write, so overlapping ticks run each step
//! once; a cursor per kind, so steps due while the function was down are caught up in order
//! (and the contact rules defer whatever would break quiet hours or the daily cap).

use super::cadence::{step, CADENCE_KIND};
use super::scheduler::{run_due, Outcome, TickOptions, TickReport};
use super::Services;
use crate::ports::StoreError;
use tracing::{info, warn, Instrument};

/// One tick with the default options.
pub async fn tick(services: &Services) -> Result<TickReport, StoreError> {
    tick_with(services, TickOptions::default()).await
}

/// One tick with `opts` (the bench raises the per-tick limits).
pub async fn tick_with(services: &Services, opts: TickOptions) -> Result<TickReport, StoreError> {
    let now = services.clock.now();
    let reminders = run_due(services.due.as_ref(), super::reminders::REMINDER_KIND, now, opts, |item| async move {
        let span = tracing::info_span!("reminder", lead_id = %item.key, attempt = item.attempts);
        match super::reminders::run(services, &item, now).instrument(span).await {
            Ok(outcome) => outcome,
            Err(e) => {
                warn!(lead_id = %item.key, error = %e, "reminder failed; retried next tick");
                Outcome::Retry
            }
        }
    })
    .await?;
    let mut report = run_due(services.due.as_ref(), CADENCE_KIND, now, opts, |item| async move {
        let span = tracing::info_span!("followup", lead_id = %item.key, attempt = item.attempts);
        match step::run(services, &item, now).instrument(span).await {
            Ok(outcome) => outcome,
            Err(e) => {
                warn!(lead_id = %item.key, error = %e, "cadence step failed; retried next tick");
                Outcome::Retry
            }
        }
    })
    .await?;
    report.handled += reminders.handled;
    report.retried += reminders.retried;
    report.busy += reminders.busy;
    report.stale += reminders.stale;
    report.buckets_read += reminders.buckets_read;
    if report.handled + report.retried > 0 {
        info!(handled = report.handled, retried = report.retried, buckets = report.buckets_read, "followup tick");
    }
    Ok(report)
}
