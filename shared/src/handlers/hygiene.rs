//! The hygiene job's entry point, invoked daily by an EventBridge schedule (and by the
//! local runner's `POST /local/jobs/hygiene`). The event's content is not used: the watermark
//! decides what is read. The report (counts and ids) is the invocation's result and is logged.

use crate::app::hygiene::JobReport;
use crate::app::Services;
use aws_lambda_events::eventbridge::EventBridgeEvent;

/// Runs the job once. An error fails the invocation; the watermark then stays, so the next run
/// reads the same changes again (every step is safe to repeat).
pub async fn handle(services: &Services, _event: EventBridgeEvent) -> Result<JobReport, crate::ports::StoreError> {
    crate::app::hygiene::run(services).await
}
