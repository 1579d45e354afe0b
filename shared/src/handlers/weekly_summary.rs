//! The weekly summary's entry point, invoked by an EventBridge schedule (Monday morning; see
//! template.yaml) and by the local runner's `POST /local/weekly-summary`. An error fails the
//! invocation so Lambda retries it; delivery markers make the retry send only what is missing.

use crate::app::analytics::weekly::{send_weekly, WeeklyError, WeeklyOutcome};
use crate::app::Services;
use aws_lambda_events::eventbridge::EventBridgeEvent;

/// Runs the weekly summary once.
pub async fn handle(services: &Services, _event: EventBridgeEvent) -> Result<WeeklyOutcome, WeeklyError> {
    let outcome = send_weekly(services).await?;
    tracing::info!(week = %outcome.week, sent = outcome.sent, already_sent = outcome.already_sent, "weekly summary done");
    Ok(outcome)
}
